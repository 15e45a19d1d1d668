"""The fixed cost of a ``numopt.minimize`` call: front door plus result, on n = 2.

Each case is a solve started at the minimum of a compiled objective (numba ``@njit``
Rosenbrock ``f`` and its gradient ``jac``, scipy's conventions, at ``x0 = (1, 1)``):
the method evaluates once, finds a zero gradient and stops, so the compiled part is a
few hundred nanoseconds and the time is what ``minimize`` spends in Python before and
after it (checks, options, bounds, the result). ``scipy.optimize.minimize`` solves the
same problem with the same two functions (called from Python) side by side.

Cases: BFGS without bounds, and L-BFGS-B with bounds given as a list of ``(min, max)``
pairs (the way most callers write them). Targets (issue 10): at most 5 us for BFGS and
10 us for L-BFGS-B.

Method: every implementation is called once first (compilation, or the load from
numba's cache), then ``--repeat`` rounds, each timing ``--inner`` calls of every
implementation in a new random order, with the garbage collector off. Reported: the
median over rounds of the time per call, and the median over rounds of the per-round
ratio scipy/numopt (above 1: numopt is faster); ``min us`` is numopt's fastest round, the
figure least moved by other processes on a shared machine.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_fixed_cost.py
    PYTHONPATH=. python benchmarks/bench_fixed_cost.py --repeat 51 --inner 2000 --json fixed.json
"""
import argparse
import os
import random
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _common  # noqa: E402

# case -> (method, bounds as the caller writes them, target in us)
CASES = {
    "BFGS": ("BFGS", None, 5.0),
    "L-BFGS-B, bounds as pairs": ("L-BFGS-B", [(-5.0, 5.0), (-5.0, 5.0)], 10.0),
}


def objective():
    """``(fun, jac, x0)``: Rosenbrock n = 2, compiled with ``@njit``, at its minimum."""
    import numpy as np
    from numba import njit

    @njit(cache=True)
    def rosen(x):
        return 100.0 * (x[1] - x[0] ** 2) ** 2 + (1.0 - x[0]) ** 2

    @njit(cache=True)
    def rosen_der(x):
        g = np.empty(2)
        g[0] = -400.0 * x[0] * (x[1] - x[0] ** 2) - 2.0 * (1.0 - x[0])
        g[1] = 200.0 * (x[1] - x[0] ** 2)
        return g

    return rosen, rosen_der, np.array([1.0, 1.0])


def implementations(case, fun, jac, x0):
    """``{name: call}`` for a case: numopt's and scipy's ``minimize`` on it."""
    import scipy.optimize

    import numopt

    method, bounds, _ = CASES[case]
    return {
        "numopt": lambda: numopt.minimize(fun, x0, jac=jac, method=method, bounds=bounds),
        "scipy": lambda: scipy.optimize.minimize(fun, x0, jac=jac, method=method,
                                                 bounds=bounds),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=31, help="timed rounds per case")
    ap.add_argument("--inner", type=int, default=1000, help="calls per sample")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the samples, machine and versions here")
    args = ap.parse_args(argv)

    fun, jac, x0 = objective()
    rng = random.Random(args.seed)
    rows, results = [], {}
    share = _common.CpuShare().start()
    for case in CASES:
        impls = implementations(case, fun, jac, x0)
        checks = {}
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a warning here would be timed too
            for name, fn in impls.items():
                res = fn()
                checks[name] = (int(res.nit), int(res.nfev), bool(res.success))
        samples = _common.time_rounds(impls, args.repeat, args.inner, rng)
        med = {name: _common.median(s) for name, s in samples.items()}
        ratio = _common.median([s / n for s, n in zip(samples["scipy"], samples["numopt"])])
        target = CASES[case][2]
        us = 1e6 * med["numopt"]
        best = 1e6 * min(samples["numopt"])
        rows.append([case, f"{us:.2f}", f"{best:.2f}", f"{1e6 * med['scipy']:.1f}", f"{ratio:.1f}",
                     f"{target:g}", "met" if us <= target else "NOT met",
                     "{} / {}".format(*(f"{c[0]},{c[1]},{'y' if c[2] else 'n'}"
                                        for c in (checks["numopt"], checks["scipy"])))])
        results[case] = dict(samples=samples, median_s=med, scipy_over_numopt=ratio,
                             target_us=target, nit_nfev_success=checks)
    share.stop()
    _common.print_table(["case (n=2, x0 at the minimum)", "numopt us", "min us", "scipy us",
                         "scipy/numopt", "target us", "", "nit,nfev,ok numopt / scipy"],
                        rows)
    if share.others is not None:
        print(f"\nother processes took {100 * share.others:.0f}% of the CPU while timing")
    if args.json:
        _common.write_json(args.json, dict(
            machine=_common.machine_info(),
            versions=_common.versions("numpy", "scipy", "numba", "numopt"),
            repeat=args.repeat, inner=args.inner, cases=results,
            others_cpu_share=share.others))


if __name__ == "__main__":
    main()
