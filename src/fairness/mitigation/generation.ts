/**
 * Open-ended generation from a word-level language model, seeded: top-k sampling (Fan et al.
 * 2018) at temperature 1 by default. At each step the model reads the last `contextLength`
 * tokens of each sequence (prompt plus what it has generated), the next-token logits of the last
 * real position are restricted to the k most likely tokens (never <pad>, <unk> or <bos>), and one
 * is drawn from their renormalised softmax with the caller's SeededRandom. Generation stops at
 * <eos> or after `maxTokens` tokens. Prompts are batched, right-padded (the models are causal, so
 * padding after the last real token changes nothing before it).
 */
import { tf, type SeededRandom } from '../../engine/index.js';
import { ConfigError } from '../../errors.js';
import { INFERENCE, type LanguageModel } from '../../models/index.js';
import { BOS_ID, EOS_ID, PAD_ID, UNK_ID } from '../../text/index.js';

export interface GenerationOptions {
  /** Tokens to generate per prompt (default 20). */
  maxTokens?: number;
  /** Sample among the k most likely tokens (default 40). */
  topK?: number;
  /** Softmax temperature (default 1). */
  temperature?: number;
  /** Prompts per forward pass (default 64). */
  batchSize?: number;
  rng: SeededRandom;
}

/** Token ids generated after each prompt (without the prompt, without <eos>). */
export function generateContinuationIds(model: LanguageModel, prompts: number[][], options: GenerationOptions): number[][] {
  const maxTokens = options.maxTokens ?? 20;
  const topK = options.topK ?? 40;
  const temperature = options.temperature ?? 1;
  const batchSize = options.batchSize ?? 64;
  if (!(maxTokens >= 1) || !(topK >= 1) || !(temperature > 0)) throw new ConfigError(`generation needs maxTokens ≥ 1, topK ≥ 1, temperature > 0 (got ${maxTokens}, ${topK}, ${temperature})`);
  const V = model.tokenizer.vocabSize;
  const banned = new Float32Array(V);
  for (const id of [PAD_ID, UNK_ID, BOS_ID]) banned[id] = -1e9;
  const L = model.contextLength;
  const out: number[][] = prompts.map(() => []);
  for (let start = 0; start < prompts.length; start += batchSize) {
    const rows = prompts.slice(start, start + batchSize).map((p) => (p.length ? [...p] : [EOS_ID]));
    const done = rows.map(() => false);
    for (let step = 0; step < maxTokens && done.some((d) => !d); step++) {
      const B = rows.length;
      const ids = new Int32Array(B * L).fill(PAD_ID);
      const mask = new Float32Array(B * L);
      const last = new Int32Array(B);
      rows.forEach((seq, b) => {
        const window = seq.slice(-L);
        window.forEach((id, t) => {
          ids[b * L + t] = id;
          mask[b * L + t] = 1;
        });
        last[b] = window.length - 1;
      });
      const { values, indices } = tf.tidy(() => {
        const logits = model.logits({ ids: tf.tensor2d(ids, [B, L], 'int32'), mask: tf.tensor2d(mask, [B, L]), targets: tf.zeros([B, L], 'int32') }, INFERENCE);
        const rowsAt = tf.gather(tf.reshape(logits, [B * L, V]), tf.tensor1d(Array.from(last, (t, b) => b * L + t), 'int32'));
        const scaled = tf.add(tf.div(rowsAt, temperature), tf.tensor1d(banned));
        const top = tf.topk(scaled, Math.min(topK, V));
        return { values: top.values.dataSync() as Float32Array, indices: top.indices.dataSync() as Int32Array };
      });
      const k = Math.min(topK, V);
      for (let b = 0; b < B; b++) {
        if (done[b]) continue;
        // softmax over the k kept logits, then one draw
        let max = -Infinity;
        for (let j = 0; j < k; j++) max = Math.max(max, values[b * k + j]);
        let total = 0;
        const weights = new Float64Array(k);
        for (let j = 0; j < k; j++) total += weights[j] = Math.exp(values[b * k + j] - max);
        let u = options.rng.next() * total;
        let choice = k - 1;
        for (let j = 0; j < k; j++) {
          u -= weights[j];
          if (u <= 0) {
            choice = j;
            break;
          }
        }
        const id = indices[b * k + choice];
        if (id === EOS_ID) done[b] = true;
        else {
          rows[b].push(id);
          out[start + b].push(id);
        }
      }
    }
  }
  return out;
}

/** Continuations of text prompts, as text (word tokens joined by spaces). */
export function generateContinuations(model: LanguageModel, prompts: string[], options: GenerationOptions): string[] {
  const ids = generateContinuationIds(model, prompts.map((p) => model.tokenizer.encode(p)), options);
  return ids.map((seq) => model.tokenizer.decode(seq));
}
