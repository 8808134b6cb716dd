#!/usr/bin/env python3
"""Independent reference statistics for the end-to-end test `StatisticsTests` (EndToEndTests).

How to (re)generate expected_statistics.json — regenerate whenever the simulation changes on
purpose (new random streams, model changes …), never to make a failing statistic pass:

    swift build --product vtrial
    python3 Tests/EndToEndTests/Fixtures/make_expected_statistics.py .build/debug/vtrial

The script runs vtrial on the fixture protocols (stats.yaml, stats-bonferroni.yaml) itself, then
recomputes efficacy.csv, comparisons.csv, safety.csv and power.csv of those runs from the runs' OWN
subject-level files (endpoints.csv, adverse_events.csv, subjects.csv) with numpy, scipy and
statsmodels — none of vtrial's statistics code is used:

  * descriptive statistics: numpy (SD with ddof=1, percentiles type 7 = numpy "linear");
  * WELCH_T: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval();
  * RISK_DIFF: statsmodels confint_proportions_2indep(method="newcomb") (Newcombe's hybrid score,
    method 10) and scipy.stats.fisher_exact (two-sided);
  * Holm / Bonferroni: statsmodels multipletests over the defined p-values of each
    (replicate, endpoint-or-term) group;
  * incidence and power intervals: statsmodels proportion_confint(method="beta") (Clopper–Pearson).

The SHA-256 of the subject-level input files is stored too, so the test can say clearly when the
fixture is stale (the simulation changed) rather than reporting hundreds of mismatches.
Requires numpy, scipy and statsmodels (pip install statsmodels).
"""
import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

HERE = os.path.dirname(os.path.abspath(__file__))

# The design of the fixture protocols, written out here (it is what the YAML says).
ARMS = ["placebo", "low", "high"]
CONTROL = "placebo"
ALPHA = 0.05
ENDPOINTS = [  # id, analysed column, better, has responder rule
    ("E_CHG", "CHG", "lower", True),
    ("E_PCHG", "PCHG", "lower", False),
    ("CMAX", "AVAL", "higher", False),
]
TERMS = ["Biomarker decreased", "High exposure"]
PROTOCOLS = [("stats.yaml", "E2E-STATS", "holm"), ("stats-bonferroni.yaml", "E2E-STATS-BONF", "bonferroni")]


def num(x):
    """A JSON-ready float, or None for an undefined value."""
    if x is None:
        return None
    x = float(x)
    if not np.isfinite(x):
        raise ValueError("non-finite reference value")
    return x


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def welch(a, c):
    a, c = np.asarray(a, float), np.asarray(c, float)
    if len(a) < 2 or len(c) < 2 or (np.var(a) == 0 and np.var(c) == 0):
        return None, None, None, None
    r = stats.ttest_ind(a, c, equal_var=False)
    ci = r.confidence_interval(confidence_level=1 - ALPHA)
    return a.mean() - c.mean(), ci.low, ci.high, r.pvalue


def risk_diff(x1, n1, x0, n0):
    if n1 == 0 or n0 == 0:
        return None, None, None, None
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff", alpha=ALPHA)
    p = stats.fisher_exact([[x1, n1 - x1], [x0, n0 - x0]], alternative="two-sided").pvalue
    return x1 / n1 - x0 / n0, low, high, min(p, 1.0)


def adjust(pvals, method):
    """P_ADJ over the defined p-values of one group."""
    idx = [i for i, p in enumerate(pvals) if p is not None]
    out = [None] * len(pvals)
    if idx:
        adj = multipletests([pvals[i] for i in idx], method=method)[1]
        for i, v in zip(idx, adj):
            out[i] = v
    return out


def expected_for(protocol_file, protocol_id, multiplicity, binary, workdir):
    out = os.path.join(workdir, protocol_id)
    subprocess.run([binary, "run", os.path.join(HERE, protocol_file), "--out", out, "--quiet"], check=True)
    folder = os.path.join(out, protocol_id)
    subjects = read_csv(os.path.join(folder, "subjects.csv"))
    endpoints = read_csv(os.path.join(folder, "endpoints.csv"))
    aes = read_csv(os.path.join(folder, "adverse_events.csv"))
    replicates = sorted({int(r["REPLICATE"]) for r in subjects})

    efficacy, comparisons, safety = [], [], []
    for rep in replicates:
        n_arm = {a: sum(1 for s in subjects if int(s["REPLICATE"]) == rep and s["ARM"] == a) for a in ARMS}
        rows = [e for e in endpoints if int(e["REPLICATE"]) == rep]
        groups = []  # (endpoint label, better, {arm: (estimate, lo, hi, p, method)})

        for eid, column, better, responder in ENDPOINTS:
            values, resp = {}, {}
            for arm in ARMS:
                sel = [e for e in rows if e["ENDPOINT"] == eid and e["ARM"] == arm]
                values[arm] = [float(e[column]) for e in sel if e[column] != ""]
                resp[arm] = [int(e["RESPONDER"]) for e in sel if e["RESPONDER"] != ""]
                v = np.asarray(values[arm])
                n = len(v)
                q = (lambda p: num(np.percentile(v, p, method="linear"))) if n else (lambda p: None)
                efficacy.append({
                    "REPLICATE": rep, "ENDPOINT": eid, "ARM": arm, "N": n,
                    "MEAN": num(v.mean()) if n else None,
                    "SD": num(v.std(ddof=1)) if n >= 2 else None,
                    "MEDIAN": q(50), "Q1": q(25), "Q3": q(75),
                    "MIN": num(v.min()) if n else None, "MAX": num(v.max()) if n else None,
                    "RESPONDERS": sum(resp[arm]) if responder else None,
                    "RESPONDER_RATE": (num(sum(resp[arm]) / len(resp[arm])) if resp[arm] else None) if responder else None,
                    "EVENTS": None, "MEDIAN_TIME": None,
                })
            groups.append((eid, better, "WELCH_T",
                           {arm: welch(values[arm], values[CONTROL]) for arm in ARMS if arm != CONTROL}))
            if responder:
                groups.append((eid + "_RESP", "higher", "RISK_DIFF",
                               {arm: risk_diff(sum(resp[arm]), len(resp[arm]), sum(resp[CONTROL]), len(resp[CONTROL]))
                                for arm in ARMS if arm != CONTROL}))

        for term in TERMS:
            events = {}
            for arm in ARMS:
                sel = [r for r in aes if int(r["REPLICATE"]) == rep and r["AETERM"] == term and r["ARM"] == arm]
                k = len({r["USUBJID"] for r in sel})
                events[arm] = k
                n = n_arm[arm]
                lo, hi = proportion_confint(k, n, alpha=ALPHA, method="beta")
                safety.append({
                    "REPLICATE": rep, "AETERM": term, "ARM": arm, "N": n, "SUBJECTS": k,
                    "INCIDENCE": num(k / n), "CI_LOWER": num(0.0 if k == 0 else lo), "CI_UPPER": num(1.0 if k == n else hi),
                    "GRADE3PLUS": sum(1 for r in sel if int(r["AEGRADE"]) >= 3),
                })
            groups.append(("AE:" + term, "higher", "RISK_DIFF",
                           {arm: risk_diff(events[arm], n_arm[arm], events[CONTROL], n_arm[CONTROL])
                            for arm in ARMS if arm != CONTROL}))

        for label, better, method, results in groups:
            arms = [a for a in ARMS if a != CONTROL]
            padj = adjust([results[a][3] for a in arms], multiplicity)
            for arm, pa in zip(arms, padj):
                est, lo, hi, p = results[arm]
                favourable = est is not None and (est < 0 if better == "lower" else est > 0)
                comparisons.append({
                    "REPLICATE": rep, "ENDPOINT": label, "ARM": arm, "CONTROL": CONTROL, "METHOD": method,
                    "ESTIMATE": num(est), "CI_LOWER": num(lo), "CI_UPPER": num(hi),
                    "P_VALUE": num(p), "P_ADJ": num(pa),
                    "SIGNIFICANT": int(pa is not None and pa < ALPHA and favourable),
                })

    # power.csv: one row per (endpoint-or-term, arm, method), in comparisons order.
    power, keys = [], []
    for c in comparisons:
        k = (c["ENDPOINT"], c["ARM"], c["CONTROL"], c["METHOD"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        sel = [c for c in comparisons if (c["ENDPOINT"], c["ARM"], c["CONTROL"], c["METHOD"]) == k]
        n, s = len(replicates), sum(c["SIGNIFICANT"] for c in sel)
        lo, hi = proportion_confint(s, n, alpha=ALPHA, method="beta")
        est = [c["ESTIMATE"] for c in sel if c["ESTIMATE"] is not None]
        power.append({
            "ENDPOINT": k[0], "ARM": k[1], "CONTROL": k[2], "METHOD": k[3], "REPLICATES": n, "SIGNIFICANT": s,
            "POWER": num(s / n), "CI_LOWER": num(0.0 if s == 0 else lo), "CI_UPPER": num(1.0 if s == n else hi),
            "MEAN_ESTIMATE": num(np.mean(est)) if est else None,
        })

    return {
        "protocol_file": protocol_file,
        "inputs_sha256": {name: sha256(os.path.join(folder, name))
                          for name in ["subjects.csv", "endpoints.csv", "adverse_events.csv"]},
        "efficacy.csv": efficacy, "comparisons.csv": comparisons, "safety.csv": safety, "power.csv": power,
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_expected_statistics.py PATH/TO/vtrial")
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        result = {pid: expected_for(f, pid, m, binary, work) for f, pid, m in PROTOCOLS}
    # One row per line: readable diffs when the fixture is regenerated.
    dump = lambda x: json.dumps(x, allow_nan=False)
    parts = []
    for pid, d in result.items():
        fields = []
        for key, value in d.items():
            if isinstance(value, list):
                fields.append(" %s: [\n%s\n ]" % (dump(key), ",\n".join("  " + dump(r) for r in value)))
            else:
                fields.append(" %s: %s" % (dump(key), dump(value)))
        parts.append("%s: {\n%s\n}" % (dump(pid), ",\n".join(fields)))
    with open(os.path.join(HERE, "expected_statistics.json"), "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")


if __name__ == "__main__":
    main()
