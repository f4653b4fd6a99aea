/**
 * What a library user needs of the engine: backend choice and readiness, seeded randomness,
 * checkpoints. (The `tf` namespace is the user's own `@tensorflow/tfjs`, a peer dependency:
 * one TensorFlow.js instance is shared, and trustnlu's kernel patches apply to it.)
 */
export { initEngine, currentBackend, BACKENDS, type BackendName, type EngineOptions } from './backend.js';
export { SeededRandom, hashString } from './random.js';
export { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, type CheckpointFiles, type NamedWeight, type WeightEntry } from './io.js';
