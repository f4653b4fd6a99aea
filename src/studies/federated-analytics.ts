/**
 * Study "federated-analytics": how much of the true top 10 a private heavy-hitter method
 * finds, against ε, for central DP (TrieHH-style prefix tree over secure aggregation, Gaussian
 * noise) and the local-DP baseline (Apple's Count Mean Sketch with an oracle dictionary).
 *
 * Real run: words of CLINC150's 1,200 out-of-scope requests (oos_train/val/test), of SLURP's
 * 274 general_quirky requests (its catch-all for chit-chat outside the task intents, the nearest
 * thing SLURP has to out-of-scope) and of all 5,007 SLURP requests; whole utterances of SLURP's
 * lm.txt (29,104 lines; c = 1, L = 48), the one set here whose utterances repeat. No dataset
 * here has user ids, so every request is its own simulated user (an IID deal into as many users
 * as requests). ε ∈ {1, 2, 4, 8, 16}, δ = 1e-6, k = 10, sampling rate 1, 10 noise seeds per
 * cell (seeded noise: reproducible, not private), mean recall with a 95% t-interval over seeds.
 * Plus, on CLINC150 at ε = 4, the votes-per-device cap c ∈ {4, 16} beside the default 8, and
 * the same requests dealt to 300 users (4 requests each) with c ∈ {8, 32}.
 * Quick run: the synthetic set, two ε, two seeds.
 */
import { loadCorpus, loadIntentDataset } from '../data/registry.js';
import type { TextExample } from '../data/types.js';
import { assignUsers, rankItems, simulateHeavyHitters, userCounts, userItemsFromTexts, type HeavyHitterMethod, type ItemUnit, type UserItems } from '../federated/analytics/index.js';
import { meanTInterval } from '../metrics/index.js';
import { lineChart } from '../report/charts.js';
import type { StudyColumn, StudyContext, StudyDefinition, StudyRow } from './runner.js';

interface AnalyticsCase {
  name: string;
  examples: () => { text: string }[];
  /** Words (default) or whole utterances. */
  unit?: ItemUnit;
  /** TrieHH: longest item L (default 16) and votes per device c (default 8). */
  maxLength?: number;
  votesPerDevice?: number;
}

function meanInterval(values: number[]): { mean: number; low: number; high: number } {
  const { mean, half } = meanTInterval(values);
  if (half === null) return { mean, low: mean, high: mean };
  return { mean, low: Math.max(0, mean - half), high: Math.min(1, mean + half) };
}

function allExamples(name: string, dataDir: string | undefined, label?: string): TextExample[] {
  const d = loadIntentDataset(name, { dataDir });
  const all = [...d.splits.train, ...d.splits.val, ...d.splits.test];
  return label === undefined ? all : all.filter((e) => e.label === label);
}

export interface AnalyticsStudyPlan {
  cases: AnalyticsCase[];
  epsilons: number[];
  seeds: number[];
  methods: HeavyHitterMethod[];
  /** Extra TrieHH runs: [case name, ε, votes per device, users (default one per request)]. */
  capVariants: [string, number, number, number?][];
}

export function analyticsStudyPlan(ctx: Pick<StudyContext, 'quick' | 'seed' | 'dataDir'>): AnalyticsStudyPlan {
  const seeds = Array.from({ length: ctx.quick ? 2 : 10 }, (_, i) => ctx.seed * 1000 + i);
  if (ctx.quick) {
    return { cases: [{ name: 'synthetic (all requests)', examples: () => allExamples('synthetic', ctx.dataDir) }], epsilons: [4, 16], seeds, methods: ['triehh', 'cms'], capVariants: [] };
  }
  return {
    cases: [
      { name: 'CLINC150 out-of-scope', examples: () => allExamples('clinc150', ctx.dataDir, 'oos') },
      { name: 'SLURP general_quirky', examples: () => allExamples('slurp', ctx.dataDir, 'general_quirky') },
      { name: 'SLURP all requests', examples: () => allExamples('slurp', ctx.dataDir) },
      {
        name: 'SLURP lm.txt utterances',
        examples: () => {
          const corpus = loadCorpus('slurp-lm', { dataDir: ctx.dataDir });
          return [...corpus.splits.train, ...corpus.splits.val, ...corpus.splits.test];
        },
        unit: 'utterance',
        maxLength: 48,
        votesPerDevice: 1,
      },
    ],
    epsilons: [1, 2, 4, 8, 16],
    seeds,
    methods: ['triehh', 'cms'],
    capVariants: [
      ['CLINC150 out-of-scope', 4, 4],
      ['CLINC150 out-of-scope', 4, 16],
      ['CLINC150 out-of-scope', 4, 8, 300],
      ['CLINC150 out-of-scope', 4, 32, 300],
    ],
  };
}

const K = 10;
const DELTA = 1e-6;

async function cell(users: UserItems[], method: HeavyHitterMethod, epsilon: number, seeds: number[], votesPerDevice?: number, maxLength?: number) {
  const recalls: number[] = [];
  const precisions: number[] = [];
  let noiseStd: number | null = null;
  for (const seed of seeds) {
    const r = await simulateHeavyHitters({ users, method, k: K, epsilon, delta: DELTA, noiseSeed: seed, ...(votesPerDevice ? { votesPerDevice } : {}), ...(maxLength ? { maxLength } : {}) });
    recalls.push(r.recall);
    precisions.push(r.precision);
    if ('countNoiseStd' in r.details) noiseStd = r.details.countNoiseStd;
  }
  return { recall: meanInterval(recalls), precision: meanInterval(precisions).mean, noiseStd };
}

async function runAnalyticsStudy(ctx: StudyContext): Promise<StudyRow[]> {
  const plan = analyticsStudyPlan(ctx);
  const rows: StudyRow[] = [];
  const usersByCase = new Map<string, UserItems[]>();
  for (const c of plan.cases) {
    const examples = c.examples();
    const unit = c.unit ?? 'word';
    const users = userItemsFromTexts(assignUsers(examples, { kind: 'iid', users: examples.length, seed: ctx.seed }), unit);
    usersByCase.set(c.name, users);
    const ranked = rankItems(userCounts(users));
    const base = {
      dataset: c.name,
      unit,
      users: users.length,
      kthCount: ranked[K - 1]?.count ?? 0,
      gap: (ranked[K - 1]?.count ?? 0) - (ranked[K]?.count ?? 0),
      topCount: ranked[0]?.count ?? 0,
    };
    for (const method of plan.methods) {
      for (const epsilon of plan.epsilons) {
        const started = Date.now();
        const votesPerDevice = c.votesPerDevice ?? 8;
        const r = await cell(users, method, epsilon, plan.seeds, votesPerDevice, c.maxLength);
        rows.push({ ...base, method, epsilon, votesPerDevice: method === 'triehh' ? votesPerDevice : null, recall: r.recall.mean, recallLow: r.recall.low, recallHigh: r.recall.high, precision: r.precision, countNoiseStd: r.noiseStd, seeds: plan.seeds.length, seconds: (Date.now() - started) / 1000 });
        ctx.progress.event("heavy-hitters", { dataset: c.name, method, epsilon, recall: r.recall.mean });
      }
    }
  }
  for (const [name, epsilon, votesPerDevice, userCount] of plan.capVariants) {
    const examplesOf = plan.cases.find((c) => c.name === name) as AnalyticsCase;
    const users = userCount === undefined ? (usersByCase.get(name) as UserItems[]) : userItemsFromTexts(assignUsers(examplesOf.examples(), { kind: 'iid', users: userCount, seed: ctx.seed }), 'word');
    const ranked = rankItems(userCounts(users));
    const started = Date.now();
    const r = await cell(users, 'triehh', epsilon, plan.seeds, votesPerDevice);
    rows.push({ dataset: userCount === undefined ? name : `${name}, ${userCount} users`, unit: 'word', users: users.length, kthCount: ranked[K - 1].count, gap: ranked[K - 1].count - ranked[K].count, topCount: ranked[0].count, method: 'triehh', epsilon, votesPerDevice, recall: r.recall.mean, recallLow: r.recall.low, recallHigh: r.recall.high, precision: r.precision, countNoiseStd: r.noiseStd, seeds: plan.seeds.length, seconds: (Date.now() - started) / 1000 });
  }
  return rows;
}

const COLUMNS: StudyColumn[] = [
  { key: 'dataset', header: 'requests' },
  { key: 'unit', header: 'unit' },
  { key: 'users', header: 'users' },
  { key: 'kthCount', header: 'users holding #10' },
  { key: 'gap', header: '#10 − #11' },
  { key: 'method', header: 'method' },
  { key: 'votesPerDevice', header: 'c' },
  { key: 'epsilon', header: 'ε' },
  { key: 'recall', header: 'recall@10', digits: 2 },
  { key: 'recallLow', header: '95% low', digits: 2 },
  { key: 'recallHigh', header: '95% high', digits: 2 },
  { key: 'precision', header: 'precision', digits: 2 },
  { key: 'countNoiseStd', header: 'noise std (users)', digits: 1 },
  { key: 'seeds', header: 'seeds' },
];

export const federatedAnalyticsStudy: StudyDefinition = {
  name: 'federated-analytics',
  title: 'Private heavy hitters: recall of the true top 10 against ε, central DP (TrieHH over secure aggregation) vs local DP (Count Mean Sketch)',
  description:
    'Words of out-of-scope requests (CLINC150 oos, SLURP general_quirky) and of all SLURP requests, and whole utterances of SLURP lm.txt; one simulated user per request (no dataset here has user ids). ' +
    'TrieHH: prefix votes summed (the secure-aggregation sum, computed in the clear: the tests check both are equal), Gaussian noise calibrated by the exact composition of L + 1 Gaussian rounds (L = 16 for words, 48 for utterances), δ = 1e-6, at most c votes per device and round, threshold 4 noise std. ' +
    'CMS: Apple\'s Count Mean Sketch, m = 1024, k = 256, one report per device, ranked over an oracle dictionary (every word in the data), so its recall is an upper bound for a deployment. ' +
    'Recall counts an item tied with the 10th as a hit. Mean over seeds with a 95% t-interval; the noise is seeded (reproducible, not private).',
  run: runAnalyticsStudy,
  columns: COLUMNS,
  charts: (rows) => {
    const main = rows.filter((r) => !String(r.dataset).includes(' users') && !(r.dataset === 'CLINC150 out-of-scope' && r.method === 'triehh' && r.votesPerDevice !== 8)).map((r) => ({ ...r, series: `${r.dataset} · ${r.method}` }));
    return [{ name: 'recall-vs-epsilon', spec: lineChart({ title: 'Recall of the true top 10 against ε', values: main, x: 'epsilon', y: 'recall', series: 'series', xTitle: 'ε', yTitle: 'recall@10', logX: true }) }];
  },
};
