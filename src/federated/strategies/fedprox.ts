/**
 * FedProx (Li et al. 2020, "Federated optimization in heterogeneous networks", MLSys):
 * FedAvg whose clients minimise the local loss plus the proximal term μ/2·‖w − w_global‖²,
 * which keeps local models near the global one under heterogeneous data and uneven local
 * work. The server side is FedAvg's; the term lives in the client's gradient step
 * (client/local-training.ts adds μ(w − w_global) to every gradient). μ = 0 is FedAvg.
 */
import { ConfigError } from '../../errors.js';
import { meanAggregator } from './update-aggregators.js';
import { ServerStrategy, type StrategyOptions } from './server-strategy.js';

export interface FedProxOptions extends StrategyOptions {
  /** μ ≥ 0, the proximal coefficient (Li et al. try 0.001, 0.01, 0.1, 1). */
  mu: number;
}

export function fedProx(options: FedProxOptions): ServerStrategy {
  const { mu } = options;
  if (typeof mu !== 'number' || !Number.isFinite(mu) || mu < 0) {
    throw new ConfigError(`fedprox: mu (proximal coefficient) must be finite and ≥ 0, got ${mu}`);
  }
  return new ServerStrategy(
    {
      name: `fedprox(μ=${mu})`,
      aggregator: meanAggregator(),
      serverOptimizer: { kind: 'fedavg', hyper: { eta: 1 } },
      clientConfig: { proximalMu: mu },
    },
    options,
  );
}
