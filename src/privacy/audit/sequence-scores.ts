/**
 * Log-perplexity of whole texts under a language model: the sum of −log p(token | prefix)
 * over the text's tokens, the score exposure ranks candidates by (lower = more likely).
 * The first token is predicted from a separator (a blank line for character models,
 * <eos> for word models), as in training, where units follow each other.
 */
import { tf } from '../../engine/index.js';
import { INFERENCE, toTensorBatch, type LanguageModel } from '../../models/index.js';
import { EOS_ID, padSequences } from '../../text/index.js';

export function textLogPerplexities(model: LanguageModel, texts: string[], batchSize = 128): Float64Array {
  const tokenizer = model.tokenizer;
  const prefix = tokenizer.type === 'char' ? tokenizer.encode('\n\n') : [EOS_ID];
  const sequences = texts.map((t) => [...prefix, ...tokenizer.encode(t)].slice(-(model.contextLength + 1)));
  const out = new Float64Array(texts.length);
  for (let start = 0; start < sequences.length; start += batchSize) {
    const chunk = sequences.slice(start, start + batchSize);
    const inputs = padSequences(chunk.map((s) => s.slice(0, -1)));
    const targets = padSequences(chunk.map((s) => s.slice(1)), inputs.length);
    // targets before position P−1 are the separator's own tokens, not the text's
    for (let i = 0; i < chunk.length; i++) for (let j = 0; j < prefix.length - 1; j++) targets.mask[i * inputs.length + j] = 0;
    const sums = tf.tidy(() => {
      const batch = toTensorBatch({ ids: inputs.ids, mask: targets.mask, targets: targets.ids, size: chunk.length, length: inputs.length }, 'lm');
      // positions before the text's first token (the separator's own targets) are not counted
      return tf.sum(model.tokenLosses(batch, INFERENCE), 1);
    });
    // read outside the scope: tidy would walk a returned typed array element by element
    out.set(sums.dataSync() as Float32Array, start);
    sums.dispose();
  }
  return out;
}
