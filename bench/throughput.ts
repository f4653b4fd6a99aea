/**
 * Training throughput: achieved GFLOP/s of a training step (3 × the forward FLOPs, the usual
 * forward + backward estimate) for each architecture, beside the engine's own matmul
 * GFLOP/s measured in the same run, at the model's dominant matmul shape and at 512³.
 */
import { tf, initEngine } from '../src/engine/index.js';
import { fitCharTokenizer, fitWordTokenizer } from '../src/text/index.js';
import { createModel, toTensorBatch, isClassifierKind, type HostBatch, type AnyModel } from '../src/models/index.js';
import { createOptimizer, standardGradients } from '../src/train/index.js';
import { timeMedian } from './common.js';

interface Case {
  kind: string;
  batch: number;
  length: number;
  /** The largest dense product of a step, [M, K]·[K, N]. */
  dominant: [number, number, number];
}

const CASES: Case[] = [
  { kind: 'embbag', batch: 256, length: 16, dominant: [256, 100, 256] },
  { kind: 'cnn', batch: 64, length: 24, dominant: [1536, 300, 200] },
  { kind: 'transformer', batch: 64, length: 24, dominant: [1536, 128, 384] },
  { kind: 'char-lstm', batch: 32, length: 64, dominant: [32, 448, 1536] },
  { kind: 'char-transformer', batch: 32, length: 128, dominant: [4096, 128, 512] },
];

function matmulGflops(m: number, k: number, n: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const reps = Math.max(1, Math.round(2e8 / (m * k * n)));
  const ms = timeMedian(() => {
    // The block must not return the Float32Array: tidy would walk its million entries
    // looking for tensors (that made this figure 10-100x too low).
    for (let i = 0; i < reps; i++) {
      tf.tidy(() => {
        tf.matMul(a, b).dataSync();
      });
    }
  }, 5);
  a.dispose();
  b.dispose();
  return (2 * m * k * n * reps) / ms / 1e6;
}

function syntheticBatch(model: AnyModel, B: number, T: number): HostBatch {
  const V = model.tokenizer.vocabSize;
  const ids = Int32Array.from({ length: B * T }, (_, i) => 4 + ((i * 7919) % (V - 4)));
  const targets = model.task === 'classifier'
    ? Int32Array.from({ length: B }, (_, i) => i % 151)
    : Int32Array.from({ length: B * T }, (_, i) => 4 + ((i * 31) % (V - 4)));
  return { ids, mask: new Float32Array(B * T).fill(1), targets, size: B, length: T };
}

export async function runThroughput(): Promise<object> {
  await initEngine({ backend: 'wasm' });
  const rows = [];
  const square = matmulGflops(512, 512, 512);
  for (const c of CASES) {
    const tokenizer = c.kind.startsWith('char')
      ? fitCharTokenizer(["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?\n'-&$3"])
      : fitWordTokenizer([Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' ')]);
    const model = createModel({
      kind: c.kind,
      tokenizer,
      labels: isClassifierKind(c.kind) ? Array.from({ length: 151 }, (_, i) => `l${i}`) : undefined,
      seed: 1,
      config: isClassifierKind(c.kind) ? {} : { contextLength: c.length },
    });
    const host = syntheticBatch(model, c.batch, c.length);
    const optimizer = createOptimizer({ name: 'adamw' });
    const step = () =>
      tf.tidy(() => {
        const { loss, grads } = standardGradients(model, toTensorBatch(host, model.task), { training: true }, host);
        optimizer.step(model.parameters(), grads, 1e-3);
        loss.dataSync();
      });
    const ms = timeMedian(step, 5, 2);
    const achieved = (3 * model.forwardFlops(c.length) * c.batch) / ms / 1e6;
    const dominant = matmulGflops(...c.dominant);
    rows.push({
      model: c.kind,
      batch: c.batch,
      length: c.length,
      params: model.store.count(),
      msPerStep: Number(ms.toFixed(1)),
      achievedGflops: Number(achieved.toFixed(2)),
      matmulGflopsDominantShape: Number(dominant.toFixed(2)),
      dominantShape: c.dominant.join('x'),
      fractionOfMatmul: Number((achieved / dominant).toFixed(3)),
    });
    optimizer.dispose();
    model.dispose();
    process.stderr.write(`throughput ${c.kind}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  return { matmulGflops512: Number(square.toFixed(2)), rows };
}
