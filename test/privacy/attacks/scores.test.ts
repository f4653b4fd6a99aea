import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../../src/engine/random.js';
import {
  lossThresholdScores,
  logitScaledConfidence,
  liraScores,
  epsilonLowerBound,
  epsilonLowerBoundHeldOut,
  exactExposure,
  owensT,
  skewNormalCdf,
  fitSkewNormal,
  extrapolatedExposure,
  candidateAt,
  candidateSpaceSize,
} from '../../../src/privacy/attacks/index.js';
import { normalCdf } from '../../../src/privacy/accounting/special-functions.js';
import { rocAuc } from '../../../src/metrics/index.js';

test('logit-scaled confidence equals log(p/(1−p)) and stays finite for extreme logits', () => {
  const logits = [2, 0, -1, /* */ 0, 0, 0];
  const phi = logitScaledConfidence(logits, [0, 2], 3);
  const p0 = Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1));
  assert.ok(Math.abs(phi[0] - Math.log(p0 / (1 - p0))) < 1e-12);
  assert.ok(Math.abs(phi[1] - Math.log(0.5)) < 1e-12); // p = 1/3 → log(1/2)
  const extreme = logitScaledConfidence([1000, 0, -1000], [0], 3);
  assert.ok(Math.abs(extreme[0] - 1000) < 1e-9); // p rounds to 1 in floating point, φ does not
  assert.deepEqual(Array.from(lossThresholdScores([0.5, 2])), [-0.5, -2]);
});

test('LiRA online/offline on a hand-worked case', () => {
  // one example, 4 shadows: IN statistics 3, 5 (median 4), OUT statistics 0, 2 (median 1)
  const shadowStats = [[3], [0], [5], [2]];
  const shadowIn = [[true], [false], [true], [false]];
  // per-example std with n−1: IN sqrt(2), OUT sqrt(2)
  const online = liraScores([4], shadowStats, shadowIn, { mode: 'online', globalVariance: false });
  // log N(4; 4, √2) − log N(4; 1, √2) = (4−1)²/(2·2) = 2.25
  assert.ok(Math.abs(online[0] - 2.25) < 1e-12);
  const offline = liraScores([4], shadowStats, shadowIn, { mode: 'offline', globalVariance: false });
  assert.ok(Math.abs(offline[0] - Math.log(normalCdf(3 / Math.SQRT2))) < 1e-12);
});

test('LiRA separates members from non-members on simulated statistics', () => {
  const rng = new SeededRandom(1);
  const n = 400;
  const S = 16;
  const member = Array.from({ length: n }, (_, i) => i % 2 === 0);
  const base = Array.from({ length: n }, () => rng.normal() * 2); // per-example difficulty
  const stat = (i: number, isIn: boolean) => base[i] + (isIn ? 1.5 : 0) + rng.normal() * 0.5;
  const shadowIn = Array.from({ length: S }, () => Array.from({ length: n }, () => rng.next() < 0.5));
  const shadowStats = shadowIn.map((row) => row.map((isIn, i) => stat(i, isIn)));
  const target = member.map((m, i) => stat(i, m));
  const labels = member.map((m) => (m ? 1 : 0));
  const aucOnline = rocAuc(liraScores(target, shadowStats, shadowIn, { mode: 'online' }), labels);
  const aucOffline = rocAuc(liraScores(target, shadowStats, shadowIn, { mode: 'offline' }), labels);
  const aucGlobal = rocAuc(target, labels); // the uncalibrated statistic: example difficulty hides membership
  assert.ok(aucOnline > 0.9, `online AUC ${aucOnline}`);
  assert.ok(aucOffline > 0.85, `offline AUC ${aucOffline}`);
  assert.ok(aucOnline > aucGlobal + 0.1, `calibration helps: ${aucOnline} vs ${aucGlobal}`);
});

test('empirical ε lower bound: perfect separation at n = 1000 gives ln(TPR_lo/FPR_hi) by hand', () => {
  const scores = [...Array(1000).fill(1), ...Array(1000).fill(0)];
  const member = [...Array(1000).fill(true), ...Array(1000).fill(false)];
  const r = epsilonLowerBound(scores, member, { delta: 0, confidence: 0.95 });
  // Clopper–Pearson 95%: for 1000/1000, low = 0.025^(1/1000); for 0/1000, high = 1 − 0.025^(1/1000)
  const lo = Math.pow(0.025, 1 / 1000);
  assert.ok(Math.abs(r.epsilon - Math.log(lo / (1 - lo))) < 1e-6, `${r.epsilon}`);
  // with δ = 0.5 the bound shrinks
  assert.ok(epsilonLowerBound(scores, member, { delta: 0.5 }).epsilon < r.epsilon);
  // random scores give (almost) nothing
  const rng = new SeededRandom(3);
  const random = Array.from({ length: 2000 }, () => rng.next());
  const rr = epsilonLowerBoundHeldOut(random, member, rng, { delta: 1e-5 });
  assert.ok(rr.epsilon < 0.3, `random attack gave ε_LB ${rr.epsilon}`);
});

test('exact exposure: rank 1 of |R| gives log2 |R|; the median candidate about 1 bit', () => {
  const others = Array.from({ length: 1023 }, (_, i) => i + 1);
  assert.equal(exactExposure(0, others).exposure, 10);
  const mid = exactExposure(512.5, others);
  assert.equal(mid.rank, 513);
  assert.ok(Math.abs(mid.exposure - (10 - Math.log2(513))) < 1e-12);
  assert.equal(candidateSpaceSize({ template: 'pin {d}{d}{d}{d}' }), 10_000);
  assert.equal(candidateAt({ template: 'pin {d}{d}{d}{d}' }, 42), 'pin 0042');
});

test("Owen's T and the skew-normal CDF match closed forms; the fit recovers its parameters", () => {
  for (const a of [0.5, 1, 3]) assert.ok(Math.abs(owensT(0, a) - Math.atan(a) / (2 * Math.PI)) < 1e-10);
  for (const h of [-1, 0.3, 2]) assert.ok(Math.abs(owensT(h, 1) - (normalCdf(h) * (1 - normalCdf(h))) / 2) < 1e-10);
  // shape 0 is the normal distribution
  assert.ok(Math.abs(skewNormalCdf(1.3, { location: 0, scale: 1, shape: 0 }) - normalCdf(1.3)) < 1e-12);
  const rng = new SeededRandom(5);
  const delta = 0.8;
  const samples = Array.from({ length: 50_000 }, () => 2 + 1.5 * (delta * Math.abs(rng.normal()) + Math.sqrt(1 - delta * delta) * rng.normal()));
  const fit = fitSkewNormal(samples);
  assert.ok(Math.abs(fit.location - 2) < 0.1 && Math.abs(fit.scale - 1.5) < 0.1, JSON.stringify(fit));
  assert.ok(Math.abs(fit.shape - delta / Math.sqrt(1 - delta * delta)) < 0.3, JSON.stringify(fit));
});

test('extrapolated exposure agrees with the exact rank when the scores are skew-normal', () => {
  const rng = new SeededRandom(9);
  const all = Array.from({ length: 20_000 }, () => 5 + Math.abs(rng.normal()) * 0.6 + rng.normal() * 0.8);
  const canary = 2.0; // far in the lower tail: very likely
  const exact = exactExposure(canary, all).exposure;
  const sampled = all.slice(0, 2000);
  const approx = extrapolatedExposure(canary, sampled, all.length + 1).exposure;
  assert.ok(Math.abs(approx - exact) < 1.5, `extrapolated ${approx} vs exact ${exact}`);
});
