/**
 * Timings of the privacy accountants (not run by the tests).
 * Run: npx tsc -p tsconfig.json && node dist/bench/accounting.js
 * Prints the median of several runs per case, cold first run shown separately (JIT warm-up).
 */
import {
  OPACUS_ORDERS,
  RdpAccountant,
  computeEpsilon,
  noiseMultiplierForEpsilon,
  pldEpsilon,
} from '../src/privacy/accounting/index.js';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

function time(label: string, runs: number, fn: (run: number) => unknown): void {
  const times: number[] = [];
  let result: unknown;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    result = fn(r);
    times.push(performance.now() - start);
  }
  const shown = typeof result === 'number' ? result.toPrecision(6) : JSON.stringify(result);
  console.log(
    `${label.padEnd(58)} first ${times[0].toFixed(1).padStart(8)} ms   median ${median(times.slice(1)).toFixed(1).padStart(8)} ms   → ${shown}`,
  );
}

// A tiny σ perturbation per run defeats the per-(q, σ) cache, so every run recomputes RDP.
time('RDP, q=0.01 σ=1.0, 10,000 steps (TF orders)', 9, (r) =>
  computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1 + r * 1e-12, steps: 10_000, delta: 1e-5 }).epsilon,
);
time('RDP, q=0.01 σ=1.0, 10,000 steps (Opacus orders)', 9, (r) =>
  computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1 + r * 1e-12, steps: 10_000, delta: 1e-5, orders: OPACUS_ORDERS }).epsilon,
);
time('RDP accountant, 10,000 step() calls', 9, (r) => {
  const acc = new RdpAccountant();
  for (let i = 0; i < 10_000; i++) acc.step(1 + r * 1e-12, 0.01);
  return acc.getEpsilon(1e-5).epsilon;
});
time('PLD, q=0.01 σ=1.0, 10,000 steps (h=1e-4)', 5, () =>
  pldEpsilon([{ sampleRate: 0.01, noiseMultiplier: 1, steps: 10_000 }], 1e-5).epsilon,
);
time('PLD, q=0.04 σ=1.5, 2,250 steps (h=1e-4)', 5, () =>
  pldEpsilon([{ sampleRate: 0.04, noiseMultiplier: 1.5, steps: 2250 }], 1e-5).epsilon,
);
time('PLD, q=0.01 σ=1.0, 10,000 steps (h=1e-3)', 5, () =>
  pldEpsilon([{ sampleRate: 0.01, noiseMultiplier: 1, steps: 10_000 }], 1e-5, { discretisation: 1e-3 }).epsilon,
);
time('calibrate σ, RDP, ε=8 q=0.04 2,250 steps', 5, (r) =>
  noiseMultiplierForEpsilon({ epsilon: 8 + r * 1e-9, delta: 1e-5, sampleRate: 0.04, steps: 2250 }),
);
time('calibrate σ, PLD (h=1e-3), ε=2 q=0.01 10,000 steps', 3, () =>
  noiseMultiplierForEpsilon({ epsilon: 2, delta: 1e-5, sampleRate: 0.01, steps: 10_000, accountant: 'pld', pld: { discretisation: 1e-3 } }),
);
