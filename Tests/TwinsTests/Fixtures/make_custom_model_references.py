#!/usr/bin/env python3
"""Reference values for the custom-model tests (Tests/TwinsTests/CustomModelTests.swift),
written to custom_model_references.json.

Michaelis–Menten elimination from one compartment after an IV bolus D at t = 0,
dC/dt = −(VMAX/V)·C/(KM + C), C(0) = C0 = D/V, has the exact solution (Lambert W, principal
branch):

    C(t) = KM·W((C0/KM)·exp((C0 − VMAX/V·t)/KM))

Run:  python3 make_custom_model_references.py   (scipy)
"""
import json
import math
from scipy.special import lambertw

cases = []
for name, dose, v, vmax, km in [
    ("saturated start", 100.0, 10.0, 5.0, 2.0),      # C0 = 10 mg/L ≫ KM: zero order, then first order
    ("linear regime", 5.0, 20.0, 30.0, 4.0),          # C0 = 0.25 mg/L ≪ KM: nearly first order
]:
    c0 = dose / v
    times = [0.5 * k for k in range(0, 97)]          # 0 … 48 h every 30 min
    conc = [float(km * lambertw((c0 / km) * math.exp((c0 - vmax / v * t) / km)).real) for t in times]
    cases.append({"name": name, "dose": dose, "V": v, "VMAX": vmax, "KM": km, "times": times, "C": conc})

with open("custom_model_references.json", "w") as f:
    json.dump({"lambert_w": cases}, f, indent=1)
