/** Privacy: DP-SGD training (dpsgd), privacy accountants (accounting), noise primitives (noise), audits of what leaks (attacks: pure maths; audit: against trained models), and private text rewriting (text). */
export * from './dpsgd/index.js';
export * from './accounting/index.js';
export * from './noise/index.js';
export * from './attacks/index.js';
export * from './audit/index.js';
export * from './text/index.js';
