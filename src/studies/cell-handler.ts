/**
 * The job handler that runs one study cell on a worker thread: of the local pool
 * (`study --parallel N`) or of a `trustnlu worker` process (`study --queue`, handler
 * "study-cell"). The run's configuration names the study (looked up in the registry: a job
 * never carries code) and the context every cell shares; a job is one cell, its answer the
 * cell's rows. The cell's own jobs (simulated clients, shadow models) run in this thread
 * (`cellOnWorker`): the cell already has a thread to itself.
 */
import { ConfigError } from '../errors.js';
import { SILENT } from '../train/progress.js';
import type { StudyCell } from './cells.js';
import { findStudy } from './registry.js';
import type { StudyContext, StudyDefinition, StudyRow } from './runner.js';

/** What every cell of a run shares (plain data: it travels to threads and through Redis). */
export interface CellHandlerConfig {
  study: string;
  seed: number;
  quick: boolean;
  dataDir?: string;
  dataset?: string;
}

export interface CellJob {
  cell: StudyCell;
}

export interface CellResult {
  rows: StudyRow[];
  seconds: number;
}

let study: StudyDefinition | undefined;
let ctx: StudyContext | undefined;

export function init(config: CellHandlerConfig): void {
  study = findStudy(config.study);
  if (!study?.cells || !study.runCell) throw new ConfigError(`study "${config.study}" has no cells here; are coordinator and worker the same trustnlu version?`);
  ctx = {
    seed: config.seed,
    quick: config.quick,
    ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}),
    ...(config.dataset !== undefined ? { dataset: config.dataset } : {}),
    progress: SILENT,
    cellOnWorker: true,
  };
}

export async function handle(job: CellJob): Promise<CellResult> {
  if (!study?.runCell || !ctx) throw new ConfigError('study-cell handler: init() was not called');
  if (typeof job?.cell?.key !== 'string' || typeof job.cell.params !== 'object') throw new ConfigError('study-cell handler: a job must be {cell: {key, name, params}}');
  const started = performance.now();
  const rows = await study.runCell(job.cell, ctx);
  return { rows, seconds: (performance.now() - started) / 1000 };
}
