#!/usr/bin/env python3
"""Reference values for PopulationTests, computed with scipy independently of the Swift code.

marginals.json: mean, variance, quartiles and the density at each quartile of the truncated
marginals used by the tests (the density gives the Monte-Carlo standard error of a sample
quantile, √(p(1 − p)/n)/f(x_p)):
  AGE  normal(58, 10) truncated to [18, 80]         (scipy.stats.truncnorm)
  WT   lognormal(median 88, cv 0.2) truncated to [45, 180]
       (meanlog = ln 88, sdlog = √ln(1 + 0.2²); moments by quad over the truncated log-scale
       normal, quantiles from the truncated normal on the log scale, exponentiated)
  EGFR normal(85, 20) truncated below at 15
  EXTREME normal(0, 1) truncated to [6, 7] (far right tail)
Floats are written as shortest round-trip strings.

Run: python3 make_fixtures.py
"""
import json
import math
import scipy
from scipy.stats import truncnorm
from scipy.integrate import quad


def exact(x):
    return repr(float(x))


def normal_entry(mean, sd, lo, hi):
    a, b = (lo - mean) / sd, (hi - mean) / sd
    d = truncnorm(a, b, loc=mean, scale=sd)
    qs = [0.25, 0.5, 0.75]
    return {"mean": exact(d.mean()), "variance": exact(d.var()),
            "quantiles": [{"p": exact(p), "x": exact(d.ppf(p)), "density": exact(d.pdf(d.ppf(p)))} for p in qs]}


def lognormal_entry(meanlog, sdlog, lo, hi):
    a, b = (math.log(lo) - meanlog) / sdlog, (math.log(hi) - meanlog) / sdlog
    y = truncnorm(a, b, loc=meanlog, scale=sdlog)
    m1 = quad(lambda t: math.exp(t) * y.pdf(t), math.log(lo), math.log(hi), epsabs=0, epsrel=1e-13)[0]
    m2 = quad(lambda t: math.exp(2 * t) * y.pdf(t), math.log(lo), math.log(hi), epsabs=0, epsrel=1e-13)[0]
    qs = [0.25, 0.5, 0.75]
    out = []
    for p in qs:
        t = y.ppf(p)
        out.append({"p": exact(p), "x": exact(math.exp(t)), "density": exact(y.pdf(t) / math.exp(t))})
    return {"mean": exact(m1), "variance": exact(m2 - m1 * m1), "quantiles": out}


sdlog = math.sqrt(math.log(1 + 0.2 ** 2))
data = {
    "source": f"scipy {scipy.__version__}",
    "AGE": normal_entry(58, 10, 18, 80),
    "WT": lognormal_entry(math.log(88), sdlog, 45, 180),
    "EGFR": normal_entry(85, 20, 15, math.inf),
    "EXTREME": normal_entry(0, 1, 6, 7),
}
with open("marginals.json", "w") as f:
    json.dump(data, f, indent=1)
print("ok")
