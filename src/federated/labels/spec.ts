/**
 * Where device labels come from, as `trustnlu fl simulate --labels` spells it, parsed before
 * any data is loaded:
 *   gold            every device holds its examples' true labels (supervised FL)
 *   feedback[:NOISE] devices hold unlabelled utterances; a simulated user reacts to the
 *                   deployed model's prediction, and with probability NOISE the reaction is
 *                   the wrong one (default 0)
 *   semi:FRACTION   a labelled FRACTION of the training split stays on the server; devices
 *                   train on confident pseudo-labels (SemiFL-style alternation)
 */
import { ConfigError } from '../../errors.js';

export type LabelSpec = { kind: 'gold' } | { kind: 'feedback'; noise: number } | { kind: 'semi'; labelledFraction: number };

export const LABEL_FORMS = ['gold', 'feedback', 'feedback:NOISE', 'semi:FRACTION'] as const;

export function parseLabelSpec(text: string): LabelSpec {
  const [name, ...args] = String(text).trim().toLowerCase().split(':');
  const fail = (why: string): never => {
    throw new ConfigError(`invalid labels "${text}": ${why}; valid forms: ${LABEL_FORMS.join(' | ')}`);
  };
  const number = (raw: string, what: string, ok: (n: number) => boolean, requirement: string): number => {
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n) || !ok(n)) fail(`${what} must be ${requirement}, got "${raw}"`);
    return n;
  };
  if (name === 'gold') {
    if (args.length) fail('"gold" takes no parameter');
    return { kind: 'gold' };
  }
  if (name === 'feedback') {
    if (args.length > 1) fail('"feedback" takes at most one parameter, NOISE');
    return { kind: 'feedback', noise: args.length ? number(args[0], 'NOISE', (n) => n >= 0 && n <= 1, 'in [0, 1]') : 0 };
  }
  if (name === 'semi') {
    if (args.length !== 1) fail('"semi" needs FRACTION, the labelled share of the training split kept on the server');
    return { kind: 'semi', labelledFraction: number(args[0], 'FRACTION', (n) => n > 0 && n < 1, 'in (0, 1)') };
  }
  return fail(`unknown label source "${name}"`);
}
