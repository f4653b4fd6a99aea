/**
 * The simulator's registered clients: ids, example counts, index lists (one Int32Array
 * each, 4 bytes per example) and the last training loss (for loss-based selection). No
 * model or optimiser state is kept per client, so memory grows with the data, not with
 * clients × parameters; a `ClientStateStore` opts a run into per-client state.
 */
import { ConfigError } from '../../errors.js';
import type { PartitionClient } from '../../data/partition/index.js';
import type { ClientInfo } from '../selection/index.js';
import type { LocalOptimizerState } from '../client/index.js';

export class ClientRegistry {
  private readonly byId = new Map<string, { info: ClientInfo; indices: Int32Array }>();
  private readonly ordered: ClientInfo[] = [];

  /** Clients without examples are left out (they cannot train, and samplers need nₖ > 0). */
  constructor(clients: readonly PartitionClient[]) {
    for (const c of clients) {
      if (this.byId.has(c.id)) throw new ConfigError(`client registry: client id "${c.id}" appears twice`);
      if (c.indices.length === 0) continue;
      const info: ClientInfo = { id: c.id, numExamples: c.indices.length };
      this.byId.set(c.id, { info, indices: Int32Array.from(c.indices) });
      this.ordered.push(info);
    }
  }

  get size(): number {
    return this.ordered.length;
  }

  /** Every client, in registration order (the objects are live: lastLoss is updated in place). */
  infos(): readonly ClientInfo[] {
    return this.ordered;
  }

  indicesOf(id: string): Int32Array {
    const entry = this.byId.get(id);
    if (!entry) throw new ConfigError(`client registry: no client "${id}"`);
    return entry.indices;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Records the client's latest training loss (read by loss-based samplers). */
  recordLoss(id: string, loss: number): void {
    const entry = this.byId.get(id);
    if (entry && Number.isFinite(loss)) entry.info.lastLoss = loss;
  }

  /** Total examples over all clients. */
  totalExamples(): number {
    return this.ordered.reduce((s, c) => s + c.numExamples, 0);
  }
}

/** Per-client state kept across rounds (here: the client's local optimiser state). */
export interface ClientStateStore {
  get(clientId: string): LocalOptimizerState | undefined;
  set(clientId: string, state: LocalOptimizerState): void;
  readonly size: number;
}

/** A ClientStateStore in memory (one optimiser state per client that has trained). */
export class MemoryClientStateStore implements ClientStateStore {
  private readonly states = new Map<string, LocalOptimizerState>();
  get(clientId: string): LocalOptimizerState | undefined {
    return this.states.get(clientId);
  }
  set(clientId: string, state: LocalOptimizerState): void {
    this.states.set(clientId, state);
  }
  get size(): number {
    return this.states.size;
  }
}
