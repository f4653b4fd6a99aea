/**
 * Client selection for federated rounds: who trains (samplers), with which aggregation
 * weights, and which devices are online or drop out (deterministic from a seed). The
 * weights and their (un)biasedness are derived in docs/federated-maths.md.
 */
export { type ClientInfo, type Selection, type ClientSampler, canonicalClients } from './sampler.js';
export { drawWithReplacement, drawWithoutReplacement } from './weighted-draws.js';
export { uniformSampler } from './uniform-sampler.js';
export { type ActivitySamplerOptions, activitySampler, activityProbabilities } from './activity-sampler.js';
export { type PowerOfChoiceOptions, powerOfChoiceSampler } from './power-of-choice.js';
export {
  type AvailabilityOptions,
  type AvailabilityModel,
  type DropoutReweighting,
  type DropoutOptions,
  type DropoutResult,
  type DropoutModel,
  keyedUniform,
  availability,
  clientDropout,
} from './availability.js';
