#!/usr/bin/env python3
"""Independent references for the ODE models of Twins (SPEC §4), written to ode_references.json.

Each case integrates the FULL system (PK included, even when linear) with scipy's DOP853 at
rtol 1e-12, atol 1e-14, restarting at every dose, infusion start/stop and observation time, so
no interpolation is involved. The Michaelis–Menten 1-cmt bolus case is instead the Lambert-W
closed form C(t) = KM·W((C0/KM)·exp((C0 − VMAX/V·t)/KM)).

Run:  python3 make_ode_references.py   (numpy, scipy)
"""
import json
import math
import numpy as np
from scipy.integrate import solve_ivp
from scipy.special import lambertw

TWIN_STATES = {None: 0, "oncology.tgi": 1, "oncology.myelosuppression": 5, "diabetes.t2d": 2}


def simulate(case):
    pk, p = case["pk"], case["parameters"]
    ncmt, oral, mm = pk["compartments"], pk["absorption"] == "oral", pk["elimination"] == "michaelis-menten"
    pd, twin, effect = case.get("pd"), case.get("twin"), case.get("effect", False)
    integrate = case.get("integrate", [])
    # state: depot, A1, A2, A3, AUC, CE, dynamic..., quadratures...
    ndyn = (1 if pd and pd != "emax" else 0) + TWIN_STATES[twin]
    quads = [name for name in integrate if name not in ("C",)]
    n = 6 + ndyn + len(quads)
    D = 6
    v1 = p["V1"]
    Qs = [p.get("Q", 0.0), p.get("Q3", 0.0)]
    Vs = [p.get("V2", 1.0), p.get("V3", 1.0)]
    first_dose = min([d["time"] for d in case["doses"]], default=0.0)

    def outputs(t, y):
        c = y[1] / v1
        ce = y[5]
        drv = ce if effect else c
        out = {"C": c, "AUC": y[4]}
        if effect:
            out["CE"] = ce
        if pd == "emax":
            e0, emax, ec50, hill = p["E0"], p["EMAX"], p["EC50"], p.get("HILL", 1.0)
            out["E"] = e0 + emax * drv ** hill / (ec50 ** hill + drv ** hill) if drv > 0 else e0
        elif pd:
            out["R"] = y[D]
        if twin == "oncology.tgi":
            out["TS"] = y[D]
        if twin == "oncology.myelosuppression":
            out["ANC"] = y[D + 4]
        if twin == "diabetes.t2d":
            out["FPG"], out["HBA1C"] = y[D], y[D + 1]
        return out

    def rhs(t, y, rate):
        dy = np.zeros(n)
        c = y[1] / v1
        inflow = rate
        if oral:
            dy[0] = -p["KA"] * y[0]
            inflow += p["KA"] * y[0]
        elim = p["VMAX"] * c / (p["KM"] + c) if mm else p["CL"] * c
        dy[1] = inflow - elim
        for k in range(ncmt - 1):
            tr = Qs[k] * (c - y[2 + k] / Vs[k])
            dy[1] -= tr
            dy[2 + k] = tr
        dy[4] = c
        drv = c
        if effect:
            dy[5] = p["KE0"] * (c - y[5])
            drv = y[5]
        s = D
        if pd and pd != "emax":
            kin, kout = p["KIN"], p["KOUT"]
            if pd in ("idr1", "idr2"):
                frac = p["IMAX"] * drv / (p["IC50"] + drv)
            else:
                frac = p["EMAX"] * drv / (p["EC50"] + drv)
            r = y[s]
            dy[s] = {"idr1": kin * (1 - frac) - kout * r, "idr2": kin - kout * (1 - frac) * r,
                     "idr3": kin * (1 + frac) - kout * r, "idr4": kin - kout * (1 + frac) * r}[pd]
        if twin == "oncology.tgi":
            res = math.exp(-p["LAMBDA"] * (t - first_dose)) if t > first_dose else 1.0
            dy[s] = p["KL"] * y[s] - p["KD"] * drv * res * y[s]
        if twin == "oncology.myelosuppression":
            ktr = 4 / p["MTT"]
            P, T1, T2, T3, N = y[s:s + 5]
            dy[s] = ktr * P * (1 - p["SLOPE"] * drv) * (p["CIRC0"] / N) ** p["GAMMA"] - ktr * P
            dy[s + 1] = ktr * (P - T1); dy[s + 2] = ktr * (T1 - T2); dy[s + 3] = ktr * (T2 - T3); dy[s + 4] = ktr * (T3 - N)
        if twin == "diabetes.t2d":
            dy[s] = p["KOUT_FPG"] * p["FPG0"] * (1 - p["EMAX"] * drv / (p["EC50"] + drv)) - p["KOUT_FPG"] * y[s]
            dy[s + 1] = p["KOUT_HB"] * (p["HBA1C0"] + p["SLOPE_HB"] * (y[s] - p["FPG0"]) - y[s + 1])
        for j, name in enumerate(quads):
            dy[6 + ndyn + j] = outputs(t, y)[name]
        return dy

    y = np.zeros(n)
    if pd and pd != "emax":
        y[D] = p["KIN"] / p["KOUT"]
    if twin == "oncology.tgi":
        y[D] = p["TS0"]
    if twin == "oncology.myelosuppression":
        y[D:D + 5] = p["CIRC0"]
    if twin == "diabetes.t2d":
        y[D], y[D + 1] = p["FPG0"], p["HBA1C0"]

    events = []  # (time, kind, value)
    for d in case["doses"]:
        if d["route"] == "oral":
            events.append((d["time"] + p.get("TLAG", 0.0), "depot", d["amount"] * p.get("F", 1.0)))
        elif d["route"] == "bolus":
            events.append((d["time"], "central", d["amount"]))
        else:
            r = d["amount"] / d["duration"]
            events.append((d["time"], "rate", r))
            events.append((d["time"] + d["duration"], "rate", -r))
    events.sort(key=lambda e: e[0])
    times = case["times"]
    names = list(outputs(0.0, y).keys())
    result = {name: [] for name in names}
    integrals = {name: [] for name in integrate}
    t, rate, ei = 0.0, 0.0, 0
    for tk in times:
        while True:
            while ei < len(events) and events[ei][0] <= t:
                _, kind, val = events[ei]
                if kind == "depot": y[0] += val
                elif kind == "central": y[1] += val
                else: rate += val
                ei += 1
            if abs(rate) < 1e-12: rate = 0.0
            target = min(tk, events[ei][0]) if ei < len(events) else tk
            if target > t:
                sol = solve_ivp(rhs, (t, target), y, method="DOP853", rtol=1e-12, atol=1e-14, args=(rate,))
                assert sol.success, sol.message
                y = sol.y[:, -1].copy()
                t = target
            if t >= tk and not (ei < len(events) and events[ei][0] <= t):
                break
        out = outputs(t, y)
        for name in names:
            result[name].append(out[name])
        for name in integrate:
            integrals[name].append(y[4] if name == "C" else y[6 + ndyn + quads.index(name)])
    case["outputs"] = result
    case["integrals"] = integrals
    return case


def dosing(amount, every, count, route="oral", start=0.0, duration=None):
    out = []
    for k in range(count):
        d = {"time": start + k * every, "amount": amount, "route": route}
        if duration is not None:
            d["duration"] = duration
        out.append(d)
    return out


hourly = [float(k) for k in range(0, 673)]
cases = [
    {"name": "W2 typical patient: 2-cmt oral + idr1",
     "pk": {"compartments": 2, "absorption": "oral", "elimination": "linear"}, "pd": "idr1",
     "parameters": {"CL": 5, "V1": 50, "Q": 10, "V2": 100, "KA": 1.0, "KIN": 10, "KOUT": 0.1, "IMAX": 0.9, "IC50": 1.0},
     "doses": dosing(100, 24, 28), "times": hourly},
    {"name": "1-cmt bolus + idr2 with effect compartment",
     "pk": {"compartments": 1, "absorption": "iv-bolus", "elimination": "linear"}, "pd": "idr2", "effect": True,
     "parameters": {"CL": 3, "V1": 30, "KE0": 0.4, "KIN": 5, "KOUT": 0.2, "IMAX": 0.8, "IC50": 0.5},
     "doses": dosing(200, 12, 4, route="bolus"), "times": [0.25 * k for k in range(0, 385)], "integrate": ["R", "CE"]},
    {"name": "2-cmt infusion + idr3",
     "pk": {"compartments": 2, "absorption": "infusion", "elimination": "linear"}, "pd": "idr3",
     "parameters": {"CL": 8, "V1": 20, "Q": 4, "V2": 60, "KIN": 2, "KOUT": 0.05, "EMAX": 3, "EC50": 2},
     "doses": dosing(300, 24, 3, route="infusion", duration=2.5), "times": [0.5 * k for k in range(0, 289)]},
    {"name": "3-cmt oral with lag and F + idr4",
     "pk": {"compartments": 3, "absorption": "oral", "elimination": "linear"}, "pd": "idr4",
     "parameters": {"CL": 4, "V1": 25, "Q": 6, "V2": 50, "Q3": 1, "V3": 120, "KA": 0.8, "F": 0.7, "TLAG": 0.4,
                    "KIN": 12, "KOUT": 0.3, "EMAX": 1.5, "EC50": 0.8},
     "doses": dosing(150, 12, 6), "times": [0.5 * k for k in range(0, 241)]},
    {"name": "Michaelis-Menten 2-cmt oral",
     "pk": {"compartments": 2, "absorption": "oral", "elimination": "michaelis-menten"},
     "parameters": {"VMAX": 20, "KM": 2, "V1": 40, "Q": 5, "V2": 60, "KA": 1.2},
     "doses": dosing(400, 24, 5), "times": [float(k) for k in range(0, 145)]},
    {"name": "Michaelis-Menten 3-cmt infusion + idr1",
     "pk": {"compartments": 3, "absorption": "infusion", "elimination": "michaelis-menten"}, "pd": "idr1",
     "parameters": {"VMAX": 30, "KM": 5, "V1": 15, "Q": 10, "V2": 30, "Q3": 2, "V3": 80,
                    "KIN": 10, "KOUT": 0.1, "IMAX": 0.9, "IC50": 3},
     "doses": dosing(500, 48, 2, route="infusion", duration=4), "times": [float(k) for k in range(0, 121)]},
    {"name": "TGI, 2-cmt bolus weekly",
     "pk": {"compartments": 2, "absorption": "iv-bolus", "elimination": "linear"}, "twin": "oncology.tgi",
     "parameters": {"CL": 2, "V1": 10, "Q": 1, "V2": 20, "TS0": 80, "KL": 0.0015, "KD": 0.002, "LAMBDA": 0.0008},
     "doses": dosing(100, 168, 8, route="bolus", start=24), "times": [6.0 * k for k in range(0, 337)], "integrate": ["TS"]},
    {"name": "Friberg myelosuppression, 1-cmt infusion every 3 weeks",
     "pk": {"compartments": 1, "absorption": "infusion", "elimination": "linear"}, "twin": "oncology.myelosuppression",
     "parameters": {"CL": 36.7, "V1": 10, "CIRC0": 5.05, "MTT": 88.7, "GAMMA": 0.161, "SLOPE": 10.6},
     "doses": dosing(180, 504, 2, route="infusion", duration=1), "times": [4.0 * k for k in range(0, 253)]},
    {"name": "t2d, 1-cmt oral daily with effect compartment",
     "pk": {"compartments": 1, "absorption": "oral", "elimination": "linear"}, "twin": "diabetes.t2d", "effect": True,
     "parameters": {"CL": 10, "V1": 100, "KA": 1.5, "KE0": 0.05, "FPG0": 9.5, "HBA1C0": 8.2, "KOUT_FPG": 0.02,
                    "KOUT_HB": 0.0012, "EMAX": 0.4, "EC50": 0.5, "SLOPE_HB": 1 / 1.59},
     "doses": dosing(100, 24, 84), "times": [24.0 * k for k in range(0, 85)]},
    {"name": "emax with integrated E (quadrature), 1-cmt oral",
     "pk": {"compartments": 1, "absorption": "oral", "elimination": "linear"}, "pd": "emax",
     "parameters": {"CL": 5, "V1": 50, "KA": 1.0, "E0": 100, "EMAX": -40, "EC50": 1, "HILL": 1.5},
     "doses": dosing(100, 24, 3), "times": [float(k) for k in range(0, 97)], "integrate": ["E", "C"]},
]
# Repeated oral doses whose integrals (or states) the solver must follow right after each dose at
# its default tolerances (rtol 1e-6): a first step fitted to the quiet end of the segment before
# the dose spanned the new absorption peak (∫E over [24, 48] h was 3.7e-4 off; R one hour after
# the third dose 3e-5). ODEModelTests.stepsAfterADoseKeepTheDefaultTolerance.
cases += [
    {"name": "after doses: 2-cmt oral + emax with effect compartment, integrated E",
     "pk": {"compartments": 2, "absorption": "oral", "elimination": "linear"}, "pd": "emax", "effect": True,
     "parameters": {"CL": 5, "V1": 30, "Q": 8, "V2": 60, "KA": 0.9, "KE0": 0.53, "E0": 100, "EMAX": -40, "EC50": 0.8},
     "doses": dosing(100, 12, 3), "times": [float(k) for k in range(0, 49)], "integrate": ["E"]},
    {"name": "after doses: 2-cmt oral with lag and F + idr1 with effect compartment",
     "pk": {"compartments": 2, "absorption": "oral", "elimination": "linear"}, "pd": "idr1", "effect": True,
     "parameters": {"CL": 5, "V1": 30, "Q": 8, "V2": 60, "KA": 0.9, "F": 0.7, "TLAG": 0.75, "KE0": 0.4,
                    "KIN": 12, "KOUT": 0.2, "IMAX": 0.8, "IC50": 0.5},
     "doses": dosing(100, 12, 3), "times": [float(k) for k in range(0, 49)]},
]
cases = [simulate(c) for c in cases]

# Michaelis–Menten 1-cmt iv bolus: exact solution through the Lambert W function.
vmax, km, v, dose = 10.0, 4.0, 20.0, 400.0
c0 = dose / v
times = [0.5 * k for k in range(0, 97)]
conc = [float(km * lambertw((c0 / km) * math.exp((c0 - vmax / v * t) / km)).real) for t in times]
cases.append({"name": "Michaelis-Menten 1-cmt bolus, Lambert W closed form",
              "pk": {"compartments": 1, "absorption": "iv-bolus", "elimination": "michaelis-menten"},
              "parameters": {"VMAX": vmax, "KM": km, "V1": v}, "doses": [{"time": 0, "amount": dose, "route": "bolus"}],
              "times": times, "outputs": {"C": conc}, "integrals": {}})

w2 = cases[0]["outputs"]["R"]
print("W2 R(672) =", w2[672], " min R =", min(w2))
with open("ode_references.json", "w") as f:
    json.dump({"generator": "make_ode_references.py (scipy DOP853, rtol 1e-12, atol 1e-14)", "cases": cases}, f)
