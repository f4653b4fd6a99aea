/**
 * One study runner (DESIGN.md §7). A study is a function that returns rows; the runner
 * writes `results.json` (rows, command, seed, machine, date), a markdown table and
 * Vega-Lite charts rendered to SVG into an output folder (default docs/studies/NAME), so
 * the numbers in docs/ always come from a command anyone can re-run.
 *
 * A study either runs as one piece (`run(ctx)`), or declares cells (`cells(ctx)`,
 * `runCell(cell, ctx)`, optionally `summarize(rows, ctx)`): then the cells run as jobs
 * (in this thread, on `parallel` worker threads or on the Redis queue), each finished cell is
 * saved in OUT/.cache/cells/ and a rerun resumes from them (cell-runner.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform } from 'node:os';
import { join } from 'node:path';
import { currentBackend } from '../engine/index.js';
import { renderSvg, type VegaLiteSpec } from '../report/charts.js';
import type { ProgressReporter } from '../train/progress.js';
import type { QueueRunOptions } from '../engine/jobs/index.js';
import { ConfigError } from '../errors.js';
import type { CellSpec, StudyCell } from './cells.js';
import { runCells, type CellRunSummary } from './cell-runner.js';

export type StudyRow = Record<string, string | number | boolean | null>;

export interface StudyContext {
  seed: number;
  /** Smaller, faster settings (for tests and smoke runs); results say so. */
  quick: boolean;
  dataDir?: string;
  /** `--dataset`, for studies that take one (`takesDataset`). */
  dataset?: string;
  progress: ProgressReporter;
  /**
   * Run the study's jobs on the Redis queue instead of local threads: its cells for a study
   * with cells, else its simulated clients and shadow models.
   */
  queue?: QueueRunOptions;
  /** `--parts`: run only these parts of a study that has parts (StudyDefinition.parts); all when absent. */
  parts?: string[];
  /** Where a study may keep finished work to resume a killed run (runStudy: `.cache` in the output folder, not committed; a study's saved cells go to its `cells/`). */
  cacheDir?: string;
  /** Set when a cell runs on a worker thread of its own: its jobs (clients, shadow models) then run in that thread too. */
  cellOnWorker?: boolean;
}

export interface StudyColumn {
  key: string;
  header: string;
  /** Decimal places for numbers (default 3). */
  digits?: number;
}

export interface StudyDefinition {
  name: string;
  title: string;
  /** What the study measures and how to read it (goes above the table). */
  description: string;
  /** True if the study reads `ctx.dataset` (the CLI refuses --dataset otherwise). */
  takesDataset?: boolean;
  /** Parts that can run on their own (`--parts`), e.g. the arms of a study; the CLI refuses other names. */
  parts?: string[];
  /** The whole study in one piece (a study without cells). */
  run?(ctx: StudyContext): Promise<StudyRow[]>;
  /**
   * The study's independent pieces as plain data (each one configuration and seed); the
   * runner derives each cell's key from its name, its parameters, the seed, --quick and
   * --dataset. A cell's randomness must follow from those alone, never from the order cells run in.
   */
  cells?(ctx: StudyContext): CellSpec[];
  /**
   * A second round of cells made from the rows of every cell of `cells(ctx)` (in order): e.g.
   * the final runs at the setting the tuning cells chose. They run after all the first cells
   * finished, resume like them, and their rows follow the first cells' rows. A changed choice
   * changes their parameters, hence their keys: a resumed run never reuses a stale one.
   */
  followUpCells?(ctx: StudyContext, rows: StudyRow[]): CellSpec[];
  /** One cell's rows; runs in this thread, on a worker thread or on another machine. */
  runCell?(cell: StudyCell, ctx: StudyContext): Promise<StudyRow[]>;
  /** The table from every cell's rows, in cell order (e.g. means over seeds, paired differences); default: the rows as they are. */
  summarize?(rows: StudyRow[], ctx: StudyContext): StudyRow[];
  columns: StudyColumn[];
  charts?(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[];
  /** The README's tables, each from its own rows and columns (default: one table of every row with `columns`); results.json always holds every row. */
  tables?(rows: StudyRow[]): { title: string; rows: StudyRow[]; columns: StudyColumn[] }[];
}

export interface StudyOutput {
  rows: StudyRow[];
  files: string[];
  seconds: number;
  /** For a study with cells: how many there were, how many were read back from an earlier run, where they ran. */
  cells?: CellRunSummary;
}

export interface StudyRunOptions {
  out?: string;
  command: string;
  /** Cells at once on local worker threads (studies with cells; default 1: in this thread). */
  parallel?: number;
  /** Run every cell again instead of resuming from OUT/.cache/cells/. */
  fresh?: boolean;
}

/** The study's rows: `run(ctx)`, or its cells (resumable, as jobs) then `summarize`. */
async function studyRows(study: StudyDefinition, ctx: StudyContext & { cacheDir: string }, options: StudyRunOptions): Promise<{ rows: StudyRow[]; cells?: CellRunSummary }> {
  if (study.cells && study.runCell) {
    const { queue, ...cellCtx } = ctx;
    const cellOptions = { cacheDir: ctx.cacheDir, parallel: options.parallel, fresh: options.fresh, ...(queue ? { queue } : {}) };
    const first = await runCells(study, cellCtx, { ...cellOptions, moreCellsFollow: study.followUpCells !== undefined });
    let rows = first.rows;
    let summary = first.summary;
    if (study.followUpCells) {
      const second = await runCells(study, cellCtx, { ...cellOptions, specs: study.followUpCells(cellCtx, first.rows), earlierKeys: first.keys });
      rows = [...first.rows, ...second.rows];
      summary = {
        total: first.summary.total + second.summary.total,
        resumed: first.summary.resumed + second.summary.resumed,
        ran: first.summary.ran + second.summary.ran,
        where: second.summary.ran > 0 || first.summary.ran === 0 ? second.summary.where : first.summary.where,
      };
    }
    return { rows: study.summarize ? study.summarize(rows, cellCtx) : rows, cells: summary };
  }
  if (!study.run) throw new ConfigError(`study "${study.name}" defines neither run(ctx) nor cells(ctx) with runCell(cell, ctx)`);
  if ((options.parallel ?? 1) !== 1 || options.fresh) throw new ConfigError(`study "${study.name}" runs as one piece (it has no cells): --parallel and --fresh do not apply`);
  return { rows: await study.run(ctx) };
}

export function markdownTable(rows: StudyRow[], columns: StudyColumn[]): string {
  const cell = (v: StudyRow[string], digits = 3) =>
    v === null || v === undefined ? '–' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : String(v);
  const head = `| ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${columns.map((c) => cell(r[c.key], c.digits)).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export async function runStudy(study: StudyDefinition, ctx: StudyContext, options: StudyRunOptions): Promise<StudyOutput> {
  const out = options.out ?? join('docs', 'studies', study.name);
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const { rows, cells } = await studyRows(study, { ...ctx, cacheDir: ctx.cacheDir ?? join(out, '.cache') }, options);
  const seconds = (Date.now() - started) / 1000;
  const files: string[] = [];
  const record = {
    study: study.name,
    title: study.title,
    command: options.command,
    seed: ctx.seed,
    quick: ctx.quick,
    date: new Date().toISOString(),
    seconds,
    ...(cells ? { cells: cells.total, resumedCells: cells.resumed } : {}),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGB: Math.round(totalmem() / 2 ** 30), platform: platform(), node: process.version, backend: currentBackend() },
    rows,
  };
  const resultsPath = join(out, 'results.json');
  writeFileSync(resultsPath, JSON.stringify(record, null, 1));
  files.push(resultsPath);
  const charts = study.charts ? study.charts(rows) : [];
  for (const chart of charts) {
    const path = join(out, `${chart.name}.svg`);
    writeFileSync(path, await renderSvg(chart.spec));
    files.push(path);
  }
  const md = [
    `# ${study.title}`,
    '',
    study.description,
    '',
    `Command: \`${options.command}\` (seed ${ctx.seed}${ctx.quick ? ', quick settings' : ''}); ${record.machine.cores} × ${record.machine.cpu}, Node ${record.machine.node}, backend ${record.machine.backend}; ${seconds.toFixed(0)} s${cells && cells.resumed > 0 ? ` (${cells.resumed} of ${cells.total} cells resumed from an earlier run)` : ''}; ${record.date.slice(0, 10)}.`,
    '',
    ...(study.tables ? study.tables(rows) : [{ title: '', rows, columns: study.columns }]).flatMap((t) => [...(t.title ? [`## ${t.title}`, ''] : []), markdownTable(t.rows, t.columns), '']),
    ...charts.map((c) => `![${c.name}](${c.name}.svg)`),
    '',
  ].join('\n');
  const mdPath = join(out, 'README.md');
  writeFileSync(mdPath, md);
  files.push(mdPath);
  return { rows, files, seconds, ...(cells ? { cells } : {}) };
}
