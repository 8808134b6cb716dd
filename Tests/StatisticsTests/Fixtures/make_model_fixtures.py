#!/usr/bin/env python3
"""Reference values for Statistics' ANCOVA and survival analyses.

Run from this folder:  python3 make_model_fixtures.py   (writes models.json)
References:
  ANCOVA  statsmodels OLS `value ~ C(group, Treatment(0)) + base` (params, bse, df_resid,
          conf_int, two-sided p); one-sided p from its t statistic with scipy's t distribution.
  Kaplan-Meier  lifelines KaplanMeierFitter (survival at each event time). The median follows
          R survival's rule (midpoint over a flat stretch at exactly 0.5), which lifelines does not
          implement, so it is computed here directly from lifelines' curve.
  Log-rank  lifelines logrank_test (hypergeometric variance, as R survdiff): chi-square and p.
  Cox PH  `efron_fit` below: a direct transcription of Efron's (1977) partial likelihood with its
          analytic score and information, maximized by plain Newton steps until the step is below
          1e-13 (full convergence). lifelines' CoxPHFitter (Efron ties) is run on every dataset as a
          cross-check (|beta difference| < 1e-3 asserted): it stops its damped Newton iterations
          earlier (by up to ~4e-4 in beta on flat likelihoods), so it is not the value tested.
"""
import json
import warnings
import numpy as np
import pandas as pd
import scipy
import statsmodels
import lifelines
import statsmodels.formula.api as smf
from scipy import stats
from lifelines import KaplanMeierFitter, CoxPHFitter
from lifelines.statistics import logrank_test

warnings.simplefilter("ignore")
rng = np.random.default_rng(424242)
out = {"generator": f"statsmodels {statsmodels.__version__}, lifelines {lifelines.__version__}, scipy {scipy.__version__}"}

# ANCOVA
def ancova_case(fit, value, base, groups, arms, alpha):
    """One fixture case: each arm's coefficient of `fit` with its intervals and p-values."""
    ci90 = fit.conf_int(alpha=2 * alpha)
    ci = fit.conf_int(alpha=alpha)
    per_arm = []
    for k in range(1, arms + 1):
        name = f"C(group, Treatment(0))[T.{k}]"
        t = fit.tvalues[name]
        per_arm.append({"estimate": fit.params[name], "se": fit.bse[name],
                        "lower": ci.loc[name, 0], "upper": ci.loc[name, 1],
                        "lowerOneSided": ci90.loc[name, 0], "upperOneSided": ci90.loc[name, 1],
                        "p": fit.pvalues[name], "pGreater": stats.t.sf(t, fit.df_resid), "pLess": stats.t.cdf(t, fit.df_resid)})
    return {"values": value.tolist(), "baselines": base.tolist(), "groups": groups.tolist(), "armCount": arms,
            "alpha": alpha, "dfResid": fit.df_resid, "arms": per_arm}

ancova = []
for n_per, arms, effects in [(15, 1, [2.0]), (30, 3, [0.0, -1.5, 3.0]), (6, 2, [1.0, 0.5]), (100, 2, [-0.3, 0.2])]:
    groups = np.repeat(np.arange(arms + 1), n_per)
    base = rng.normal(50, 8, groups.size)
    value = 5 + 0.6 * base + np.concatenate([[0.0], effects])[groups] + rng.normal(0, 4, groups.size)
    df = pd.DataFrame({"value": value, "base": base, "group": groups})
    fit = smf.ols("value ~ C(group, Treatment(0)) + base", df).fit()
    for alpha in [0.05, 0.1]:
        ancova.append(ancova_case(fit, value, base, groups, arms, alpha))
# A baseline the groups explain (all 0, as C before the first dose; or constant within each
# group) is aliased with the intercept and arm columns: R's lm drops it (coefficient NA) and fits
# value ~ group. The reference is that model in statsmodels (whose pinv-based fit of the full,
# rank-deficient design would instead share the effect between arm and baseline). Own generator,
# so the cases above keep their draws.
aliased_rng = np.random.default_rng(20261127)
for arms, base_of_group in [(1, [0.0, 0.0]), (2, [3.0, 7.0, -1.0])]:
    groups = np.repeat(np.arange(arms + 1), 12)
    base = np.array(base_of_group)[groups]
    value = 10 + np.concatenate([[0.0], [1.0, -2.0][:arms]])[groups] + aliased_rng.normal(0, 2, groups.size)
    fit = smf.ols("value ~ C(group, Treatment(0))", pd.DataFrame({"value": value, "group": groups})).fit()
    ancova.append(ancova_case(fit, value, base, groups, arms, 0.05))
out["ancova"] = ancova

def r_median(times, surv):
    for j, s in enumerate(surv):
        if s <= 0.5 + 1e-9:
            if s >= 0.5 - 1e-9:
                return 0.5 * (times[j] + times[j + 1]) if j + 1 < len(times) else times[j]
            return times[j]
    return None

datasets = []
# ties and censoring, moderate size
t = np.round(rng.exponential(10, 60), 0) + 1
e = rng.random(60) < 0.7
arm = np.arange(60) % 2 == 0
t[arm] *= 1.6
datasets.append(("ties", t, e, arm))
# heavy censoring
t = rng.exponential(5, 80)
e = rng.random(80) < 0.15
arm = np.arange(80) < 40
datasets.append(("heavyCensoring", t, e, arm))
# zero events in the arm
t = np.array([1, 2, 3, 4, 5, 2, 4, 6, 8, 10.0])
e = np.array([0, 0, 0, 0, 0, 1, 1, 0, 1, 1], bool)
arm = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], bool)
datasets.append(("noArmEvents", t, e, arm))
# tiny groups
t = np.array([3.0, 5.0, 4.0, 6.0])
e = np.array([1, 1, 1, 0], bool)
arm = np.array([1, 1, 0, 0], bool)
datasets.append(("tiny", t, e, arm))
# survival exactly 0.5 over a flat stretch (4 subjects, events at 1 and 2, then one event at 7)
t = np.array([1, 2, 5, 7, 3, 4, 5, 6.0])
e = np.array([1, 1, 0, 1, 1, 1, 1, 0], bool)
arm = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
datasets.append(("flatHalf", t, e, arm))
# many tied event times, larger
t = rng.integers(1, 8, 200).astype(float)
e = rng.random(200) < 0.8
arm = rng.random(200) < 0.5
t[arm] = np.minimum(t[arm] + rng.integers(0, 3, arm.sum()), 9)
datasets.append(("heavyTies", t, e, arm))

def efron_loglik(beta, t, e, X):
    """Efron partial log-likelihood, score and information (straight from the definitions)."""
    eta = X @ beta
    w = np.exp(eta)
    p = X.shape[1]
    ll, U, I = 0.0, np.zeros(p), np.zeros((p, p))
    for time in np.unique(t[e]):
        D = (t == time) & e
        R = t >= time
        d = D.sum()
        ll += eta[D].sum()
        U += X[D].sum(axis=0)
        s0R, s1R, s2R = w[R].sum(), (w[R, None] * X[R]).sum(axis=0), (w[R, None, None] * X[R, :, None] * X[R, None, :]).sum(axis=0)
        s0D, s1D, s2D = w[D].sum(), (w[D, None] * X[D]).sum(axis=0), (w[D, None, None] * X[D, :, None] * X[D, None, :]).sum(axis=0)
        for r in range(d):
            f = r / d
            den = s0R - f * s0D
            m = (s1R - f * s1D) / den
            ll -= np.log(den)
            U -= m
            I += (s2R - f * s2D) / den - np.outer(m, m)
    return ll, U, I

def efron_fit(t, e, X):
    beta = np.zeros(X.shape[1])
    for _ in range(100):
        ll, U, I = efron_loglik(beta, t, e, X)
        step = np.linalg.solve(I, U)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-13:
            break
    ll, U, I = efron_loglik(beta, t, e, X)
    return beta, np.sqrt(np.diag(np.linalg.inv(I))), ll

survival = []
for name, t, e, arm in datasets:
    entry = {"name": name, "times": t.tolist(), "events": e.tolist(), "isArm": arm.tolist(), "groups": {}}
    for label, mask in [("arm", arm), ("control", ~arm)]:
        kmf = KaplanMeierFitter().fit(t[mask], e[mask])
        sf = kmf.survival_function_.iloc[:, 0]
        event_times = sorted(set(t[mask][e[mask]].tolist()))
        surv = [float(sf.loc[x]) for x in event_times]
        entry["groups"][label] = {"eventTimes": event_times, "survival": surv, "median": r_median(event_times, surv),
                                  "events": int(e[mask].sum())}
    lr = logrank_test(t[arm], t[~arm], e[arm], e[~arm])
    entry["logRankChiSquare"] = float(lr.test_statistic)
    entry["logRankP"] = float(lr.p_value)
    if e[arm].any() and e[~arm].any():
        df = pd.DataFrame({"T": t, "E": e.astype(int), "ARM": arm.astype(float)})
        cph = CoxPHFitter().fit(df, "T", "E")
        beta, se, ll = efron_fit(t, e, arm.astype(float)[:, None])
        assert abs(beta[0] - cph.params_["ARM"]) < 1e-3 and ll >= cph.log_likelihood_ - 1e-12, name
        entry["coxBeta"] = float(beta[0])
        entry["coxSE"] = float(se[0])
        entry["coxLogLikelihood"] = float(ll)
    survival.append(entry)
out["survival"] = survival

# Two covariates (arm indicator and a continuous covariate), Efron ties, for the p-column fit
t = np.round(rng.exponential(8, 120), 0) + 1
e = rng.random(120) < 0.75
arm = (np.arange(120) % 3 == 0).astype(float)
age = rng.normal(60, 10, 120)
t = t * np.exp(0.4 * arm - 0.02 * (age - 60))
t = np.round(t, 1)
df = pd.DataFrame({"T": t, "E": e.astype(int), "ARM": arm, "AGE": age})
cph = CoxPHFitter().fit(df, "T", "E")
beta, se, ll = efron_fit(t, e, np.column_stack([arm, age]))
assert np.max(np.abs(beta - cph.params_[["ARM", "AGE"]].to_numpy())) < 1e-3 and ll >= cph.log_likelihood_ - 1e-12
out["coxTwoCovariates"] = {"times": t.tolist(), "events": e.tolist(), "arm": arm.tolist(), "age": age.tolist(),
                           "beta": beta.tolist(), "se": se.tolist(), "logLikelihood": float(ll)}

def clean(o):
    if isinstance(o, dict): return {k: clean(v) for k, v in o.items()}
    if isinstance(o, list): return [clean(v) for v in o]
    if isinstance(o, (np.floating,)): return float(o)
    if isinstance(o, (np.integer,)): return int(o)
    if isinstance(o, (np.bool_,)): return bool(o)
    return o

with open("models.json", "w") as f:
    json.dump(clean(out), f, indent=1)
print("ancova", len(ancova), "survival", len(survival))
for s in survival: print(s["name"], s["groups"]["arm"]["median"], s["groups"]["control"]["median"], s.get("coxBeta"), s["logRankP"])
