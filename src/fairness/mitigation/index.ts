/**
 * Bias mitigation: the gender-swap lexicon and swapper, counterfactual data augmentation (CDA),
 * knowledge distillation with counterfactual role reversal (Gupta et al. 2022), and the
 * open-ended generation probes that measure what they change. See docs/fairness-mitigation.md.
 */
export * from './gender-pairs.js';
export * from './first-name-pairs.js';
export * from './swap-lexicon.js';
export * from './gender-swap.js';
export * from './augmentation.js';
export * from './bold-corpus.js';
export * from './role-reversal.js';
export * from './distillation-step.js';
export * from './generation.js';
export * from './generation-bias.js';
