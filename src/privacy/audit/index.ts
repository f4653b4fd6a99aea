/** Audits that run models: canaries and their exposure, membership inference against trained models. */
export * from './canaries.js';
export * from './sequence-scores.js';
export * from './exposure-audit.js';
