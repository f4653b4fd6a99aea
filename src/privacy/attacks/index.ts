/**
 * Privacy audits: what an attacker can learn from a trained model. Membership inference
 * (loss threshold, LiRA), the empirical ε lower bound, canary exposure for language models.
 */
export * from './membership-scores.js';
export * from './epsilon-lower-bound.js';
export * from './exposure.js';
export * from './inversion.js';
export * from './slot-inversion.js';
