/**
 * A queue worker process for the tests: the library's QueueWorker with the pool tests' fixture
 * handler besides the real ones, a short stall time, events as JSON lines on stdout.
 * Usage: node fixture-worker.js REDIS_URL NAME [STALL_SECONDS] [CONCURRENCY]
 */
import { QueueWorker } from '../../../src/engine/jobs/index.js';
import { JOB_HANDLERS } from '../../../src/job-handlers.js';

const [url, name, stall = '2', concurrency = '2'] = process.argv.slice(2);
const print = (event: string, fields: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
const worker = await QueueWorker.start({
  queue: url,
  handlers: { fixture: new URL('../workers/fixture-handler.js', import.meta.url), ...JOB_HANDLERS },
  concurrency: Number(concurrency),
  name,
  stallSeconds: Number(stall),
  onEvent: print,
});
print('ready', { worker: worker.name });
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
