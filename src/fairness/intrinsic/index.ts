/**
 * Intrinsic fairness: association tests on the embedding space itself, independent of any
 * downstream task. WEAT on static word vectors (Caliskan et al. 2017), SEAT on sentence encoders
 * (May et al. 2019) and CEAT on contextual embeddings (Guo & Caliskan 2021), with exact or
 * Monte Carlo permutation p-values and an explicit missing-word policy. See docs/metrics.md.
 */
export {
  associations,
  binomialCoefficient,
  normaliseSets,
  resolveWords,
  SET_ROLES,
  weat,
  weatEffectFromAssociations,
  weatFromVectors,
  weatPermutationTest,
  type Embed,
  type PermutationTestOptions,
  type PermutationTestResult,
  type ResolvedWords,
  type SetRole,
  type Vector,
  type WeatEffect,
  type WeatOptions,
  type WeatQuery,
  type WeatResult,
  type WeatVectorSets,
  type WeatWordSets,
} from './weat.js';
export { describeWeatQuery, weatQueryFromSets } from './query.js';
export {
  ceat,
  contextualSampler,
  randomEffectsMetaAnalysis,
  type CeatOptions,
  type CeatResult,
  type CeatSample,
  type MetaAnalysisResult,
} from './ceat.js';
export { fillTemplates, seat, SEAT_NOUN_TEMPLATES, SEAT_TEMPLATES, type SeatOptions, type SeatResult, type SentenceEncoder } from './seat.js';
