/**
 * Empirical privacy of a word mechanism: how often an attacker who knows the mechanism, the
 * embeddings and how frequent each word is recovers the original word from one output.
 * Closed world: the attacker knows the original is one of `words`, drawn with probability
 * `prior`. The attacker estimates the likelihood P(M(w) = u) of every candidate from one set
 * of draws (its own runs of the public mechanism), and guesses the maximum a posteriori
 * ŵ(u) = argmax_w prior(w)·P̂(u | w) (the most likely word a priori when no candidate ever
 * produced u). The rate is measured on a second, independent set of draws, so the attacker
 * is not scored on the draws it was fitted on. The baseline is the best guess without
 * looking at the output, max_w prior(w). Restricting the attacker to the listed words makes
 * it stronger than one facing the whole vocabulary.
 */
import { ConfigError } from '../../errors.js';
import type { WordMechanism } from './word-mechanism.js';

export interface RecoveryResult {
  /** P(ŵ = w) over the prior and fresh draws. */
  rate: number;
  /** max prior: the rate of a guess that ignores the output. */
  baseline: number;
  /** P(output = w): the rate of guessing the output itself (prior-weighted N_w). */
  identityRate: number;
}

export function closedWorldRecovery(mechanism: WordMechanism, words: readonly string[], prior: readonly number[], samples: number): RecoveryResult {
  if (words.length === 0 || prior.length !== words.length) throw new ConfigError(`recovery attack: ${words.length} words with ${prior.length} prior weights`);
  if (!Number.isInteger(samples) || samples < 1) throw new ConfigError(`samples must be a positive integer, got ${samples}`);
  const total = prior.reduce((a, b) => a + b, 0);
  if (!(total > 0) || prior.some((p) => !(p >= 0))) throw new ConfigError('recovery attack: prior weights must be ≥ 0 and not all 0');
  const weights = prior.map((p) => p / total);
  const ids = words.map((w) => {
    const id = mechanism.space.idOf(w);
    if (id === undefined) throw new ConfigError(`word ${JSON.stringify(w)} is not in the embedding vocabulary`);
    return id;
  });
  const input = new Int32Array(ids.length * 2 * samples);
  ids.forEach((id, i) => input.fill(id, i * 2 * samples, (i + 1) * 2 * samples));
  const output = mechanism.privatizeIds(input);
  // Fit: counts of each output per candidate, from the first half of each word's draws.
  const likelihood = new Map<number, Float64Array>();
  ids.forEach((_, i) => {
    for (let s = 0; s < samples; s++) {
      const u = output[i * 2 * samples + s];
      let row = likelihood.get(u);
      if (!row) likelihood.set(u, (row = new Float64Array(ids.length)));
      row[i] += 1 / samples;
    }
  });
  const mostLikely = weights.indexOf(Math.max(...weights));
  const guessFor = new Map<number, number>();
  const guess = (u: number): number => {
    let g = guessFor.get(u);
    if (g !== undefined) return g;
    const row = likelihood.get(u);
    g = mostLikely;
    if (row) {
      let best = 0;
      row.forEach((p, i) => {
        if (weights[i] * p > best) {
          best = weights[i] * p;
          g = i;
        }
      });
    }
    guessFor.set(u, g);
    return g;
  };
  let rate = 0;
  let identity = 0;
  ids.forEach((id, i) => {
    let right = 0;
    let same = 0;
    for (let s = samples; s < 2 * samples; s++) {
      const u = output[i * 2 * samples + s];
      if (guess(u) === i) right++;
      if (u === id) same++;
    }
    rate += (weights[i] * right) / samples;
    identity += (weights[i] * same) / samples;
  });
  return { rate, baseline: weights[mostLikely], identityRate: identity };
}
