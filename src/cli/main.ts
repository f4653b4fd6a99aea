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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('trustnlu')
    .description('Trustworthy NLU in TypeScript: private training, federated learning and fairness for intent classifiers and small language models')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
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
  // Every sub-command reports usage errors through the same path.
  const applyOverride = (c: Command) => {
    c.exitOverride();
    c.showHelpAfterError('(add --help for usage)');
    c.commands.forEach(applyOverride);
  };
  program.commands.forEach(applyOverride);
  return program;
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
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      // commander already printed its message
      if (json) process.stdout.write(`${JSON.stringify({ error: { type: 'UsageError', message: error.message.replace(/^error: /, '') } })}\n`);
      return 2;
    }
    const err = error as Error;
    const exitCode = error instanceof TrustnluError ? error.exitCode : 1;
    process.stderr.write(`trustnlu: ${err.message}\n`);
    if (process.env.TRUSTNLU_DEBUG) process.stderr.write(`${err.stack}\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { type: err.name, message: err.message } })}\n`);
    return exitCode;
  }
}
