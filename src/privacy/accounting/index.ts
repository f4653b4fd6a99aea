/**
 * Differential-privacy accountants for DP-SGD with Poisson sampling and Gaussian noise:
 * RDP (Mironov et al. 2019, converted with Balle et al. 2020, minimised over the order
 * continuously), a tight PLD accountant (FFT composition with pessimistic connect-the-dots
 * discretisation), and calibration of the noise multiplier to a target (ε, δ). Pure functions, no tfjs. See docs/privacy-accounting.md.
 */
export {
  DEFAULT_RDP_ORDERS,
  DP_ACCOUNTING_ORDERS,
  MAX_RDP_ORDER,
  OPACUS_ORDERS,
  TF_PRIVACY_ORDERS,
  RdpAccountant,
  deltaFromRdp,
  epsilonAtOptimalOrder,
  epsilonFromRdp,
  epsilonFromRdpCurve,
  rdpOfPhases,
  rdpSampledGaussian,
  type EpsilonFromRdp,
  type PrivacyPhase,
  type RdpConversion,
} from './rdp.js';
export {
  DEFAULT_PLD_DISCRETISATION,
  PldAccountant,
  composePlds,
  deltaForEpsilon,
  discretiseSubsampledGaussian,
  epsilonForDelta,
  identityPld,
  pldDelta,
  pldEpsilon,
  pldOfPhases,
  type AdjacencyDirection,
  type DiscretePld,
  type PldEpsilon,
  type PldOptions,
  type PldRounding,
  type SubsampledGaussianPlds,
} from './pld.js';
export { gaussianMechanismDelta, gaussianMechanismEpsilon } from './gaussian-mechanism.js';
export {
  PrivacyBudgetError,
  computeEpsilon,
  epsilonOfPhases,
  noiseMultiplierForEpsilon,
  type AccountantChoice,
  type AccountantName,
  type EpsilonRequest,
  type EpsilonResult,
  type NoiseRequest,
} from './calibrate.js';
export {
  discreteGaussianSumTau,
  distributedDiscreteGaussianComposedEpsilon,
  distributedDiscreteGaussianRdp,
  distributedDiscreteGaussianShareSigma,
  type DistributedDiscreteGaussianRelease,
} from './distributed-discrete-gaussian.js';
