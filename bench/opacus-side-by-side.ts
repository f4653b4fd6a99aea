/**
 * trustnlu's DP step and PyTorch + Opacus on the same two models and the very same batches,
 * alternated in one run (issue 19, part 3). Each round runs `dp-engines.js` (this thread's one
 * engine, N worker engines, one worker engine; 1 run) and then the peer script
 * `opacus_bench.py` (PyTorch at one thread: non-private, Opacus hooks and ghost clipping),
 * recording the load average before and after each program. The peer set-up (Debian's
 * python3-torch 1.13, Opacus v1.5.4 and opt_einsum v3.3.0 sources on PYTHONPATH) is
 * described in the peer folder's README.md.
 *
 *   node dist/bench/opacus-side-by-side.js --peer ../shared/peers/opacus \
 *     --pythonpath $OPACUS:$OPT_EINSUM [--rounds 2] [--batch 256] [--engines 2] [--steps 10]
 *
 * Prints one JSON object: per model, the medians over rounds and every round's figures.
 */
import { execFileSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagValue, median } from './common.js';

function flag(name: string, fallback?: string): string {
  const value = flagValue(`--${name}`);
  if (value) return value;
  if (fallback === undefined) {
    process.stderr.write(`--${name} is required (see the header of bench/opacus-side-by-side.ts)\n`);
    process.exit(2);
  }
  return fallback;
}

const peer = resolve(flag('peer'));
const pythonPath = flag('pythonpath');
const python = flag('python', '/usr/bin/python3');
const rounds = Number(flag('rounds', '2'));
const batch = Number(flag('batch', '256'));
const engines = Number(flag('engines', '2'));
const steps = Number(flag('steps', '10'));
const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const checkout = resolve(here, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'trustnlu-opacus-'));
const load = () => loadavg().map((x) => Number(x.toFixed(2)));
const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);

const shapes = join(work, 'shapes.json');
execFileSync(process.execPath, [join(peer, 'trustnlu_shapes.mjs'), checkout, shapes], { stdio: ['ignore', 'ignore', 'inherit'] });

interface Ours { nonDpMs: number; dpMs: number; enginesNonDpMs: number; enginesDpMs: number; oneWorkerNonDpMs: number; oneWorkerDpMs: number }
interface Theirs { nondp: number | null; hooks: number | null; ghost: number | null }
const MODEL = { embbag: 'tn-embbag', 'char-transformer': 'tn-lm' } as const;
const roundsOut: { round: number; trustnlu: { load: number[][]; cases: Record<string, Ours> }; opacus: { load: number[][]; cases: Record<string, Theirs>; env: unknown } }[] = [];

for (let r = 0; r < rounds; r++) {
  log(`round ${r + 1}/${rounds}: trustnlu, load ${load().join(' ')}`);
  const before = load();
  const tnOut = execFileSync(process.execPath, [join(here, 'dp-engines.js'), '--runs', '1', '--engines', String(engines), '--steps', String(steps), '--batches', String(batch)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  }).toString();
  const tn = JSON.parse(tnOut) as { runs: { result: { cases: { model: string; nonDpMs: number; dpMs: number; engines?: { counts: { nonDpMs: number; dpMs: number }[] } }[] } }[] };
  const ours: Record<string, Ours> = {};
  for (const c of tn.runs[0].result.cases) {
    const [n, one] = c.engines?.counts ?? [];
    ours[c.model] = { nonDpMs: c.nonDpMs, dpMs: c.dpMs, enginesNonDpMs: n?.nonDpMs, enginesDpMs: n?.dpMs, oneWorkerNonDpMs: one?.nonDpMs, oneWorkerDpMs: one?.dpMs };
  }
  const mid = load();
  log(`round ${r + 1}/${rounds}: opacus, load ${mid.join(' ')}`);
  const pyJson = join(work, `opacus-${r}.json`);
  execFileSync(python, [join(peer, 'opacus_bench.py'), '--trustnlu-shapes', shapes, '--models', 'tn-embbag,tn-lm', '--batches', `tn-embbag:${batch};tn-lm:${batch}`, '--modes', 'nondp,hooks,ghost', '--threads', '1', '--rounds', '2', '--json', pyJson], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PYTHONPATH: pythonPath },
  });
  const py = JSON.parse(readFileSync(pyJson, 'utf8')) as { env: unknown; results: { model: string; modes: Record<string, { median_ms: number | null }> }[] };
  const theirs: Record<string, Theirs> = {};
  for (const res of py.results) theirs[res.model] = { nondp: res.modes.nondp?.median_ms ?? null, hooks: res.modes.hooks?.median_ms ?? null, ghost: res.modes.ghost?.median_ms ?? null };
  roundsOut.push({ round: r + 1, trustnlu: { load: [before, mid], cases: ours }, opacus: { load: [mid, load()], cases: theirs, env: py.env } });
}

const round1 = (x: number) => Number(x.toFixed(1));
const summary = Object.entries(MODEL).map(([ours, theirs]) => {
  const pick = <T>(f: (x: (typeof roundsOut)[number]) => T | null | undefined) => roundsOut.map(f).filter((v): v is T => v !== null && v !== undefined) as number[];
  const med = (xs: number[]) => (xs.length ? round1(median(xs)) : null);
  const bestOpacus = pick((x) => {
    const c = x.opacus.cases[theirs];
    const modes = [c?.hooks, c?.ghost].filter((v): v is number => typeof v === 'number');
    return modes.length ? Math.min(...modes) : null;
  });
  const bestOurs = pick((x) => Math.min(x.trustnlu.cases[ours].dpMs, x.trustnlu.cases[ours].enginesDpMs ?? Infinity));
  return {
    model: ours,
    batch,
    trustnlu: {
      nonDpMs: med(pick((x) => x.trustnlu.cases[ours].nonDpMs)),
      dpMs: med(pick((x) => x.trustnlu.cases[ours].dpMs)),
      [`engines${engines}NonDpMs`]: med(pick((x) => x.trustnlu.cases[ours].enginesNonDpMs)),
      [`engines${engines}DpMs`]: med(pick((x) => x.trustnlu.cases[ours].enginesDpMs)),
      bestDpMs: med(bestOurs),
    },
    pytorch: {
      nonDpMs: med(pick((x) => x.opacus.cases[theirs]?.nondp)),
      hooksMs: med(pick((x) => x.opacus.cases[theirs]?.hooks)),
      ghostMs: med(pick((x) => x.opacus.cases[theirs]?.ghost)),
      bestDpMs: med(bestOpacus),
    },
    /** Our best DP step (this thread or N engines) over Opacus's best mode, per round, then the median. */
    oursOverOpacus: med(roundsOut.map((_, i) => bestOurs[i] / bestOpacus[i])),
  };
});

process.stdout.write(`${JSON.stringify({
  command: `node dist/bench/opacus-side-by-side.js --peer ${flag('peer')} --pythonpath ... --rounds ${rounds} --batch ${batch} --engines ${engines} --steps ${steps}`,
  date: new Date().toISOString(),
  summary,
  rounds: roundsOut,
}, null, 1)}\n`);
