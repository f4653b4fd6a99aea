/**
 * `trustnlu study NAME [--quick]`: runs a registered study through the study runner (results.json,
 * a markdown table and SVG charts in docs/studies/NAME or --out). STUDIES is the registry: add a
 * StudyDefinition to it to make a study runnable from the command line.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { distillationStudy } from '../studies/distillation.js';
import { dpUtilityStudy } from '../studies/dp-utility.js';
import { extractionStudy } from '../studies/extraction.js';
import { fairnessMetricsStudy } from '../studies/fairness-metrics.js';
import { federatedAnalyticsStudy } from '../studies/federated-analytics.js';
import { flLabelsStudy } from '../studies/fl-labels.js';
import { flNlpStudy } from '../studies/fl-nlp.js';
import { flSelectionStudy } from '../studies/fl-selection.js';
import { leakageStudy } from '../studies/leakage.js';
import { exposureStudy } from '../studies/exposure.js';
import { textPrivacyStudy } from '../studies/text-privacy.js';
import { runStudy, type StudyDefinition } from '../studies/index.js';
import { progressFor } from '../train/index.js';
import { requireChartRenderer } from '../report/charts.js';
import { parseInteger, printResult, startEngine, withCommonOptions } from './common.js';
import { addQueueOptions, queueRunOptions, type QueueFlags } from './queue-options.js';

/** The studies whose jobs (simulated clients, shadow models) can run on the Redis queue. */
const QUEUE_STUDIES = ['fl-selection', 'fl-nlp', 'fl-labels', 'leakage'];

/** Every study the CLI can run, by name. */
export const STUDIES: StudyDefinition[] = [dpUtilityStudy, fairnessMetricsStudy, distillationStudy, flSelectionStudy, flNlpStudy, flLabelsStudy, leakageStudy, exposureStudy, textPrivacyStudy, federatedAnalyticsStudy, extractionStudy];

export function registerStudy(program: Command): Command {
  const command = program
    .command('study')
    .description('run a reproducible study (results.json, markdown table, charts); no name lists the studies')
    .argument('[name]', 'study name')
    .option('--quick', 'small, fast settings (smoke runs and tests); the results say so', false)
    .option('--seed <n>', 'seed', parseInteger('--seed', 0), 0)
    .option('--out <dir>', 'output folder (default docs/studies/NAME)')
    .option('--data-dir <dir>', 'data directory')
    .option('--dataset <name>', 'dataset, for studies that take one (e.g. dp-utility)')
    .option('--parts <list>', 'comma-separated parts to run, for studies that have parts (e.g. leakage: its arms); default all');
  addQueueOptions(command, `simulated clients and shadow models of the studies ${QUEUE_STUDIES.join(', ')}`);
  withCommonOptions(command).action(async (name: string | undefined, flags: Omit<QueueFlags, 'workers'> & { quick: boolean; seed: number; out?: string; dataDir?: string; dataset?: string; parts?: string; json?: boolean; backend?: 'wasm' | 'cpu' }) => {
    if (!name) {
      printResult({ studies: STUDIES.map((s) => ({ name: s.name, title: s.title })) }, flags.json, (r: { studies: { name: string; title: string }[] }) =>
        r.studies.map((s) => `${s.name}\t${s.title}`).join('\n'),
      );
      return;
    }
    const study = STUDIES.find((s) => s.name === name);
    if (!study) throw new UsageError(`unknown study "${name}"; studies: ${STUDIES.map((s) => s.name).join(', ')}`);
    if (flags.dataset !== undefined && !study.takesDataset) throw new UsageError(`study "${name}" takes no --dataset (it fixes its own data)`);
    const parts = flags.parts === undefined ? undefined : studyParts(study, flags.parts);
    if (flags.queue && !QUEUE_STUDIES.includes(name)) throw new UsageError(`study "${name}" runs no jobs on the queue (--queue serves ${QUEUE_STUDIES.join(', ')}): drop --queue`);
    const progress = progressFor({ json: flags.json });
    const queue = queueRunOptions(flags, progress, false);
    await requireChartRenderer('studies (their charts)');
    await startEngine(flags);
    const commandLine = ['trustnlu study', name, flags.dataset ? `--dataset ${flags.dataset}` : '', flags.quick ? '--quick' : '', flags.seed ? `--seed ${flags.seed}` : '', parts ? `--parts ${parts.join(',')}` : ''].filter(Boolean).join(' ');
    const output = await runStudy(study, { seed: flags.seed, quick: flags.quick, dataDir: flags.dataDir, dataset: flags.dataset, progress, ...(parts ? { parts } : {}), ...(queue ? { queue } : {}) }, { out: flags.out, command: commandLine });
    printResult({ study: name, quick: flags.quick, seconds: output.seconds, files: output.files, rows: output.rows }, flags.json, (r: { files: string[]; seconds: number }) =>
      `${name}: ${r.seconds.toFixed(1)} s\n${r.files.join('\n')}`,
    );
  });
  return command;
}

/** The --parts list, checked against the parts the study knows. */
function studyParts(study: StudyDefinition, list: string): string[] {
  if (!study.parts) throw new UsageError(`study "${study.name}" has no parts to choose from: drop --parts`);
  const parts = list.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !study.parts!.includes(p));
  if (parts.length === 0 || unknown.length > 0) {
    throw new UsageError(`--parts ${unknown.length ? `names unknown parts (${unknown.join(', ')})` : 'is empty'}: study "${study.name}" has ${study.parts.join(', ')}`);
  }
  return study.parts.filter((p) => parts.includes(p));
}
