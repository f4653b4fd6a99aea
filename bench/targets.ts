/**
 * The foundation's accuracy targets, each trained from scratch with the CLI defaults and a
 * time limit: CLINC150 (in-scope test accuracy, best classifier), Banking77 (test accuracy),
 * Tiny Shakespeare char-LM (validation nats per character within 15 minutes).
 */
import { initEngine } from '../src/engine/index.js';
import { resolveDataDir } from '../src/data/locate.js';
import { runTraining, PlainProgress, type RunTrainingOptions } from '../src/train/index.js';

export interface TargetCase {
  name: string;
  target: string;
  options: RunTrainingOptions;
  check: (result: Record<string, number>) => boolean;
}

export const TARGET_CASES: TargetCase[] = [
  {
    name: 'clinc150-cnn',
    target: 'in-scope test accuracy ≥ 0.89 (goal 0.91) in ≤ 10 min',
    options: { dataset: 'clinc150', model: 'cnn', epochs: 8, seed: 1, glove: true, timeLimitSeconds: 540 },
    check: (r) => r.accuracy >= 0.89 && r.seconds <= 600,
  },
  {
    name: 'clinc150-embbag',
    target: 'in-scope test accuracy (the fast baseline)',
    options: { dataset: 'clinc150', model: 'embbag', epochs: 10, seed: 1, glove: true, timeLimitSeconds: 540 },
    check: (r) => r.accuracy >= 0.89,
  },
  {
    name: 'banking77-cnn',
    target: 'test accuracy ≥ 0.82',
    options: { dataset: 'banking77', model: 'cnn', epochs: 10, seed: 1, glove: true, timeLimitSeconds: 540 },
    check: (r) => r.accuracy >= 0.82,
  },
  {
    name: 'shakespeare-char-lstm',
    target: 'validation loss ≤ 1.8 nats/char within 15 min',
    options: { dataset: 'tinyshakespeare', model: 'char-lstm', epochs: 100, seed: 1, timeLimitSeconds: 840, maxStepsPerEpoch: 200 },
    check: (r) => r.valLoss <= 1.8 && r.seconds <= 900,
  },
];

export async function runTargets(names?: string[]): Promise<object> {
  await initEngine({ backend: 'wasm' });
  if (!resolveDataDir()) throw new Error('the accuracy targets need the real datasets (set TRUSTNLU_DATA)');
  const rows = [];
  for (const c of TARGET_CASES) {
    if (names && names.length > 0 && !names.includes(c.name)) continue;
    process.stderr.write(`target ${c.name}: ${c.target}\n`);
    const { result, training, model } = await runTraining({ ...c.options, progress: new PlainProgress() });
    model.dispose();
    const r = result as unknown as Record<string, number>;
    rows.push({ case: c.name, target: c.target, met: c.check(r), ...result, epochsRun: training.history.length, stoppedBy: training.stoppedBy });
    process.stderr.write(`target ${c.name}: ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  return { rows };
}
