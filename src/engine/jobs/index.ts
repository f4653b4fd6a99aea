/**
 * Jobs beyond one process: the job interface shared by the local worker pool and the Redis
 * queue (BullMQ), the queue's coordinator (QueueJobRunner) and worker (QueueWorker), and the
 * wire format. bullmq and ioredis are optional peer dependencies, loaded only when a queue is
 * used. See docs/scale-out.md.
 */
export { type JobRunner, type QueueRunOptions } from './job-runner.js';
export { QueueJobRunner, type QueueRunnerOptions, type SharedRunData } from './queue-runner.js';
export { type QueueProgress, type WorkerCounts } from './queue-progress.js';
export { QueueWorker, type QueueWorkerOptions, type QueueWorkerStats } from './queue-worker.js';
export { parseQueueAddress, queueAddressWarning, QUEUE_ADDRESS_FORM, type QueueAddress } from './queue-address.js';
export { reconnectDelayMs, isDeterministicFailure, type QueueEventListener } from './queue-protocol.js';
export { encodeWithBlobs, resolveBlobs, encodeValue, decodeValue, contentHash, BLOB_THRESHOLD_BYTES } from './wire.js';
