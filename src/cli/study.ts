/**
 * `trustnlu study NAME [--quick]`: runs a registered study (src/studies/registry.ts) through the
 * study runner (results.json, a markdown table and SVG charts in docs/studies/NAME or --out).
 * A study with cells resumes from the cells an earlier run finished (--fresh: not), runs
 * --parallel N cells at once on worker threads, or its cells on the Redis queue (--queue).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { runStudy, type StudyDefinition } from '../studies/index.js';
import { STUDIES } from '../studies/registry.js';
import { progressFor } from '../train/index.js';
import { requireChartRenderer } from '../report/charts.js';
import { parseInteger, printResult, startEngine, withCommonOptions } from './common.js';
import { addQueueOptions, queueRunOptions, type QueueFlags } from './queue-options.js';

/** The studies without cells whose jobs (simulated clients, shadow models) can run on the Redis queue. */
const JOB_QUEUE_STUDIES = ['leakage'];

/** Every study the CLI can run, by name. */
export { STUDIES };

const hasCells = (name: string): boolean => Boolean(STUDIES.find((s) => s.name === name)?.cells);

export function registerStudy(program: Command): Command {
  const command = program
    .command('study')
    .description('run a reproducible study (results.json, markdown table, charts); no name lists the studies')
    .argument('[name]', 'study name')
    .option('--quick', 'small, fast settings (smoke runs and tests); the results say so', false)
    .option('--seed <n>', 'seed', parseInteger('--seed', 0), 0)
    .option('--out <dir>', 'output folder (default docs/studies/NAME)')
    .option('--data-dir <dir>', 'data directory')
    .option('--dataset <name>', 'dataset, for studies that take one (e.g. dp-utility)')
    .option('--parts <list>', 'comma-separated parts to run, for studies that have parts (e.g. leakage: its arms); default all')
    .option('--parallel <n>', 'studies with cells: cells at once, each on its own worker thread (default 1: one after another in this thread)', parseInteger('--parallel', 1))
    .option('--fresh', 'studies with cells: run every cell again instead of resuming from OUT/.cache/cells/', false);
  addQueueOptions(command, `cells of the studies ${STUDIES.filter((s) => s.cells).map((s) => s.name).join(', ')} (and the simulated clients and shadow models of ${JOB_QUEUE_STUDIES.join(', ')})`);
  withCommonOptions(command).action(async (name: string | undefined, flags: Omit<QueueFlags, 'workers'> & { quick: boolean; seed: number; out?: string; dataDir?: string; dataset?: string; parts?: string; parallel?: number; fresh: boolean; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    if (!name) {
      printResult({ studies: STUDIES.map((s) => ({ name: s.name, title: s.title })) }, flags.json, (r: { studies: { name: string; title: string }[] }) =>
        r.studies.map((s) => `${s.name}\t${s.title}`).join('\n'),
      );
      return;
    }
    const study = STUDIES.find((s) => s.name === name);
    if (!study) throw new UsageError(`unknown study "${name}"; studies: ${STUDIES.map((s) => s.name).join(', ')}`);
    if (flags.dataset !== undefined && !study.takesDataset) throw new UsageError(`study "${name}" takes no --dataset (it fixes its own data)`);
    const parts = flags.parts === undefined ? undefined : studyParts(study, flags.parts);
    const cellStudies = STUDIES.filter((s) => s.cells).map((s) => s.name);
    if (!hasCells(name)) {
      if (flags.parallel !== undefined) throw new UsageError(`study "${name}" runs as one piece (no cells to run in parallel; --parallel serves ${cellStudies.join(', ')}): drop --parallel`);
      if (flags.fresh) throw new UsageError(`study "${name}" runs as one piece and keeps no cells to resume from: drop --fresh`);
    }
    if (flags.queue && !hasCells(name) && !JOB_QUEUE_STUDIES.includes(name)) {
      throw new UsageError(`study "${name}" runs no jobs on the queue (--queue serves ${[...cellStudies, ...JOB_QUEUE_STUDIES].join(', ')}): drop --queue`);
    }
    if (flags.queue && flags.parallel !== undefined) throw new UsageError('--parallel sets local threads; with --queue the cells run on trustnlu worker processes (set their --concurrency): drop --parallel');
    const progress = progressFor({ json: flags.json });
    const queue = queueRunOptions(flags, progress, false);
    await requireChartRenderer('studies (their charts)');
    await startEngine(flags);
    const commandLine = ['trustnlu study', name, flags.dataset ? `--dataset ${flags.dataset}` : '', flags.quick ? '--quick' : '', flags.seed ? `--seed ${flags.seed}` : '', parts ? `--parts ${parts.join(',')}` : ''].filter(Boolean).join(' ');
    const output = await runStudy(study, { seed: flags.seed, quick: flags.quick, dataDir: flags.dataDir, dataset: flags.dataset, progress, ...(parts ? { parts } : {}), ...(queue ? { queue } : {}) }, {
      out: flags.out,
      command: commandLine,
      ...(flags.parallel !== undefined ? { parallel: flags.parallel } : {}),
      fresh: flags.fresh,
    });
    const cells = output.cells;
    printResult({ study: name, quick: flags.quick, seconds: output.seconds, ...(cells ? { cells } : {}), files: output.files, rows: output.rows }, flags.json, (r: { files: string[]; seconds: number }) =>
      `${name}: ${r.seconds.toFixed(1)} s${cells ? ` (${cells.total} cells: ${cells.resumed} resumed, ${cells.ran} run${cells.ran > 0 ? ` ${cells.where}` : ''})` : ''}\n${r.files.join('\n')}`,
    );
  });
  return command;
}

/** The --parts list, checked against the parts the study knows. */
function studyParts(study: StudyDefinition, list: string): string[] {
  if (!study.parts) throw new UsageError(`study "${study.name}" has no parts to choose from: drop --parts`);
  const parts = list.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !study.parts!.includes(p));
  if (parts.length === 0 || unknown.length > 0) {
    throw new UsageError(`--parts ${unknown.length ? `names unknown parts (${unknown.join(', ')})` : 'is empty'}: study "${study.name}" has ${study.parts.join(', ')}`);
  }
  return study.parts.filter((p) => parts.includes(p));
}
