/**
 * Per-step RDP of the Poisson-subsampled Gaussian by numerical integration of its definition,
 * for tests: an evaluation that shares nothing with the binomial series in src/.
 *
 * A_α − 1 = E_{z∼N(0,σ²)}[(1 + x)^α − 1 − αx] with x = q(μ1(z)/μ0(z) − 1), because
 * E[x] = 0. The integrand is non-negative (convexity of (1 + x)^α) and analytic in a strip of
 * half-width πσ² around the real line, where it decays like a Gaussian at both ends, so the
 * trapezoidal rule with step σ/64 is accurate far below rounding (its error falls like
 * exp(−2π·πσ²/h)). Computing A − 1 rather than A keeps the relative accuracy of tiny RDP.
 */
export function rdpByQuadrature(q: number, sigma: number, alpha: number): number {
  const s2 = sigma * sigma;
  const h = sigma / 64;
  const from = -14 * sigma - 1;
  const to = alpha + 14 * sigma + 1;
  const points = Math.ceil((to - from) / h);
  // log of the integrand at each point; summed in log space (A_α can exceed the double range).
  const logValues = new Float64Array(points + 1);
  let logMax = -Infinity;
  for (let k = 0; k <= points; k++) {
    const z = from + k * h;
    const t = (2 * z - 1) / (2 * s2);
    // x = q(e^t − 1), kept as a log when it is large (e^t overflows for small σ).
    const x = t > 30 ? Infinity : q * Math.expm1(t);
    const logX = t > 30 ? Math.log(q) + t : Math.log(Math.abs(x));
    const logGauss = -(z * z) / (2 * s2);
    const logPower = alpha * logOnePlusExp(logX, x);
    let logValue: number;
    if (Math.abs(alpha * x) < 1e-4) {
      // (1 + x)^α − 1 − αx by its series: C(α,2)x² + C(α,3)x³ + C(α,4)x⁴, next term < 1e-14 of it.
      logValue = logGauss + Math.log((alpha * (alpha - 1) / 2) * x * x * (1 + ((alpha - 2) / 3) * x * (1 + ((alpha - 3) / 4) * x)));
    } else if (logPower > 30 || x === Infinity) {
      // (1 + x)^α − (1 + αx) = (1 + x)^α (1 − (1 + αx)/(1 + x)^α), the ratio in (0, 1).
      logValue = logGauss + logPower + Math.log1p(-Math.exp(logOnePlusExp(Math.log(alpha) + logX, alpha * x) - logPower));
    } else {
      logValue = logGauss + Math.log(Math.expm1(logPower) - alpha * x);
    }
    logValues[k] = logValue;
    if (logValue > logMax) logMax = logValue;
  }
  // Kahan summation of the scaled terms: tens of thousands of positive numbers.
  let sum = 0;
  let compensation = 0;
  for (let k = 0; k <= points; k++) {
    const y = Math.exp(logValues[k] - logMax) - compensation;
    const t = sum + y;
    compensation = t - sum - y;
    sum = t;
  }
  const logAMinus1 = logMax + Math.log((sum * h) / (sigma * Math.sqrt(2 * Math.PI)));
  // log A = log(1 + e^{log(A − 1)}), without overflow.
  const logA = logAMinus1 > 35 ? logAMinus1 + Math.exp(-logAMinus1) : Math.log1p(Math.exp(logAMinus1));
  return logA / (alpha - 1);
}

/** log(1 + v) from v (which may be negative, or +∞ when it overflowed) and log |v|. */
function logOnePlusExp(logV: number, v: number): number {
  if (Number.isFinite(v)) return Math.log1p(v);
  return logV < 35 ? Math.log1p(Math.exp(logV)) : logV + Math.log1p(Math.exp(-logV));
}
