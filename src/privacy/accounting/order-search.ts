/**
 * Minimises an (ε, δ) conversion ε(α) over the Rényi order α ∈ (1, maxOrder], continuously.
 *
 * Why a local search finds the global minimum: with K(α) = log A_α, the log-moment generating
 * function of the privacy loss (convex in α, K(1) = 0), the RDP conversion satisfies
 *   ε(α) ≤ c  ⟺  T·K(α) + h(α) − log δ − c·(α − 1) ≤ 0,
 * with h(α) = (α − 1) log(1 − 1/α) − log α for Balle et al. (2020) (h′ = log(1 − 1/α) is
 * increasing) or h = 0 for the classic conversion. The left side is convex in α, so every
 * sublevel set of ε is an interval: ε is quasi-convex (unimodal) on (1, ∞), also for sums of
 * phases. The search therefore
 *   1. brackets the minimum by walking up cheap integer orders (2, 3, …, 64, then ×1.125)
 *      until ε rises, or below 2 when ε(2) ≤ ε(3), the bracket is (1, 2, 3) (ε → ∞ as α → 1);
 *   2. refines by Brent's method (golden section with parabolic steps) in u = log(α − 1),
 *      which keeps orders near 1 and in the thousands equally well resolved;
 *   3. evaluates any reference order (the published grids) that falls strictly inside the final
 *      bracket. Every reference order outside it is no better than the best point (the
 *      bracket ends are, by quasi-convexity), so the result is never above the minimum over
 *      any reference grid, not merely within a tolerance of it.
 */

export interface OrderMinimum {
  /** The order at which `value` was evaluated. */
  order: number;
  /** The objective at `order`; +Infinity when it is infinite or undefined everywhere tried. */
  value: number;
  /** Objective evaluations spent (for benchmarks and tests). */
  evaluations: number;
}

export interface OrderSearchOptions {
  /** Largest order considered (> 2). */
  maxOrder: number;
  /** Orders at which the result must be no worse than the objective (sorted ascending). */
  referenceOrders: readonly number[];
  /** Tolerance in u = log(α − 1), i.e. the relative precision of α − 1 (default 1e-7). */
  tolerance?: number;
}

/** Orders walked up to bracket the minimum: all integers to 64, then steps of 12.5 %. */
function nextScanOrder(order: number, maxOrder: number): number {
  return Math.min(maxOrder, order < 64 ? order + 1 : Math.ceil(order * 1.125));
}

/** (3 − √5)/2: the golden-section fraction. */
const GOLDEN = 0.3819660112501051;
/** Smallest α − 1 the search may approach (the bracket's lower end is never evaluated). */
const MIN_ORDER_GAP = 1e-9;
const MAX_BRENT_ITERATIONS = 200;

export function minimiseOverOrder(objective: (order: number) => number, options: OrderSearchOptions): OrderMinimum {
  const { maxOrder, referenceOrders } = options;
  const tolerance = options.tolerance ?? 1e-7;
  let evaluations = 0;
  let bestOrder = NaN;
  let bestValue = Infinity;
  const f = (order: number): number => {
    evaluations++;
    const v = objective(order);
    const value = Number.isNaN(v) ? Infinity : v;
    if (value < bestValue || Number.isNaN(bestOrder)) {
      bestValue = value;
      bestOrder = order;
    }
    return value;
  };

  // 1. Bracket: lower < center < upper with f(center) ≤ f(lower), f(upper).
  let lower = 1 + MIN_ORDER_GAP;
  let center = 2;
  let fCenter = f(center);
  let upper = nextScanOrder(center, maxOrder);
  let fUpper = f(upper);
  while (fUpper < fCenter && upper < maxOrder) {
    lower = center;
    center = upper;
    fCenter = fUpper;
    upper = nextScanOrder(center, maxOrder);
    fUpper = f(upper);
  }
  if (fUpper < fCenter) {
    // Still falling at the largest order: search (lower, maxOrder] and keep maxOrder if best.
    lower = center;
  }
  if (!Number.isFinite(bestValue)) return { order: bestOrder, value: Infinity, evaluations };

  // 2. Brent's method on u = log(α − 1) within (lower, upper).
  const toOrder = (u: number): number => 1 + Math.exp(u);
  let a = Math.log(lower - 1);
  let b = Math.log(upper - 1);
  let x = fCenter <= fUpper ? Math.log(center - 1) : a + GOLDEN * (b - a);
  let fx = fCenter <= fUpper ? fCenter : f(toOrder(x));
  let w = x;
  let fw = fx;
  let v = x;
  let fv = fx;
  let step = 0;
  let previousStep = 0;
  for (let iteration = 0; iteration < MAX_BRENT_ITERATIONS; iteration++) {
    const middle = 0.5 * (a + b);
    const tol = tolerance * (1 + Math.abs(x)) * 0.5;
    if (Math.abs(x - middle) <= 2 * tol - 0.5 * (b - a)) break;
    let golden = true;
    if (Math.abs(previousStep) > tol && Number.isFinite(fv) && Number.isFinite(fw)) {
      // Parabola through (x, fx), (w, fw), (v, fv); accepted only if it falls inside the
      // bracket and moves less than half the step before last (else golden section).
      const r = (x - w) * (fx - fv);
      let q = (x - v) * (fx - fw);
      let p = (x - v) * q - (x - w) * r;
      q = 2 * (q - r);
      if (q > 0) p = -p;
      else q = -q;
      if (Math.abs(p) < Math.abs(0.5 * q * previousStep) && p > q * (a - x) && p < q * (b - x)) {
        previousStep = step;
        step = p / q;
        const u = x + step;
        if (u - a < 2 * tol || b - u < 2 * tol) step = x < middle ? tol : -tol;
        golden = false;
      }
    }
    if (golden) {
      previousStep = (x < middle ? b : a) - x;
      step = GOLDEN * previousStep;
    }
    const u = Math.abs(step) >= tol ? x + step : x + (step > 0 ? tol : -tol);
    const fu = f(toOrder(u));
    if (fu <= fx) {
      if (u < x) b = x;
      else a = x;
      v = w;
      fv = fw;
      w = x;
      fw = fx;
      x = u;
      fx = fu;
    } else {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w;
        fv = fw;
        w = u;
        fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u;
        fv = fu;
      }
    }
  }

  // 3. Reference orders strictly inside the final bracket.
  const from = toOrder(a);
  const to = toOrder(b);
  for (const order of referenceOrders) {
    if (order > from && order < to) f(order);
  }
  return { order: bestOrder, value: bestValue, evaluations };
}
