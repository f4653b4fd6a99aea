/** Privacy: DP-SGD training (dpsgd) and privacy accountants (accounting). */
export * from './dpsgd/index.js';
export * from './accounting/index.js';
