#!/usr/bin/env python3
"""Reference values for Statistics' two-group comparisons, multiplicity and power.

Run from this folder:  python3 make_comparison_fixtures.py   (writes comparisons.json)
References: scipy (Welch/paired t with CIs, Fisher exact, binomial test for exact McNemar),
statsmodels (Newcombe hybrid score interval `confint_proportions_2indep(method="newcomb")`,
Wilson and Clopper-Pearson `proportion_confint`, TOST `ttost_ind`, `multipletests`).
The paired Newcombe interval has no implementation in these libraries: `newcombe_paired` below is
an independent transcription of Newcombe (1998) Stat Med 17:2635, method 10, with the corrected
phi of Altman et al. (2000), written from the paper's formulas rather than from the Swift code.
"""
import json
import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from statsmodels.stats.weightstats import ttost_ind
from statsmodels.stats.multitest import multipletests

rng = np.random.default_rng(20261126)
ALT = {"two": "two-sided", "greater": "greater", "less": "less"}
out = {"generator": f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}"}

def level(alpha, side):
    return 1 - alpha if side == "two" else 1 - 2 * alpha

# Welch, with margins via shifted data (H0: mu_arm - mu_ctl = M  <=>  shift arm by -M)
welch = []
datasets = [
    (rng.normal(5, 2, 12), rng.normal(4, 1, 9)),
    (rng.normal(0, 1, 40), rng.normal(0.3, 3, 25)),
    (np.array([1.0, 2.0, 3.5, 4.0]), np.array([2.0, 2.0, 2.0])),          # constant control
    (rng.normal(100, 15, 200), rng.normal(95, 15, 180)),
    (np.array([0.1, 0.2]), np.array([5.0, 7.0, 9.0, 11.0, 13.0])),
]
for arm, ctl in datasets:
    for side in ["two", "greater", "less"]:
        for alpha in [0.05, 0.1]:
            for margin in [0.0, 0.5]:
                r = stats.ttest_ind(arm - margin, ctl, equal_var=False, alternative=ALT[side])
                ci = stats.ttest_ind(arm, ctl, equal_var=False).confidence_interval(level(alpha, side))
                welch.append({"arm": arm.tolist(), "control": ctl.tolist(), "side": side, "alpha": alpha, "margin": margin,
                              "estimate": float(arm.mean() - ctl.mean()), "lower": float(ci.low), "upper": float(ci.high),
                              "p": float(r.pvalue), "df": float(r.df)})
out["welch"] = welch

# TOST (Welch standard error and df)
tost = []
for arm, ctl in datasets[:4]:
    for low, upp in [(-1.0, 1.0), (-0.5, 2.0), (-3.0, 3.0)]:
        p, _, _ = ttost_ind(arm, ctl, low, upp, usevar="unequal")
        ci = stats.ttest_ind(arm, ctl, equal_var=False).confidence_interval(0.9)
        tost.append({"arm": arm.tolist(), "control": ctl.tolist(), "low": low, "upp": upp, "alpha": 0.05,
                     "p": float(p), "lower": float(ci.low), "upper": float(ci.high)})
out["tost"] = tost

# Paired t
paired = []
for n in [2, 5, 30]:
    ctl = rng.normal(10, 2, n)
    arm = ctl + rng.normal(0.5, 1, n)
    for side in ["two", "greater", "less"]:
        r = stats.ttest_rel(arm, ctl, alternative=ALT[side])
        ci = stats.ttest_rel(arm, ctl).confidence_interval(level(0.05, side))
        paired.append({"arm": arm.tolist(), "control": ctl.tolist(), "side": side, "alpha": 0.05,
                       "estimate": float(np.mean(arm - ctl)), "lower": float(ci.low), "upper": float(ci.high), "p": float(r.pvalue)})
out["pairedT"] = paired

# Risk difference: Newcombe hybrid score (method 10) + Fisher exact
risk = []
tables = [(5, 20, 2, 20), (0, 15, 3, 15), (10, 10, 4, 12), (0, 30, 0, 30), (56, 70, 48, 80), (9, 10, 1, 10),
          (1, 3, 0, 2), (120, 500, 95, 510), (7, 7, 7, 7), (3, 1000, 14, 1000)]
for a, n1, c, n2 in tables:
    for side in ["two", "greater", "less"]:
        for alpha in [0.05]:
            lo, hi = confint_proportions_2indep(a, n1, c, n2, method="newcomb", compare="diff", alpha=1 - level(alpha, side))
            p = stats.fisher_exact([[a, n1 - a], [c, n2 - c]], alternative=ALT[side]).pvalue
            risk.append({"a": a, "n1": n1, "c": c, "n2": n2, "side": side, "alpha": alpha,
                         "estimate": a / n1 - c / n2, "lower": float(lo), "upper": float(hi), "p": float(p)})
out["riskDifference"] = risk

# One-proportion intervals
props = []
for x, n in [(0, 10), (1, 10), (5, 10), (10, 10), (3, 200), (199, 200), (0, 1), (1, 1), (37, 100), (500, 1000)]:
    for conf in [0.95, 0.9]:
        wl, wu = proportion_confint(x, n, alpha=1 - conf, method="wilson")
        cl, cu = proportion_confint(x, n, alpha=1 - conf, method="beta")
        props.append({"x": x, "n": n, "confidence": conf, "wilson": [float(wl), float(wu)], "clopperPearson": [float(cl), float(cu)]})
out["proportions"] = props

# Paired proportions: Newcombe method 10 (independent transcription) and exact McNemar (scipy binomtest)
def wilson(x, n, z):
    p = x / n
    centre = (2 * x + z * z) / (2 * (n + z * z))
    half = z * np.sqrt(z * z + 4 * n * p * (1 - p)) / (2 * (n + z * z))
    return centre - half, centre + half

def newcombe_paired(a, b, c, d, conf):
    n = a + b + c + d
    z = stats.norm.ppf(1 - (1 - conf) / 2)
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, z)
    l2, u2 = wilson(a + c, n, z)
    denom = (a + b) * (c + d) * (a + c) * (b + d)
    if denom == 0:
        phi = 0.0
    else:
        num = a * d - b * c
        if num > 0:
            num = max(num - n / 2, 0)
        phi = num / np.sqrt(denom)
    diff = (b - c) / n
    dl = np.sqrt(max(0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    du = np.sqrt(max(0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return diff, diff - dl, diff + du

pairedRisk = []
for a, b, c, d in [(12, 9, 2, 21), (1, 1, 7, 12), (36, 12, 2, 0), (5, 0, 0, 5), (0, 0, 0, 20), (10, 3, 8, 79),
                   (3, 15, 2, 1), (0, 5, 0, 0), (40, 10, 20, 30)]:
    for side in ["two", "greater", "less"]:
        diff, lo, hi = newcombe_paired(a, b, c, d, level(0.05, side))
        p = 1.0 if b + c == 0 else stats.binomtest(b, b + c, 0.5, alternative=ALT[side]).pvalue
        pairedRisk.append({"a": a, "b": b, "c": c, "d": d, "side": side, "alpha": 0.05,
                           "estimate": diff, "lower": float(lo), "upper": float(hi), "p": float(p)})
out["pairedRiskDifference"] = pairedRisk

# Multiplicity: None marks an undefined p-value, left out of the family
mult = []
families = [[0.01, 0.04, 0.03, 0.2], [0.02, None, 0.02, 0.5, 0.001], [0.6, 0.7, 0.9], [None, 0.04], [0.04, 0.04, 0.04],
            [0.001, 0.011, 0.012, 0.013, 0.05, 0.3, 0.3]]
for fam in families:
    defined = [p for p in fam if p is not None]
    entry = {"p": fam}
    for method, sm in [("bonferroni", "bonferroni"), ("holm", "holm"), ("hochberg", "simes-hochberg")]:
        adj = iter(multipletests(defined, method=sm)[1].tolist())
        entry[method] = [None if p is None else next(adj) for p in fam]
    mult.append(entry)
out["multiplicity"] = mult

# Power intervals (Clopper-Pearson)
power = []
for s, r in [(0, 200), (13, 200), (200, 200), (1, 1), (812, 1000)]:
    lo, hi = proportion_confint(s, r, alpha=0.05, method="beta")
    power.append({"significant": s, "replicates": r, "alpha": 0.05, "lower": float(lo), "upper": float(hi)})
out["power"] = power

with open("comparisons.json", "w") as f:
    json.dump(out, f, indent=1)
print({k: len(v) for k, v in out.items() if isinstance(v, list)})
