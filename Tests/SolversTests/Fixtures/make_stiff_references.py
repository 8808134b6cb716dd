"""Reference solutions for the stiff-solver tests (SolversTests/StiffProblemTests.swift).

Run:  python3 make_stiff_references.py   (writes stiff_references.json next to this script)

Robertson is integrated with scipy.integrate.solve_ivp(method="Radau", rtol=1e-12, atol=1e-14)
and cross-checked with LSODA at the same tolerances, with the analytic Jacobian. The largest
relative difference between the reference and the cross-check (over components larger than
1e-10) is stored as "cross_check_relative_difference". Van der Pol has its own script,
make_van_der_pol_reference.py.
"""
import json, os, sys
import numpy as np
import scipy
from scipy.integrate import solve_ivp

def robertson(t, y):
    y1, y2, y3 = y
    return [-0.04 * y1 + 1e4 * y2 * y3, 0.04 * y1 - 1e4 * y2 * y3 - 3e7 * y2 * y2, 3e7 * y2 * y2]

def robertson_jac(t, y):
    y1, y2, y3 = y
    return [[-0.04, 1e4 * y3, 1e4 * y2], [0.04, -1e4 * y3 - 6e7 * y2, -1e4 * y2], [0.0, 6e7 * y2, 0.0]]


def solve(f, jac, y0, times, reference, check):
    def run(method, rtol, atol):
        r = solve_ivp(f, (0.0, times[-1]), y0, method=method, jac=jac, rtol=rtol, atol=atol, t_eval=times)
        assert r.success, r.message
        return r.y.T
    ref = run(*reference)
    other = run(*check)
    diff = np.abs(ref - other) / np.maximum(np.abs(ref), 1e-300)
    mask = np.abs(ref) > 1e-10
    return ref.tolist(), float(diff[mask].max())

problems = {}
rob_times = [0.4, 4.0, 40.0, 400.0, 4000.0, 40000.0, 100000.0]
ref, cc = solve(robertson, robertson_jac, [1.0, 0.0, 0.0], rob_times, ("Radau", 1e-12, 1e-14), ("LSODA", 1e-12, 1e-14))
problems["robertson"] = dict(initial_state=[1.0, 0.0, 0.0], times=rob_times, states=ref,
                             method="Radau", rtol=1e-12, atol=1e-14, cross_check="LSODA rtol=1e-12 atol=1e-14",
                             cross_check_relative_difference=cc)
problems["generator"] = dict(script="make_stiff_references.py",
                             scipy=scipy.__version__, numpy=np.__version__, python=sys.version.split()[0])
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stiff_references.json")
with open(out, "w") as fh:
    json.dump(problems, fh, indent=1)
print(json.dumps(problems, indent=1))
