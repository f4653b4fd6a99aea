/** Noise primitives that are not tied to DP-SGD: the discrete Gaussian (integer noise for sums under secure aggregation). */
export { DiscreteGaussianSampler, discreteGaussianPmf, discreteGaussianVariance, type UniformSource } from './discrete-gaussian.js';
