/**
 * Federated evaluation study (issue 21, part 1): does the federated estimate of a model's test
 * accuracy, from K sampled clients' sums, agree with the central test accuracy, and do its 95%
 * intervals cover it?
 *
 *   node dist/bench/fl-evaluation.js [--dataset clinc150] [--seeds 20] [--clients 100]
 *     [--evaluation-clients 50] [--partitions iid,dirichlet:0.1,quantity:1] [--epochs 2]
 *     [--secagg-seeds 3] [--personalised-seeds 5] [--out PATH]
 *
 * One embedding-bag classifier is trained centrally (seed 0) and saved. Its test split is cut
 * into N clients by each partition; for every seed s the partition (seed s) and the sample of K
 * clients (seed s) are drawn anew, the K clients report their sums, and the ratio estimate with
 * its interval (between-client variance, finite-population correction, Student t) is compared
 * with the central truth: the same model on the whole test split (in-scope accuracy for
 * CLINC150). Beside it, from the same reports: a percentile bootstrap over clients, and the
 * naive example-level interval (binomial over all reported examples, as if examples were
 * independent). Secure aggregation: the first seeds of the first partition again under SecAgg+,
 * with the difference to the plain estimate. Personalised evaluation on the first partition:
 * all N clients fine-tune (Adam, 3 epochs on half their examples) and report; the truth is the
 * full-participation delta, the estimate uses the first K of the same seeded draw (exactly the
 * reports a K-client round gets).
 * Writes bench-results/fl-evaluation.json (or --out); the table is in docs/federated-open-problems.md.
 */
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../src/engine/random.js';
import { clopperPearson } from '../src/metrics/index.js';
import { runTraining, TRAINING_DEFAULTS } from '../src/train/index.js';
import { SimulationExecutor } from '../src/federated/simulation/index.js';
import {
  PLAIN_METRICS,
  DEFAULT_REPORT_LIMITS,
  clientBootstrapInterval,
  clientPairs,
  prepareEvaluationFederation,
  ratioEstimate,
  runFederatedEvaluation,
  PERSONALISED_METRICS,
} from '../src/federated/evaluation/index.js';
import { writeResult } from './common.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const dataset = arg('--dataset', process.env.TRUSTNLU_DATA ? 'clinc150' : 'synthetic');
const seeds = Number(arg('--seeds', '20'));
const clients = Number(arg('--clients', '100'));
const K = Number(arg('--evaluation-clients', '50'));
const partitions = arg('--partitions', 'iid,dirichlet:0.1,quantity:1').split(',');
const epochs = Number(arg('--epochs', '2'));
const secaggSeeds = Number(arg('--secagg-seeds', '3'));
const personalisedSeeds = Number(arg('--personalised-seeds', '5'));
const out = arg('--out', '');
const command = `node dist/bench/fl-evaluation.js ${process.argv.slice(2).join(' ')}`.trim();
const log = (event: string, data: Record<string, unknown>) => process.stderr.write(`${JSON.stringify({ event, ...data })}\n`);

const started = performance.now();
const load = { before: loadavg()[0] };
const modelDir = join(mkdtempSync(join(tmpdir(), 'fl-evaluation-')), 'model');
const trained = await runTraining({ dataset, model: 'embbag', epochs, seed: 0, out: modelDir });
log('trained', { dataset, epochs, testAccuracy: trained.result.accuracy });

interface Row {
  partition: string;
  seed: number;
  truth: number;
  estimate: number;
  low: number;
  high: number;
  covered: boolean;
  bootstrapCovered: boolean;
  naiveCovered: boolean;
  examples: number;
}
const rows: Row[] = [];
let executor: SimulationExecutor | undefined;
const secureRows: { seed: number; plain: number; secure: number; plainSE: number; secureSE: number; seconds: number }[] = [];
const personalRows: { seed: number; truth: number; estimate: number; low: number; high: number; covered: boolean; before: number; after: number; improved: number }[] = [];
try {
  for (const partition of partitions) {
    for (let seed = 0; seed < seeds; seed++) {
      const federation = prepareEvaluationFederation({ modelDir, dataset, partition, numClients: clients, seed });
      executor ??= await SimulationExecutor.create(federation.data, { workers: 0 });
      const r = await runFederatedEvaluation({ data: federation.data, parameters: federation.parametersFor, evaluationClients: K, seed, executor, returnReports: true });
      const truth = r.central!.accuracy;
      const a = r.metrics.accuracy;
      const pairs = clientPairs(r.reports!, PLAIN_METRICS, DEFAULT_REPORT_LIMITS).get('accuracy')!;
      const boot = clientBootstrapInterval(pairs.numerators, pairs.denominators, { rng: new SeededRandom(seed).fork('bootstrap') });
      const half = 1.96 * Math.sqrt((a.estimate * (1 - a.estimate)) / a.denominator);
      const row: Row = {
        partition,
        seed,
        truth,
        estimate: a.estimate,
        low: a.low,
        high: a.high,
        covered: a.low <= truth && truth <= a.high,
        bootstrapCovered: boot.low <= truth && truth <= boot.high,
        naiveCovered: a.estimate - half <= truth && truth <= a.estimate + half,
        examples: a.denominator,
      };
      rows.push(row);
      log('run', { ...row });
      if (partition === partitions[0] && seed < secaggSeeds) {
        const s = await runFederatedEvaluation({ data: federation.data, parameters: federation.parametersFor, evaluationClients: K, seed, executor, secureAggregation: true, centralTruth: false });
        secureRows.push({ seed, plain: a.estimate, secure: s.metrics.accuracy.estimate, plainSE: a.standardError, secureSE: s.metrics.accuracy.standardError, seconds: s.secureAggregation!.seconds });
        log('secure', { ...secureRows[secureRows.length - 1] });
      }
      if (partition === partitions[0] && seed < personalisedSeeds) {
        const p = await runFederatedEvaluation({
          data: federation.data,
          parameters: federation.parametersFor,
          evaluationClients: federation.data.clients.length,
          seed,
          executor,
          returnReports: true,
          centralTruth: false,
          personalised: { learningRate: TRAINING_DEFAULTS.embbag.learningRate, localEpochs: 3 },
        });
        const truthDelta = p.personalised!.delta.estimate;
        const sample = p.reports!.slice(0, K);
        const deltaPairs = clientPairs(sample, PERSONALISED_METRICS, DEFAULT_REPORT_LIMITS);
        const est = (name: string) => {
          const q = deltaPairs.get(name)!;
          return ratioEstimate(q.numerators, q.denominators, { populationClients: federation.data.clients.length });
        };
        const d = est('delta');
        personalRows.push({ seed, truth: truthDelta, estimate: d.estimate, low: d.low, high: d.high, covered: d.low <= truthDelta && truthDelta <= d.high, before: est('before').estimate, after: est('after').estimate, improved: est('improvedClients').estimate });
        log('personalised', { ...personalRows[personalRows.length - 1] });
      }
    }
  }
} finally {
  await executor?.close();
}

const summary = partitions.map((partition) => {
  const rs = rows.filter((r) => r.partition === partition);
  const covered = rs.filter((r) => r.covered).length;
  const errors = rs.map((r) => r.estimate - r.truth);
  const interval = clopperPearson(covered, rs.length);
  return {
    partition,
    runs: rs.length,
    covered,
    coverage: covered / rs.length,
    coverageInterval: [interval.low, interval.high],
    bias: errors.reduce((a, b) => a + b, 0) / rs.length,
    rmse: Math.sqrt(errors.reduce((a, b) => a + b * b, 0) / rs.length),
    meanWidth: rs.reduce((a, r) => a + (r.high - r.low), 0) / rs.length,
    bootstrapCoverage: rs.filter((r) => r.bootstrapCovered).length / rs.length,
    naiveCoverage: rs.filter((r) => r.naiveCovered).length / rs.length,
    truth: rs[0]?.truth,
  };
});
const result = {
  dataset,
  model: 'embbag',
  epochs,
  clients,
  evaluationClients: K,
  seeds,
  centralTestAccuracy: trained.result.accuracy,
  summary,
  secure: secureRows,
  personalised: personalRows.length
    ? { partition: partitions[0], runs: personalRows.length, covered: personalRows.filter((r) => r.covered).length, rows: personalRows }
    : undefined,
  rows,
  seconds: (performance.now() - started) / 1000,
  loadAverage: { before: load.before, after: loadavg()[0] },
};
const path = writeResult('fl-evaluation', result, { command, ...(out ? { path: out } : {}) });
for (const s of summary) process.stdout.write(`${s.partition}: coverage ${s.covered}/${s.runs}, bias ${s.bias.toFixed(4)}, rmse ${s.rmse.toFixed(4)}, width ${s.meanWidth.toFixed(4)}, bootstrap ${s.bootstrapCoverage}, naive ${s.naiveCoverage}\n`);
process.stdout.write(`${path}\n`);
