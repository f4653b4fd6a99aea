/**
 * Runs a study's cells as jobs and keeps each finished cell on disk (cell-store.ts), so a
 * killed study resumes where it stopped and gives the rows an uninterrupted run gives.
 *
 * Where the cells run: in this thread one after another (the default, `parallel` 1: the study
 * runs exactly as a study without cells would), on `parallel` worker threads of the local pool,
 * or on `trustnlu worker` processes through Redis (`queue`, handler "study-cell"). A cell's
 * rows depend only on the study seed and the cell's parameters, never on where or in which
 * order it ran. After a failed cell no new cell starts; the cells already running finish and
 * are saved, then the run stops with the cell's error.
 */
import { ConfigError } from '../errors.js';
import { currentBackend } from '../engine/index.js';
import { WorkerPool } from '../engine/workers/index.js';
import { QueueJobRunner, type QueueRunOptions } from '../engine/jobs/index.js';
import { keyCells, type CellSpec, type StudyCell } from './cells.js';
import { CellStore } from './cell-store.js';
import type { CellHandlerConfig, CellJob, CellResult } from './cell-handler.js';
import type { StudyContext, StudyDefinition, StudyRow } from './runner.js';

/** The job handler's name on the queue (src/job-handlers.ts). */
export const STUDY_CELL_HANDLER = 'study-cell';

export interface CellRunOptions {
  /** The study's cache folder (runStudy: OUT/.cache); finished cells go to its cells/. */
  cacheDir: string;
  /** Cells at once on local worker threads; 1 (default) runs them in this thread. */
  parallel?: number;
  /** Run every cell again, ignoring saved ones (they are overwritten as cells finish). */
  fresh?: boolean;
  /** Run the cells on the Redis queue instead. */
  queue?: QueueRunOptions;
  /** The cells to run (default `study.cells(ctx)`): a study's follow-up cells. */
  specs?: CellSpec[];
  /** More cells will follow (from these cells' rows): saved cells not in this list are not reported as strangers yet. */
  moreCellsFollow?: boolean;
  /** Keys of the cells run before (the first round): saved files of theirs are not strangers. */
  earlierKeys?: ReadonlySet<string>;
}

export interface CellRunSummary {
  total: number;
  /** Read back from the cache folder instead of run. */
  resumed: number;
  ran: number;
  /** Where the cells ran: "in process", "N worker threads", "queue redis://…". */
  where: string;
}

interface CellExecutor {
  where: string;
  /** Cells in flight at most. */
  limit: number;
  run(cell: StudyCell): Promise<CellResult>;
  close(): Promise<void>;
}

/** Rows as they will read back from disk (NaN and -0 as JSON makes them), whether run now or resumed. */
const asSaved = (rows: StudyRow[]): StudyRow[] => JSON.parse(JSON.stringify(rows)) as StudyRow[];

async function openExecutor(study: StudyDefinition, ctx: StudyContext, options: CellRunOptions, cells: number): Promise<CellExecutor> {
  const parallel = options.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new ConfigError(`parallel must be an integer ≥ 1 (cells at once), got ${options.parallel}`);
  const config: CellHandlerConfig = {
    study: study.name,
    seed: ctx.seed,
    quick: ctx.quick,
    ...(ctx.dataDir !== undefined ? { dataDir: ctx.dataDir } : {}),
    ...(ctx.dataset !== undefined ? { dataset: ctx.dataset } : {}),
  };
  const backend = currentBackend() === 'cpu' ? 'cpu' : 'wasm';
  if (options.queue) {
    const runner = await QueueJobRunner.open<CellJob, CellResult>({ ...options.queue, handler: STUDY_CELL_HANDLER, config, backend });
    return { where: runner.description, limit: Math.max(1, cells), run: (cell) => runner.run({ cell }), close: () => runner.close() };
  }
  if (parallel === 1) {
    const runCell = study.runCell!.bind(study);
    return {
      where: 'in process',
      limit: 1,
      run: async (cell) => {
        const started = performance.now();
        const rows = await runCell(cell, ctx);
        return { rows, seconds: (performance.now() - started) / 1000 };
      },
      close: async () => undefined,
    };
  }
  const pool = new WorkerPool<CellJob, CellResult, CellHandlerConfig>({ handler: new URL('./cell-handler.js', import.meta.url), config, size: parallel, backend });
  try {
    await pool.ready();
  } catch (error) {
    await pool.close();
    throw error;
  }
  return { where: `${parallel} worker threads`, limit: parallel, run: (cell) => pool.run({ cell }), close: () => pool.close() };
}

/** Every cell's rows in the order of `study.cells(ctx)`, running only those not saved yet. */
export async function runCells(study: StudyDefinition, ctx: StudyContext, options: CellRunOptions): Promise<{ rows: StudyRow[]; summary: CellRunSummary; keys: Set<string> }> {
  if (!study.cells || !study.runCell) throw new ConfigError(`study "${study.name}" defines no cells(ctx) and runCell(cell, ctx)`);
  const cells = keyCells(options.specs ?? study.cells(ctx), { study: study.name, seed: ctx.seed, quick: ctx.quick, ...(ctx.dataset !== undefined ? { dataset: ctx.dataset } : {}) });
  const store = new CellStore(options.cacheDir, study.name);
  const results = new Map<string, StudyRow[]>();
  if (options.fresh) {
    for (const cell of cells) store.forget(cell);
  } else {
    for (const cell of cells) {
      const saved = store.read(cell);
      if ('rows' in saved) results.set(cell.key, saved.rows);
      else if (saved.problem !== 'missing') ctx.progress.event('cell-ignored', { key: cell.key, problem: saved.problem, note: 'the cell runs again' });
    }
  }
  const keys = new Set(cells.map((c) => c.key));
  const stale = options.moreCellsFollow ? [] : store.strangers(new Set([...keys, ...(options.earlierKeys ?? [])]));
  const todo = cells.filter((c) => !results.has(c.key));
  const resumed = cells.length - todo.length;
  let where = 'in process';
  if (todo.length > 0) {
    const executor = await openExecutor(study, ctx, options, todo.length);
    where = executor.where;
    ctx.progress.event('cells', {
      total: cells.length,
      resumed,
      toRun: todo.length,
      on: where,
      folder: store.dir,
      ...(resumed > 0 ? { note: `${resumed} of ${cells.length} cells already finished in ${store.dir} (--fresh runs them again)` } : {}),
      ...(stale.length > 0 ? { otherCells: stale.length } : {}),
    });
    try {
      await runWithLimit(todo, executor, (cell, result) => {
        const rows = asSaved(result.rows);
        store.write(cell, rows, result.seconds);
        results.set(cell.key, rows);
        ctx.progress.event('cell-done', { key: cell.key, name: cell.name, done: results.size, total: cells.length, seconds: Number(result.seconds.toFixed(2)) });
      }, (cell, error) => {
        ctx.progress.event('cell-failed', { key: cell.key, name: cell.name, error: error.message, note: 'no new cell starts; rerun the same command to resume from the finished cells' });
      });
    } finally {
      await executor.close();
    }
  } else if (cells.length > 0) {
    ctx.progress.event('cells', { total: cells.length, resumed, toRun: 0, folder: store.dir, note: `every cell already finished in ${store.dir} (--fresh runs them again)` });
  }
  return { rows: cells.flatMap((c) => results.get(c.key)!), summary: { total: cells.length, resumed, ran: todo.length, where }, keys };
}

/**
 * Runs the cells in order, at most `executor.limit` at once; after the first failure starts no
 * more, waits for the running ones (their rows are saved), then throws that failure.
 */
async function runWithLimit(
  cells: StudyCell[],
  executor: CellExecutor,
  onDone: (cell: StudyCell, result: CellResult) => void,
  onFailed: (cell: StudyCell, error: Error) => void,
): Promise<void> {
  let next = 0;
  let failure: Error | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < cells.length) {
      const cell = cells[next++];
      try {
        onDone(cell, await executor.run(cell));
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        if (failure === undefined) failure = e;
        onFailed(cell, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(executor.limit, cells.length) }, lane));
  if (failure) throw failure;
}
