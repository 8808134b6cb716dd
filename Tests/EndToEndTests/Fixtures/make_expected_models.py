#!/usr/bin/env python3
"""Independent reference values for the end-to-end test `ModelStatisticsTests`:
ANCOVA (statsmodels OLS) and time-to-event statistics (lifelines: Cox proportional hazards with
Efron ties, log-rank; Kaplan–Meier median with R survival's rule written out below), recomputed
from the run's OWN endpoints.csv of stats-models.yaml. None of vtrial's statistics code is used.

Regenerate whenever the simulation changes on purpose (never to make a failing statistic pass):

    swift build --product vtrial
    python3 Tests/EndToEndTests/Fixtures/make_expected_models.py .build/debug/vtrial

Requires numpy, scipy, statsmodels, pandas and lifelines (pip install statsmodels lifelines).
"""
import csv, hashlib, json, math, os, subprocess, sys, tempfile
import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
ARMS, CONTROL, ALPHA = ["placebo", "low", "high"], "placebo", 0.05
CONTINUOUS = [("E_D8", "AVAL"), ("E_CHG_D5", "CHG")]


def num(x):
    return None if x is None else float(x)


def km_median(times, events):
    """Kaplan–Meier median as R's survival package: the earliest time with S <= 0.5 (tolerance
    1e-9); where S equals 0.5 over a flat stretch, the midpoint of its start and the next event time."""
    t = np.asarray(times, float); e = np.asarray(events, bool)
    s, at_risk = 1.0, len(t)
    event_times = sorted(set(t[e]))
    curve = []
    for u in event_times:
        d = int(((t == u) & e).sum())
        n = int((t >= u).sum())
        s *= 1 - d / n
        curve.append((u, s))
    for i, (u, su) in enumerate(curve):
        if abs(su - 0.5) <= 1e-9:
            return (u + curve[i + 1][0]) / 2 if i + 1 < len(curve) else u
        if su < 0.5:
            return u
    return None


def main():
    binary = sys.argv[1]
    work = tempfile.mkdtemp()
    subprocess.run([binary, "run", os.path.join(HERE, "stats-models.yaml"), "--out", work, "--quiet"], check=True)
    folder = os.path.join(work, "E2E-MODELS")
    rows = list(csv.DictReader(open(os.path.join(folder, "endpoints.csv"))))
    replicates = sorted({int(r["REPLICATE"]) for r in rows})
    comparisons, efficacy_tte = [], []
    for rep in replicates:
        mine = [r for r in rows if int(r["REPLICATE"]) == rep]
        for eid, column in CONTINUOUS:
            data = pd.DataFrame([{"y": float(r[column]), "base": float(r["BASE"]), "arm": r["ARM"]}
                                 for r in mine if r["ENDPOINT"] == eid and r[column] != "" and r["BASE"] != ""])
            fit = smf.ols("y ~ C(arm, Treatment(reference='placebo')) + base", data=data).fit()
            ci = fit.conf_int(alpha=ALPHA)
            for arm in ARMS[1:]:
                name = f"C(arm, Treatment(reference='placebo'))[T.{arm}]"
                comparisons.append({"REPLICATE": rep, "ENDPOINT": eid, "ARM": arm, "METHOD": "ANCOVA",
                                    "ESTIMATE": num(fit.params[name]), "CI_LOWER": num(ci.loc[name, 0]),
                                    "CI_UPPER": num(ci.loc[name, 1]), "P_VALUE": num(fit.pvalues[name])})
        tte = [r for r in mine if r["ENDPOINT"] == "TTR"]
        for arm in ARMS:
            sel = [r for r in tte if r["ARM"] == arm]
            times = [float(r["AVAL"]) for r in sel]; events = [r["CNSR"] == "0" for r in sel]
            efficacy_tte.append({"REPLICATE": rep, "ENDPOINT": "TTR", "ARM": arm, "N": len(sel),
                                 "EVENTS": sum(events), "MEDIAN_TIME": num(km_median(times, events))})
        control = [r for r in tte if r["ARM"] == CONTROL]
        for arm in ARMS[1:]:
            sel = [r for r in tte if r["ARM"] == arm]
            df = pd.DataFrame([{"T": float(r["AVAL"]), "E": int(r["CNSR"] == "0"), "x": 1} for r in sel] +
                              [{"T": float(r["AVAL"]), "E": int(r["CNSR"] == "0"), "x": 0} for r in control])
            lr = logrank_test(df[df.x == 1]["T"], df[df.x == 0]["T"], df[df.x == 1]["E"], df[df.x == 0]["E"])
            row = {"REPLICATE": rep, "ENDPOINT": "TTR", "ARM": arm, "METHOD": "COX_PH", "P_VALUE": num(lr.p_value),
                   "ESTIMATE": None, "CI_LOWER": None, "CI_UPPER": None}
            if df[df.x == 1]["E"].sum() > 0 and df[df.x == 0]["E"].sum() > 0:
                cph = CoxPHFitter()   # Efron ties
                cph.fit(df, duration_col="T", event_col="E", fit_options={"precision": 1e-14, "max_steps": 200})
                beta, se = cph.params_["x"], cph.standard_errors_["x"]
                z = stats.norm.ppf(1 - ALPHA / 2)
                row.update({"ESTIMATE": math.exp(beta), "CI_LOWER": math.exp(beta - z * se), "CI_UPPER": math.exp(beta + z * se)})
            comparisons.append(row)
    out = {"inputs_sha256": {"endpoints.csv": hashlib.sha256(open(os.path.join(folder, "endpoints.csv"), "rb").read()).hexdigest()},
           "comparisons": comparisons, "efficacy": efficacy_tte}
    json.dump(out, open(os.path.join(HERE, "expected_models.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
