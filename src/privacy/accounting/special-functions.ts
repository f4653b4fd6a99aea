/**
 * Special functions the accountants need, accurate to about 1e-15 relative (tested against
 * 50-digit references): log-gamma, erfc and log-erfc, the standard normal tails, and
 * log-space addition. Written here because JavaScript's Math has none of them and the
 * accountants need them in the far tails (erfc(30) ~ 1e-393 is only representable as a log).
 */

const LOG_SQRT_2PI = 0.9189385332046727; // log(sqrt(2*pi))
const SQRT_PI = 1.772453850905516;
const LOG_PI = 1.1447298858494002;
const LOG_SQRT_PI = 0.5723649429247001;

/**
 * Stirling-series coefficients B_{2k} / (2k (2k-1)) for k = 1..8; with the argument shifted to
 * at least 15 the first omitted term is below 1e-19 relative.
 */
const STIRLING = [
  1 / 12,
  -1 / 360,
  1 / 1260,
  -1 / 1680,
  1 / 1188,
  -691 / 360360,
  1 / 156,
  -3617 / 122400,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) {
    if (x === 0) return Infinity;
    return logAbsGamma(x);
  }
  if (x === Infinity) return Infinity;
  let shift = 0;
  let product = 1;
  let z = x;
  // Shift up with Γ(z+1) = z Γ(z) until the asymptotic series is accurate.
  while (z < 15) {
    product *= z;
    z += 1;
    shift++;
  }
  const inv = 1 / z;
  const inv2 = inv * inv;
  let series = 0;
  let power = inv;
  for (const c of STIRLING) {
    series += c * power;
    power *= inv2;
  }
  const value = (z - 0.5) * Math.log(z) - z + LOG_SQRT_2PI + series;
  return shift === 0 ? value : value - Math.log(product);
}

/**
 * log |Γ(x)| for any real x that is not a non-positive integer (reflection formula below 0).
 * `sinPiFrac`, when given, is |sin(π x)| computed by the caller from an exact fractional part,
 * which avoids the rounding of π x for large |x|.
 */
export function logAbsGamma(x: number, sinPiFrac?: number): number {
  if (x > 0) return logGamma(x);
  if (Number.isInteger(x)) return Infinity;
  const s = sinPiFrac ?? Math.abs(Math.sin(Math.PI * (x - Math.floor(x))));
  return LOG_PI - Math.log(s) - logGamma(1 - x);
}

/** erf(x) for |x| < 1.5 by the series e^{-x²} Σ 2^n x^{2n+1} / (2n+1)!!, all terms positive. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return ((2 / SQRT_PI) * Math.exp(-x2)) * sum;
}

/**
 * Continued fraction K(x) with erfc(x) = e^{-x²} (x/√π) K(x) for x ≥ 1.5: the Legendre
 * continued fraction of the upper incomplete gamma function Γ(1/2, x²), evaluated by the
 * modified Lentz method.
 */
function erfcContinuedFraction(x: number): number {
  const z = x * x;
  const tiny = 1e-300;
  let b = z + 0.5; // z + 1 - a with a = 1/2
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let n = 1; n < 500; n++) {
    const an = -n * (n - 0.5);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return h;
}

/** Complementary error function, relative accuracy ~1e-15 over the whole range. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1.5) return 1 - erfSeries(x);
  if (x > 27.3) return 0; // below the smallest subnormal; use logErfc
  return Math.exp(-x * x) * (x / SQRT_PI) * erfcContinuedFraction(x);
}

/** log erfc(x), finite for every finite x (erfc(40) underflows, its log does not). */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x < 1.5) return Math.log(erfc(x));
  if (x > 1e8) return -x * x - Math.log(x) - LOG_SQRT_PI; // the fraction is 1 to 1e-16
  return -x * x + Math.log(x) - LOG_SQRT_PI + Math.log(erfcContinuedFraction(x));
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Standard normal survival function 1 − Φ(x), accurate in the upper tail. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x / Math.SQRT2);
}

/** log Φ(x), accurate in the far lower tail. */
export function logNormalCdf(x: number): number {
  return logErfc(-x / Math.SQRT2) - Math.LN2;
}

/** log(e^a + e^b) without overflow; -Infinity stands for log 0. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  if (a === Infinity || b === Infinity) return Infinity;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** log(e^a − e^b) for a ≥ b; -Infinity when they are equal. */
export function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (a < b) return NaN;
  if (a === b) return -Infinity;
  return a + logOneMinusExp(b - a);
}

/** log(1 − e^x) for x < 0, accurate both near 0 and for very negative x. */
export function logOneMinusExp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** log(e^x − 1) for x > 0. */
export function logExpm1(x: number): number {
  if (x <= 0) return x === 0 ? -Infinity : NaN;
  return x < 1 ? Math.log(Math.expm1(x)) : x + Math.log1p(-Math.exp(-x));
}

/** log(1 + e^x) without overflow. */
export function log1pExp(x: number): number {
  return x > 35 ? x + Math.exp(-x) : Math.log1p(Math.exp(x));
}
