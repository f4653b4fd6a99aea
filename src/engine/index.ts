/**
 * The only door to TensorFlow.js. Everything above this layer imports `tf` from here,
 * so the engine (backend, kernel patches, later perhaps another library) can change in
 * one place.
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Variable, Rank } from '@tensorflow/tfjs';
export { initEngine, currentBackend, BACKENDS } from './backend.js';
export type { BackendName, EngineOptions } from './backend.js';
export { SeededRandom, hashString } from './random.js';
export { writeAtomic, saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './io.js';
export type { Checkpoint, CheckpointFiles, NamedWeight, WeightEntry } from './io.js';
export { gradientsOfRegistered } from './gradients.js';
export type { LazyGradients } from './gradients.js';
