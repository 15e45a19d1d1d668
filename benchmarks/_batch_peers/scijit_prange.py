"""scijit's ``minimize`` called in a numba ``prange`` loop, one problem per iteration.

Run in an environment with scijit (``--scijit-python``) by ``bench_batch.py``:
``python scijit_prange.py SPEC.json OUT.json``. The objectives return ``(f, g)`` with a
new gradient array, which is how scijit takes an analytic gradient; scijit compiles its
solver into the loop, so the first call (timed as ``compile_s``) is long.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _peerlib  # noqa: E402

import numpy as np  # noqa: E402


def build(problem, method):
    from numba import njit, prange
    from scijit.optimize import minimize

    if problem == "rosen":
        @njit
        def fg(x, a):
            g = np.zeros(x.size)
            f = 0.0
            for i in range(x.size - 1):
                t = a - x[i]
                u = x[i + 1] - x[i] * x[i]
                f += t * t + 100.0 * u * u
                g[i] += -2.0 * t - 400.0 * x[i] * u
                g[i + 1] += 200.0 * u
            return f, g

        src = ("def solve_all(X0, A, X, F, NIT, OK):\n"
               "    for i in prange(X0.shape[0]):\n"
               f"        r = minimize(fg, X0[i], args=(A[i],), method={method!r})\n"
               "        X[i] = r.x\n        F[i] = r.fun\n        NIT[i] = r.nit\n"
               "        OK[i] = r.success\n")
    else:
        @njit
        def fg(p, t, y):
            g = np.zeros(4)
            amp, mu, s, c = p[0], p[1], p[2], p[3]
            f = 0.0
            for k in range(t.size):
                d = t[k] - mu
                e = np.exp(-d * d / (2.0 * s * s))
                r = amp * e + c - y[k]
                f += 0.5 * r * r
                g[0] += r * e
                g[1] += r * amp * e * d / (s * s)
                g[2] += r * amp * e * d * d / (s * s * s)
                g[3] += r
            return f, g

        src = ("def solve_all(X0, t, Y, X, F, NIT, OK):\n"
               "    for i in prange(X0.shape[0]):\n"
               f"        r = minimize(fg, X0[i], args=(t, Y[i]), method={method!r})\n"
               "        X[i] = r.x\n        F[i] = r.fun\n        NIT[i] = r.nit\n"
               "        OK[i] = r.success\n")
    ns = {"minimize": minimize, "fg": fg, "prange": prange, "np": np}
    exec(src, ns)  # noqa: S102 -- the method name is a literal for scijit's overload
    return njit(parallel=True)(ns["solve_all"])


def main(spec_path, out_path):
    spec = _peerlib.load(spec_path)
    try:
        import numba
        import scijit
        from scijit.optimize import minimize  # noqa: F401
    except Exception as exc:  # noqa: BLE001 -- the driver prints why
        _peerlib.write(out_path, {"error": f"{type(exc).__name__}: {exc}"})
        return
    numba.set_num_threads(spec["threads"])
    problem, method = spec["problem"], spec["method"]
    solve_all = build(problem, method)
    runs = []
    for case in spec["cases"]:
        data = _peerlib.data(case)

        def solve(m, data=data):
            X0, args = _peerlib.rows(data, problem, m)
            X = np.empty_like(X0)
            F = np.empty(m)
            NIT = np.empty(m, dtype=np.int64)
            OK = np.empty(m, dtype=np.bool_)
            solve_all(X0, *args, X, F, NIT, OK)
            return X, F, NIT, OK

        # The first call compiles the loop with scijit's solver in it (once per process:
        # the objective's types do not depend on n).
        t0 = _peerlib.now()
        try:
            solve(4)
        except Exception as exc:  # noqa: BLE001 -- record exactly why it cannot run
            runs.append({"n": case["n"], "error": f"{type(exc).__name__}: {str(exc)[:3000]}"})
            continue
        compile_s = _peerlib.now() - t0
        _peerlib.log(f"# scijit {method} prange, {problem} n={case['n']}: first call "
                     f"{compile_s:.1f} s")
        cases, kept = _peerlib.time_sizes(solve, spec["sizes"], spec["repeat"], spec["budget"],
                                            spec["max_case_s"], spec["keep"])
        runs.append({"n": case["n"], "compile_s": compile_s, "cases": cases, "keep": kept})
    _peerlib.write(out_path, {"name": f"scijit {method} (prange)", "runs": runs,
                              "threads": numba.get_num_threads(),
                              "versions": {"scijit": getattr(scijit, "__version__", "?"),
                                           "numba": numba.__version__, "numpy": np.__version__}})


if __name__ == "__main__":
    main(*sys.argv[1:3])
