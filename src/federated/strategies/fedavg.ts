/**
 * FedAvg (McMahan et al. 2017, "Communication-efficient learning of deep networks from
 * decentralized data"): clients run local SGD from the global model; the server replaces it
 * with the weighted mean of the local models, i.e. x ← x + Σ wₖΔₖ (server step η = 1).
 */
import { meanAggregator } from './update-aggregators.js';
import { ServerStrategy, type StrategyOptions } from './server-strategy.js';

export function fedAvg(options: StrategyOptions): ServerStrategy {
  return new ServerStrategy(
    { name: 'fedavg', aggregator: meanAggregator(), serverOptimizer: { kind: 'fedavg', hyper: { eta: 1 } } },
    options,
  );
}
