/**
 * A queue worker's own copy of a simulation's data: given the recipe the coordinator sent
 * (a named dataset and the options that decide its encoding), rebuild the encoded training and
 * evaluation examples from the worker's data directory, with the same code the coordinator
 * ran (prepareFederatedDataset). The queue worker hashes the result and uses it only if it
 * matches the coordinator's hash; otherwise it takes the data shipped with the run.
 *
 * The recipe comes from Redis, so it is checked field by field: only a registry dataset's name
 * is accepted (never a path), so a forged record cannot make a worker read other files.
 */
import { ConfigError } from '../../errors.js';
import { DATASETS } from '../../data/registry.js';
import { prepareFederatedDataset, type FederatedDataRecipe } from './federated-dataset.js';

/** The loader's name on the queue (src/job-handlers.ts). */
export const FEDERATED_DATA_LOADER = 'federated-dataset';

function recipeOf(params: unknown): FederatedDataRecipe {
  const p = params as Partial<FederatedDataRecipe> | null;
  const bad = (field: string): never => {
    throw new ConfigError(`queue worker: the run's data recipe has an invalid "${field}"`);
  };
  if (p === null || typeof p !== 'object') return bad('recipe');
  if (typeof p.dataset !== 'string' || !DATASETS.some((d) => d.name === p.dataset)) bad('dataset');
  if (typeof p.partition !== 'string' || p.partition.length > 100) bad('partition');
  if (!Number.isInteger(p.numClients) || p.numClients! < 1) bad('numClients');
  if (typeof p.model !== 'string' || p.model.length > 40) bad('model');
  if (p.modelConfig !== undefined && (p.modelConfig === null || typeof p.modelConfig !== 'object' || Array.isArray(p.modelConfig))) bad('modelConfig');
  if (!Number.isFinite(p.seed)) bad('seed');
  if (p.evaluationSplit !== 'val' && p.evaluationSplit !== 'test') bad('evaluationSplit');
  if (!Number.isInteger(p.minClientExamples) || p.minClientExamples! < 1) bad('minClientExamples');
  return p as FederatedDataRecipe;
}

/** The encoded examples (`train`, `evaluation`) the recipe makes from `dataDir`. */
export function loadJobData(params: unknown, dataDir: string): { train: unknown; evaluation: unknown } {
  const recipe = recipeOf(params);
  const data = prepareFederatedDataset({ ...recipe, dataDir });
  return { train: data.train, evaluation: data.evaluation };
}
