/**
 * One study runner (DESIGN.md §7). A study is a function that returns rows; the runner
 * writes `results.json` (rows, command, seed, machine, date), a markdown table and
 * Vega-Lite charts rendered to SVG into an output folder (default docs/studies/NAME), so
 * the numbers in docs/ always come from a command anyone can re-run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform } from 'node:os';
import { join } from 'node:path';
import { currentBackend } from '../engine/index.js';
import { renderSvg, type VegaLiteSpec } from '../report/charts.js';
import type { ProgressReporter } from '../train/progress.js';
import type { QueueRunOptions } from '../engine/jobs/index.js';

export type StudyRow = Record<string, string | number | boolean | null>;

export interface StudyContext {
  seed: number;
  /** Smaller, faster settings (for tests and smoke runs); results say so. */
  quick: boolean;
  dataDir?: string;
  /** `--dataset`, for studies that take one (`takesDataset`). */
  dataset?: string;
  progress: ProgressReporter;
  /** Run the studies' jobs (simulated clients, shadow models) on the Redis queue instead of local threads. */
  queue?: QueueRunOptions;
  /** `--parts`: run only these parts of a study that has parts (StudyDefinition.parts); all when absent. */
  parts?: string[];
  /** Where a study may keep finished work to resume a killed run (runStudy: `.cache` in the output folder, not committed). */
  cacheDir?: string;
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
  run(ctx: StudyContext): Promise<StudyRow[]>;
  columns: StudyColumn[];
  charts?(rows: StudyRow[]): { name: string; spec: VegaLiteSpec }[];
}

export interface StudyOutput {
  rows: StudyRow[];
  files: string[];
  seconds: number;
}

export function markdownTable(rows: StudyRow[], columns: StudyColumn[]): string {
  const cell = (v: StudyRow[string], digits = 3) =>
    v === null || v === undefined ? '–' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(digits)) : String(v);
  const head = `| ${columns.map((c) => c.header).join(' | ')} |`;
  const rule = `|${columns.map(() => '---').join('|')}|`;
  const body = rows.map((r) => `| ${columns.map((c) => cell(r[c.key], c.digits)).join(' | ')} |`);
  return [head, rule, ...body].join('\n');
}

export async function runStudy(study: StudyDefinition, ctx: StudyContext, options: { out?: string; command: string }): Promise<StudyOutput> {
  const out = options.out ?? join('docs', 'studies', study.name);
  mkdirSync(out, { recursive: true });
  const started = Date.now();
  const rows = await study.run({ ...ctx, cacheDir: ctx.cacheDir ?? join(out, '.cache') });
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
    `Command: \`${options.command}\` (seed ${ctx.seed}${ctx.quick ? ', quick settings' : ''}); ${record.machine.cores} × ${record.machine.cpu}, Node ${record.machine.node}, backend ${record.machine.backend}; ${seconds.toFixed(0)} s; ${record.date.slice(0, 10)}.`,
    '',
    markdownTable(rows, study.columns),
    '',
    ...charts.map((c) => `![${c.name}](${c.name}.svg)`),
    '',
  ].join('\n');
  const mdPath = join(out, 'README.md');
  writeFileSync(mdPath, md);
  files.push(mdPath);
  return { rows, files, seconds };
}
