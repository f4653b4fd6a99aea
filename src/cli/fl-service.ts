/**
 * `trustnlu fl serve | client | loadtest`: the federated service from the command line.
 * Parsing only; the server is src/federated/server, the clients src/federated/client.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DATASETS } from '../data/registry.js';
import { MODEL_KINDS } from '../models/index.js';
import { progressFor } from '../train/index.js';
import { ConfigError } from '../errors.js';
import { runLoadTest, startFederationService, type LoadTestResult } from '../federated/server/index.js';
import { isClusterWorker, leaveCluster, notifyPrimary, primaryGone, superviseWorkers } from '../federated/server/worker-cluster.js';
import { RedisFederationStore, isRedisLocation, normalizeRedisPrefix, parseRedisUrl } from '../federated/store/index.js';
import { RemoteSession } from '../federated/client/remote-session.js';
import { runRemoteClient, type RemoteRunSummary } from '../federated/client/remote-runner.js';
import { formatNumber, parseChoice, parseDpClip, parseInteger, parseJsonObject, parseNumber, printResult, withCommonOptions } from './common.js';

function parseUrl(name: string): (value: string) => string {
  return (value) => {
    try {
      const u = new URL(value);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      return value.replace(/\/+$/, '');
    } catch {
      throw new InvalidArgumentError(`${name} must be an http:// or https:// URL, e.g. http://127.0.0.1:8080, got "${value}"`);
    }
  };
}

interface ServeFlags {
  dataset?: string;
  params?: number;
  partition: string;
  clients: number;
  model: string;
  modelConfig?: Record<string, unknown>;
  strategy: string;
  rounds: number;
  clientsPerRound: number;
  minClients: number;
  minUpdates?: number;
  overSelect: number;
  roundTimeout: number;
  availabilityWindow: number;
  pollInterval: number;
  maxUpdateNorm: number;
  localEpochs: number;
  batch: number;
  lr?: number;
  localOptimizer: 'sgd' | 'adam';
  maxLocalSteps: number;
  seed: number;
  state: string;
  store?: string;
  redisPrefix?: string;
  workers: number;
  fsync: 'normal' | 'full';
  host: string;
  port: number;
  clientRateLimit: number;
  addressRateLimit: number;
  exitWhenDone?: boolean;
  dpClip?: number | 'auto';
  dpNoise?: number;
  dpEpsilon?: number;
  dpDelta: number;
  dpPopulation?: number;
  secagg?: boolean;
  tlsKey?: string;
  tlsCert?: string;
  secaggRange?: number;
  secaggStageTimeout: number;
  dataDir?: string;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

interface ClientFlags {
  server: string;
  dataset?: string;
  clientId: string;
  tokenFile?: string;
  maxUpdates?: number;
  timeLimit?: number;
  dataDir?: string;
  json?: boolean;
  backend?: 'wasm' | 'cpu';
}

interface LoadTestFlags {
  clients: number;
  rounds: number;
  params: number;
  dropout: number;
  trainMs: number;
  httpClient: 'node' | 'fetch';
  server?: string;
  store?: string;
  workers: number;
  roundTimeout?: number;
  seed: number;
  timeLimit: number;
  json?: boolean;
}

const positive = (name: string) => parseNumber(name, (n) => n > 0, 'a number > 0');

function parseStoreUrl(value: string): string {
  if (!isRedisLocation(value)) throw new InvalidArgumentError(`--store takes a redis://host:port[/db] URL, got "${value}"; a SQLite file is given with --state FILE`);
  try {
    parseRedisUrl(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return value;
}

function parseRedisPrefix(value: string): string {
  try {
    return normalizeRedisPrefix(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

export function registerFlService(fl: Command): void {
  const serve = fl
    .command('serve')
    .description('run a federated-learning server (HTTP, protocol v1) with durable state in SQLite')
    .option('--dataset <name>', `serve a real model for this dataset: ${DATASETS.map((d) => d.name).join(', ')}`)
    .option('--params <n>', 'serve a synthetic model of n parameters instead (protocol and load tests)', parseInteger('--params', 1))
    .option('--partition <spec>', 'how the dataset is split into clients (iid, dirichlet:ALPHA, quantity:BETA, domain, ...)', 'iid')
    .option('--clients <n>', 'clients of the iid / dirichlet / quantity partition', parseInteger('--clients', 1), 10)
    .option('--model <kind>', `model: ${MODEL_KINDS.join(', ')}`, parseChoice('--model', MODEL_KINDS), 'embbag')
    .option('--model-config <json>', 'architecture overrides as JSON', parseJsonObject('--model-config'))
    .option('--strategy <spec>', 'fedavg | fedprox:MU | fedavgm | fedadagrad | fedadam | fedyogi | median | trimmed:BETA | krum:F | multikrum:F:M', 'fedavg')
    .option('--rounds <n>', 'rounds to complete, then clients are told they are done', parseInteger('--rounds', 1), 10)
    .option('--clients-per-round <k>', 'updates that complete a round', parseInteger('--clients-per-round', 1), 5)
    .option('--min-clients <n>', 'available clients needed to open a round', parseInteger('--min-clients', 1), 2)
    .option('--min-updates <n>', 'updates needed to aggregate at the deadline (default: --min-clients)', parseInteger('--min-updates', 1))
    .option('--over-select <f>', 'select this fraction more clients than --clients-per-round; the slowest are dropped', parseNumber('--over-select', (n) => n >= 0 && n <= 10, 'in [0, 10]'), 0)
    .option('--round-timeout <s>', 'round deadline in seconds', positive('--round-timeout'), 60)
    .option('--availability-window <s>', 'a client is available if it checked in within this many seconds', positive('--availability-window'), 30)
    .option('--poll-interval <ms>', 'how long idle clients are told to wait', parseInteger('--poll-interval', 10), 1000)
    .option('--max-update-norm <x>', 'largest accepted update norm ‖Δ‖₂', positive('--max-update-norm'), 1e4)
    .option('--local-epochs <e>', 'local epochs per round', parseInteger('--local-epochs', 1), 1)
    .option('--batch <n>', 'local batch size', parseInteger('--batch', 1), 32)
    .option('--lr <rate>', 'client learning rate (default 1e-3 with adam, 0.1 with sgd)', positive('--lr'))
    .option('--local-optimizer <name>', 'client optimiser: sgd | adam', parseChoice('--local-optimizer', ['sgd', 'adam'] as const), 'adam')
    .option('--max-local-steps <n>', 'cap on local steps per round (0 = none)', parseInteger('--max-local-steps', 0), 0)
    .option('--seed <n>', 'seed of the partition, model initialisation and selection', parseInteger('--seed', 0), 0)
    .option('--state <file>', 'SQLite state file (created, or resumed after a crash)', 'fl-state.db')
    .option('--store <url>', 'keep the state in Redis instead: redis://host:port[/db] (needed for --workers > 1)', parseStoreUrl)
    .option('--redis-prefix <prefix>', 'key prefix of this federation in Redis (several federations can share one Redis)', parseRedisPrefix, 'trustnlu:fl:default:')
    .option('--workers <n>', 'server processes sharing the port (node:cluster); > 1 needs --store redis://...', parseInteger('--workers', 1), 1)
    .option('--fsync <mode>', 'normal (survives kill -9) | full (also survives power loss)', parseChoice('--fsync', ['normal', 'full'] as const), 'normal')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', parseInteger('--port', 0), 8080)
    .option('--client-rate-limit <n>', 'requests per second per client (burst 2x)', parseInteger('--client-rate-limit', 1), 20)
    .option('--address-rate-limit <n>', 'unauthenticated requests per second per address (burst 10x)', parseInteger('--address-rate-limit', 1), 200)
    .option('--dp-clip <C|auto>', 'user-level DP (DP-FedAvg): clients clip updates to norm C, or "auto" (adaptive clipping: the server clips, or under --secagg the clients clip and send their unclipped bit in the masked sum); Gaussian noise at the server', parseDpClip)
    .option('--dp-noise <sigma>', 'DP-FedAvg noise multiplier σ (or give --dp-epsilon)', parseNumber('--dp-noise', (n) => n >= 0, 'a number ≥ 0'))
    .option('--dp-epsilon <e>', 'DP-FedAvg: calibrate σ so that ε after --rounds rounds is at most e', positive('--dp-epsilon'))
    .option('--dp-delta <d>', 'DP-FedAvg δ', parseNumber('--dp-delta', (n) => n > 0 && n < 1, 'in (0, 1)'), 1e-5)
    .option('--dp-population <n>', 'DP-FedAvg: clients in the federation (default: the partition\'s client count)', parseInteger('--dp-population', 1))
    .option('--secagg', 'secure aggregation (SecAgg+): clients send only masked inputs; the server sees the sum', false)
    .option('--secagg-range <r>', 'fixed-point range: each coordinate of a weighted update is clipped to [-r, r] (default 1, or the --dp-clip norm)', positive('--secagg-range'))
    .option('--secagg-stage-timeout <s>', 'deadline of each secure-aggregation stage in seconds', positive('--secagg-stage-timeout'), 30)
    .option('--tls-key <file>', 'serve HTTPS: PEM private key (with --tls-cert)')
    .option('--tls-cert <file>', 'serve HTTPS: PEM certificate chain (with --tls-key)')
    .option('--exit-when-done', 'stop once all rounds are complete', false)
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)')
    .addHelpText(
      'after',
      [
        '',
        'Pages: /dashboard (rounds, clients, accuracy), /client (browser client), /openapi.json (protocol).',
        'Stop with Ctrl-C (SIGINT/SIGTERM): state is already on disk; start again with the same flags to resume.',
        '',
        'Examples:',
        '  trustnlu fl serve --dataset synthetic --clients 8 --clients-per-round 4 --rounds 5 --state /tmp/fl.db',
        '  trustnlu fl serve --params 1000 --clients-per-round 100 --min-clients 100 --port 0 --json',
        '  trustnlu fl serve --params 1000 --clients-per-round 100 --store redis://127.0.0.1:6379/0 --workers 2 --port 8080',
      ].join('\n'),
    );
  withCommonOptions(serve).action(async (flags: ServeFlags) => {
    // usage errors found after parsing: printed like commander's own, exit code 2
    const usage = (message: string): never => serve.error(`error: ${message}`, { exitCode: 2, code: 'commander.invalidArgument' });
    if ((flags.dataset === undefined) === (flags.params === undefined)) {
      usage('give exactly one of --dataset NAME (a real model) and --params N (a synthetic one)');
    }
    if (flags.dpClip === undefined && (flags.dpNoise !== undefined || flags.dpEpsilon !== undefined)) {
      usage('--dp-noise / --dp-epsilon need --dp-clip C (the clip norm of DP-FedAvg)');
    }
    if (flags.dpClip !== undefined && (flags.dpNoise === undefined) === (flags.dpEpsilon === undefined)) {
      usage('with --dp-clip give exactly one of --dp-noise SIGMA and --dp-epsilon E');
    }
    if ((flags.tlsKey === undefined) !== (flags.tlsCert === undefined)) usage('give both --tls-key and --tls-cert, or neither');
    for (const file of [flags.tlsKey, flags.tlsCert]) {
      if (file !== undefined && !existsSync(file)) usage(`TLS file "${file}" does not exist`);
    }
    if (flags.store !== undefined && serve.getOptionValueSource('state') === 'cli') usage('give --state FILE (SQLite) or --store redis://... (Redis), not both');
    if (serve.getOptionValueSource('redisPrefix') === 'cli' && flags.store === undefined) usage('--redis-prefix needs --store redis://host:port[/db]');
    if (flags.workers > 1) {
      if (flags.store === undefined) usage('--workers > 1 needs a store the processes share: add --store redis://host:port[/db]');
    }
    const progress = progressFor({ json: flags.json });
    if (flags.workers > 1 && !isClusterWorker()) {
      // the primary: check the store is reachable once (a clear error here, not N times), then supervise
      const probe = await RedisFederationStore.connect(flags.store!, { prefix: flags.redisPrefix });
      await probe.close();
      const outcome = await superviseWorkers({ workers: flags.workers, onEvent: (event, data) => progress.event(event, data) });
      if (outcome.exitCode !== 0) {
        process.exitCode = outcome.exitCode;
        return;
      }
      printResult(
        (outcome.result ?? { url: outcome.url, store: flags.store, workers: flags.workers }) as Record<string, unknown>,
        flags.json,
        (r) => `stopped ${flags.workers} workers (${outcome.restarts} restarts)${r.roundsCompleted !== undefined ? ` after ${String(r.roundsCompleted)} completed rounds (model version ${String(r.modelVersion)})` : ''}`,
      );
      return;
    }
    const worker = isClusterWorker();
    const localOptimizer = flags.localOptimizer;
    const service = await startFederationService({
      source:
        flags.params !== undefined
          ? { kind: 'synthetic', parameters: flags.params }
          : {
              kind: 'dataset',
              dataset: flags.dataset!,
              partition: flags.partition,
              numClients: flags.clients,
              model: flags.model,
              modelConfig: flags.modelConfig,
              seed: flags.seed,
              dataDir: flags.dataDir,
              backend: flags.backend,
            },
      strategy: flags.strategy,
      statePath: flags.state,
      ...(flags.store !== undefined ? { store: flags.store, redisPrefix: flags.redisPrefix } : {}),
      sharedWithOtherProcesses: worker,
      fsync: flags.fsync,
      policy: {
        rounds: flags.rounds,
        targetUpdates: flags.clientsPerRound,
        minClients: flags.minClients,
        minUpdates: flags.minUpdates,
        roundTimeoutMs: flags.roundTimeout * 1000,
        availabilityWindowMs: flags.availabilityWindow * 1000,
        pollIntervalMs: flags.pollInterval,
        maxUpdateNorm: flags.maxUpdateNorm,
        seed: flags.seed,
      },
      overSelection: flags.overSelect,
      ...(flags.secagg ? { secureAggregation: { ...(flags.secaggRange !== undefined ? { range: flags.secaggRange } : {}), stageTimeoutMs: flags.secaggStageTimeout * 1000 } } : {}),
      ...(flags.dpClip !== undefined
        ? { dp: { clip: flags.dpClip, noiseMultiplier: flags.dpNoise, epsilon: flags.dpEpsilon, delta: flags.dpDelta, population: flags.dpPopulation } }
        : {}),
      local: {
        localEpochs: flags.localEpochs,
        batchSize: flags.batch,
        optimizer: localOptimizer,
        learningRate: flags.lr ?? (localOptimizer === 'adam' ? 1e-3 : 0.1),
        maxSteps: flags.maxLocalSteps,
      },
      http: {
        ...(flags.tlsKey ? { tls: { key: readFileSync(flags.tlsKey), cert: readFileSync(flags.tlsCert!) } } : {}),
        clientRateLimit: { perSecond: flags.clientRateLimit, burst: flags.clientRateLimit * 2 },
        addressRateLimit: { perSecond: flags.addressRateLimit, burst: flags.addressRateLimit * 10 },
      },
      host: flags.host,
      port: flags.port,
      onEvent: (event, data) => progress.event(event, data),
    });
    const where = service.store.description;
    if (worker) await notifyPrimary({ kind: 'listening', url: service.url });
    else {
      progress.event('listening', { url: service.url, state: where, dashboard: `${service.url}/dashboard` });
      if (!flags.json) process.stderr.write(`federated server on ${service.url} (dashboard ${service.url}/dashboard, state ${where})\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (worker) primaryGone().then(stop, stop);
      if (flags.exitWhenDone) {
        const timer = setInterval(() => {
          if (service.coordinator.finished) {
            clearInterval(timer);
            // linger so that waiting clients learn at their next check-in that the federation is done
            setTimeout(resolve, Math.max(3000, 3 * flags.pollInterval)).unref();
          }
        }, 200);
      }
    });
    const status = service.coordinator.status();
    await service.close();
    const summary = { url: service.url, state: where, roundsCompleted: status.roundsCompleted, modelVersion: status.modelVersion, registeredClients: status.registeredClients, curve: status.curve };
    if (worker) {
      // the primary prints one result for all workers
      await notifyPrimary({ kind: 'result', result: summary });
      if (status.finished) await notifyPrimary({ kind: 'finished' });
      leaveCluster();
      return;
    }
    printResult(
      summary,
      flags.json,
      (r) => `stopped after ${r.roundsCompleted} completed rounds (model version ${r.modelVersion}, ${r.registeredClients} clients)`,
    );
  });

  const client = fl
    .command('client')
    .description('join a federation as a Node client: train locally with tfjs on this client\'s data and submit updates')
    .requiredOption('--server <url>', 'server base URL, e.g. http://127.0.0.1:8080', parseUrl('--server'))
    .requiredOption('--client-id <id>', 'this client\'s id in the federation\'s partition (see GET /v1/federation)')
    .option('--dataset <name>', 'the local dataset (must be the federation\'s)')
    .option('--token-file <file>', 'keep the bearer token here, to rejoin after a restart')
    .option('--max-updates <n>', 'stop after this many submitted updates', parseInteger('--max-updates', 1))
    .option('--time-limit <s>', 'stop after this many seconds', positive('--time-limit'))
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)');
  withCommonOptions(client).action(async (flags: ClientFlags) => {
    const progress = progressFor({ json: flags.json });
    const session = new RemoteSession({ server: flags.server });
    const federation = await session.federation();
    const source = federation.source as { kind: string; dataset?: string; partition?: string; numClients?: number; model?: string; modelConfig?: Record<string, unknown>; seed?: number };
    if (source?.kind !== 'dataset') throw new ConfigError(`the server at ${flags.server} serves a synthetic model (${String(federation.name)}); a training client needs a dataset federation (use fl loadtest for synthetic ones)`);
    if (flags.dataset && flags.dataset !== source.dataset) {
      throw new ConfigError(`--dataset ${flags.dataset} does not match the federation's dataset "${source.dataset}"`);
    }
    const [{ initEngine }, { prepareFederatedDataset }, { createModel }, { tokenizerFromJSON }, { LocalTrainingClient, modelLayout }] = await Promise.all([
      import('../engine/index.js'),
      import('../federated/simulation/federated-dataset.js'),
      import('../models/index.js'),
      import('../text/index.js'),
      import('../federated/client/index.js'),
    ]);
    await initEngine({ backend: flags.backend ?? 'wasm' });
    const data = prepareFederatedDataset({
      dataset: source.dataset!,
      partition: source.partition!,
      numClients: source.numClients,
      model: source.model!,
      modelConfig: source.modelConfig,
      seed: source.seed!,
      dataDir: flags.dataDir,
    });
    const mine = data.clients.find((c) => c.id === flags.clientId);
    if (!mine) throw new ConfigError(`client id "${flags.clientId}" is not in the federation's partition; valid ids: ${data.clients.slice(0, 10).map((c) => c.id).join(', ')}${data.clients.length > 10 ? ', ...' : ''}`);
    const model = createModel({ kind: data.model.kind, tokenizer: tokenizerFromJSON(data.model.tokenizer), labels: data.model.labels, seed: data.model.seed, config: data.model.config as never });
    const layout = modelLayout(model);
    if (JSON.stringify(layout) !== JSON.stringify(federation.layout)) {
      throw new ConfigError('the local model\'s parameter layout differs from the server\'s; the local dataset must be the same version as the server\'s');
    }
    const trainer = new LocalTrainingClient(flags.clientId, model, data.train, mine.indices, { outOfScopeIndex: data.outOfScopeIndex });
    const saved = flags.tokenFile && existsSync(flags.tokenFile) ? (JSON.parse(readFileSync(flags.tokenFile, 'utf8')) as { clientId: string; token: string; server: string }) : undefined;
    if (saved && saved.clientId === flags.clientId && saved.server === flags.server) session.useToken(saved.clientId, saved.token);
    else {
      await session.register(flags.clientId, mine.indices.length);
      if (flags.tokenFile) writeFileSync(flags.tokenFile, JSON.stringify({ ...session.credentials, server: flags.server }), { mode: 0o600 });
    }
    progress.event('joined', { server: flags.server, clientId: flags.clientId, examples: mine.indices.length, federation: federation.name });
    const summary = await runRemoteClient({
      session,
      client: trainer,
      maxUpdates: flags.maxUpdates,
      timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
      onEvent: (event, fields) => progress.event(event, fields),
    });
    printResult(summary, flags.json, (s: RemoteRunSummary) => `client ${s.clientId}: ${s.updatesSubmitted} updates submitted (rounds ${s.rounds.join(', ') || 'none'}), ${s.lateUpdates} late; ${s.finished ? 'federation done' : 'stopped'}`);
  });

  const loadtest = fl
    .command('loadtest')
    .description('run N concurrent synthetic clients against a server on loopback (started here, or --server) and check nothing is lost or counted twice')
    .option('--clients <n>', 'concurrent clients', parseInteger('--clients', 1), 100)
    .option('--rounds <n>', 'rounds', parseInteger('--rounds', 1), 3)
    .option('--params <n>', 'parameters of the synthetic model', parseInteger('--params', 1), 1000)
    .option('--dropout <f>', 'probability a selected client does not submit', parseNumber('--dropout', (n) => n >= 0 && n < 1, 'in [0, 1)'), 0)
    .option('--train-ms <ms>', 'simulated local training: each client waits a uniform time in [0, ms] before submitting (0 = all at once)', parseInteger('--train-ms', 0), 0)
    .option('--server <url>', 'use this server (serving a synthetic model) instead of starting one', parseUrl('--server'))
    .option('--store <url>', 'the server started here keeps its state in this Redis (a new key prefix per run): redis://host:port[/db]', parseStoreUrl)
    .option('--workers <n>', 'server processes for the server started here (> 1 needs --store)', parseInteger('--workers', 1), 1)
    .option('--round-timeout <s>', 'round deadline of the server started here (default 30, 5 with --dropout)', positive('--round-timeout'))
    .option('--seed <n>', 'seed (selection, dropout)', parseInteger('--seed', 0), 0)
    .option('--http-client <kind>', 'node (node:http keep-alive, lighter) | fetch (undici, as fl client uses)', parseChoice('--http-client', ['node', 'fetch'] as const), 'node')
    .option('--time-limit <s>', 'stop after this many seconds in any case', positive('--time-limit'), 600)
    .option('--json', 'print exactly one JSON object on stdout; progress as JSON lines on stderr', false);
  loadtest.action(async (flags: LoadTestFlags) => {
    const usage = (message: string): never => loadtest.error(`error: ${message}`, { exitCode: 2, code: 'commander.invalidArgument' });
    if (flags.workers > 1 && flags.store === undefined) usage('--workers > 1 needs --store redis://host:port[/db] (the processes share it)');
    if (flags.server !== undefined && (flags.store !== undefined || flags.workers > 1)) usage('--store and --workers configure the server started here; not with --server URL');
    const progress = progressFor({ json: flags.json });
    const result = await runLoadTest({
      clients: flags.clients,
      rounds: flags.rounds,
      parameters: flags.params,
      dropout: flags.dropout,
      trainMs: flags.trainMs,
      httpClient: flags.httpClient,
      server: flags.server,
      store: flags.store,
      workers: flags.workers,
      roundTimeoutSeconds: flags.roundTimeout,
      seed: flags.seed,
      timeLimitSeconds: flags.timeLimit,
      onEvent: (event, data) => progress.event(event, data),
    });
    printResult(
      result,
      flags.json,
      (r: LoadTestResult) =>
        `${r.clients} clients × ${r.rounds} rounds: ${r.accepted}/${r.expected} updates aggregated, lost ${r.lost}, duplicated ${r.duplicated}; ` +
        `submit p50 ${formatNumber(r.p50Ms, 1)} ms, p99 ${formatNumber(r.p99Ms, 1)} ms, ${formatNumber(r.updatesPerSecond, 1)} updates/s`,
    );
  });
}
