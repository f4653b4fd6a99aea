/**
 * Benchmark: LiRA with 16 shadow models on CLINC150 (target: ≤ 30 minutes on 2 cores).
 *
 *   node dist/bench/lira.js [--shadows 16] [--epochs 5] [--examples 1000] [--workers 2] [--compare-workers]
 *
 * Trains the target (embbag, the `trustnlu train` defaults, on CLINC150's full train split),
 * then runs `audit mia --attack lira` on it: 1000 training examples (members) against 1000
 * test examples (non-members), shadows trained on the rest of train plus a random half of
 * those 2000, in parallel on the worker pool. Reports the wall time of the shadow phase and
 * of the whole audit, and the attack metrics. With --compare-workers it also times the same
 * 4 shadows on 1 and on 2 workers, side by side in this run (the pool's speed-up).
 * Writes bench-results/lira.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '../src/engine/index.js';
import { loadModel, type ClassifierModel } from '../src/models/index.js';
import { loadIntentDataset } from '../src/data/registry.js';
import { auditTrainedModel, membershipSummary, trainingFromMeta } from '../src/privacy/audit/index.js';
import { runTraining } from '../src/train/index.js';
import { machine, numberFlag, writeResult } from './common.js';


async function main(): Promise<void> {
  const shadows = numberFlag('--shadows', 16);
  const epochs = numberFlag('--epochs', 5);
  const examples = numberFlag('--examples', 1000);
  const workers = numberFlag('--workers', 2);
  await initEngine({ backend: 'wasm' });
  const dir = mkdtempSync(join(tmpdir(), 'bench-lira-'));
  const load = [loadavg()[0]];
  try {
    const t0 = Date.now();
    const { model: trained, result } = await runTraining({ dataset: 'clinc150', model: 'embbag', epochs, seed: 0, out: dir });
    trained.dispose();
    const targetSeconds = (Date.now() - t0) / 1000;
    console.error(JSON.stringify({ event: 'target', seconds: targetSeconds, accuracy: result }));
    const { model, meta } = loadModel(dir);
    const dataset = loadIntentDataset('clinc150', { seed: 0 });
    const training = trainingFromMeta(meta, dir);
    const shadowTimes: number[] = [];
    const t1 = Date.now();
    const lira = await auditTrainedModel({
      model: model as ClassifierModel,
      dataset,
      recipe: training.recipe,
      attack: 'lira',
      shadows,
      examplesPerSide: examples,
      seed: 0,
      workers,
      onModel: (r, index) => {
        shadowTimes.push(r.seconds);
        load.push(loadavg()[0]);
        console.error(JSON.stringify({ event: 'shadow', index, seconds: r.seconds, validationAccuracy: r.validationAccuracy }));
      },
    });
    const auditSeconds = (Date.now() - t1) / 1000;
    const loss = await auditTrainedModel({ model: model as ClassifierModel, dataset, recipe: training.recipe, attack: 'loss', examplesPerSide: examples, seed: 0 });
    let parallel: Record<string, number> | undefined;
    if (process.argv.includes('--compare-workers')) {
      const time = async (w: number) => {
        const t = Date.now();
        await auditTrainedModel({ model: model as ClassifierModel, dataset, recipe: { ...training.recipe, epochs: 1 }, attack: 'lira', shadows: 4, examplesPerSide: 200, seed: 1, workers: w });
        return (Date.now() - t) / 1000;
      };
      const one = await time(1);
      const two = await time(2);
      parallel = { oneWorkerSeconds: one, twoWorkerSeconds: two, speedup: one / two };
    }
    model.dispose();
    const out = {
      setup: { dataset: 'clinc150', model: 'embbag', epochs, shadows, workers, examplesPerSide: examples, recipe: training.recipe },
      targetSeconds,
      targetAccuracy: result,
      auditSeconds,
      withinTarget: auditSeconds <= 30 * 60,
      shadowSecondsMedian: shadowTimes.sort((a, b) => a - b)[shadowTimes.length >> 1],
      lira: membershipSummary(lira),
      loss: membershipSummary(loss),
      parallel,
      loadAverage1m: { min: Math.min(...load), max: Math.max(...load) },
      machine: machine(),
    };
    const path = writeResult('lira', out);
    console.log(JSON.stringify({ ...out, file: path }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
