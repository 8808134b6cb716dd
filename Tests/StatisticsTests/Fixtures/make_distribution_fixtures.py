#!/usr/bin/env python3
"""Reference values for Statistics' special functions and distributions, from scipy.

Run from this folder:  python3 make_distribution_fixtures.py   (writes distributions.json)
scipy's gammaln/betaln and binom/hypergeom logpmf lose up to ~1e-11 for very unequal or large
arguments (e.g. betaln(0.5, 5e5)), so those four functions are referenced to mpmath at 40 digits.
Each case is {"function": name, "arguments": [...], "value": v}; the Swift test maps `function`
to the corresponding Statistics call. Values are printed with repr() so they round-trip exactly.
"""
import json
import numpy as np
import scipy
from scipy import stats, special
import mpmath as mp
mp.mp.dps = 40

cases = []
def add(fn, args, value):
    value = float(value)
    assert np.isfinite(value), (fn, args, value)
    cases.append({"function": fn, "arguments": [float(a) for a in args], "value": value})

# log-gamma
for x in [1e-8, 0.01, 0.1, 0.5, 1.5, 2.5, 3.7, 9.99, 10, 10.5, 33.3, 100, 1e4, 5e5, 1e10]:
    add("logGamma", [x], mp.loggamma(mp.mpf(x)))

# log-beta, including very unbalanced and very large arguments
for a, b in [(0.5, 0.5), (1, 1), (2.5, 7), (0.5, 5e5), (5e5, 5e5), (12, 0.3), (30, 40), (1e3, 3)]:
    add("logBeta", [a, b], mp.log(mp.beta(mp.mpf(a), mp.mpf(b))))

# regularized incomplete beta
for a, b, x in [(0.5, 0.5, 0.1), (2, 3, 0.4), (2, 3, 0.999), (10, 10, 0.5), (0.1, 10, 0.01),
                (50, 60, 0.45), (5e5, 0.5, 0.999999), (1, 1, 0.3), (3.5, 1.25, 0.8), (200, 300, 0.3),
                (0.5, 20, 1e-5), (7, 2, 0.2)]:
    add("betainc", [a, b, x], special.betainc(a, b, x))

# complementary incomplete beta (small upper tails keep relative precision)
for a, b, x in [(2, 3, 0.999), (10, 10, 0.9), (0.5, 0.5, 0.9999), (50, 60, 0.7), (3.5, 1.25, 0.2)]:
    add("betaincc", [a, b, x], special.betaincc(a, b, x))

# standard normal
for x in [-38, -37.5, -30, -20, -10, -8, -5, -3.5, -3, -2.9, -1.96, -1, -0.3, 0, 0.3, 1, 1.96, 3, 5, 8]:
    add("normCdf", [x], stats.norm.cdf(x))
for p in [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.1, 0.3,
          0.425, 0.5, 0.6, 0.9, 0.95, 0.975, 0.99, 0.999, 1 - 1e-10]:
    add("normPpf", [p], stats.norm.ppf(p))

# Student t: CDF and quantile, real df, deep tails
dfs = [1, 1.5, 2, 2.5, 3, 4.7, 10, 29.3, 100, 1e3, 1e6]
for df in dfs:
    for t in [-1e5, -50, -10, -3, -1.5, -0.2, 0, 0.7, 2, 4, 12]:
        add("tCdf", [t, df], stats.t.cdf(t, df))
    for p in [1e-10, 1e-6, 0.001, 0.025, 0.05, 0.2, 0.5, 0.8, 0.95, 0.975, 0.999, 1 - 1e-6]:
        add("tPpf", [p, df], stats.t.ppf(p, df))

# beta quantile (Clopper–Pearson style arguments and general ones)
for p, a, b in [(0.025, 1, 20), (0.975, 1, 20), (0.025, 5, 16), (0.975, 6, 15), (0.5, 2, 3),
                (1e-6, 0.5, 0.5), (0.3, 0.2, 5), (0.9, 30, 40), (0.025, 100, 901), (0.975, 101, 900),
                (0.05, 1000, 1), (0.95, 1, 1000), (0.001, 3, 0.7)]:
    add("betaPpf", [p, a, b], stats.beta.ppf(p, a, b))

# chi-square survival
for x, k in [(0.01, 1), (1, 1), (3.84, 1), (10, 1), (50, 1), (200, 1), (1, 2), (5, 3), (30, 10), (0.5, 7), (150, 100)]:
    add("chi2Sf", [x, k], stats.chi2.sf(x, k))

for x, k in [(0.01, 3), (1, 2), (5, 3), (30, 10), (0.5, 7), (150, 100), (1e-6, 4)]:
    add("chi2Cdf", [x, k], stats.chi2.cdf(x, k))

# discrete pmfs (log space)
for k, n, p in [(0, 10, 0.3), (3, 10, 0.3), (10, 10, 0.3), (500, 1000, 0.5), (7, 5000, 0.001)]:
    add("binomLogPmf", [k, n, p], mp.log(mp.binomial(n, k)) + k * mp.log(mp.mpf(p)) + (n - k) * mp.log(1 - mp.mpf(p)))
for k, N, K, n in [(2, 20, 7, 10), (0, 20, 7, 10), (7, 20, 7, 10), (150, 1000, 300, 500)]:
    add("hypergeomLogPmf", [k, N, K, n], mp.log(mp.binomial(K, k) * mp.binomial(N - K, n - k) / mp.binomial(N, n)))

# Randomized sweeps (fixed seed): t quantiles over real df and log-uniform tails, t CDFs at very
# large df (Welch df grows with the sample size), Clopper-Pearson-type beta quantiles up to n = 1e5.
rng = np.random.default_rng(7)
for _ in range(120):
    df = float(np.exp(rng.uniform(0, np.log(500))))
    p = float(10 ** rng.uniform(-15, np.log10(0.5)))
    add("tPpf", [p, df], stats.t.ppf(p, df))
    t = float(rng.normal(0, 4))
    add("tCdf", [t, df], stats.t.cdf(t, df))
for df in [0.3, 0.5, 0.9, 0.9999999, 1.0000001, 1.9999999, 2.0000001]:   # df below 1 and next to the closed forms
    for p in [1e-12, 1e-4, 0.01, 0.3, 0.9, 0.999]:
        add("tPpf", [p, df], stats.t.ppf(p, df))
    for t in [-1e6, -30, -1, 0.5, 5]:
        add("tCdf", [t, df], stats.t.cdf(t, df))
for df in [1e7, 1e8]:
    for t in [-8, -2, 0.5, 3]:
        add("tCdf", [t, df], stats.t.cdf(t, df))
for _ in range(80):
    n = int(10 ** rng.uniform(0, 5))
    x = int(rng.integers(0, n + 1))
    for p, a, b in [(0.025, x, n - x + 1), (0.975, x + 1, n - x)]:
        if a > 0 and b > 0:
            add("betaPpf", [p, a, b], stats.beta.ppf(p, a, b))

with open("distributions.json", "w") as f:
    json.dump({"generator": f"scipy {scipy.__version__}, numpy {np.__version__}, mpmath {mp.__version__}", "cases": cases}, f, indent=1)
print(len(cases), "cases")
