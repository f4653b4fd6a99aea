/**
 * The server side of training without gold device labels, as a wrapper around any strategy:
 * - round 1 starts from the seed model (trained on the server's labelled set), whatever
 *   initial parameters the simulator offers;
 * - optionally, after each aggregation the server fine-tunes the new global model on its
 *   labelled set (SemiFL's alternation, Diao et al., NeurIPS 2022); the inner strategy's
 *   server-optimiser state is carried across, only its parameters are replaced;
 * - the devices' label counts (label* fit metrics) are summed per round, so a run can report
 *   how many pseudo-labels, complementary labels and wrong ones the devices trained on.
 */
import { ConfigError } from '../../errors.js';
import type { SeededRandom } from '../../engine/random.js';
import type { ParameterSet } from '../aggregate/index.js';
import type { ClientInfo } from '../selection/index.js';
import { hasAsyncAggregation } from '../privacy/index.js';
import type {
  AggregateEvaluateOutput,
  AggregateFitOutput,
  EvaluateInstruction,
  EvaluateResult,
  Failure,
  FitInstruction,
  FitResult,
  ServerEvaluation,
  Strategy,
  StrategyState,
} from '../strategy.js';
import { LABEL_METRIC_KEYS } from './device-labels.js';
import type { DeviceLabelCounts } from './user-feedback.js';

export interface RoundLabelCounts extends DeviceLabelCounts {
  round: number;
  /** Devices that trained this round. */
  devices: number;
  /** Selected devices that sat the round out or failed (no feedback, no confident prediction, dropout). */
  failures: number;
}

export interface DeviceLabelStrategyOptions {
  /** The seed model: where round 1 starts. */
  start: ParameterSet;
  /** Server fine-tuning on labelled data after each aggregation (SemiFL); returns the new parameters. */
  serverStep?: (round: number, parameters: ParameterSet) => Promise<ParameterSet>;
}

export class DeviceLabelStrategy implements Strategy {
  readonly name: string;
  readonly rounds: RoundLabelCounts[] = [];

  constructor(
    readonly inner: Strategy,
    private readonly options: DeviceLabelStrategyOptions,
  ) {
    this.name = inner.name;
  }

  get parameters(): ParameterSet {
    return this.inner.parameters;
  }

  /** Ignores `initial`: device-label runs start from the seed model. */
  initialize(_initial: ParameterSet): ParameterSet {
    return this.inner.initialize(this.options.start);
  }

  configureFit(round: number, clients: readonly ClientInfo[], rng: SeededRandom): FitInstruction[] {
    return this.inner.configureFit(round, clients, rng);
  }

  aggregateFit(round: number, results: readonly FitResult[], failures: readonly Failure[]): AggregateFitOutput {
    if (this.options.serverStep || hasAsyncAggregation(this.inner)) {
      throw new ConfigError('device-label strategy: this configuration aggregates asynchronously; call aggregateFitAsync');
    }
    this.countLabels(round, results, failures);
    return this.inner.aggregateFit(round, results, failures);
  }

  async aggregateFitAsync(round: number, results: readonly FitResult[], failures: readonly Failure[]): Promise<AggregateFitOutput> {
    this.countLabels(round, results, failures);
    const inner = this.inner;
    const output = hasAsyncAggregation(inner) ? await inner.aggregateFitAsync(round, results, failures) : inner.aggregateFit(round, results, failures);
    if (!this.options.serverStep) return output;
    const tuned = await this.options.serverStep(round, output.parameters);
    const state = inner.exportState?.();
    inner.initialize(tuned);
    if (state) inner.importState!(state);
    return { parameters: inner.parameters, metrics: output.metrics };
  }

  configureEvaluate(round: number, clients: readonly ClientInfo[], rng: SeededRandom): EvaluateInstruction[] {
    return this.inner.configureEvaluate(round, clients, rng);
  }

  aggregateEvaluate(round: number, results: readonly EvaluateResult[], failures: readonly Failure[]): AggregateEvaluateOutput {
    return this.inner.aggregateEvaluate(round, results, failures);
  }

  evaluate(round: number, parameters: ParameterSet): ServerEvaluation | undefined | Promise<ServerEvaluation | undefined> {
    return this.inner.evaluate?.(round, parameters);
  }

  exportState(): StrategyState {
    if (!this.inner.exportState) throw new ConfigError(`${this.name}: the inner strategy keeps no state to export`);
    return this.inner.exportState();
  }

  importState(state: StrategyState): void {
    if (!this.inner.importState) throw new ConfigError(`${this.name}: the inner strategy keeps no state to import`);
    this.inner.importState(state);
  }

  /** Label counts summed over every round so far. */
  totals(): DeviceLabelCounts & { devices: number; failures: number } {
    const total = { examples: 0, positives: 0, wrongPositives: 0, negatives: 0, wrongNegatives: 0, devices: 0, failures: 0 };
    for (const r of this.rounds) for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += r[key];
    return total;
  }

  private countLabels(round: number, results: readonly FitResult[], failures: readonly Failure[]): void {
    const counts: RoundLabelCounts = { round, examples: 0, positives: 0, wrongPositives: 0, negatives: 0, wrongNegatives: 0, devices: results.length, failures: failures.length };
    for (const result of results) {
      for (const [key, name] of Object.entries(LABEL_METRIC_KEYS)) {
        const value = result.metrics[name];
        if (typeof value === 'number' && Number.isFinite(value)) counts[key as keyof DeviceLabelCounts] += value;
      }
    }
    this.rounds.push(counts);
  }
}
