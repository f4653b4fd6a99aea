/**
 * Reading how a checkpoint was trained (its meta `recipe`, and `dp` when DP-SGD was used) so
 * that shadow models can be trained the same way, and the ε its mechanism spent.
 */
import { CheckpointError } from '../../errors.js';
import { computeEpsilon, type AccountantName } from '../accounting/index.js';
import type { DpRecipe, TrainingRecipe } from './shadow-training.js';

export interface CheckpointTraining {
  recipe: TrainingRecipe;
  dp?: DpRecipe;
  /** ε of the mechanism for the planned steps (an upper bound on what was spent), null without DP. */
  theoreticalEpsilon: number | null;
  /** Things the shadows cannot reproduce (e.g. GloVe initialisation), to report. */
  caveats: string[];
}

function numberField(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CheckpointError(`${where}: meta.${key} is ${JSON.stringify(v)}, expected a number`);
  return v;
}

export function trainingFromMeta(meta: Record<string, unknown>, where: string): CheckpointTraining {
  const recipe = meta.recipe as Record<string, unknown> | undefined;
  if (!recipe || typeof recipe !== 'object') {
    throw new CheckpointError(`${where} has no training recipe in its meta (checkpoints from "trustnlu train" record one): retrain the model to audit it with shadow models`);
  }
  const r = `${where} recipe`;
  const training: CheckpointTraining = {
    recipe: {
      epochs: numberField(recipe, 'epochs', r),
      batchSize: numberField(recipe, 'batchSize', r),
      learningRate: numberField(recipe, 'learningRate', r),
      optimizer: String(recipe.optimizer ?? 'adam') as TrainingRecipe['optimizer'],
      schedule: String(recipe.schedule ?? 'constant') as TrainingRecipe['schedule'],
      warmupSteps: typeof recipe.warmupSteps === 'number' ? recipe.warmupSteps : 0,
      patience: typeof recipe.patience === 'number' ? recipe.patience : null,
    },
    theoreticalEpsilon: null,
    caveats: recipe.glove ? ['the target was GloVe-initialised; shadows start from random embeddings'] : [],
  };
  const dp = meta.dp as Record<string, unknown> | undefined;
  if (dp && typeof dp === 'object') {
    const d = `${where} meta.dp`;
    const noiseMultiplier = numberField(dp, 'noiseMultiplier', d);
    const delta = numberField(dp, 'delta', d);
    training.dp = { noiseMultiplier, delta, clip: typeof dp.clip === 'number' ? dp.clip : 1 };
    if (dp.clip === 'auto') training.caveats.push('the target used adaptive clipping; shadows clip at 1');
    if (typeof dp.sampleRate === 'number' && typeof dp.plannedSteps === 'number') {
      training.theoreticalEpsilon = computeEpsilon({
        sampleRate: dp.sampleRate,
        noiseMultiplier,
        steps: dp.plannedSteps,
        delta,
        accountant: (dp.accountant as AccountantName | undefined) ?? 'rdp',
      }).epsilon;
    }
  }
  return training;
}
