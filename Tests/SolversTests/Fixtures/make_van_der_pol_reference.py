"""Reference solution of Van der Pol with mu = 1000 in the classic form of the stiff test set
(MATLAB's vdp1000): y1' = y2, y2' = mu (1 - y1^2) y2 - y1, y(0) = (2, 0), on [0, 3000] — about two
relaxation periods of length (3 - 2 ln 2) mu ≈ 1614 with jumps of width ~1/mu — for VanDerPolTests.

Run:  python3 make_van_der_pol_reference.py   (writes van_der_pol_reference.json; ~5 minutes)

Integrated with scipy LSODA at rtol 1e-12, atol 1e-14 with the analytic Jacobian, cross-checked
with LSODA at rtol 1e-10, atol 1e-12 (scipy's pure-Python Radau does not finish at such
tolerances in reasonable time); the largest relative difference over components above 1e-10 is
stored as "cross_check_relative_difference" and bounds how tightly a test may compare.
"""
import json, os, sys
import numpy as np
import scipy
from scipy.integrate import solve_ivp

MU = 1000.0
def f(t, y):
    return [y[1], MU * (1 - y[0] ** 2) * y[1] - y[0]]
def jac(t, y):
    return [[0.0, 1.0], [-2 * MU * y[0] * y[1] - 1, MU * (1 - y[0] ** 2)]]

times = [500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0]
def run(rtol, atol):
    r = solve_ivp(f, (0.0, times[-1]), [2.0, 0.0], method="LSODA", jac=jac, rtol=rtol, atol=atol, t_eval=times)
    assert r.success, r.message
    return r.y.T
ref = run(1e-12, 1e-14)
other = run(1e-10, 1e-12)
mask = np.abs(ref) > 1e-10
cc = float((np.abs(ref - other) / np.maximum(np.abs(ref), 1e-300))[mask].max())
out = dict(initial_state=[2.0, 0.0], mu=MU, times=times, states=ref.tolist(), method="LSODA", rtol=1e-12, atol=1e-14,
           cross_check="LSODA rtol=1e-10 atol=1e-12", cross_check_relative_difference=cc,
           scipy=scipy.__version__, numpy=np.__version__, python=sys.version.split()[0])
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "van_der_pol_reference.json"), "w"), indent=1)
print(cc)
