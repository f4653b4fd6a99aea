/**
 * Timings of the privacy accountants, and the tightness of the continuous RDP order against
 * the published grids (not run by the tests).
 * Run: npx tsc -p tsconfig.json && node dist/bench/accounting.js [--json] [--tightness]
 * Prints, per case, the median wall time and the median CPU time of the process over several
 * runs (the first, cold run shown separately: JIT warm-up). CPU time is the steadier figure on
 * a shared machine, where wall time also counts the time other processes held the cores.
 * `--json` prints one JSON object instead of the table. `--tightness` prints (as JSON) ε with
 * the continuous order and with each published grid for the cases of
 * test/privacy/accounting/reference/optimal-order.json.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import {
  DP_ACCOUNTING_ORDERS,
  OPACUS_ORDERS,
  RdpAccountant,
  TF_PRIVACY_ORDERS,
  computeEpsilon,
  epsilonFromRdp,
  epsilonOfPhases,
  noiseMultiplierForEpsilon,
  pldEpsilon,
  rdpOfPhases,
  type PrivacyPhase,
} from '../src/privacy/accounting/index.js';

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : 0.5 * (s[m - 1] + s[m]);
}

interface Timing {
  case: string;
  runs: number;
  firstMs: number;
  medianMs: number;
  medianCpuMs: number;
  result: unknown;
}

const json = process.argv.includes('--json');
const timings: Timing[] = [];

function time(label: string, runs: number, fn: (run: number) => unknown): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  let result: unknown;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    result = fn(r);
    const used = process.cpuUsage(startCpu);
    wall.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  const timing = { case: label, runs, firstMs: wall[0], medianMs: median(wall.slice(1)), medianCpuMs: median(cpu.slice(1)), result };
  timings.push(timing);
  if (!json) {
    const shown = typeof result === 'number' ? result.toPrecision(6) : JSON.stringify(result);
    console.log(
      `${label.padEnd(62)} first ${timing.firstMs.toFixed(1).padStart(7)} ms   median ${timing.medianMs.toFixed(2).padStart(7)} ms` +
        `   cpu ${timing.medianCpuMs.toFixed(2).padStart(7)} ms   → ${shown}`,
    );
  }
}

function runTimings(): void {
  // A tiny σ perturbation per run defeats any per-(q, σ) cache, so every run recomputes RDP.
  const rdpCase = (orders?: readonly number[]) => (r: number) => {
    const e = computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 1 + r * 1e-12, steps: 10_000, delta: 1e-5, orders });
    return { epsilon: e.epsilon, order: e.order };
  };
  time('RDP, q=0.01 σ=1.0, 10,000 steps (continuous order, default)', 15, rdpCase());
  time('RDP, q=0.01 σ=1.0, 10,000 steps (TF Privacy orders)', 15, rdpCase(TF_PRIVACY_ORDERS));
  time('RDP, q=0.01 σ=1.0, 10,000 steps (Opacus orders)', 15, rdpCase(OPACUS_ORDERS));
  time('RDP, q=0.001 σ=0.6, 100 steps (continuous order)', 15, (r) =>
    computeEpsilon({ sampleRate: 0.001, noiseMultiplier: 0.6 + r * 1e-12, steps: 100, delta: 1e-5 }).epsilon,
  );
  time('RDP, q=0.05 σ=0.3, 1,000 steps, order near 1 (continuous)', 15, (r) =>
    computeEpsilon({ sampleRate: 0.05, noiseMultiplier: 0.3 + r * 1e-12, steps: 1000, delta: 1e-5 }).epsilon,
  );
  time('RDP, q=0.01 σ=50, 1,000 steps, order ~500 (continuous)', 15, (r) =>
    computeEpsilon({ sampleRate: 0.01, noiseMultiplier: 50 + r * 1e-12, steps: 1000, delta: 1e-5 }).epsilon,
  );
  time('RDP accountant, 10,000 step() calls (continuous order)', 9, (r) => {
    const acc = new RdpAccountant();
    for (let i = 0; i < 10_000; i++) acc.step(1 + r * 1e-12, 0.01);
    return acc.getEpsilon(1e-5).epsilon;
  });
  time('RDP accountant, 10,000 step() calls (TF Privacy orders)', 9, (r) => {
    const acc = new RdpAccountant(TF_PRIVACY_ORDERS);
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
  time('calibrate σ, RDP continuous, ε=8 q=0.04 2,250 steps', 7, (r) =>
    noiseMultiplierForEpsilon({ epsilon: 8 + r * 1e-9, delta: 1e-5, sampleRate: 0.04, steps: 2250 }),
  );
  time('calibrate σ, RDP TF Privacy orders, ε=8 q=0.04 2,250 steps', 7, (r) =>
    noiseMultiplierForEpsilon({ epsilon: 8 + r * 1e-9, delta: 1e-5, sampleRate: 0.04, steps: 2250, orders: TF_PRIVACY_ORDERS }),
  );
  time('calibrate σ, RDP continuous, ε=50 q=0.05 1,000 steps', 7, (r) =>
    noiseMultiplierForEpsilon({ epsilon: 50 + r * 1e-9, delta: 1e-5, sampleRate: 0.05, steps: 1000 }),
  );
  time('calibrate σ, RDP TF Privacy orders, ε=50 q=0.05 1,000 steps', 7, (r) =>
    noiseMultiplierForEpsilon({ epsilon: 50 + r * 1e-9, delta: 1e-5, sampleRate: 0.05, steps: 1000, orders: TF_PRIVACY_ORDERS }),
  );
  time('calibrate σ, PLD (h=1e-3), ε=2 q=0.01 10,000 steps', 3, () =>
    noiseMultiplierForEpsilon({ epsilon: 2, delta: 1e-5, sampleRate: 0.01, steps: 10_000, accountant: 'pld', pld: { discretisation: 1e-3 } }),
  );
}

function tightness(): object {
  const reference = JSON.parse(readFileSync('test/privacy/accounting/reference/optimal-order.json', 'utf8')) as {
    cases: { name: string; phases: PrivacyPhase[]; delta: number; epsilon: number; order: number }[];
  };
  return reference.cases.map((c) => {
    const grid = (orders: readonly number[]) => {
      const { epsilon, order } = epsilonFromRdp(orders, rdpOfPhases(c.phases, orders), c.delta);
      return { epsilon, order };
    };
    const ours = epsilonOfPhases({ phases: c.phases, delta: c.delta });
    return {
      name: c.name,
      phases: c.phases,
      delta: c.delta,
      ours: { epsilon: ours.epsilon, order: ours.order },
      exactOptimum: { epsilon: c.epsilon, order: c.order },
      tfPrivacy: grid(TF_PRIVACY_ORDERS),
      opacus: grid(OPACUS_ORDERS),
      dpAccounting: grid(DP_ACCOUNTING_ORDERS),
    };
  });
}

const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAverage: loadavg() };
if (process.argv.includes('--tightness')) {
  console.log(JSON.stringify({ command: 'node dist/bench/accounting.js --tightness', cases: tightness() }, null, 1));
} else {
  runTimings();
  if (json) console.log(JSON.stringify({ command: 'node dist/bench/accounting.js --json', date: new Date().toISOString(), machine, timings }, null, 1));
  else console.log(`machine: ${machine.cpus} × ${machine.model}, ${machine.node}, load average ${machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}`);
}
