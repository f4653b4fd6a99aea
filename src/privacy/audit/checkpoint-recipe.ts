/**
 * Reading how a checkpoint was trained (its meta `recipe`, and `dp` when DP-SGD was used) so
 * that shadow models can be trained the same way, and the ε its mechanism spent.
 *
 * A tf.LayersModel trained outside trustnlu records no recipe. Its shadows then train with
 * trustnlu's defaults for a user's model (TRAINING_DEFAULTS.layers, DEFAULT_EPOCHS epochs) and
 * a caveat says so: LiRA is only as strong as the shadows resemble the target, so the caller
 * should override the fields it knows (the CLI's --shadow-epochs, --shadow-batch, --shadow-lr,
 * --shadow-optimizer). A built-in checkpoint without a recipe is still refused: trustnlu
 * always records one, so its absence means a foreign or damaged file.
 */
import { CheckpointError } from '../../errors.js';
import { LAYERS_MODEL_KIND } from '../../models/index.js';
import { DEFAULT_EPOCHS, TRAINING_DEFAULTS } from '../../train/index.js';
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

/** The recipe shadows of a user's model get when it records none, and the caveat that says so. */
export function defaultLayersTraining(): CheckpointTraining {
  const d = TRAINING_DEFAULTS[LAYERS_MODEL_KIND];
  return {
    recipe: { epochs: DEFAULT_EPOCHS, batchSize: d.batchSize, learningRate: d.learningRate, optimizer: d.optimizer, schedule: d.schedule, warmupSteps: d.warmupSteps, patience: d.patience ?? null },
    theoreticalEpsilon: null,
    caveats: [
      `the model records no training recipe: shadows train with trustnlu's defaults for your own model (${d.optimizer}, learning rate ${d.learningRate}, batch ${d.batchSize}, ${DEFAULT_EPOCHS} epochs, early stopping after ${d.patience} epochs without improvement); the closer they are to how the target was trained, the stronger LiRA is (override them with --shadow-epochs, --shadow-batch, --shadow-lr, --shadow-optimizer)`,
    ],
  };
}

/** How the model was trained: its meta's recipe, or for a user's model without one (`kind` 'layers') the defaults with a caveat. */
export function trainingFromMeta(meta: Record<string, unknown>, where: string, kind?: string): CheckpointTraining {
  const recipe = meta.recipe as Record<string, unknown> | undefined;
  if ((!recipe || typeof recipe !== 'object') && kind === LAYERS_MODEL_KIND) return defaultLayersTraining();
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
