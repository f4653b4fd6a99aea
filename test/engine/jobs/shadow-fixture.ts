/**
 * A small membership experiment's shadow models for the queue tests and the queue benchmark:
 * embbag on 120 synthetic examples, model s trains on 60 of them (every (s+1)-th, wrapping)
 * with seed s + 1.
 */
import { generateSyntheticDataset } from '../../../src/data/datasets/synthetic.js';
import { fitWordTokenizer } from '../../../src/text/index.js';
import type { ShadowJob, ShadowTrainingConfig } from '../../../src/privacy/audit/index.js';

export function shadowTrainingFixture(models: number): { config: ShadowTrainingConfig; jobs: ShadowJob[] } {
  const data = generateSyntheticDataset(2);
  const examples = data.splits.train.slice(0, 120);
  const config: ShadowTrainingConfig = {
    model: { kind: 'embbag', config: {}, tokenizer: fitWordTokenizer(examples.map((e) => e.text)).toJSON(), labels: data.labels },
    recipe: { epochs: 1, batchSize: 16, learningRate: 0.01, optimizer: 'adam', schedule: 'constant', warmupSteps: 0, patience: null },
    examples,
    validation: data.splits.val.slice(0, 20),
  };
  const jobs = Array.from({ length: models }, (_, s) => ({ trainIndices: Int32Array.from({ length: 60 }, (_, i) => (i * (s + 1)) % examples.length), seed: s + 1 }));
  return { config, jobs };
}
