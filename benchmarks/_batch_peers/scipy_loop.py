"""``scipy.optimize.minimize(method="L-BFGS-B")`` in a Python loop, one problem at a time.

Run by ``bench_batch.py`` with the BLAS thread variables set to 1 (scipy's L-BFGS-B
calls BLAS on short vectors, where extra threads only cost):
``python scipy_loop.py SPEC.json OUT.json``. The objectives return ``(f, g)`` with the
analytic gradient in NumPy (``jac=True``). The loop is timed on the first
``spec["sizes"]`` problems (a few hundred); its rate holds for any batch size.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peerlib  # noqa: E402

import numpy as np  # noqa: E402


def rosen_fg(x, a):
    t = a - x[:-1]
    u = x[1:] - x[:-1] ** 2
    g = np.zeros_like(x)
    g[:-1] = -2.0 * t - 400.0 * x[:-1] * u
    g[1:] += 200.0 * u
    return float(np.sum(t * t + 100.0 * u * u)), g


def peak_fg(p, t, y):
    amp, mu, s, c = p
    d = t - mu
    e = np.exp(-d * d / (2.0 * s * s))
    r = amp * e + c - y
    re = r * e
    g = np.array([re.sum(), amp * (re * d).sum() / (s * s),
                  amp * (re * d * d).sum() / (s * s * s), r.sum()])
    return 0.5 * float(r @ r), g


def main(spec_path, out_path):
    spec = _peerlib.load(spec_path)
    import scipy
    from scipy.optimize import minimize

    problem = spec["problem"]
    fg = rosen_fg if problem == "rosen" else peak_fg
    method = spec.get("method", "L-BFGS-B")
    runs = []
    for case in spec["cases"]:
        data = _peerlib.data(case)

        def solve(m, data=data):
            X0, args = _peerlib.rows(data, problem, m)
            X = np.empty_like(X0)
            F = np.empty(m)
            NIT = np.empty(m, dtype=np.int64)
            OK = np.empty(m, dtype=bool)
            for i in range(m):
                r = minimize(fg, X0[i], args=_peerlib.row(args, problem, i), jac=True,
                             method=method)
                X[i], F[i], NIT[i], OK[i] = r.x, r.fun, r.nit, r.success
            return X, F, NIT, OK

        _peerlib.log(f"# scipy {method} loop, {problem} n={case['n']}")
        cases, kept = _peerlib.time_sizes(solve, spec["sizes"], spec["repeat"], spec["budget"],
                                            spec["max_case_s"], spec["keep"])
        runs.append({"n": case["n"], "compile_s": 0.0, "cases": cases, "keep": kept})
    _peerlib.write(out_path, {"name": f"scipy {method} (loop)", "runs": runs, "threads": 1,
                              "versions": {"scipy": scipy.__version__, "numpy": np.__version__}})


if __name__ == "__main__":
    main(*sys.argv[1:3])
