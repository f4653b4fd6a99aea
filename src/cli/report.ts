import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { currentBackend } from '../engine/index.js';
import { buildTrustReport, renderTrustReport, requireChartRenderer } from '../report/index.js';
import { progressFor } from '../train/index.js';
import { parseInteger, printResult, startEngine, withCommonOptions } from './common.js';
import { addDataOptions, dataSourceFromFlags, type DataFlags } from './data-options.js';

function parseEpsilons(value: string): number[] {
  const values = value.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new InvalidArgumentError(`--epsilon must be a number > 0 or a comma-separated list of them, got "${value}"`);
  }
  return values;
}

/** Writes a file through a temporary name, so a crash never leaves half a report. */
function writeAtomically(path: string, text: string): void {
  const temporary = `${path}.partial`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}

/**
 * `trustnlu report`: the main job. Trains the default classifier with and without eDP-SGD,
 * audits both (membership inference, canary extraction, fairness probes) and writes
 * OUT/index.html (one self-contained page) and OUT/report.json (every number on the page).
 */
export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('train, audit and write the HTML trust report (privacy, attacks, fairness) for the default classifier')
    .option('--epsilon <e>', 'target ε of the private model (a comma-separated list gives one private model each)', parseEpsilons, [8])
    .option('--delta <d>', 'δ (default min(1e-5, 1/(10N)))', (v: string) => {
      const n = Number(v);
      if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`--delta must be a number in (0, 1), got "${v}"`);
      return n;
    })
    .option('--model <kind>', 'classifier: embbag | cnn | transformer', 'embbag')
    .option('--epochs <n>', 'training epochs (default 6 on real data, 8 on the synthetic set)', parseInteger('--epochs', 1))
    .option('--private-epochs <n>', 'epochs of the private models (default 40)', parseInteger('--private-epochs', 1))
    .option('--shadows <n>', 'LiRA shadow models per audited model', parseInteger('--shadows', 2), 4)
    .option('--audit-examples <n>', 'members audited (and as many non-members)', parseInteger('--audit-examples', 2))
    .option('--workers <n>', 'worker threads for shadow models (0 = this thread)', parseInteger('--workers', 0))
    .option('--seed <n>', 'random seed', parseInteger('--seed', 0), 0)
    .option('--out <dir>', 'output folder', 'out/report');
  addDataOptions(command, { datasetHelp: 'a named intent dataset (default: clinc150 when found, else the synthetic set)', columns: ['group'] });
  withCommonOptions(command).action(
    async (flags: DataFlags & {
      epsilon: number[];
      delta?: number;
      model: string;
      epochs?: number;
      privateEpochs?: number;
      shadows: number;
      auditExamples?: number;
      workers?: number;
      seed: number;
      out: string;
      json?: boolean;
      backend?: 'wasm' | 'cpu';
    }) => {
      const dataset = dataSourceFromFlags(flags);
      await requireChartRenderer('the trust report (its charts)');
    await startEngine(flags);
      const out = resolve(flags.out);
      mkdirSync(out, { recursive: true });
      const argv = process.argv.slice(2).join(' ');
      const report = await buildTrustReport({
        dataset,
        dataDir: flags.dataDir,
        epsilons: flags.epsilon,
        delta: flags.delta,
        model: flags.model,
        epochs: flags.epochs,
        privateEpochs: flags.privateEpochs,
        seed: flags.seed,
        shadows: flags.shadows,
        auditExamples: flags.auditExamples,
        workers: flags.workers,
        modelsDir: join(out, 'models'),
        progress: progressFor({ json: flags.json }),
        command: `trustnlu ${argv}`.trim(),
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, backend: currentBackend() },
      });
      writeAtomically(join(out, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
      writeAtomically(join(out, 'index.html'), await renderTrustReport(report));
      printResult(
        { out, html: join(out, 'index.html'), json: join(out, 'report.json'), seconds: report.seconds, dataset: report.dataset.name, synthetic: report.dataset.synthetic, summary: report.summary },
        flags.json,
        (r: { html: string; seconds: number; summary: string[] }) => [`trust report written to ${r.html} (${r.seconds} s)`, '', ...r.summary.map((s) => `- ${s}`)].join('\n'),
      );
    },
  );
}
