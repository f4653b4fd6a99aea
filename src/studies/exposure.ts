/**
 * Study "exposure": canary exposure of a character LSTM against ε (Carlini et al. 2019, "The
 * Secret Sharer"). The LSTM trains on SLURP's lm.txt with 4-digit canaries repeated 10 times
 * and with never-inserted canaries of the same format as the control; exposure is computed
 * from exact ranks among all 10,000 codes. Without the real data the study runs on the
 * synthetic corpus, and every row says so. (Until issue 22 this was a part of `study leakage`.)
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveDataDir } from '../data/locate.js';
import type { LanguageModel } from '../models/index.js';
import { canaryExposures, trainWithCanaries } from '../privacy/audit/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import type { StudyColumn, StudyDefinition, StudyRow } from './runner.js';

export const EXPOSURE_EPSILONS = [1, 3, 8, Infinity];
const DELTA = 1e-5;

const FULL = { lmUnits: 1200, lmEpochs: 4, lmConfig: { hidden: 96, embeddingDim: 24, contextLength: 48 } };
const QUICK = { lmUnits: 400, lmEpochs: 2, lmConfig: { hidden: 64, embeddingDim: 16, contextLength: 32 } };

const label = (e: number) => (Number.isFinite(e) ? String(e) : '∞');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'data' },
  { key: 'epsilon', header: 'ε target' },
  { key: 'theoreticalEpsilon', header: 'ε (accountant)', digits: 2 },
  { key: 'perplexity', header: 'val perplexity', digits: 2 },
  { key: 'exposureInserted', header: 'exposure 10× (bits)', digits: 2 },
  { key: 'exposureReference', header: 'exposure never inserted', digits: 2 },
  { key: 'exposureGap', header: 'gap (bits)', digits: 2 },
  { key: 'maxExposure', header: 'max exposure', digits: 2 },
];

function exposureChart(rows: StudyRow[]): VegaLiteSpec {
  const values = rows.flatMap((r) => [
    { epsilon: r.epsilon, metric: 'inserted ×10', value: r.exposureInserted },
    { epsilon: r.epsilon, metric: 'never inserted', value: r.exposureReference },
  ]);
  return {
    title: 'Canary exposure of a char-LSTM against ε',
    width: 360,
    height: 240,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epsilon', type: 'ordinal', sort: EXPOSURE_EPSILONS.map(label), title: 'ε (∞ = no DP)' },
      y: { field: 'value', type: 'quantitative', title: 'exposure (bits)' },
      color: { field: 'metric', type: 'nominal' },
    },
  };
}

export const exposureStudy: StudyDefinition = {
  name: 'exposure',
  title: 'Canary exposure of a character LSTM against ε',
  description:
    'A character LSTM on SLURP lm.txt with two 4-digit canaries inserted 10 times and four never inserted (the control), for ε ∈ {1, 3, 8, ∞} (RDP accountant, δ = 1e-5). ' +
    'Exposure = log2(10,000) − log2(rank of the canary among all 10,000 codes by the model\'s loss); the gap between inserted and never-inserted canaries is the memorisation. ' +
    'Validation perplexity is the utility beside it. One seed; see docs/privacy-audit.md.',
  columns: COLUMNS,
  async run(ctx) {
    const s = ctx.quick ? QUICK : FULL;
    const dir = resolveDataDir(ctx.dataDir);
    const real = Boolean(dir && existsSync(join(dir, 'slurp/lm.txt')));
    const rows: StudyRow[] = [];
    for (const epsilon of EXPOSURE_EPSILONS) {
      ctx.progress.event('exposure', { epsilon: label(epsilon) });
      const trained = await trainWithCanaries({
        dataset: real ? 'slurp-lm' : 'synthetic-lm',
        dataDir: ctx.dataDir,
        model: 'char-lstm',
        canaries: { format: 'my pin is {d}{d}{d}{d}', repetitions: [10, 10, 0, 0, 0, 0] },
        epochs: s.lmEpochs,
        seed: ctx.seed + 2,
        trainSubset: s.lmUnits,
        config: s.lmConfig,
        dp: Number.isFinite(epsilon) ? { epsilon, delta: DELTA } : undefined,
      });
      try {
        const report = canaryExposures(trained.model as LanguageModel, trained.canaries, { seed: ctx.seed });
        const inserted = report.canaries.filter((c) => c.repetitions > 0).map((c) => c.exposure);
        const references = report.canaries.filter((c) => c.repetitions === 0).map((c) => c.exposure);
        rows.push({
          dataset: trained.meta.dataset as string,
          synthetic: trained.synthetic,
          epsilon: label(epsilon),
          theoreticalEpsilon: trained.epsilon,
          perplexity: trained.training.bestValidation.perplexity ?? null,
          exposureInserted: mean(inserted),
          exposureReference: mean(references),
          exposureGap: mean(inserted) - mean(references),
          maxExposure: report.maxExposure,
        });
      } finally {
        trained.model.dispose();
      }
    }
    return rows;
  },
  charts: (rows) => [{ name: 'exposure-vs-epsilon', spec: exposureChart(rows) }],
};
