/** Privacy: DP-SGD training (dpsgd), privacy accountants (accounting), and audits of what leaks (attacks: pure maths; audit: against trained models). */
export * from './dpsgd/index.js';
export * from './accounting/index.js';
export * from './attacks/index.js';
export * from './audit/index.js';
