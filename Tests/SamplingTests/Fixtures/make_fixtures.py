#!/usr/bin/env python3
"""Reference values for SamplingTests, written independently of the Swift code.

1. philox.json: Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy
   as 1, 2, 3", SC 2011) implemented here from the paper, checked against the Random123
   known-answer vectors (kat_vectors in Random123), then used to produce outputs for a few
   more (counter, key) pairs.
2. normal.json: Φ and Φ⁻¹ at chosen points, from mpmath at 60 significant digits (the exact
   value for the double given) and from scipy.stats.norm (for comparison; scipy's ndtr rounds
   x/√2 first, so its deep-tail CDF values carry ~x²·1e-16 relative error).

3. layout.json: the first words of RandomStream(seed: 0x0123456789abcdef, replicate: 3,
   subject: 42, stream: eta = 2) predicted from the documented counter layout
   (c0 = block, c1 = stream id, c2 = subject, c3 = replicate; key = seed low, seed high), each
   64-bit word = (second 32-bit output << 32) | first.
4. distributions.json: scipy's truncated-normal moments (scipy.stats.truncnorm) and chi-square
   critical values and the Kolmogorov distribution's 0.999 quantile (√n·D_n critical value) used by the statistical tests.

Floating-point values are written as strings (Python repr, the shortest round-trip form) so
that no JSON reader can round them on the way in.

Run: python3 make_fixtures.py   (needs numpy, scipy, mpmath)
"""
import json


def exact(x):
    """A double as its shortest round-trip decimal string."""
    return repr(float(x))
import mpmath
import scipy
from scipy.stats import norm

M0, M1 = 0xD2511F53, 0xCD9E8D57   # multipliers (paper, Table 2)
W0, W1 = 0x9E3779B9, 0xBB67AE85   # Weyl key increments: golden ratio, sqrt(3) - 1
MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c = list(ctr)
    k0, k1 = key
    for r in range(10):
        if r > 0:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c[0], M1 * c[2]
        hi0, lo0 = p0 >> 32, p0 & MASK
        hi1, lo1 = p1 >> 32, p1 & MASK
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
    return c


# Random123 kat_vectors, philox4x32 10 rounds: counter, key, expected.
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
    ([MASK] * 4, [MASK, MASK], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
    ([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
     [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]),
]
for ctr, key, want in KAT:
    got = philox4x32_10(ctr, key)
    assert got == want, (ctr, key, [hex(g) for g in got])

extra = []
for ctr, key in [([1, 0, 0, 0], [0, 0]), ([0, 1, 2, 3], [4, 5]),
                 ([7, 0x10000, 42, 3], [0x89abcdef, 0x01234567]),
                 ([0xFFFFFFFF, 0, 0, 0], [1, 0])]:
    extra.append({"counter": ctr, "key": key, "output": philox4x32_10(ctr, key)})

with open("philox.json", "w") as f:
    json.dump({"source": "Random123 kat_vectors (philox4x32 10 rounds) and make_fixtures.py",
               "vectors": [{"counter": c, "key": k, "output": w} for c, k, w in KAT] + extra},
              f, indent=1)

mpmath.mp.dps = 60


def cdf_exact(x):
    return mpmath.ncdf(mpmath.mpf(x))


def ppf_exact(p):
    p = mpmath.mpf(p)
    # Solve ncdf(x) = p with Newton from scipy's estimate (mpmath has no ncdf inverse).
    x = mpmath.mpf(float(norm.ppf(float(p))))
    if not mpmath.isfinite(x):
        x = -mpmath.sqrt(-2 * mpmath.log(p))
    for _ in range(100):
        step = (mpmath.ncdf(x) - p) / mpmath.npdf(x)
        x -= step
        if abs(step) < mpmath.mpf(10) ** -50 * max(1, abs(x)):
            break
    return x


cdf_points = [-38.0, -37.5, -30.0, -20.0, -10.0, -8.0, -5.0, -3.0, -2.0, -1.5, -1.0, -0.5,
              -1e-3, 0.0, 1e-8, 0.25, 0.5, 1.0, 1.96, 3.0, 5.0, 8.0, 8.3]
ppf_points = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 0.001, 0.01, 0.025, 0.05, 0.1,
              0.2, 0.3, 0.4, 0.425, 0.45, 0.5, 0.55, 0.575, 0.6, 0.7, 0.8, 0.9, 0.95, 0.975, 0.99,
              0.999, 1 - 1e-5, 1 - 1e-10, 1 - 1e-16]

cdf = [{"x": exact(x), "cdf": exact(cdf_exact(x)), "sf": exact(cdf_exact(-x)),
        "scipy_cdf": exact(norm.cdf(x)), "scipy_sf": exact(norm.sf(x))} for x in cdf_points]
ppf = [{"p": exact(p), "quantile": exact(ppf_exact(p)), "scipy_ppf": exact(norm.ppf(p))}
       for p in ppf_points]
with open("normal.json", "w") as f:
    json.dump({"source": f"mpmath {mpmath.__version__} at 60 digits; scipy {scipy.__version__}",
               "cdf": cdf, "quantile": ppf}, f, indent=1)
print("ok")

seed = 0x0123456789abcdef
key = [seed & MASK, seed >> 32]
words = []
for block in range(3):
    o = philox4x32_10([block, 2, 42, 3], key)
    words += [(o[1] << 32) | o[0], (o[3] << 32) | o[2]]
with open("layout.json", "w") as f:
    json.dump({"seed": str(seed), "replicate": 3, "subject": 42, "stream": 2,
               "words": [str(w) for w in words]}, f, indent=1)

from scipy.stats import truncnorm, chi2
from scipy.special import kolmogi
import math
bounds = [(-1.0, 2.0), (-0.5, 0.5), (2.0, math.inf), (-math.inf, -3.0), (10.0, 12.0),
          (-40.0, -30.0), (0.0, 1e-3)]
truncated = []
for a, b in bounds:
    m, v = truncnorm.stats(a, b, moments="mv")
    truncated.append({"lower": exact(a), "upper": exact(b), "mean": exact(m), "variance": exact(v)})
with open("distributions.json", "w") as f:
    json.dump({"source": f"scipy {scipy.__version__}: truncnorm.stats, chi2.ppf(0.999, df)",
               "truncatedNormal": truncated,
               "kolmogorov999": exact(kolmogi(0.001)),
               "chiSquare999": {str(df): exact(chi2.ppf(0.999, df)) for df in [1, 2, 3, 4, 6, 9, 99, 999]}},
              f, indent=1)
print("ok")
