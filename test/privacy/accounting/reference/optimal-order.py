#!/usr/bin/env python3
"""
Independent reference for the continuous-order RDP accountant (test/privacy/accounting/
optimal-order.test.ts). Shares no code with src/: A_alpha is computed by numerical integration
of its defining expectation, in 30-digit arithmetic (mpmath, tanh-sinh quadrature split where
the integrand has its peaks), or, for integer orders, by the exact binomial sum.

  mu0 = N(0, s^2), mu = (1 - q) N(0, s^2) + q N(1, s^2)
  A_alpha = E_{z ~ mu0} [ (mu(z) / mu0(z))^alpha ]
          = integral phi_s(z) (1 - q + q exp((2z - 1) / (2 s^2)))^alpha dz
  RDP(alpha) = log(A_alpha) / (alpha - 1)        (per step; phases add steps * RDP)
  eps(alpha) = RDP_total(alpha) + log(1 - 1/alpha) - (log(delta) + log(alpha)) / (alpha - 1)
               (Balle et al. 2020, Theorem 21)

The optimum over the order is located on a coarse grid (integers 2..64, then steps of about
10 % up to 1e5, walked until eps has risen twice, and alpha - 1 = 10^(-k/12) below 2 when
needed), then on a dense linear grid
of 21 points between the neighbours of the coarse minimum, then refined by golden-section
search to 1e-10 relative in alpha. eps is also evaluated on the three published order grids
(Opacus DEFAULT_ALPHAS, dp_accounting DEFAULT_RDP_ORDERS, TF Privacy compute_dp_sgd_privacy),
with the exact RDP at each order.

Run: python3 test/privacy/accounting/reference/optimal-order.py > \
       test/privacy/accounting/reference/optimal-order.json
(mpmath 1.3.0; one to a few minutes per case on a loaded 2-core machine; an optional file
argument receives the cases finished so far.)
"""
import json
import sys

import mpmath as mp

mp.mp.dps = 30

OPACUS = [1 + x / 10 for x in range(1, 100)] + list(range(12, 64))
DP_ACCOUNTING = [1 + x / 10 for x in range(1, 100)] + list(range(11, 64)) + [128, 256, 512, 1024]
TF_PRIVACY = [1.25, 1.5, 1.75, 2, 2.25, 2.5, 3, 3.5, 4, 4.5] + list(range(5, 64)) + [128, 256, 512]

# (name, phases [(q, sigma, steps)], delta)
CASES = [
    ("issue example", [(0.001, 0.6, 100)], 1e-5),
    ("Opacus test", [(0.04, 1.5, 2250)], 1e-5),
    ("TF Privacy test 0", [(0.0025, 1.3, 6000)], 1e-5),
    ("dp_accounting, sigma 0.7", [(0.01, 0.7, 120)], 1e-5),
    ("dp_accounting, sigma 0.35", [(0.01, 0.35, 120)], 1e-5),
    ("small q, large sigma", [(0.001, 4, 10000)], 1e-5),
    ("tiny eps, large order", [(0.01, 50, 1000)], 1e-5),
    ("q near 1", [(0.9, 2, 50)], 1e-5),
    ("q = 1 (Gaussian)", [(1.0, 3, 10)], 1e-6),
    ("many steps", [(0.01, 1, 100000)], 1e-6),
    ("delta 1e-3", [(0.01, 1.1, 1000)], 1e-3),
    ("delta 1e-6", [(0.01, 1.1, 1000)], 1e-6),
    ("delta 1e-10", [(0.01, 1.1, 1000)], 1e-10),
    ("huge eps, order near 1", [(0.05, 0.3, 1000)], 1e-5),
    ("two phases", [(0.01, 1.2, 500), (0.05, 2.0, 200)], 1e-5),
]


def log_a_integer(q, s, alpha):
    q = mp.mpf(q)
    s = mp.mpf(s)
    total = mp.mpf(0)
    for i in range(alpha + 1):
        total += mp.binomial(alpha, i) * q**i * (1 - q) ** (alpha - i) * mp.exp((i * i - i) / (2 * s * s))
    return mp.log(total)


def log_a_quadrature(q, s, alpha):
    q = mp.mpf(q)
    s = mp.mpf(s)
    alpha = mp.mpf(alpha)

    def integrand(z):
        ratio = 1 - q + q * mp.exp((2 * z - 1) / (2 * s * s))
        return mp.npdf(z, 0, s) * ratio**alpha

    # Peaks: near 0 (mu0 dominates the ratio) and near alpha (the q-term dominates); z0 is
    # where the two terms of the ratio are equal. Split there and a few sigma around.
    points = {mp.mpf(0), mp.mpf(0.5), mp.mpf(1), alpha, alpha - 1}
    if q < 1:
        points.add(s * s * mp.log(1 / q - 1) + mp.mpf(0.5))
    for centre in (mp.mpf(0), alpha):
        for k in (-8, -4, -2, 2, 4, 8):
            points.add(centre + k * s)
    inner = sorted(points)
    value = mp.quad(integrand, [-mp.inf] + inner + [mp.inf])
    return mp.log(value)


_cache = {}


def log_a(q, s, alpha):
    key = (q, s, mp.nstr(mp.mpf(alpha), 25))
    if key not in _cache:
        if q == 1:
            a = mp.mpf(alpha)
            _cache[key] = a * (a - 1) / (2 * mp.mpf(s) ** 2)
        elif mp.mpf(alpha) == int(mp.mpf(alpha)) and alpha <= 4096:
            _cache[key] = log_a_integer(q, s, int(alpha))
        else:
            _cache[key] = log_a_quadrature(q, s, alpha)
    return _cache[key]


def eps(phases, delta, alpha):
    a = mp.mpf(alpha)
    rdp = mp.mpf(0)
    for q, s, steps in phases:
        rdp += steps * log_a(q, s, alpha) / (a - 1)
    return rdp + mp.log(1 - 1 / a) - (mp.log(mp.mpf(delta)) + mp.log(a)) / (a - 1)


def grid_minimum(phases, delta, orders):
    values = [(eps(phases, delta, a), a) for a in orders]
    best = min(values, key=lambda v: v[0])
    return best


def optimum(phases, delta):
    # Coarse: orders 2..64, then steps of about 10 % up to 1e5 (exact integer sums up to 4096),
    # below 2 (only when 2 beats 3): alpha - 1 = 10^(-k/12), k = 1..48.
    coarse = [2]
    values = [eps(phases, delta, 2)]
    # eps is quasi-convex in alpha (log A_alpha is convex); walk up until it has risen twice.
    while coarse[-1] < 100000 and not (len(values) > 2 and values[-1] > values[-2] > values[-3]):
        coarse.append(coarse[-1] + 1 if coarse[-1] < 64 else int(coarse[-1] * 1.1) + 1)
        values.append(eps(phases, delta, coarse[-1]))
    if values[0] <= values[1]:
        below = [1 + mp.mpf(10) ** (-k / mp.mpf(12)) for k in range(48, 0, -1)]
        coarse = below + coarse
        values = [eps(phases, delta, a) for a in below] + values
    k = min(range(len(values)), key=lambda i: values[i])
    lo = mp.mpf(coarse[max(0, k - 1)])
    hi = mp.mpf(coarse[min(len(coarse) - 1, k + 1)])
    # Dense: 21 points between the coarse neighbours.
    dense = [lo + (hi - lo) * j / 20 for j in range(21)]
    dense_values = [eps(phases, delta, a) for a in dense]
    j = min(range(len(dense)), key=lambda i: dense_values[i])
    a = dense[max(0, j - 1)]
    b = dense[min(20, j + 1)]
    # Golden section on [a, b].
    invphi = (mp.sqrt(5) - 1) / 2
    c = b - invphi * (b - a)
    d = a + invphi * (b - a)
    fc = eps(phases, delta, c)
    fd = eps(phases, delta, d)
    while (b - a) > mp.mpf("1e-10") * b:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - invphi * (b - a)
            fc = eps(phases, delta, c)
        else:
            a, c, fc = c, d, fd
            d = a + invphi * (b - a)
            fd = eps(phases, delta, d)
    alpha = (a + b) / 2
    return eps(phases, delta, alpha), alpha, dense_values[j], dense[j]


def main():
    # Self-checks: quadrature against the exact integer-order sum and the rdp.test.ts table.
    for q, s, alpha in [(0.01, 1.0, 5), (0.2, 0.8, 3), (0.001, 4.0, 40)]:
        exact = log_a_integer(q, s, alpha)
        quad = log_a_quadrature(q, s, alpha)
        assert abs(quad / exact - 1) < mp.mpf("1e-20"), (q, s, alpha, exact, quad)
    assert abs(log_a_quadrature(0.01, 0.7, 4.4) / 3.4 / mp.mpf("0.0045552733011906029") - 1) < 1e-15

    out = {
        "generator": "test/privacy/accounting/reference/optimal-order.py",
        "mpmath": mp.__version__,
        "digits": mp.mp.dps,
        "conversion": "balle2020",
        "cases": [],
    }
    for name, phases, delta in CASES:
        best, alpha, dense_best, dense_alpha = optimum(phases, delta)
        row = {
            "name": name,
            "phases": [{"sampleRate": q, "noiseMultiplier": s, "steps": t} for q, s, t in phases],
            "delta": delta,
            "epsilon": float(best),
            "order": float(alpha),
            "denseGridEpsilon": float(dense_best),
            "denseGridOrder": float(dense_alpha),
        }
        for label, grid in (("opacus", OPACUS), ("dpAccounting", DP_ACCOUNTING), ("tfPrivacy", TF_PRIVACY)):
            e, a = grid_minimum(phases, delta, grid)
            row[label] = {"epsilon": float(e), "order": float(a)}
        out["cases"].append(row)
        print(f"{name}: eps* = {mp.nstr(best, 12)} at {mp.nstr(alpha, 8)}", file=sys.stderr, flush=True)
        if len(sys.argv) > 1:  # partial results, case by case
            with open(sys.argv[1], "w") as partial:
                json.dump(out, partial, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
