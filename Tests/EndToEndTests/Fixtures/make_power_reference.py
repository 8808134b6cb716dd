#!/usr/bin/env python3
"""Theoretical power of the design in power-known-effect.yaml (independent of vtrial):
two groups of n = 20, difference delta = 8, SD sigma = 10, two-sided alpha = 0.05.
Power of the two-sample t test from the noncentral t distribution (df = 2n - 2, ncp =
delta / (sigma * sqrt(2/n))). Welch's test with equal n and equal variances has nearly the same
power (its df is random but close to 2n - 2); the end-to-end test allows for Monte-Carlo error."""
import json, math
from scipy import stats

n, delta, sigma, alpha = 20, 8.0, 10.0, 0.05
df = 2 * n - 2
ncp = delta / (sigma * math.sqrt(2.0 / n))
t = stats.t.ppf(1 - alpha / 2, df)
power = stats.nct.sf(t, df, ncp) + stats.nct.cdf(-t, df, ncp)
json.dump({"n_per_arm": n, "delta": delta, "sigma": sigma, "alpha": alpha, "df": df, "ncp": ncp,
           "power": power, "standard_error_of_difference": sigma * math.sqrt(2.0 / n)},
          open(__file__.replace("make_power_reference.py", "power-known-effect.json"), "w"), indent=2)
print(power)
