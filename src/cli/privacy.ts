/**
 * `trustnlu privacy epsilon` and `trustnlu privacy noise`: the accountants from the command
 * line (DP-SGD with Poisson sampling rate q, noise multiplier σ, T steps). Parsing only; the
 * maths is src/privacy/accounting.
 */
import type { Command } from 'commander';
import { computeEpsilon, noiseMultiplierForEpsilon, type AccountantName } from '../privacy/index.js';
import { formatNumber, parseChoice, parseInteger, parseNumber, printResult } from './common.js';
import { ACCOUNTANTS } from './train.js';

interface AccountingFlags {
  sampleRate: number;
  steps: number;
  delta: number;
  accountant: AccountantName;
  json?: boolean;
}

function withAccountingOptions(command: Command): Command {
  return command
    .requiredOption('--sample-rate <q>', 'Poisson sampling rate q = expected batch size / N, in (0, 1]', parseNumber('--sample-rate', (n) => n > 0 && n <= 1, 'a number in (0, 1]'))
    .requiredOption('--steps <t>', 'number of DP-SGD steps', parseInteger('--steps', 1))
    .requiredOption('--delta <d>', 'δ, in (0, 1) (below 1/N)', parseNumber('--delta', (n) => n > 0 && n < 1, 'a number in (0, 1)'))
    .option('--accountant <name>', `${ACCOUNTANTS.join(' | ')}: RDP (fast, slightly loose) or PLD (near-tight, slower)`, parseChoice('--accountant', ACCOUNTANTS), 'rdp')
    .option('--json', 'print exactly one JSON object on stdout', false);
}

export function registerPrivacy(program: Command): void {
  const privacy = program.command('privacy').description('differential-privacy accounting for DP-SGD (Poisson-subsampled Gaussian mechanism)');
  withAccountingOptions(
    privacy
      .command('epsilon')
      .description('ε spent by T steps at sampling rate q and noise multiplier σ, for a given δ')
      .requiredOption('--noise-multiplier <s>', 'noise multiplier σ (noise std / clip norm)', parseNumber('--noise-multiplier', (n) => n > 0, 'a number > 0'))
      .addHelpText('after', '\nExample:\n  trustnlu privacy epsilon --sample-rate 0.04 --noise-multiplier 1.5 --steps 2250 --delta 1e-5 --json'),
  ).action((flags: AccountingFlags & { noiseMultiplier: number }) => {
    const r = computeEpsilon({ sampleRate: flags.sampleRate, noiseMultiplier: flags.noiseMultiplier, steps: flags.steps, delta: flags.delta, accountant: flags.accountant });
    const result: { epsilon: number; accountant: AccountantName; order?: number } = { epsilon: r.epsilon, accountant: r.accountant };
    if (r.order !== undefined) result.order = r.order;
    printResult(result, flags.json, () =>
      `ε = ${formatNumber(r.epsilon, 4)} at δ = ${flags.delta} (${r.accountant}${r.order !== undefined ? `, order ${r.order}` : ''})`);
  });
  withAccountingOptions(
    privacy
      .command('noise')
      .description('the smallest noise multiplier σ whose ε for T steps at sampling rate q stays within the target')
      .requiredOption('--epsilon <e>', 'target ε', parseNumber('--epsilon', (n) => n > 0, 'a number > 0'))
      .addHelpText('after', '\nExample:\n  trustnlu privacy noise --epsilon 8 --sample-rate 0.0168 --steps 1190 --delta 1e-5 --json'),
  ).action((flags: AccountingFlags & { epsilon: number }) => {
    const noiseMultiplier = noiseMultiplierForEpsilon({ epsilon: flags.epsilon, sampleRate: flags.sampleRate, steps: flags.steps, delta: flags.delta, accountant: flags.accountant });
    printResult({ noiseMultiplier }, flags.json, () => `noise multiplier σ = ${formatNumber(noiseMultiplier, 4)} (${flags.accountant})`);
  });
}
