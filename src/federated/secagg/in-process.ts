/**
 * One secure-aggregation session with every client in this process: the driver the
 * simulator, the tests and the benchmark use, and a reference for a networked transport
 * (each `await` below is a message exchange). Dropouts are scripted per stage; the cost of
 * each stage is measured per party (wall time of the client's work, bytes it sends and
 * receives) so the benchmark can report what one client pays.
 */
import { ConfigError } from '../../errors.js';
import { SecAggClient } from './client.js';
import type { SecAggCrypto } from './crypto.js';
import { messageBytes } from './messages.js';
import { nodeSecAggCrypto } from './node-crypto.js';
import { SecAggServer, type SecAggResult, type SecAggServerOptions } from './server.js';

export interface ScriptedDropouts {
  /** Clients that never answer the first request. */
  beforeAdvertise?: number[];
  /** Clients that advertise keys, then go silent. */
  afterAdvertise?: number[];
  /** Clients that send their shares, then go silent (their masks are removed via their masking key). */
  afterShareKeys?: number[];
  /** Clients that send their masked input, then go silent (their input still counts). */
  afterMaskedInput?: number[];
}

export interface InProcessSecAggOptions extends Omit<SecAggServerOptions, 'numClients' | 'vectorLength'> {
  /** One real-valued input per client (all of the same length). */
  inputs: ArrayLike<number>[];
  dropouts?: ScriptedDropouts;
  /** Crypto for the clients (default: the server's). */
  clientCrypto?: SecAggCrypto;
}

export interface StageCost {
  /** Summed over clients: milliseconds of client computation in this stage. */
  clientMs: number;
  /** The server's milliseconds (closing the stage; finishing for unmask). */
  serverMs: number;
  /** Bytes all clients sent / received in this stage. */
  bytesUp: number;
  bytesDown: number;
  /** Clients that took part in this stage. */
  clients: number;
}

export interface InProcessSecAggResult extends SecAggResult {
  costs: { advertise: StageCost; share: StageCost; maskedInput: StageCost; unmask: StageCost };
}

function emptyCost(): StageCost {
  return { clientMs: 0, serverMs: 0, bytesUp: 0, bytesDown: 0, clients: 0 };
}

export async function runSecureAggregation(options: InProcessSecAggOptions): Promise<InProcessSecAggResult> {
  const { inputs } = options;
  if (!Array.isArray(inputs) || inputs.length < 2) throw new ConfigError(`secure aggregation needs at least 2 inputs, got ${inputs?.length ?? 0}`);
  const m = inputs[0].length;
  inputs.forEach((x, i) => {
    if (x.length !== m) throw new ConfigError(`secure aggregation: input ${i} has ${x.length} values, input 0 has ${m}`);
  });
  const server = new SecAggServer({ ...options, numClients: inputs.length, vectorLength: m });
  const clients = inputs.map(() => new SecAggClient(options.clientCrypto ?? options.crypto ?? nodeSecAggCrypto));
  const drop = options.dropouts ?? {};
  const silent = new Set<number>(drop.beforeAdvertise ?? []);
  const costs = { advertise: emptyCost(), share: emptyCost(), maskedInput: emptyCost(), unmask: emptyCost() };

  const exchange = async <Req extends { index: number }, Rep>(
    requests: Req[],
    cost: StageCost,
    answer: (client: SecAggClient, request: Req) => Promise<Rep>,
    receive: (reply: Rep) => void,
  ) => {
    for (const request of requests) {
      cost.bytesDown += messageBytes(request);
      if (silent.has(request.index)) continue;
      const started = performance.now();
      const reply = await answer(clients[request.index], request);
      cost.clientMs += performance.now() - started;
      cost.bytesUp += messageBytes(reply);
      cost.clients++;
      receive(reply);
    }
  };
  const timed = async <T>(cost: StageCost, run: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    const out = await run();
    cost.serverMs += performance.now() - started;
    return out;
  };

  const advertise = server.advertiseRequests();
  await exchange(advertise, costs.advertise, (c, r) => c.advertiseKeys(r), (r) => server.receiveAdvertiseKeys(r));
  for (const u of drop.afterAdvertise ?? []) silent.add(u);
  const shareRequests = await timed(costs.advertise, () => server.closeAdvertiseKeys());
  await exchange(shareRequests, costs.share, (c, r) => c.shareKeys(r), (r) => server.receiveShareKeys(r));
  for (const u of drop.afterShareKeys ?? []) silent.add(u);
  const maskRequests = await timed(costs.share, () => server.closeShareKeys());
  await exchange(maskRequests, costs.maskedInput, (c, r) => c.maskedInput(r, inputs[r.index]), (r) => server.receiveMaskedInput(r));
  for (const u of drop.afterMaskedInput ?? []) silent.add(u);
  const unmaskRequests = await timed(costs.maskedInput, () => server.closeMaskedInput());
  await exchange(unmaskRequests, costs.unmask, (c, r) => c.unmask(r), (r) => server.receiveUnmask(r));
  const result = await timed(costs.unmask, () => server.finish());
  return { ...result, costs };
}
