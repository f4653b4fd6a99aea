/**
 * Private text: word-level metric-DP rewriting (Madlib, Mahalanobis, density-aware truncated
 * Gumbel) over a vocabulary of embeddings, plausible-deniability statistics and the choice of
 * ε, and ADePT (auto-encoder rewriting) with a correct sensitivity. See docs/text-privacy.md.
 */
export { EmbeddingSpace, type DistanceRange, type NeighbourLists } from './embedding-space.js';
export { MechanismRandom } from './mechanism-random.js';
export { sampleRadialNoise, checkMetricEpsilon, type RadialNoiseOptions } from './radial-noise.js';
export { WORD_MECHANISMS, type WordMechanism, type WordMechanismName, type WordMechanismOptions } from './word-mechanism.js';
export { MadlibMechanism, madlib, perturbAndProject } from './madlib.js';
export {
  DEFAULT_MAHALANOBIS_LAMBDA,
  MahalanobisMechanism,
  choleskyLower,
  embeddingCovariance,
  mahalanobis,
  regularizedCovariance,
  type MahalanobisOptions,
} from './mahalanobis.js';
export {
  TruncatedGumbelMechanism,
  lambertW0,
  minimumTruncatedGumbelEpsilon,
  sampleTruncatedGumbel,
  sampleTruncatedPoisson,
  truncatedGumbel,
  truncatedGumbelCalibration,
  type TruncatedGumbelCalibration,
  type TruncatedGumbelOptions,
} from './truncated-gumbel.js';
export { createWordMechanism, type CreateWordMechanismOptions } from './mechanisms.js';
export {
  OUT_OF_VOCABULARY_POLICIES,
  OutOfVocabularyError,
  rewriteTexts,
  type OutOfVocabularyPolicy,
  type RewriteOptions,
  type RewriteResult,
} from './rewrite-text.js';
export {
  chooseEpsilon,
  medianOverWords,
  plausibleDeniability,
  type ChooseEpsilonOptions,
  type ChooseEpsilonResult,
  type DeniabilityOptions,
  type DeniabilityInterval,
  type MedianWithInterval,
  type WordDeniability,
} from './plausible-deniability.js';
export { loadEmbeddingSpace, type LoadEmbeddingsOptions } from './load-embeddings.js';
export {
  ADEPT_NOISES,
  adeptNoisePlan,
  clipVector,
  gaussianSigmaFor,
  laplacePrivacyLoss,
  privatizeRepresentations,
  type AdeptNoise,
  type AdeptNoisePlan,
  type AdeptPrivacyOptions,
  type AdeptVariant,
  type ClipNorm,
} from './adept-noise.js';
export {
  ADEPT_CHECKPOINT_KIND,
  ADEPT_DEFAULTS,
  AdeptAutoencoder,
  adeptRewrite,
  reconstructionScores,
  trainAdeptAutoencoder,
  type AdeptAutoencoderConfig,
  type AdeptEpoch,
  type AdeptRewriteOptions,
  type AdeptRewriteResult,
  type TrainAdeptOptions,
} from './adept-autoencoder.js';
export { closedWorldRecovery, type RecoveryResult } from './recovery-attack.js';
/** Kept here too: the deniability intervals' quantile (it lives in metrics). */
export { studentTQuantile } from '../../metrics/index.js';
