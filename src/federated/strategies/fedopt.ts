/**
 * Server optimisers on the aggregated pseudo-gradient Δ = Σ wₖΔₖ (formulas in
 * docs/federated-maths.md §3, implemented by aggregate/serverStep):
 * - FedAvgM (Hsu, Qi & Brown 2019): server momentum, u ← μu + Δ, x ← x + ηu.
 * - FedAdagrad, FedAdam, FedYogi (Reddi et al. 2021, "Adaptive federated optimization").
 * Default server learning rates follow Flower's current FedOpt classes (FedAdagrad and
 * FedAdam η = 0.1, FedYogi η = 0.01, τ = 1e-3); FedAvgM defaults to η = 1, μ = 0.9, the
 * momentum Hsu et al. found to work well (Flower's default μ = 0 would be plain FedAvg).
 */
import { meanAggregator } from './update-aggregators.js';
import { ServerStrategy, type StrategyOptions } from './server-strategy.js';

export interface FedAvgMOptions extends StrategyOptions {
  serverLearningRate?: number;
  /** Server momentum μ ∈ [0, 1); default 0.9. */
  momentum?: number;
}

export interface FedAdaptiveOptions extends StrategyOptions {
  serverLearningRate?: number;
  beta1?: number;
  beta2?: number;
  /** Adaptivity τ > 0; default 1e-3. */
  tau?: number;
}

export const FEDOPT_DEFAULT_SERVER_LR = { fedavgm: 1, fedadagrad: 0.1, fedadam: 0.1, fedyogi: 0.01 } as const;

export function fedAvgM(options: FedAvgMOptions): ServerStrategy {
  const eta = options.serverLearningRate ?? FEDOPT_DEFAULT_SERVER_LR.fedavgm;
  const momentum = options.momentum ?? 0.9;
  return new ServerStrategy(
    { name: `fedavgm(η=${eta}, μ=${momentum})`, aggregator: meanAggregator(), serverOptimizer: { kind: 'fedavgm', hyper: { eta, momentum } } },
    options,
  );
}

export function fedAdagrad(options: FedAdaptiveOptions): ServerStrategy {
  const eta = options.serverLearningRate ?? FEDOPT_DEFAULT_SERVER_LR.fedadagrad;
  return new ServerStrategy(
    {
      name: `fedadagrad(η=${eta})`,
      aggregator: meanAggregator(),
      serverOptimizer: { kind: 'fedadagrad', hyper: { eta, beta1: options.beta1, tau: options.tau } },
    },
    options,
  );
}

export function fedAdam(options: FedAdaptiveOptions): ServerStrategy {
  const eta = options.serverLearningRate ?? FEDOPT_DEFAULT_SERVER_LR.fedadam;
  return new ServerStrategy(
    {
      name: `fedadam(η=${eta})`,
      aggregator: meanAggregator(),
      serverOptimizer: { kind: 'fedadam', hyper: { eta, beta1: options.beta1, beta2: options.beta2, tau: options.tau } },
    },
    options,
  );
}

export function fedYogi(options: FedAdaptiveOptions): ServerStrategy {
  const eta = options.serverLearningRate ?? FEDOPT_DEFAULT_SERVER_LR.fedyogi;
  return new ServerStrategy(
    {
      name: `fedyogi(η=${eta})`,
      aggregator: meanAggregator(),
      serverOptimizer: { kind: 'fedyogi', hyper: { eta, beta1: options.beta1, beta2: options.beta2, tau: options.tau } },
    },
    options,
  );
}
