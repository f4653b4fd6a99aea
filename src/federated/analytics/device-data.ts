/**
 * Who holds what in a simulation. Real user ids when the data has them (a user column);
 * otherwise the examples are dealt to N simulated users by an IID partition (a random
 * permutation cut into N near-equal runs, data/partition), reproducible from the seed. No
 * intent dataset shipped here has user ids, so CLINC150 and SLURP users are always simulated.
 */
import { ConfigError } from '../../errors.js';
import { SeededRandom } from '../../engine/random.js';
import { iidPartition } from '../../data/partition/index.js';

export interface HeldText {
  user: string;
  text: string;
  label?: string;
}

export type UserAssignment = { kind: 'column' } | { kind: 'iid'; users: number; seed: number };

/** Texts with their holder: the examples' own `user` field, or an IID deal to N users. */
export function assignUsers(examples: readonly { text: string; label?: string; user?: string }[], assignment: UserAssignment): HeldText[] {
  if (examples.length === 0) throw new ConfigError('no examples to hand to users (is the label filter too narrow?)');
  if (assignment.kind === 'column') {
    return examples.map((e, i) => {
      if (e.user === undefined) throw new ConfigError(`example ${i} has no user; name the user column, or deal the examples to simulated users`);
      return { user: e.user, text: e.text, ...(e.label !== undefined ? { label: e.label } : {}) };
    });
  }
  const { users, seed } = assignment;
  if (!Number.isInteger(users) || users < 1) throw new ConfigError(`number of users must be an integer ≥ 1, got ${users}`);
  if (users > examples.length) throw new ConfigError(`${users} users but only ${examples.length} examples: every simulated user needs at least one`);
  const partition = iidPartition(examples.length, users, new SeededRandom(seed).fork('analytics-users'));
  const out: HeldText[] = [];
  for (const client of partition.clients) {
    for (const i of client.indices) {
      const e = examples[i];
      out.push({ user: client.id, text: e.text, ...(e.label !== undefined ? { label: e.label } : {}) });
    }
  }
  return out;
}
