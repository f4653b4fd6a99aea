/**
 * `trustnlu fl serve | client | loadtest`: the federated service from the command line.
 * Parsing only; the server is src/federated/server, the clients src/federated/client.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { DATASETS } from '../data/registry.js';
import { MODEL_KINDS } from '../models/index.js';
import { progressFor } from '../train/index.js';
import { ConfigError } from '../errors.js';
import { ENROLMENT_MODES, runLoadTest, startFederationService, type EnrolmentMode, type LoadTestResult } from '../federated/server/index.js';
import { createInvites } from '../federated/server/enrolment.js';
import { PERSONALISATION_BOUNDS, personalisationProblem } from '../federated/server/evaluation-protocol.js';
import { STRATEGY_FORMS } from '../federated/strategies/index.js';
import { openFederationStore } from '../federated/store/index.js';
import { isClusterWorker, leaveCluster, notifyPrimary, primaryGone, superviseWorkers } from '../federated/server/worker-cluster.js';
import { RedisFederationStore, isRedisLocation, normalizeRedisPrefix, parseRedisUrl } from '../federated/store/index.js';
import { RemoteSession } from '../federated/client/remote-session.js';
import { runRemoteClient, type RemoteRunSummary } from '../federated/client/remote-runner.js';
import type { LocalEvaluator } from '../federated/client/remote-evaluation.js';
import { federationClientTrainer } from './fl-client-model.js';
import { addUserModelOptions, loadUserTextModel, parseModelKindOrPath, type ModelFlags } from './model-options.js';
import { addClientDataOptions, addServeAnalyticsOptions, analyticsOnlyClient, clientLabelSource, readClientData, serveAnalyticsSettings, type ClientDataFlags, type ServeAnalyticsFlags } from './fl-service-extras.js';
import { formatNumber, parseChoice, parseDpClip, parseInteger, parseJsonObject, parseNumber, printResult, startEngine, withCommonOptions } from './common.js';

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

interface ServeFlags extends Omit<ModelFlags, 'model'>, ServeAnalyticsFlags {
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
  enrolRateLimit: number;
  enrolment: EnrolmentMode;
  clientTokens?: string;
  adminTokenFile?: string;
  maxWeight: number;
  normClip: number;
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  maxConnectionsPerAddress: number;
  exitWhenDone?: boolean;
  evaluateEvery?: number;
  evaluationClients?: number;
  personalised?: boolean;
  personalEpochs?: number;
  personalLr?: number;
  personalBatch?: number;
  personalMaxSteps?: number;
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

interface ClientFlags extends Omit<ModelFlags, 'model'>, ClientDataFlags {
  model?: string;
  server: string;
  dataset?: string;
  clientId: string;
  tokenFile?: string;
  enrolmentCode?: string;
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
  adminTokenFile?: string;
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

/** The admin token in `path`, created (256 random bits, mode 0600) when the file does not exist yet. */
function adminToken(path: string): { token: string; created: boolean } {
  if (!existsSync(path)) {
    const token = randomBytes(32).toString('base64url');
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
    return { token, created: true };
  }
  const token = readFileSync(path, 'utf8').trim();
  if (!/^[A-Za-z0-9_-]{32,128}$/.test(token)) throw new ConfigError(`--admin-token-file ${path} must hold one token of 32-128 characters A-Z a-z 0-9 _ - (delete it and the server writes a new one)`);
  return { token, created: false };
}

function parseNormClip(value: string): number {
  if (value === 'off') return 0;
  const n = Number(value);
  if (!(n > 0 && Number.isFinite(n))) throw new InvalidArgumentError(`--norm-clip takes a multiple K > 0 of the round's median update norm, or "off", got "${value}"`);
  return n;
}

function parseRedisPrefix(value: string): string {
  try {
    return normalizeRedisPrefix(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Uses a saved or provisioned token, or enrols (with the invitation code when the federation needs one). */
async function joinFederation(session: RemoteSession, federation: Record<string, unknown>, flags: ClientFlags, examples: number): Promise<void> {
  const saved = flags.tokenFile && existsSync(flags.tokenFile) ? (JSON.parse(readFileSync(flags.tokenFile, 'utf8')) as { clientId: string; token: string; server?: string }) : undefined;
  // a provisioned token file has no server; a saved one is used only for the server it came from
  if (saved && saved.clientId === flags.clientId && (saved.server === undefined || saved.server === flags.server)) session.useToken(saved.clientId, saved.token);
  else if (federation.enrolment === 'tokens') {
    throw new ConfigError(`the server at ${flags.server} enrols clients by provisioned tokens: give --token-file FILE with the {"clientId", "token"} the operator gave you`);
  } else {
    if (federation.enrolment === 'invite' && flags.enrolmentCode === undefined) throw new ConfigError(`the server at ${flags.server} enrols by invitation: give --enrolment-code CODE (from the operator's trustnlu fl invite)`);
    await session.register(flags.clientId, examples, flags.enrolmentCode);
    if (flags.tokenFile) writeFileSync(flags.tokenFile, JSON.stringify({ ...session.credentials, server: flags.server }), { mode: 0o600 });
  }
}

/** The client that trains on feedback instead of gold labels: simulated users on its partition share, or recorded feedback from --data. */
async function feedbackTrainer(
  source: Exclude<ReturnType<typeof clientLabelSource>, { kind: 'gold' }>,
  flags: ClientFlags,
  built: Awaited<ReturnType<typeof federationClientTrainer>>,
  recorded: { text: string; predicted: string; feedback: string; where: string }[] | undefined,
) {
  const [{ SimulatedFeedbackClient, RecordedFeedbackClient }, { tokenizerFromJSON }] = await Promise.all([import('../federated/labels/index.js'), import('../text/index.js')]);
  if (built.model.task !== 'classifier') throw new ConfigError('feedback labels need an intent classifier federation');
  if (source.kind === 'simulated-feedback') {
    const mine = built.data.clients.find((c) => c.id === flags.clientId)!;
    return new SimulatedFeedbackClient(flags.clientId, built.model, built.data.train, mine.indices, { rate: flags.feedbackRate, noise: source.noise, seed: flags.feedbackSeed });
  }
  const tokenizer = tokenizerFromJSON(built.data.model.tokenizer!);
  return new RecordedFeedbackClient(flags.clientId, built.model, recorded as never, tokenizer, built.data.model.config.maxLength as number);
}

export function registerFlService(fl: Command): void {
  const serve = fl
    .command('serve')
    .description('run a federated-learning server (HTTP, protocol v1) with durable state in SQLite')
    .option('--dataset <name>', `serve a real model for this dataset: ${DATASETS.map((d) => d.name).join(', ')}`)
    .option('--params <n>', 'serve a synthetic model of n parameters instead (protocol and load tests)', parseInteger('--params', 1))
    .option('--partition <spec>', 'how the dataset is split into clients (iid, dirichlet:ALPHA, quantity:BETA, domain, ...)', 'iid')
    .option('--clients <n>', 'clients of the iid / dirichlet / quantity partition', parseInteger('--clients', 1), 10)
    .option('--model <kind|path>', `model: ${MODEL_KINDS.join(', ')}, or your TensorFlow.js model.json (or its directory; a classifier of token ids, trained as it is; clients bring the same file)`, parseModelKindOrPath(MODEL_KINDS), 'embbag')
    .option('--model-config <json>', 'architecture overrides as JSON', parseJsonObject('--model-config'))
    .option('--strategy <spec>', STRATEGY_FORMS.join(' | '), 'fedavg')
    .option('--rounds <n>', 'rounds to complete, then clients are told they are done (0: no training, with --analytics)', parseInteger('--rounds', 0), 10)
    .option('--clients-per-round <k>', 'updates that complete a round', parseInteger('--clients-per-round', 1), 5)
    .option('--min-clients <n>', 'available clients needed to open a round', parseInteger('--min-clients', 1), 2)
    .option('--min-updates <n>', 'updates needed to aggregate at the deadline (default: --min-clients)', parseInteger('--min-updates', 1))
    .option('--over-select <f>', 'select this fraction more clients than --clients-per-round; the slowest are dropped', parseNumber('--over-select', (n) => n >= 0 && n <= 10, 'in [0, 10]'), 0)
    .option('--round-timeout <s>', 'round deadline in seconds', positive('--round-timeout'), 60)
    .option('--availability-window <s>', 'a client is available if it checked in within this many seconds', positive('--availability-window'), 30)
    .option('--poll-interval <ms>', 'how long idle clients are told to wait', parseInteger('--poll-interval', 10), 1000)
    .option('--max-update-norm <x>', 'largest accepted update norm ‖Δ‖₂ (larger updates are refused)', positive('--max-update-norm'), 1e4)
    .option('--norm-clip <K|off>', 'clip each update, when a round is aggregated, to K × the median norm of that round\'s updates (off under DP: its clip bounds)', parseNormClip, 3)
    .option('--enrolment <mode>', 'who may join: invite (single-use codes from fl invite or the admin route) | tokens (provisioned --client-tokens file) | open (anyone; demos)', parseChoice('--enrolment', ENROLMENT_MODES), 'invite')
    .option('--client-tokens <file>', 'tokens enrolment: JSON {"clients": [{"clientId", "token" | "tokenSha256", "numExamples"?}]}')
    .option('--admin-token-file <file>', 'enable the admin routes (POST /v1/admin/invites) with the token in this file (created with a new token if missing)')
    .option('--max-weight <w>', 'cap on a client\'s aggregation weight, fixed at enrolment as min(examples, w); 1 = equal weights', parseNumber('--max-weight', (n) => n > 0 && n <= 1e9, 'in (0, 1e9]'), 1)
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
    .option('--enrol-rate-limit <n>', 'enrolment attempts per second per address (burst 10x)', parseInteger('--enrol-rate-limit', 1), 2)
    .option('--headers-timeout <s>', 'request headers must arrive within this many seconds (else 408)', positive('--headers-timeout'), 10)
    .option('--request-timeout <s>', 'a whole request, body included, must arrive within this many seconds (else 408)', positive('--request-timeout'), 60)
    .option('--keep-alive-timeout <s>', 'close an idle keep-alive connection after this many seconds', positive('--keep-alive-timeout'), 5)
    .option('--max-connections-per-address <n>', 'open connections one remote address may hold (per server process)', parseInteger('--max-connections-per-address', 1), 64)
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
    .option('--evaluate-every <r>', 'federated evaluation: after every r-th round, sampled clients report sums on their held-out data (results in /v1/rounds)', parseInteger('--evaluate-every', 1))
    .option('--evaluation-clients <k>', 'clients sampled per federated evaluation (default 10; needs --evaluate-every)', parseInteger('--evaluation-clients', 2))
    .option('--personalised', 'personalised federated evaluation: each sampled client fine-tunes on its train share and also reports the sums after (needs --evaluate-every)')
    .option('--personal-epochs <e>', `fine-tuning epochs the server asks for (default 1, at most ${PERSONALISATION_BOUNDS.maxEpochs})`, parseInteger('--personal-epochs', 1))
    .option('--personal-lr <rate>', `fine-tuning learning rate (default: the clients' --lr, at most ${PERSONALISATION_BOUNDS.maxLearningRate})`, positive('--personal-lr'))
    .option('--personal-batch <n>', 'fine-tuning batch size (default 32)', parseInteger('--personal-batch', 1))
    .option('--personal-max-steps <n>', `cap on fine-tuning steps per client (default 20, at most ${PERSONALISATION_BOUNDS.maxSteps})`, parseInteger('--personal-max-steps', 1))
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)')
    .addHelpText(
      'after',
      [
        '',
        'Pages: /dashboard (rounds, clients, accuracy), /client (browser client), /openapi.json (protocol).',
        'Stop with Ctrl-C (SIGINT/SIGTERM): state is already on disk; start again with the same flags to resume.',
        '',
        'Examples:',
        '  trustnlu fl invite --state /tmp/fl.db --count 8            # single-use enrolment codes, one per client',
        '  trustnlu fl serve --dataset synthetic --clients 8 --clients-per-round 4 --rounds 5 --state /tmp/fl.db',
        '  trustnlu fl serve --dataset synthetic --enrolment open --state /tmp/demo.db   # a demo anyone can join',
        '  trustnlu fl serve --params 1000 --clients-per-round 100 --min-clients 100 --port 0 --json',
        '  trustnlu fl serve --params 1000 --clients-per-round 100 --store redis://127.0.0.1:6379/0 --workers 2 --port 8080',
      ].join('\n'),
    );
  addUserModelOptions(serve);
  addServeAnalyticsOptions(serve);
  withCommonOptions(serve).action(async (flags: ServeFlags) => {
    // usage errors found after parsing: printed like commander's own, exit code 2
    const usage = (message: string): never => serve.error(`error: ${message}`, { exitCode: 2, code: 'commander.invalidArgument' });
    if ((flags.dataset === undefined) === (flags.params === undefined)) {
      usage('give exactly one of --dataset NAME (a real model) and --params N (a synthetic one)');
    }
    const fromPath = !(MODEL_KINDS as readonly string[]).includes(flags.model);
    if (fromPath && flags.dataset === undefined) usage(`--model ${flags.model} is trained on a dataset's clients: add --dataset NAME`);
    if (fromPath && flags.modelConfig !== undefined) usage(`--model-config changes a built-in architecture; ${flags.model} is its own: drop --model-config`);
    if (!fromPath && (flags.vocab !== undefined || flags.labels !== undefined)) usage('--vocab and --labels describe a --model model.json: give --model PATH or drop them');
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
    if ((flags.enrolment === 'tokens') !== (flags.clientTokens !== undefined)) usage('--enrolment tokens goes with --client-tokens FILE (and --client-tokens only with it)');
    if (flags.clientTokens !== undefined && !existsSync(flags.clientTokens)) usage(`--client-tokens file "${flags.clientTokens}" does not exist`);
    if (flags.evaluationClients !== undefined && flags.evaluateEvery === undefined) usage('--evaluation-clients needs --evaluate-every R');
    if (flags.evaluateEvery !== undefined && flags.store !== undefined) usage('--evaluate-every runs in a single server process with --state FILE; not with --store');
    const analytics = serveAnalyticsSettings(flags, usage);
    if (analytics && flags.store !== undefined) usage('--analytics runs in a single server process with --state FILE; not with --store');
    if (analytics?.noise === 'distributed' && !flags.secagg) usage('--analytics-noise distributed needs --secagg: without masking the server sees each client\'s vector with only its own small share of noise (or use --analytics-noise central)');
    const personalFlags = (['personalEpochs', 'personalLr', 'personalBatch', 'personalMaxSteps'] as const).filter((k) => flags[k] !== undefined);
    if (personalFlags.length > 0 && !flags.personalised) usage(`--${personalFlags[0].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --personalised`);
    if (flags.personalised && flags.evaluateEvery === undefined) usage('--personalised needs --evaluate-every R');
    const personalisation = flags.personalised
      ? {
          localEpochs: flags.personalEpochs ?? 1,
          learningRate: flags.personalLr ?? flags.lr ?? (flags.localOptimizer === 'adam' ? 1e-3 : 0.1),
          optimizer: flags.localOptimizer,
          batchSize: flags.personalBatch ?? 32,
          maxSteps: flags.personalMaxSteps ?? 20,
        }
      : undefined;
    const personalProblem = personalisation ? personalisationProblem({ ...personalisation, seed: 0 }) : undefined;
    if (personalProblem) usage(`${personalProblem} (the --personal-* flags)`);
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
    const admin = flags.adminTokenFile !== undefined ? adminToken(flags.adminTokenFile) : undefined;
    if (fromPath) await startEngine(flags);
    const userModel = fromPath ? await loadUserTextModel({ model: flags.model, vocab: flags.vocab, labels: flags.labels }) : undefined;
    const service = await startFederationService({
      source:
        flags.params !== undefined
          ? { kind: 'synthetic', parameters: flags.params }
          : {
              kind: 'dataset',
              dataset: flags.dataset!,
              partition: flags.partition,
              numClients: flags.clients,
              model: fromPath ? 'layers' : flags.model,
              userModel,
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
      ...(flags.evaluateEvery !== undefined ? { federatedEvaluation: { every: flags.evaluateEvery, clients: flags.evaluationClients ?? 10, ...(personalisation ? { personalisation } : {}) } } : {}),
      ...(analytics ? { analytics } : {}),
      policy: {
        rounds: flags.rounds,
        targetUpdates: flags.clientsPerRound,
        minClients: flags.minClients,
        minUpdates: flags.minUpdates,
        roundTimeoutMs: flags.roundTimeout * 1000,
        availabilityWindowMs: flags.availabilityWindow * 1000,
        pollIntervalMs: flags.pollInterval,
        maxUpdateNorm: flags.maxUpdateNorm,
        normClipMultiple: flags.normClip,
        seed: flags.seed,
      },
      enrolment: { mode: flags.enrolment, maxWeight: flags.maxWeight, ...(flags.clientTokens !== undefined ? { clientTokensFile: flags.clientTokens } : {}) },
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
        enrolRateLimit: { perSecond: flags.enrolRateLimit, burst: flags.enrolRateLimit * 10 },
        connections: {
          headersTimeoutMs: flags.headersTimeout * 1000,
          requestTimeoutMs: flags.requestTimeout * 1000,
          keepAliveTimeoutMs: flags.keepAliveTimeout * 1000,
          maxConnectionsPerAddress: flags.maxConnectionsPerAddress,
        },
        ...(admin ? { adminToken: admin.token } : {}),
      },
      host: flags.host,
      port: flags.port,
      onEvent: (event, data) => progress.event(event, data),
    });
    const where = service.store.description;
    if (worker) await notifyPrimary({ kind: 'listening', url: service.url });
    else {
      progress.event('listening', { url: service.url, state: where, dashboard: `${service.url}/dashboard` });
      progress.event('security', { posture: service.posture, enrolment: flags.enrolment, ...(admin?.created ? { adminTokenFile: flags.adminTokenFile } : {}) });
      if (!flags.json) {
        process.stderr.write(`federated server on ${service.url} (dashboard ${service.url}/dashboard, state ${where})\n${service.posture}\n`);
        if (admin?.created) process.stderr.write(`admin token written to ${flags.adminTokenFile} (mode 0600)\n`);
        if (flags.enrolment === 'open') process.stderr.write('WARNING: open enrolment: anyone who reaches this server can join the federation and download the model; use --enrolment invite for a real federation\n');
      }
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (worker) primaryGone().then(stop, stop);
      if (flags.exitWhenDone) {
        const timer = setInterval(() => {
          // tick: an evaluation past its deadline closes even when no client checks in
          if (service.coordinator.evaluating) void service.coordinator.tick();
          if (service.coordinator.finished && !service.coordinator.evaluating && !service.coordinator.analyticsRunning) {
            clearInterval(timer);
            // linger so that waiting clients learn at their next check-in that the federation is done
            setTimeout(resolve, Math.max(3000, 3 * flags.pollInterval)).unref();
          }
        }, 200);
      }
    });
    const status = service.coordinator.status();
    await service.close();
    const summary = {
      url: service.url,
      state: where,
      roundsCompleted: status.roundsCompleted,
      modelVersion: status.modelVersion,
      registeredClients: status.registeredClients,
      curve: status.curve,
      ...(analytics ? { analytics: service.coordinator.analyticsTask().result() } : {}),
    };
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
    .option('--token-file <file>', 'the bearer token: kept here after enrolment (to rejoin after a restart), or provisioned by the operator (JSON {"clientId", "token"})')
    .option('--enrolment-code <code>', 'the single-use code the operator issued (enrolment mode invite)')
    .option('--max-updates <n>', 'stop after this many submitted updates', parseInteger('--max-updates', 1))
    .option('--time-limit <s>', 'stop after this many seconds', positive('--time-limit'))
    .option('--data-dir <dir>', 'data directory of the named datasets (default: $TRUSTNLU_DATA)')
    .option('--model <path>', 'when the server trains a model.json: the same model.json (or its directory), which the client trains');
  addUserModelOptions(client);
  addClientDataOptions(client);
  withCommonOptions(client).action(async (flags: ClientFlags) => {
    const usage = (message: string): never => client.error(`error: ${message}`, { exitCode: 2, code: 'commander.invalidArgument' });
    const labelSource = clientLabelSource(flags, usage);
    const own = flags.data !== undefined ? readClientData(flags) : undefined;
    const progress = progressFor({ json: flags.json });
    const session = new RemoteSession({ server: flags.server });
    const federation = await session.federation();
    const source = federation.source as { kind: string; dataset?: string; partition?: string; numClients?: number; model?: string; modelConfig?: Record<string, unknown>; seed?: number };
    if (source?.kind !== 'dataset' && (own === undefined || labelSource.kind !== 'gold')) {
      throw new ConfigError(`the server at ${flags.server} serves a synthetic model (${String(federation.name)}); a training client needs a dataset federation (an analytics-only client gives --data FILE; use fl loadtest for synthetic ones)`);
    }
    if (source?.kind !== 'dataset') {
      // an analytics-only federation: answer its rounds from --data, train nothing
      await joinFederation(session, federation, flags, 1);
      progress.event('joined', { server: flags.server, clientId: flags.clientId, analyticsTexts: own!.analytics.texts.length, federation: federation.name });
      const summary = await runRemoteClient({ session, client: analyticsOnlyClient(flags.clientId, flags.server), maxUpdates: flags.maxUpdates, timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000, onEvent: (event, fields) => progress.event(event, fields), analyticsData: own!.analytics });
      printResult(summary, flags.json, (s: RemoteRunSummary) => `client ${s.clientId}: ${s.analyticsAnswered} analytics rounds answered; ${s.finished ? 'federation done' : 'stopped'}`);
      return;
    }
    if (flags.dataset && flags.dataset !== source.dataset) {
      throw new ConfigError(`--dataset ${flags.dataset} does not match the federation's dataset "${source.dataset}"`);
    }
    const built = await federationClientTrainer(federation, flags);
    const { examples, trainIndices, data, model, layout } = built;
    const trainer = labelSource.kind === 'gold' ? built.trainer : await feedbackTrainer(labelSource, flags, built, own?.feedback);
    const [{ evaluateExamples, fineTuneAndEvaluate, viewParameters, writeModelParameters }, { heldOutShares }] = await Promise.all([
      import('../federated/client/index.js'),
      import('../federated/evaluation/index.js'),
    ]);
    // federated evaluation: this client's share of the evaluation split (never trained on), cut like the training split
    // cut only when the server first asks (a federation without evaluation never needs it)
    let heldOut: Int32Array | undefined;
    const heldOutIndices = () => Int32Array.from(heldOutShares(data, { dataset: source.dataset!, partition: source.partition!, seed: source.seed!, dataDir: flags.dataDir }).get(flags.clientId) ?? []);
    const outOfScope = { outOfScopeIndex: data.outOfScopeIndex };
    const evaluator: LocalEvaluator = {
      evaluate: async (parameters) => {
        heldOut ??= heldOutIndices();
        writeModelParameters(model, viewParameters(parameters, layout));
        return evaluateExamples(model, data.evaluation, heldOut, outOfScope);
      },
      // personalised evaluation: fine-tune on the train share this client trains the federation on, evaluate on its held-out share
      personalise: async (parameters, settings) => {
        heldOut ??= heldOutIndices();
        return fineTuneAndEvaluate(model, viewParameters(parameters, layout), { examples: data.train, indices: trainIndices }, { examples: data.evaluation, indices: heldOut }, settings, outOfScope);
      },
    };
    await joinFederation(session, federation, flags, examples);
    progress.event('joined', { server: flags.server, clientId: flags.clientId, examples: examples, federation: federation.name, labels: labelSource.kind });
    const summary = await runRemoteClient({
      session,
      client: trainer,
      maxUpdates: flags.maxUpdates,
      timeLimitMs: flags.timeLimit === undefined ? undefined : flags.timeLimit * 1000,
      onEvent: (event, fields) => progress.event(event, fields),
      // a feedback client holds no gold labels to evaluate accuracy with
      ...(labelSource.kind === 'gold' ? { evaluator } : {}),
      ...(own ? { analyticsData: own.analytics } : {}),
    });
    printResult(summary, flags.json, (s: RemoteRunSummary) => `client ${s.clientId}: ${s.updatesSubmitted} updates submitted (rounds ${s.rounds.join(', ') || 'none'}), ${s.lateUpdates} late${s.evaluationsReported ? `, ${s.evaluationsReported} evaluations reported` : ''}; ${s.finished ? 'federation done' : 'stopped'}`);
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
    .option('--admin-token-file <file>', 'with --server: issue the clients\' enrolment codes through the admin route (without it the server must have open enrolment)')
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
    if (flags.adminTokenFile !== undefined && flags.server === undefined) usage('--admin-token-file goes with --server URL (the server started here has open enrolment)');
    if (flags.adminTokenFile !== undefined && !existsSync(flags.adminTokenFile)) usage(`--admin-token-file "${flags.adminTokenFile}" does not exist`);
    const progress = progressFor({ json: flags.json });
    const result = await runLoadTest({
      clients: flags.clients,
      rounds: flags.rounds,
      parameters: flags.params,
      dropout: flags.dropout,
      trainMs: flags.trainMs,
      httpClient: flags.httpClient,
      server: flags.server,
      ...(flags.adminTokenFile !== undefined ? { adminToken: adminToken(flags.adminTokenFile).token } : {}),
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

  const invite = fl
    .command('invite')
    .description('issue single-use enrolment codes for a federation with --enrolment invite (shown once; the server keeps their SHA-256)')
    .option('--count <n>', 'number of codes (each enrols one client of its holder\'s choosing)', parseInteger('--count', 1))
    .option('--client-id <id...>', 'bind one code to each of these ids instead')
    .option('--examples <n>', 'the operator\'s example count for the invited clients (their weight base instead of their own claim)', parseInteger('--examples', 1))
    .option('--state <file>', 'write the codes into this SQLite state file (the server\'s --state; it may be running)')
    .option('--store <url>', 'or into this Redis: redis://host:port[/db]', parseStoreUrl)
    .option('--redis-prefix <prefix>', 'key prefix of the federation in Redis', parseRedisPrefix, 'trustnlu:fl:default:')
    .option('--server <url>', 'or ask this running server (needs --admin-token-file)', parseUrl('--server'))
    .option('--admin-token-file <file>', 'the admin token of --server')
    .option('--json', 'print exactly one JSON object on stdout', false)
    .addHelpText('after', ['', 'Examples:', '  trustnlu fl invite --state /tmp/fl.db --count 8', '  trustnlu fl invite --server http://127.0.0.1:8080 --admin-token-file admin.token --client-id client-0 client-1 --json'].join('\n'));
  invite.action(async (flags: { count?: number; clientId?: string[]; examples?: number; state?: string; store?: string; redisPrefix: string; server?: string; adminTokenFile?: string; json?: boolean }) => {
    const usage = (message: string): never => invite.error(`error: ${message}`, { exitCode: 2, code: 'commander.invalidArgument' });
    if ((flags.count === undefined) === (flags.clientId === undefined)) usage('give --count N or --client-id ID... (one code per id)');
    const targets = [flags.state, flags.store, flags.server].filter((t) => t !== undefined).length;
    if (targets !== 1) usage('give exactly one of --state FILE, --store redis://... and --server URL');
    if ((flags.server === undefined) !== (flags.adminTokenFile === undefined)) usage('--server goes with --admin-token-file FILE');
    if (flags.adminTokenFile !== undefined && !existsSync(flags.adminTokenFile)) usage(`--admin-token-file "${flags.adminTokenFile}" does not exist`);
    const request = { ...(flags.count !== undefined ? { count: flags.count } : {}), ...(flags.clientId ? { clientIds: flags.clientId } : {}), ...(flags.examples !== undefined ? { numExamples: flags.examples } : {}) };
    let invites: { code: string; clientId?: string }[];
    if (flags.server !== undefined) {
      const response = await fetch(`${flags.server}/v1/admin/invites`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken(flags.adminTokenFile!).token}` },
        body: JSON.stringify(request),
      }).catch((error: Error) => {
        throw new ConfigError(`cannot reach ${flags.server}: ${error.message}`);
      });
      const body = (await response.json().catch(() => ({}))) as { invites?: typeof invites; error?: { message: string } };
      if (!response.ok || !body.invites) throw new ConfigError(`${flags.server} refused the invites: ${body.error?.message ?? `HTTP ${response.status}`}`);
      invites = body.invites;
    } else {
      const batch = createInvites(request, Date.now());
      const store = await openFederationStore({ location: flags.store ?? flags.state!, redisPrefix: flags.redisPrefix });
      try {
        await store.addInvites(batch.records);
      } finally {
        await store.close();
      }
      invites = batch.invites;
    }
    printResult({ invites }, flags.json, (r: { invites: { code: string; clientId?: string }[] }) => r.invites.map((i) => (i.clientId ? `${i.code} ${i.clientId}` : i.code)).join('\n'));
  });
}
