#!/usr/bin/env python3
"""Independent reference statistics for the end-to-end test `DesignStatisticsTests` (EndToEndTests):
the matched design, log scale, equivalence, margins, Hochberg and success criteria of SPEC §2.

How to (re)generate expected_designs.json — regenerate whenever the simulation changes on purpose
(new random streams, model changes …), never to make a failing statistic pass:

    swift build --product vtrial
    python3 Tests/EndToEndTests/Fixtures/make_expected_designs.py .build/debug/vtrial

The script runs vtrial on the fixture protocols (matched-one-sided.yaml, matched-two-sided.yaml)
itself, then recomputes efficacy.csv, safety.csv, comparisons.csv and power.csv of those runs from
the runs' OWN subject-level files (endpoints.csv, adverse_events.csv, subjects.csv) with numpy, scipy
and statsmodels — none of vtrial's statistics code is used. Pairs are formed by USUBJID (which names
the patient in every arm of a matched design) within a replicate; a pair counts when both values
are present.

  * PAIRED_T: scipy.stats.ttest_rel (p, one- or two-sided in the `better` direction) and its
    confidence_interval (1 − alpha two-sided, 1 − 2·alpha with `sided: one`); `scale: log` runs on
    the logs and writes exp() of the estimate and interval;
  * equivalence [L, U] (TOST): statsmodels ttost_paired on the (log) values, P = max of the two
    one-sided p-values; interval 1 − 2·alpha from ttest_rel; SIGNIFICANT when L < CI_LOWER and
    CI_UPPER < U (SPEC §2);
  * margin M: ttest_rel of (arm − M) vs control, one-sided in the `better` direction whatever
    `sided` says (SPEC §2), interval 1 − 2·alpha; SIGNIFICANT when the interval lies wholly on the
    favourable side of M (SPEC §2: the interval rule, P_ADJ does not enter);
  * PAIRED_RISK_DIFF: estimate (b − c)/n; Newcombe's method-10 paired interval written out below
    (Newcombe 1998, Stat Med 17:2635, with the corrected φ̂ of Altman et al., Statistics with
    Confidence, 2000) and checked at import against a published worked example; exact McNemar p
    from scipy.stats.binomtest on the discordant pairs (two-sided, or `greater` with `sided: one`),
    1 when there are none;
  * Hochberg: statsmodels multipletests(method="simes-hochberg") over the defined p-values of each
    (replicate, endpoint-or-term) group;
  * SIGNIFICANT (other rows): P_ADJ < alpha and the estimate on the favourable side (ratio vs 1
    under `scale: log`; responders and AEs: a higher rate in the arm);
  * power.csv: Clopper–Pearson (statsmodels proportion_confint(method="beta")), MEAN_ESTIMATE the
    mean of the defined estimates (geometric for ratio rows); success rows: the share of
    replicates in which ALL / ANY of the referenced comparisons have SIGNIFICANT = 1;
  * efficacy.csv / safety.csv per arm as in make_expected_statistics.py.

The SHA-256 of the subject-level input files is stored too, so the test can say clearly when the
fixture is stale (the simulation changed) rather than reporting hundreds of mismatches.
Requires numpy, scipy and statsmodels.
"""
import csv
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import ttost_paired

HERE = os.path.dirname(os.path.abspath(__file__))

# The design of the fixture protocols, written out here (it is what the YAML says).
ARMS = ["placebo", "low", "high", "placebo-copy"]
CONTROL = "placebo"
ALPHA = 0.05
# id, analysed column, better, responder rule, log scale, equivalence, margin
ENDPOINTS = [
    ("E_CHG", "CHG", "lower", True, False, None, None),
    ("E_LOG", "AVAL", "higher", False, True, (0.8, 1.25), None),
    ("E_NI", "CHG", "lower", False, False, None, 3.0),
    ("E_RATIO_NI", "AVAL", "higher", False, True, None, 0.9),
    ("E_LOG_SUP", "AVAL", "lower", False, True, None, None),
    ("E_EQ_DIFF", "CHG", "higher", False, False, (-3.0, 3.0), None),
]
TERMS = ["Biomarker decreased"]
SUCCESS = [  # id, ALL/ANY, [(endpoint, arm or None)]
    ("BOTH_DOSES_LOWER", "ALL", [("E_CHG", "low"), ("E_CHG", "high")]),
    ("HIGH_EQUIVALENT_AND_NI", "ALL", [("E_LOG", "high"), ("E_NI", "high")]),
    ("ANY_SIGNAL", "ANY", [("E_CHG", None), ("E_LOG", "high"), ("E_RATIO_NI", "high")]),
    ("ALL_ARMS_NI", "ALL", [("E_NI", None)]),
]
PROTOCOLS = [("matched-one-sided.yaml", "E2E-MATCHED-ONE", "one"), ("matched-two-sided.yaml", "E2E-MATCHED-TWO", "two")]


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


# ---------------------------------------------------------------------------------------------
# Newcombe's paired interval (method 10 of Newcombe 1998, Stat Med 17:2635–2650), from the paper's
# formulas. Table of a patient's (arm, control) outcomes:
#                 control 1   control 0
#     arm 1           a           b
#     arm 0           c           d
# p1 = (a+b)/n, p2 = (a+c)/n, D = p1 − p2 = (b − c)/n; (l1, u1), (l2, u2) the Wilson score
# intervals (no continuity correction) of p1 and p2;
#     L = D − δ,  δ = √((p1 − l1)² − 2φ̂(p1 − l1)(u2 − p2) + (u2 − p2)²)
#     U = D + ε,  ε = √((p2 − l2)² − 2φ̂(p2 − l2)(u1 − p1) + (u1 − p1)²)
# φ̂ = C/√((a+b)(c+d)(a+c)(b+d)) with the corrected numerator C (Newcombe 1998; Altman, Machin,
# Bryant & Gardner, Statistics with Confidence, 2nd ed. 2000, ch. 6): with A = ad − bc,
# C = A − n/2 if A > n/2, C = 0 if 0 ≤ A ≤ n/2, C = A if A < 0; φ̂ = 0 when a margin is 0.
def wilson(x, n, z):
    p = x / n
    centre = (2 * n * p + z * z) / (2 * (n + z * z))
    half = z * math.sqrt(z * z + 4 * n * p * (1 - p)) / (2 * (n + z * z))
    return centre - half, centre + half


def newcombe_paired(a, b, c, d, confidence):
    n = a + b + c + d
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, z)
    l2, u2 = wilson(a + c, n, z)
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        phi = 0.0
    else:
        A = a * d - b * c
        C = A - n / 2 if A > n / 2 else (0.0 if A >= 0 else A)
        phi = C / math.sqrt(margins)
    D = p1 - p2
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    eps = math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    return D - delta, D + eps


def _check_newcombe_against_published():
    """Published worked example: complete response before and after consolidation therapy (Cavo
    et al. 2012) in Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017),
    ch. 8, Newcombe square-and-add (= method 10) interval: table [[59, 6], [16, 80]], estimate
    −0.0621, 95% CI −0.1186 to −0.0046 (4 decimals as published). Its A = ad − bc = 4624 > n/2, so
    the corrected-φ̂ branch is exercised. (The Altman et al. 2000 / Newcombe 1998 Table II worked
    numbers are not reproduced here: not recalled exactly.)"""
    lo, hi = newcombe_paired(59, 6, 16, 80, 0.95)
    assert round((6 - 16) / 161, 4) == -0.0621
    assert (round(lo, 4), round(hi, 4)) == (-0.1186, -0.0046), (lo, hi)
    # Consistency: with φ̂ = 0 (a zero margin) the interval is the square-and-add of the two Wilson
    # intervals; with b = c it is centred on 0 only when p1 = p2, and it always contains D.
    for cells in [(0, 3, 1, 20), (5, 0, 0, 19), (2, 7, 1, 14), (10, 2, 9, 3)]:
        lo, hi = newcombe_paired(*cells, 0.9)
        D = (cells[1] - cells[2]) / sum(cells)
        assert -1 <= lo <= D <= hi <= 1, (cells, lo, hi)


_check_newcombe_against_published()


def mcnemar_exact(b, c, one_sided):
    if b + c == 0:
        return 1.0
    return stats.binomtest(b, b + c, 0.5, alternative="greater" if one_sided else "two-sided").pvalue


# ---------------------------------------------------------------------------------------------
def paired_continuous(x, y, log, equivalence, margin, better, one_sided):
    """x, y: the same patients' analysed values in the arm and the control (complete pairs).
    Returns (estimate, lower, upper, p) on the reporting scale (ratios under `log`)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if log:
        x, y = np.log(x), np.log(y)
    back = np.exp if log else (lambda v: v)
    d = x - y
    if len(d) == 0:
        return None, None, None, None
    if len(d) < 2 or np.var(d) == 0:  # undefined test: the point estimate alone (SPEC §5)
        return num(back(d.mean())), None, None, None
    alt_better = "less" if better == "lower" else "greater"
    if equivalence is not None:
        low, upp = (math.log(equivalence[0]), math.log(equivalence[1])) if log else equivalence
        p = ttost_paired(x, y, low, upp)[0]
        # cross-check the TOST p by hand from the t distribution
        n, se = len(d), d.std(ddof=1) / math.sqrt(len(d))
        p_hand = max(stats.t.sf((d.mean() - low) / se, n - 1), stats.t.cdf((d.mean() - upp) / se, n - 1))
        assert abs(p - p_hand) <= 1e-12 + 1e-9 * p_hand, (p, p_hand)
        ci = stats.ttest_rel(x, y).confidence_interval(confidence_level=1 - 2 * ALPHA)
    elif margin is not None:
        m = math.log(margin) if log else margin
        p = stats.ttest_rel(x - m, y, alternative=alt_better).pvalue
        ci = stats.ttest_rel(x, y).confidence_interval(confidence_level=1 - 2 * ALPHA)
    else:
        r = stats.ttest_rel(x, y, alternative=alt_better if one_sided else "two-sided")
        p = r.pvalue
        ci = stats.ttest_rel(x, y).confidence_interval(confidence_level=1 - (2 * ALPHA if one_sided else ALPHA))
    return num(back(d.mean())), num(back(ci.low)), num(back(ci.high)), num(p)


def adjust(pvals):
    """Hochberg over the defined p-values of one group."""
    idx = [i for i, p in enumerate(pvals) if p is not None]
    out = [None] * len(pvals)
    if idx:
        adj = multipletests([pvals[i] for i in idx], method="simes-hochberg")[1]
        for i, v in zip(idx, adj):
            out[i] = float(v)
    return out


def patient(usubjid):
    return int(usubjid.rsplit("-", 1)[1])


def expected_for(protocol_file, protocol_id, sided, binary, workdir):
    one_sided = sided == "one"
    out = os.path.join(workdir, protocol_id)
    subprocess.run([binary, "run", os.path.join(HERE, protocol_file), "--out", out, "--quiet"], check=True)
    folder = os.path.join(out, protocol_id)
    subjects = read_csv(os.path.join(folder, "subjects.csv"))
    endpoints = read_csv(os.path.join(folder, "endpoints.csv"))
    aes = read_csv(os.path.join(folder, "adverse_events.csv"))
    replicates = sorted({int(r["REPLICATE"]) for r in subjects})

    efficacy, comparisons, safety = [], [], []
    for rep in replicates:
        members = {a: sorted({s["USUBJID"] for s in subjects if int(s["REPLICATE"]) == rep and s["ARM"] == a},
                             key=patient) for a in ARMS}
        assert all(members[a] == members[CONTROL] for a in ARMS), "matched: the same patients in every arm"
        patients = members[CONTROL]
        rows = [e for e in endpoints if int(e["REPLICATE"]) == rep]
        groups = []  # (label, method, rule, {arm: (estimate, lo, hi, p, favourable-or-interval-verdict)})

        for eid, column, better, responder, log, equivalence, margin in ENDPOINTS:
            value, resp = {}, {}
            for arm in ARMS:
                by = {e["USUBJID"]: e for e in rows if e["ENDPOINT"] == eid and e["ARM"] == arm}
                assert set(by) == set(patients)
                value[arm] = {u: float(by[u][column]) for u in patients if by[u][column] != ""}
                resp[arm] = {u: int(by[u]["RESPONDER"]) for u in patients if by[u]["RESPONDER"] != ""}
                v = np.asarray([value[arm][u] for u in patients if u in value[arm]])
                flags = [resp[arm][u] for u in patients if u in resp[arm]]
                n = len(v)
                q = (lambda p: num(np.percentile(v, p, method="linear"))) if n else (lambda p: None)
                efficacy.append({
                    "REPLICATE": rep, "ENDPOINT": eid, "ARM": arm, "N": n,
                    "MEAN": num(v.mean()) if n else None, "SD": num(v.std(ddof=1)) if n >= 2 else None,
                    "MEDIAN": q(50), "Q1": q(25), "Q3": q(75),
                    "MIN": num(v.min()) if n else None, "MAX": num(v.max()) if n else None,
                    "RESPONDERS": sum(flags) if responder else None,
                    "RESPONDER_RATE": (num(sum(flags) / len(flags)) if flags else None) if responder else None,
                    "EVENTS": None, "MEDIAN_TIME": None,
                })
            results = {}
            for arm in ARMS:
                if arm == CONTROL:
                    continue
                both = [u for u in patients if u in value[arm] and u in value[CONTROL]]
                est, lo, hi, p = paired_continuous([value[arm][u] for u in both], [value[CONTROL][u] for u in both],
                                                   log, equivalence, margin, better, one_sided)
                if equivalence is not None:
                    verdict = lo is not None and equivalence[0] < lo and hi < equivalence[1]
                elif margin is not None:
                    verdict = lo is not None and (hi < margin if better == "lower" else lo > margin)
                else:
                    null = 1.0 if log else 0.0
                    verdict = est is not None and (est < null if better == "lower" else est > null)
                results[arm] = (est, lo, hi, p, verdict)
            rule = "interval" if (equivalence is not None or margin is not None) else "p"
            groups.append((eid, "PAIRED_T", rule, results))
            if responder:
                results = {}
                for arm in ARMS:
                    if arm == CONTROL:
                        continue
                    both = [u for u in patients if u in resp[arm] and u in resp[CONTROL]]
                    cells = [sum(1 for u in both if (resp[arm][u], resp[CONTROL][u]) == k) for k in [(1, 1), (1, 0), (0, 1), (0, 0)]]
                    results[arm] = paired_risk(cells, one_sided)
                groups.append((eid + "_RESP", "PAIRED_RISK_DIFF", "p", results))

        for term in TERMS:
            has = {arm: {r["USUBJID"] for r in aes if int(r["REPLICATE"]) == rep and r["AETERM"] == term and r["ARM"] == arm}
                   for arm in ARMS}
            for arm in ARMS:
                sel = [r for r in aes if int(r["REPLICATE"]) == rep and r["AETERM"] == term and r["ARM"] == arm]
                k, n = len(has[arm]), len(patients)
                lo, hi = proportion_confint(k, n, alpha=ALPHA, method="beta")
                safety.append({
                    "REPLICATE": rep, "AETERM": term, "ARM": arm, "N": n, "SUBJECTS": k, "INCIDENCE": num(k / n),
                    "CI_LOWER": num(0.0 if k == 0 else lo), "CI_UPPER": num(1.0 if k == n else hi),
                    "GRADE3PLUS": sum(1 for r in sel if int(r["AEGRADE"]) >= 3),
                })
            results = {}
            for arm in ARMS:
                if arm == CONTROL:
                    continue
                cells = [sum(1 for u in patients if ((u in has[arm]), (u in has[CONTROL])) == k)
                         for k in [(True, True), (True, False), (False, True), (False, False)]]
                results[arm] = paired_risk(cells, one_sided)
            groups.append(("AE:" + term, "PAIRED_RISK_DIFF", "p", results))

        for label, method, rule, results in groups:
            arms = [a for a in ARMS if a != CONTROL]
            padj = adjust([results[a][3] for a in arms])
            for arm, pa in zip(arms, padj):
                est, lo, hi, p, verdict = results[arm]
                if rule == "interval":
                    significant = verdict
                else:
                    significant = pa is not None and pa < ALPHA and verdict
                comparisons.append({
                    "REPLICATE": rep, "ENDPOINT": label, "ARM": arm, "CONTROL": CONTROL, "METHOD": method,
                    "ESTIMATE": num(est), "CI_LOWER": num(lo), "CI_UPPER": num(hi),
                    "P_VALUE": num(p), "P_ADJ": num(pa), "SIGNIFICANT": int(bool(significant)),
                })

    # power.csv: one row per (endpoint-or-term, arm, method), in comparisons order, then the
    # success criteria.
    ratio = {eid for eid, _, _, _, log, _, _ in ENDPOINTS if log}
    power, keys = [], []
    for c in comparisons:
        k = (c["ENDPOINT"], c["ARM"], c["CONTROL"], c["METHOD"])
        if k not in keys:
            keys.append(k)

    def power_row(endpoint, arm, control, method, s, n, mean):
        lo, hi = proportion_confint(s, n, alpha=ALPHA, method="beta")
        return {"ENDPOINT": endpoint, "ARM": arm, "CONTROL": control, "METHOD": method, "REPLICATES": n,
                "SIGNIFICANT": s, "POWER": num(s / n), "CI_LOWER": num(0.0 if s == 0 else lo),
                "CI_UPPER": num(1.0 if s == n else hi), "MEAN_ESTIMATE": mean}

    for k in keys:
        sel = [c for c in comparisons if (c["ENDPOINT"], c["ARM"], c["CONTROL"], c["METHOD"]) == k]
        est = [c["ESTIMATE"] for c in sel if c["ESTIMATE"] is not None]
        mean = None
        if est:
            mean = num(math.exp(np.mean(np.log(est)))) if k[0] in ratio else num(np.mean(est))
        power.append(power_row(*k, sum(c["SIGNIFICANT"] for c in sel), len(replicates), mean))
    for sid, how, refs in SUCCESS:
        met = 0
        for rep in replicates:
            verdicts = [c["SIGNIFICANT"] == 1 for c in comparisons if c["REPLICATE"] == rep
                        and any(c["ENDPOINT"] == e and (a is None or c["ARM"] == a) for e, a in refs)]
            assert len(verdicts) == sum(len(ARMS) - 1 if a is None else 1 for _, a in refs)
            met += int(all(verdicts) if how == "ALL" else any(verdicts))
        power.append(power_row(sid, "", "", how, met, len(replicates), None))

    return {
        "protocol_file": protocol_file,
        "inputs_sha256": {name: sha256(os.path.join(folder, name))
                          for name in ["subjects.csv", "endpoints.csv", "adverse_events.csv"]},
        "efficacy.csv": efficacy, "comparisons.csv": comparisons, "safety.csv": safety, "power.csv": power,
    }


def paired_risk(cells, one_sided):
    a, b, c, d = cells
    n = a + b + c + d
    if n == 0:
        return None, None, None, None, False
    est = (b - c) / n
    lo, hi = newcombe_paired(a, b, c, d, 1 - (2 * ALPHA if one_sided else ALPHA))
    return num(est), num(lo), num(hi), num(mcnemar_exact(b, c, one_sided)), est > 0


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_expected_designs.py PATH/TO/vtrial")
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        result = {pid: expected_for(f, pid, s, binary, work) for f, pid, s in PROTOCOLS}
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
    with open(os.path.join(HERE, "expected_designs.json"), "w") as f:
        f.write("{\n" + ",\n".join(parts) + "\n}\n")


if __name__ == "__main__":
    main()
