/**
 * Speed of the word mechanisms: words per second rewritten, for the GloVe 100-d subset
 * (13,975 words) and for a synthetic vocabulary of 100,000 random 100-d vectors (the subset
 * is smaller than 100k, so that size is measured on random vectors of GloVe-like norm; the
 * nearest-neighbour search does the same work whatever the vectors are).
 *
 *   npm run build && TRUSTNLU_DATA=../shared/data node dist/bench/text-privacy.js [--out FILE]
 *
 * Each figure is the median of several runs over the same number of random word ids; the
 * machine's load average is recorded before and after (the machine is shared).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { initEngine, SeededRandom } from '../src/engine/index.js';
import { EmbeddingSpace, createWordMechanism, loadEmbeddingSpace, type WordMechanismName } from '../src/privacy/index.js';
import { machine, median } from './common.js';

interface Case {
  vocabulary: string;
  size: number;
  mechanism: WordMechanismName;
  words: number;
  runs: number;
  secondsPerRun: number[];
  wordsPerSecond: number;
}

function syntheticSpace(size: number, dim: number, seed: number): EmbeddingSpace {
  const rng = new SeededRandom(seed);
  // GloVe 100-d rows have norms around 5–7: N(0, 0.6²) entries give √100·0.6 = 6.
  const vectors = rng.normalArray(size * dim, 0.6);
  return new EmbeddingSpace(Array.from({ length: size }, (_, i) => `w${i}`), vectors, dim, 'synthetic');
}

function measure(space: EmbeddingSpace, vocabulary: string, mechanism: WordMechanismName, epsilon: number, words: number, runs: number, extra: Record<string, unknown> = {}): Case {
  const rng = new SeededRandom(7);
  const ids = Int32Array.from({ length: words }, () => rng.int(space.size));
  const m = createWordMechanism(mechanism, space, { epsilon, seed: 1, ...extra });
  m.privatizeIds(ids.subarray(0, Math.min(500, words))); // warm-up: engine tensors, kernels
  const secondsPerRun: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    m.privatizeIds(ids);
    secondsPerRun.push((performance.now() - t0) / 1000);
  }
  return { vocabulary, size: space.size, mechanism, words, runs, secondsPerRun, wordsPerSecond: words / median(secondsPerRun) };
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  await initEngine();
  const loadBefore = loadavg();
  const cases: Case[] = [];
  const glove = loadEmbeddingSpace({ dataDir: process.env.TRUSTNLU_DATA });
  const t0 = performance.now();
  const range = glove.distanceRange();
  const rangeSeconds = (performance.now() - t0) / 1000;
  cases.push(measure(glove, 'GloVe 6B 100-d subset', 'madlib', 10, 20000, 5));
  cases.push(measure(glove, 'GloVe 6B 100-d subset', 'mahalanobis', 10, 20000, 5));
  // Truncated Gumbel: the neighbour lists of the words are fetched in the first run (cold) and reused after.
  cases.push(measure(glove, 'GloVe 6B 100-d subset', 'truncated-gumbel', 1e6, 20000, 5, { distanceRange: range }));
  glove.dispose();
  const big = syntheticSpace(100_000, 100, 3);
  cases.push(measure(big, 'synthetic random 100-d', 'madlib', 10, 5000, 3));
  cases.push(measure(big, 'synthetic random 100-d', 'mahalanobis', 10, 5000, 3));
  big.dispose();
  const result = { machine: machine(), date: new Date().toISOString(), loadAverageBefore: loadBefore, loadAverageAfter: loadavg(), gloveDistanceRangeSeconds: rangeSeconds, cases };
  const json = JSON.stringify(result, null, 1);
  if (out) writeFileSync(out, `${json}\n`);
  process.stdout.write(`${JSON.stringify({ ...result, cases: cases.map(({ secondsPerRun, ...c }) => c) })}\n`);
}

await main();
