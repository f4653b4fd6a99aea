/**
 * Canary extraction from a joint intent + slot-tagging model, end to end: train the model on a
 * dataset with slot canaries inserted (non-private or DP-SGD; the trainer hands back the best
 * validation epoch, which is reported), then run the relaxed-input attack on every canary and
 * score it: exact reconstruction (with a Clopper–Pearson interval) and the normalised Hamming
 * distance between the guessed and the true digits.
 *
 * Decoding 'digits' restricts each secret position to the ten digit tokens (an attacker who
 * knows a PIN is digits); 'vocabulary' lets it take any token, as the paper's relaxation does.
 * Random guessing gets 10^-length exactly right over digits (|V|^-length over the vocabulary).
 */
import { SeededRandom, tf } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { clopperPearson } from '../../metrics/index.js';
import type { IntentDataset } from '../../data/types.js';
import { INFERENCE, JointIntentSlotModel, type JointTaggerConfig, type TensorBatch } from '../../models/index.js';
import { SILENT, TaggingTask, fitTaggingTokenizer, slotLabelsOf, train, type OptimizerName, type ProgressReporter, type TaggingMetrics, type TrainingResult } from '../../train/index.js';
import { PrivateTraining } from '../dpsgd/index.js';
import { invertSlotSecrets, slotSecretLoss, type SlotInversionOptions } from '../attacks/slot-inversion.js';
import { SLOT_CANARY_FORMATS, SLOT_CANARY_INTENT, insertSlotCanaries, type SlotCanary } from './slot-canaries.js';

const DIGITS = [...'0123456789'];

export interface SlotCanaryTrainingOptions {
  /** A dataset with tokens and BIO slot tags (snips, or a generated one). */
  dataset: IntentDataset;
  canaries: SlotCanary[];
  config?: Partial<JointTaggerConfig>;
  epochs: number;
  batchSize: number;
  learningRate: number;
  optimizer?: OptimizerName;
  /** Early stopping: stop after this many epochs without a better validation score. */
  patience?: number;
  /** Weights handed back: the best validation epoch's (default) or the last epoch's. */
  keep?: 'best' | 'last';
  dp?: { epsilon: number; delta: number; clip?: number };
  seed: number;
  progress?: ProgressReporter;
}

export interface SlotCanaryTrainingOutput {
  model: JointIntentSlotModel;
  task: TaggingTask;
  training: TrainingResult;
  /** Test-split metrics of the model handed back (the best validation epoch's weights). */
  test: TaggingMetrics;
  /** ε of the planned DP steps, null without DP. */
  epsilon: number | null;
}

export async function trainSlotModelWithCanaries(options: SlotCanaryTrainingOptions): Promise<SlotCanaryTrainingOutput> {
  const rng = new SeededRandom(options.seed).fork('slot-canaries');
  const dataset = insertSlotCanaries(options.dataset, options.canaries, rng);
  const all = [...dataset.splits.train, ...dataset.splits.val, ...dataset.splits.test];
  // Every format's words and every digit are in the vocabulary, so never-inserted reference canaries are not <unk>.
  const tokenizer = fitTaggingTokenizer(dataset.splits.train, [...SLOT_CANARY_FORMATS.flat(), ...options.canaries.flatMap((c) => c.prefix), ...DIGITS]);
  const slotLabels = slotLabelsOf(all.concat(options.canaries.map((c) => ({ text: '', label: SLOT_CANARY_INTENT, tokens: c.tokens, slots: c.slots }))));
  const model = new JointIntentSlotModel(options.config ?? {}, tokenizer, dataset.labels, slotLabels, options.seed);
  const task = new TaggingTask(dataset, tokenizer, dataset.labels, slotLabels, model.maxLength);
  let privacy: PrivateTraining | undefined;
  try {
    let gradientStep;
    let batchPlan;
    let epsilon: number | null = null;
    if (options.dp) {
      privacy = new PrivateTraining({ epsilon: options.dp.epsilon, delta: options.dp.delta, clip: options.dp.clip ?? 1, clipping: 'per-layer' });
      const plan = privacy.configure({ model, trainSize: task.trainSize, batchSize: options.batchSize, epochs: options.epochs });
      gradientStep = plan.gradientStep;
      batchPlan = plan.batchPlan;
      epsilon = privacy.report(plan.plannedSteps).epsilon;
    }
    const training = await train(model, task, {
      epochs: options.epochs,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      optimizer: { name: options.optimizer ?? 'adam' },
      patience: options.patience,
      keep: options.keep,
      seed: options.seed,
      progress: options.progress ?? SILENT,
      gradientStep,
      batchPlan,
    });
    return { model, task, training, test: task.evaluate(model, 'test'), epsilon };
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    privacy?.dispose();
  }
}

export type ExtractionDecode = 'digits' | 'vocabulary';

export interface SlotCanaryGuess {
  code: string;
  repetitions: number;
  /** The attack's tokens at the code positions, space-separated. */
  guess: string;
  exact: boolean;
  /** Fraction of code positions guessed wrong. */
  hamming: number;
}

export interface SlotExtractionOptions extends Omit<SlotInversionOptions, 'candidates' | 'seed'> {
  decode: ExtractionDecode;
  seed: number;
  /** Targets optimised together (memory: rows × length × candidates scores); default 64. */
  chunk?: number;
}

/** The ten digits' token ids; refused when the model lacks one. */
function digitIdsOf(model: JointIntentSlotModel): number[] {
  const tokenizer = model.tokenizer;
  const ids = DIGITS.map((d) => tokenizer.idOf(d));
  if (ids.some((id) => id === tokenizer.unknownId)) throw new ConfigError('the model\'s vocabulary lacks some digit: train it with trainSlotModelWithCanaries (which adds them)');
  return ids;
}

/** What the attacker knows of a canary, as the model's ids: prefix tokens, intent, one tag per position. */
function canaryTarget(model: JointIntentSlotModel, canary: SlotCanary): { prefix: number[]; intent: number; tags: number[] } {
  const tokenizer = model.tokenizer;
  const intent = model.labels.indexOf(SLOT_CANARY_INTENT);
  if (intent < 0) throw new ConfigError(`the model has no intent "${SLOT_CANARY_INTENT}": it was not trained with slot canaries`);
  const tags = canary.slots.map((tag) => {
    const i = model.slotLabels.indexOf(tag);
    if (i < 0) throw new ConfigError(`the model has no slot tag "${tag}"`);
    return i;
  });
  const prefix = canary.prefix.map((t) => tokenizer.idOf(t));
  if (prefix.includes(tokenizer.unknownId)) throw new ConfigError(`the canary prefix "${canary.prefix.join(' ')}" is not in the model's vocabulary: train it with trainSlotModelWithCanaries (which adds every format's words)`);
  return { prefix, intent, tags };
}

/** The attack on every canary (grouped by code length), in the canaries' order. */
export function extractSlotCanaries(model: JointIntentSlotModel, canaries: SlotCanary[], options: SlotExtractionOptions): SlotCanaryGuess[] {
  const tokenizer = model.tokenizer;
  const digitIds = digitIdsOf(model);
  const chunk = options.chunk ?? 64;
  const out: SlotCanaryGuess[] = new Array(canaries.length);
  // One batch needs one prefix length and one code length.
  const byShape = new Map<string, number[]>();
  canaries.forEach((c, i) => {
    const shape = `${c.prefix.length}|${c.code.length}`;
    byShape.set(shape, [...(byShape.get(shape) ?? []), i]);
  });
  for (const indices of byShape.values()) {
    const length = canaries[indices[0]].code.length;
    for (let start = 0; start < indices.length; start += chunk) {
      const part = indices.slice(start, start + chunk);
      const targets = part.map((i) => ({ ...canaryTarget(model, canaries[i]), unknown: length }));
      const guesses = invertSlotSecrets(model, targets, {
        steps: options.steps,
        learningRate: options.learningRate,
        temperature: options.temperature,
        restarts: options.restarts,
        candidates: options.decode === 'digits' ? digitIds : undefined,
        seed: options.seed * 7919 + length * 101 + start,
      });
      part.forEach((i, j) => {
        const c = canaries[i];
        const truth = [...c.code].map((d) => tokenizer.idOf(d));
        const wrong = guesses[j].filter((t, p) => t !== truth[p]).length;
        out[i] = { code: c.code, repetitions: c.repetitions, guess: guesses[j].map((t) => tokenizer.tokenOf(t)).join(' '), exact: wrong === 0, hamming: wrong / length };
      });
    }
  }
  return out;
}

/** Codes scored per forward pass when ranking. */
const RANK_CHUNK = 2000;

/**
 * Where the true code ranks among all 10^length codes of its format under the attack's own
 * loss (the intent and tag cross-entropy given the prefix): 0 when every other code scores
 * worse; codes with exactly the same loss count half (a random tie-break), so a model whose
 * float32 losses saturate to one value ranks every code at chance, not first. An
 * exhaustive version of the attack over digits, feasible for short codes (length ≤ 5); a rank
 * far below the median 10^length / 2 is memorisation even when the argmin is another code.
 */
export function slotCanaryRank(model: JointIntentSlotModel, canary: SlotCanary): number {
  const L = canary.code.length;
  if (!(L >= 1 && L <= 5)) throw new ConfigError(`ranking enumerates every code: lengths 1-5 only, got ${L}`);
  const digitIds = digitIdsOf(model);
  const { prefix, intent, tags } = canaryTarget(model, canary);
  const total = 10 ** L;
  const width = prefix.length + L;
  const all = new Float32Array(total);
  for (let start = 0; start < total; start += RANK_CHUNK) {
    const codes = Array.from({ length: Math.min(RANK_CHUNK, total - start) }, (_, i) => start + i);
    all.set(lossesOf(model, codes, prefix, digitIds, L, intent, tags, width), start);
  }
  const truth = all[Number(canary.code)];
  let better = 0;
  let tied = -1; // the true code ties with itself
  for (let i = 0; i < total; i++) {
    if (all[i] < truth) better++;
    else if (all[i] === truth) tied++;
  }
  // ties broken at random: a model whose losses saturate (every code scored the same) ranks the code at chance
  return better + tied / 2;
}

function lossesOf(model: JointIntentSlotModel, codes: number[], prefix: number[], digitIds: number[], L: number, intent: number, tags: number[], width: number): Float32Array {
  const n = codes.length;
  const ids = new Int32Array(n * width);
  codes.forEach((code, i) => {
    prefix.forEach((id, p) => (ids[i * width + p] = id));
    for (let p = L - 1, c = code; p >= 0; p--, c = Math.floor(c / 10)) ids[i * width + prefix.length + p] = digitIds[c % 10];
  });
  const losses = tf.tidy(() => {
    const idTensor = tf.tensor2d(ids, [n, width], 'int32');
    const batch: TensorBatch = { ids: idTensor, mask: tf.ones([n, width]) as tf.Tensor2D, targets: idTensor };
    const tagIds = tf.tensor2d(Int32Array.from({ length: n * width }, (_, k) => tags[k % width]), [n, width], 'int32');
    return slotSecretLoss(model.scores(batch, INFERENCE), tf.fill([n], intent, 'int32') as tf.Tensor1D, tagIds);
  });
  const values = losses.dataSync() as Float32Array;
  losses.dispose();
  return values;
}

export interface ExtractionCell {
  canaries: number;
  exact: number;
  exactRate: number;
  /** 95% Clopper–Pearson interval on the exact-reconstruction rate. */
  exactInterval: [number, number];
  /** Mean normalised Hamming distance (0 = every digit right; random digits: 0.9). */
  hamming: number;
}

export function summariseGuesses(guesses: SlotCanaryGuess[]): ExtractionCell {
  if (guesses.length === 0) throw new ConfigError('no guesses to summarise');
  const exact = guesses.filter((g) => g.exact).length;
  const interval = clopperPearson(exact, guesses.length);
  return {
    canaries: guesses.length,
    exact,
    exactRate: exact / guesses.length,
    exactInterval: [interval.low, interval.high],
    hamming: guesses.reduce((s, g) => s + g.hamming, 0) / guesses.length,
  };
}

/** What guessing uniformly at random gets: exact rate and expected normalised Hamming distance. */
export function randomGuessBaseline(length: number, decode: ExtractionDecode, vocabularySize: number): { exactRate: number; hamming: number } {
  const choices = decode === 'digits' ? 10 : vocabularySize;
  return { exactRate: 1 / Math.pow(choices, length), hamming: 1 - 1 / choices };
}
