/**
 * The bootstrap every pool worker runs: start this thread's own tfjs engine (unless the
 * handler needs none), load the job-handler module once, call its `init(config)`, then
 * answer jobs one at a time with `handle(job)`. Typed arrays in a result are transferred
 * (see transferablesOf), so a handler must return arrays it owns, not views of tensor memory.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError, transferablesOf, type JobMessage, type WorkerBootData, type WorkerMessage } from './messages.js';
import type { JobHandlerModule } from './pool.js';

const boot = workerData as WorkerBootData;
const port = parentPort!;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch (error) {
    // e.g. a buffer that cannot be detached: fall back to copying, or report the failure
    if (transfer.length > 0) post(message, []);
    else if (message.type === 'result' && message.ok) {
      port.postMessage({ type: 'result', id: message.id, ok: false, error: serializeError(error) } satisfies WorkerMessage);
    } else throw error;
  }
}

async function start(): Promise<void> {
  let handler: JobHandlerModule;
  try {
    if (boot.backend) {
      const { initEngine } = await import('../backend.js');
      await initEngine({ backend: boot.backend });
    }
    handler = (await import(boot.handler)) as JobHandlerModule;
    if (typeof handler.handle !== 'function') {
      throw new Error(`job handler ${boot.handler} exports no handle(job) function; export init(config) and handle(job)`);
    }
    if (typeof handler.init === 'function') await handler.init(boot.config, { workerIndex: boot.workerIndex });
  } catch (error) {
    post({ type: 'init-error', error: serializeError(error) });
    return;
  }
  port.on('message', async (message: JobMessage) => {
    if (message?.type !== 'job') return;
    try {
      const value = await handler.handle(message.job);
      post({ type: 'result', id: message.id, ok: true, value }, transferablesOf(value));
    } catch (error) {
      post({ type: 'result', id: message.id, ok: false, error: serializeError(error) });
    }
  });
  post({ type: 'ready' });
}

void start();
