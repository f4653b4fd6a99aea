/**
 * ADePT's sequence auto-encoder (Krishna, Gupta & Dupuy, EACL 2021), small: a word embedding,
 * an LSTM encoder whose last state is the utterance's vector r ∈ R^H, and an LSTM decoder that
 * starts from a state computed from r, reads r again (concatenated to its input) at every step
 * and regenerates the utterance, greedily at rewrite time. It is trained on PUBLIC text (its
 * weights see no private data, so they cost no privacy). Training clips r exactly as rewriting
 * will (L2 or L1 ball of radius C) but adds no noise, so the decoder learns the inputs it will be
 * given up to the noise. Two standard aids keep the decoder from ignoring r and acting as a
 * plain language model: the encoder reads the utterance reversed (Sutskever et al. 2014: the
 * first words to decode are the last read), and during training a share of the decoder's input
 * words is replaced by <unk> (word dropout, Bowman et al. 2016).
 *
 * Rewriting (adeptRewrite): encode, clip and noise each vector (adept-noise.ts), decode.
 */
import { tf, SeededRandom, loadCheckpoint, saveCheckpoint } from '../../engine/index.js';
import { CheckpointError, ConfigError } from '../../errors.js';
import { Dense, Embedding, LSTM, ParameterStore, INFERENCE, type ForwardContext } from '../../models/layers/index.js';
import { sparseCrossEntropy } from '../../models/model.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID, fitWordTokenizer, tokenizerFromJSON, type Tokenizer, type TokenizerJSON } from '../../text/index.js';
import { createOptimizer } from '../../train/optimizers.js';
import { SILENT, type ProgressReporter } from '../../train/progress.js';
import { adeptNoisePlan, clipVector, privatizeRepresentations, type AdeptNoisePlan, type AdeptPrivacyOptions, type ClipNorm } from './adept-noise.js';
import { MechanismRandom } from './mechanism-random.js';

export const ADEPT_CHECKPOINT_KIND = 'adept-autoencoder';

export interface AdeptAutoencoderConfig {
  embeddingDim: number;
  /** Hidden size H of both LSTMs, and the dimension n of the privatised vector. */
  hidden: number;
  /** Longest utterance in words (longer ones are cut). */
  maxLength: number;
  /** The norm r is clipped in (L2 for the Gaussian and the published variant, L1 for Laplace). */
  clipNorm: ClipNorm;
  clip: number;
  /** Share of decoder input words replaced by <unk> in training. */
  wordDropout: number;
}

export const ADEPT_DEFAULTS: AdeptAutoencoderConfig = { embeddingDim: 64, hidden: 128, maxLength: 16, clipNorm: 'l2', clip: 1, wordDropout: 0.25 };

function checkConfig(c: AdeptAutoencoderConfig): void {
  for (const key of ['embeddingDim', 'hidden', 'maxLength'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new ConfigError(`ADePT ${key} must be a positive integer, got ${c[key]}`);
  }
  if (c.clipNorm !== 'l1' && c.clipNorm !== 'l2') throw new ConfigError(`ADePT clipNorm must be "l1" or "l2", got ${JSON.stringify(c.clipNorm)}`);
  if (!(c.clip > 0) || !Number.isFinite(c.clip)) throw new ConfigError(`ADePT clip must be a finite number > 0, got ${c.clip}`);
  if (!(c.wordDropout >= 0 && c.wordDropout < 1)) throw new ConfigError(`ADePT wordDropout must be in [0, 1), got ${c.wordDropout}`);
}

interface EncodedBatch {
  ids: Int32Array;
  lengths: Int32Array;
  size: number;
  length: number;
}

export class AdeptAutoencoder {
  readonly store = new ParameterStore();
  private readonly embedding: Embedding;
  private readonly encoder: LSTM;
  private readonly decoder: LSTM;
  /** r → the decoder's initial hidden state, tanh(r·W + b). */
  private readonly bridge: Dense;
  private readonly output: Dense;

  constructor(readonly config: AdeptAutoencoderConfig, readonly tokenizer: Tokenizer, seed: number) {
    checkConfig(config);
    const rng = new SeededRandom(seed).fork('adept-init');
    const D = config.embeddingDim;
    const H = config.hidden;
    this.embedding = new Embedding(this.store, 'embedding', tokenizer.vocabSize, D, rng.fork('embedding'));
    this.encoder = new LSTM(this.store, 'encoder', D, H, rng.fork('encoder'));
    this.decoder = new LSTM(this.store, 'decoder', D + H, H, rng.fork('decoder'));
    this.bridge = new Dense(this.store, 'bridge', H, H, rng.fork('bridge'));
    this.output = new Dense(this.store, 'output', H, tokenizer.vocabSize, rng.fork('output'));
  }

  /** Word ids of each text, cut to maxLength (texts with no word give length 0). */
  encodeTexts(texts: readonly string[]): number[][] {
    return texts.map((t) => this.tokenizer.encode(t).slice(0, this.config.maxLength));
  }

  private batch(sequences: number[][]): EncodedBatch {
    const length = Math.max(1, ...sequences.map((s) => s.length));
    const ids = new Int32Array(sequences.length * length);
    const lengths = new Int32Array(sequences.length);
    sequences.forEach((s, i) => {
      ids.set(s, i * length);
      lengths[i] = Math.max(1, s.length);
    });
    return { ids, lengths, size: sequences.length, length };
  }

  /** r: the encoder's state after reading each sequence backwards, last word first [B, H] (unclipped). */
  private encode(batch: EncodedBatch, ctx: ForwardContext): tf.Tensor2D {
    const reversed = new Int32Array(batch.ids.length);
    for (let i = 0; i < batch.size; i++) {
      const n = batch.lengths[i];
      for (let t = 0; t < n; t++) reversed[i * batch.length + t] = batch.ids[i * batch.length + n - 1 - t];
    }
    const ids = tf.tensor2d(reversed, [batch.size, batch.length], 'int32');
    const states = this.encoder.apply(this.embedding.apply(ids, ctx), ctx);
    const last = tf.oneHot(tf.tensor1d(Int32Array.from(batch.lengths, (l) => l - 1), 'int32'), batch.length);
    return tf.sum(tf.mul(states, tf.expandDims(last, 2)), 1) as tf.Tensor2D;
  }

  /** r scaled into the ball of radius C of the configured norm. */
  private clipTensor(r: tf.Tensor2D): tf.Tensor2D {
    const size = this.config.clipNorm === 'l2' ? tf.sqrt(tf.sum(tf.square(r), 1, true)) : tf.sum(tf.abs(r), 1, true);
    return tf.mul(r, tf.minimum(1, tf.div(this.config.clip, tf.maximum(size, 1e-12)))) as tf.Tensor2D;
  }

  private initialState(r: tf.Tensor2D, ctx: ForwardContext): { h: tf.Tensor; c: tf.Tensor } {
    return { h: tf.tanh(this.bridge.apply(r, ctx)), c: tf.zerosLike(r) };
  }

  /** Next-word logits [B, T + 1, V] under teacher forcing from <bos>, given the vectors r [B, H]. */
  private decoderLogits(r: tf.Tensor2D, batch: EncodedBatch, ctx: ForwardContext): tf.Tensor3D {
    const steps = batch.length + 1;
    const input = new Int32Array(batch.size * steps);
    const dropout = ctx.training && ctx.rng ? this.config.wordDropout : 0;
    for (let i = 0; i < batch.size; i++) {
      input[i * steps] = BOS_ID;
      for (let t = 0; t < batch.lengths[i]; t++) {
        input[i * steps + 1 + t] = dropout > 0 && ctx.rng!.next() < dropout ? UNK_ID : batch.ids[i * batch.length + t];
      }
    }
    const x = this.embedding.apply(tf.tensor2d(input, [batch.size, steps], 'int32'), ctx);
    const columns = tf.unstack(x, 1);
    let state = this.initialState(r, ctx);
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      state = this.decoder.step(tf.concat([columns[t], r], 1), state);
      outputs.push(state.h);
    }
    return this.output.apply(tf.stack(outputs, 1), ctx) as tf.Tensor3D;
  }

  /** Mean next-word cross-entropy of reconstructing the batch (targets: the words, then <eos>). */
  reconstructionLoss(sequences: number[][], ctx: ForwardContext = INFERENCE): tf.Scalar {
    const batch = this.batch(sequences);
    const steps = batch.length + 1;
    const targets = new Int32Array(batch.size * steps);
    const mask = new Float32Array(batch.size * steps);
    for (let i = 0; i < batch.size; i++) {
      const n = sequences[i].length;
      targets.set(sequences[i], i * steps);
      targets[i * steps + n] = EOS_ID;
      mask.fill(1, i * steps, i * steps + n + 1);
    }
    const logits = this.decoderLogits(this.clipTensor(this.encode(batch, ctx)), batch, ctx);
    const losses = tf.mul(sparseCrossEntropy(logits, tf.tensor2d(targets, [batch.size, steps], 'int32')), tf.tensor2d(mask, [batch.size, steps]));
    return tf.div(tf.sum(losses), tf.sum(tf.tensor2d(mask, [batch.size, steps]))) as tf.Scalar;
  }

  /** The utterances' vectors r (unclipped), rows × H. */
  representations(sequences: number[][], batchSize = 256): Float32Array {
    const H = this.config.hidden;
    const out = new Float32Array(sequences.length * H);
    for (let start = 0; start < sequences.length; start += batchSize) {
      const part = sequences.slice(start, start + batchSize);
      const r = tf.tidy(() => this.encode(this.batch(part), INFERENCE));
      out.set(r.dataSync() as Float32Array, start * H);
      r.dispose();
    }
    return out;
  }

  /** Greedy decoding of vectors (rows × H, used as given: clip and noise them first). */
  decode(vectors: Float32Array, batchSize = 256): number[][] {
    const H = this.config.hidden;
    const count = vectors.length / H;
    const out: number[][] = [];
    for (let start = 0; start < count; start += batchSize) {
      const b = Math.min(batchSize, count - start);
      const chosen = tf.tidy(() => {
        const r = tf.tensor2d(vectors.subarray(start * H, (start + b) * H), [b, H]);
        let state = this.initialState(r, INFERENCE);
        let previous: tf.Tensor = tf.fill([b], BOS_ID, 'int32');
        const picks: tf.Tensor[] = [];
        for (let t = 0; t <= this.config.maxLength; t++) {
          const x = tf.concat([this.embedding.apply(previous, INFERENCE), r], 1);
          state = this.decoder.step(x, state);
          const logits = this.output.apply(state.h, INFERENCE);
          previous = tf.argMax(logits, 1);
          picks.push(previous);
        }
        return tf.stack(picks, 1);
      });
      const ids = chosen.dataSync() as Int32Array;
      chosen.dispose();
      const steps = this.config.maxLength + 1;
      for (let i = 0; i < b; i++) {
        const words: number[] = [];
        for (let t = 0; t < steps; t++) {
          const id = ids[i * steps + t];
          if (id === EOS_ID) break;
          if (id !== PAD_ID && id !== BOS_ID && id !== UNK_ID) words.push(id);
        }
        out.push(words);
      }
    }
    return out;
  }

  /** Noise-free reconstruction (clipped, no noise): the auto-encoder's own quality. */
  reconstruct(texts: readonly string[]): string[] {
    const sequences = this.encodeTexts(texts);
    const r = this.representations(sequences);
    const H = this.config.hidden;
    for (let start = 0; start < r.length; start += H) clipVector(r.subarray(start, start + H), this.config.clip, this.config.clipNorm);
    return this.decode(r).map((ids, i) => (sequences[i].length === 0 ? '' : this.tokenizer.decode(ids)));
  }

  save(dir: string, meta: Record<string, unknown> = {}): void {
    saveCheckpoint(dir, {
      kind: ADEPT_CHECKPOINT_KIND,
      config: this.config,
      tokenizer: this.tokenizer.toJSON(),
      meta,
      weights: this.store.ordered.map((p) => ({ name: p.name, shape: p.variable.shape, values: p.variable.dataSync() as Float32Array })),
    });
  }

  static load(dir: string): AdeptAutoencoder {
    const checkpoint = loadCheckpoint(dir);
    if (checkpoint.kind !== ADEPT_CHECKPOINT_KIND) {
      throw new CheckpointError(`${dir} holds a "${checkpoint.kind}" model, not an ADePT auto-encoder (train one with "trustnlu privatize train-adept")`);
    }
    const model = new AdeptAutoencoder({ ...ADEPT_DEFAULTS, ...(checkpoint.config as Partial<AdeptAutoencoderConfig>) }, tokenizerFromJSON(checkpoint.tokenizer as TokenizerJSON), 0);
    model.store.assign(checkpoint.weights);
    return model;
  }

  dispose(): void {
    this.store.dispose();
  }
}

export interface TrainAdeptOptions {
  config?: Partial<AdeptAutoencoderConfig>;
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed: number;
  /** Vocabulary cap (default 5000 words) and minimum count (default 2). */
  vocabularySize?: number;
  minCount?: number;
  /** Held-out public texts for the per-epoch reconstruction score. */
  validation?: readonly string[];
  /** Stop after the epoch during which this many seconds have passed. */
  timeLimitSeconds?: number;
  progress?: ProgressReporter;
}

export interface AdeptEpoch {
  epoch: number;
  loss: number;
  seconds: number;
  /** Noise-free reconstruction of the validation texts: exact matches and word accuracy. */
  exactMatch: number | null;
  wordAccuracy: number | null;
}

/** Fraction of texts reproduced exactly and of aligned words reproduced (position by position). */
export function reconstructionScores(original: readonly string[], rebuilt: readonly string[], tokenizer: Tokenizer, maxLength: number): { exactMatch: number; wordAccuracy: number } {
  let exact = 0;
  let words = 0;
  let right = 0;
  original.forEach((text, i) => {
    const a = tokenizer.pieces(text).slice(0, maxLength);
    const b = tokenizer.pieces(rebuilt[i]);
    if (a.join(' ') === b.join(' ')) exact++;
    words += a.length;
    for (let t = 0; t < a.length; t++) if (a[t] === b[t]) right++;
  });
  return { exactMatch: exact / Math.max(1, original.length), wordAccuracy: right / Math.max(1, words) };
}

/** Trains the auto-encoder on public texts (Adam, teacher forcing, shuffled batches). */
export function trainAdeptAutoencoder(texts: readonly string[], options: TrainAdeptOptions): { model: AdeptAutoencoder; history: AdeptEpoch[] } {
  if (!(options.epochs >= 1)) throw new ConfigError(`epochs must be ≥ 1, got ${options.epochs}`);
  const config: AdeptAutoencoderConfig = { ...ADEPT_DEFAULTS, ...options.config };
  const tokenizer = fitWordTokenizer(texts, { maxSize: options.vocabularySize ?? 5000, minCount: options.minCount ?? 2 });
  const model = new AdeptAutoencoder(config, tokenizer, options.seed);
  const sequences = model.encodeTexts(texts).filter((s) => s.length > 0);
  if (sequences.length === 0) throw new ConfigError('no public text with at least one word to train the ADePT auto-encoder on');
  const batchSize = options.batchSize ?? 64;
  const learningRate = options.learningRate ?? 3e-3;
  const progress = options.progress ?? SILENT;
  const optimizer = createOptimizer({ name: 'adam' });
  const params = model.store.ordered;
  const rng = new SeededRandom(options.seed).fork('adept-batches');
  const dropoutRng = new SeededRandom(options.seed).fork('adept-word-dropout');
  const history: AdeptEpoch[] = [];
  const started = Date.now();
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      const epochStart = Date.now();
      const order = rng.permutation(sequences.length);
      const steps = Math.ceil(order.length / batchSize);
      progress.start(`ADePT auto-encoder epoch ${epoch + 1}/${options.epochs}`, steps);
      let lossSum = 0;
      for (let s = 0; s < steps; s++) {
        const part = order.slice(s * batchSize, (s + 1) * batchSize).map((i) => sequences[i]);
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.reconstructionLoss(part, { training: true, rng: dropoutRng }), params.map((p) => p.variable));
          const byName = new Map(params.map((p) => [p.name, grads[p.variable.name]]));
          optimizer.step(params, byName, learningRate);
          return value.dataSync()[0];
        });
        if (!Number.isFinite(loss)) throw new ConfigError(`ADePT training loss became ${loss} at epoch ${epoch + 1}, step ${s + 1}: lower the learning rate (now ${learningRate})`);
        lossSum += loss;
        progress.update(s + 1, { loss: lossSum / (s + 1) });
      }
      progress.stop();
      let scores: { exactMatch: number; wordAccuracy: number } | null = null;
      if (options.validation && options.validation.length > 0) {
        scores = reconstructionScores(options.validation, model.reconstruct(options.validation), tokenizer, config.maxLength);
      }
      const record: AdeptEpoch = { epoch: epoch + 1, loss: lossSum / steps, seconds: (Date.now() - epochStart) / 1000, exactMatch: scores?.exactMatch ?? null, wordAccuracy: scores?.wordAccuracy ?? null };
      history.push(record);
      progress.event('adept-epoch', { ...record });
      if (options.timeLimitSeconds !== undefined && (Date.now() - started) / 1000 >= options.timeLimitSeconds) break;
    }
  } finally {
    optimizer.dispose();
  }
  return { model, history };
}

export interface AdeptRewriteOptions extends AdeptPrivacyOptions {
  /** Seed for experiments; without one the noise comes from the CSPRNG. */
  seed?: number;
}

export interface AdeptRewriteResult {
  texts: string[];
  plan: AdeptNoisePlan;
  /** False when seeded (reproducible, not private). */
  secure: boolean;
}

/**
 * Rewrites texts: encode, clip to C in the model's norm, add the plan's noise, decode. The
 * clip norm C of the privacy options must be the one the model was trained with, and the norm
 * must suit the noise (L2 for Gaussian and the published variant, L1 for Laplace).
 */
export function adeptRewrite(model: AdeptAutoencoder, texts: readonly string[], options: AdeptRewriteOptions): AdeptRewriteResult {
  const H = model.config.hidden;
  const plan = adeptNoisePlan(options, H);
  if (plan.clipNorm !== model.config.clipNorm) {
    throw new ConfigError(
      `this ADePT auto-encoder was trained with ${model.config.clipNorm.toUpperCase()} clipping, but ${plan.noise} noise` +
        `${plan.variant === 'published-not-dp' ? ' (published variant)' : ''} clips in ${plan.clipNorm.toUpperCase()}: train one with clip norm ${plan.clipNorm}`,
    );
  }
  if (plan.clip !== model.config.clip) throw new ConfigError(`clip C = ${plan.clip} differs from the C = ${model.config.clip} the auto-encoder was trained with`);
  const random = MechanismRandom.from(options.seed);
  const sequences = model.encodeTexts(texts);
  const r = model.representations(sequences);
  privatizeRepresentations(r, H, plan, random);
  const decoded = model.decode(r);
  // A text with no word is encoded like a one-word text of padding and decoded like any other,
  // so its rewrite does not reveal that it was empty.
  return { texts: decoded.map((ids) => model.tokenizer.decode(ids)), plan, secure: random.secure };
}
