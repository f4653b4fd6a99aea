/**
 * Fairness: intrinsic association tests on embeddings (WEAT, SEAT, CEAT), extrinsic measures on
 * a trained classifier's behaviour over probe sets (group gaps, counterfactual token fairness),
 * prediction sensitivity (APS), and the groups and probes they share. See docs/fairness.md.
 */
export * from './intrinsic/index.js';
export * from './extrinsic/index.js';
export * from './sensitivity/index.js';
export * from './probes/index.js';
export * from './groups.js';
export * from './mitigation/index.js';
