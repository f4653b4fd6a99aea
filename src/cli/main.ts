/**
 * The trustnlu command line. Parsing only: every command calls the library. Usage errors
 * (unknown flags, bad values) exit with code 2 and a one-line message; other failures
 * exit 1 with the error's message, never a stack trace (TRUSTNLU_DEBUG=1 shows it).
 */
import { Command, CommanderError } from 'commander';
import { TrustnluError } from '../errors.js';
import { registerAudit } from './audit.js';
import { registerBench } from './bench.js';
import { registerData } from './data.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerFairness } from './fairness.js';
import { registerFl } from './fl.js';
import { registerPredict } from './predict.js';
import { registerPrivacy } from './privacy.js';
import { registerPrivatize } from './privatize.js';
import { registerReport } from './report.js';
import { registerStudy } from './study.js';
import { registerTrain } from './train.js';
import { registerWorker } from './worker.js';

/**
 * Required options are checked after unknown options (commander checks them first, so a
 * misspelt required flag would be reported as the correct flag missing, never naming the typo).
 */
function checkRequiredAfterUnknown(command: Command): void {
  const required = command.options.filter((o) => o.mandatory);
  if (required.length === 0) return;
  for (const option of required) option.mandatory = false;
  command.hook('preAction', (_self, action) => {
    if (action !== command) return;
    for (const option of required) {
      if (command.getOptionValue(option.attributeName()) === undefined) {
        command.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue', exitCode: 2 });
      }
    }
  });
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('trustnlu')
    .description('Trustworthy NLU in TypeScript: private training, federated learning and fairness for intent classifiers and small language models')
    .version('0.1.0')
    .exitOverride()
    // main() prints usage errors as one line; help still goes to stderr for a bare command group.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });
  registerData(program);
  registerAudit(program);
  registerTrain(program);
  registerEval(program);
  registerPredict(program);
  registerDemo(program);
  registerFairness(program);
  registerStudy(program);
  registerFl(program);
  registerPrivacy(program);
  registerPrivatize(program);
  registerReport(program);
  registerBench(program);
  registerWorker(program);
  // Every sub-command reports usage errors through the same path.
  const applyOverride = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });
    checkRequiredAfterUnknown(c);
    c.commands.forEach(applyOverride);
  };
  program.commands.forEach(applyOverride);
  return program;
}

/** The name of the (sub)command argv addresses, for the "see --help" hint. */
function commandPath(program: Command, argv: string[]): string {
  const names = ['trustnlu'];
  let command: Command | undefined = program;
  for (const arg of argv) {
    if (arg.startsWith('-')) break;
    const next: Command | undefined = command?.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!next) break;
    names.push(arg);
    command = next;
  }
  return names.join(' ');
}

/** Commander's message as one line: "unknown option '--epoch'\n(Did you mean --epochs?)" → "unknown option --epoch; did you mean --epochs?". */
export function usageLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/'(--?[\w-]+)(?: <[^>]+>| \[[^\]]+\])?'/g, '$1')
    .replace(/^unknown command '([^']+)'/, 'unknown command $1')
    .split('\n')
    .map((part) => part.trim().replace(/^\((.*)\)$/, '$1'))
    .filter((part) => part !== '')
    .map((part, i) => (i > 0 ? part.charAt(0).toLowerCase() + part.slice(1) : part))
    .join('; ');
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // A command group without its sub-command: its help was printed; that is a usage error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? 0 : 2;
      const line = `${usageLine(error.message)} (see ${commandPath(program, argv)} --help)`;
      process.stderr.write(`trustnlu: ${line}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: { type: 'UsageError', message: line } })}\n`);
      return 2;
    }
    const err = error as Error;
    const exitCode = error instanceof TrustnluError ? error.exitCode : 1;
    const message = `${err.message ?? String(error)}`.split('\n')[0];
    process.stderr.write(`trustnlu: ${message}\n`);
    if (process.env.TRUSTNLU_DEBUG) process.stderr.write(`${err.stack}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { type: err.name, message } })}\n`);
    return exitCode;
  }
}
