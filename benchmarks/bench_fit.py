"""Time per fit: ``numopt.curve_fit`` / ``least_squares`` against scipy's, side by side.

Two groups of cases, each with ``method="lm"`` (MINPACK Levenberg-Marquardt, curve_fit's
default without bounds) and ``method="trf"`` (curve_fit with bounds; least_squares
without bounds):

- ``curve_fit``: an exponential decay ``a exp(-t / tau) + c`` (100 points, 3
  parameters), a Gaussian peak ``a exp(-(x - mu)^2 / (2 s^2)) + c`` (50 points, 4), and a
  2-D Gaussian ``a exp(-((x - x0)^2 + (y - y0)^2) / (2 s^2)) + b`` on a 5x5 and a 7x7
  pixel grid (``xdata`` of shape ``(2, m)``, 5 parameters), all on fixed noisy data from a
  seeded RNG. Implementations: ``scipy.optimize.curve_fit`` with the model written in
  NumPy; ``numopt.curve_fit`` with the same NumPy model (``py``: numopt's Python loop
  around its compiled steps); ``numopt.curve_fit`` with the same source decorated
  ``@numba.njit(cache=True)`` (``njit``: the whole fit in compiled code).
- ``least_squares``: classic Moré-Garbow-Hillstrom problems from
  ``tests/fit/lsq_problems.py`` (imported by path) from their standard starting points,
  ``jac="2-point"``. Implementations: ``scipy.optimize.least_squares`` with the
  problem's NumPy residual function; ``numopt.least_squares`` with the same function
  (``py``) and with ``numba.njit`` of it (``njit``).

Method, as the other benchmarks: every implementation is called once first (compilation,
or the load from numba's cache, and the check of its result), then ``--repeat`` rounds,
each timing ``--inner`` fits of every implementation of the case in a new random order,
with the garbage collector off. Reported per case: the median over rounds of the time per
fit, the median over rounds of the per-round ratios scipy/numopt (above 1: numopt is
faster), ``nfev`` of each (numopt follows scipy's iterations, so they should be equal)
and the largest difference of the fitted parameters from scipy's, relative to
``max(1, |p|)``. Then the median ratios over the cases against the targets: the compiled
fit at least 20x scipy's ``curve_fit`` (median over the curve_fit cases), and the Python
model no slower than scipy (median ratio at least 1). BLAS is held to one thread
(``--blas-threads``) for both libraries: scipy's trf factorises tiny matrices, and a
threaded BLAS on a busy 2-core machine stretches those calls by scheduler slices.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_fit.py
    PYTHONPATH=. python benchmarks/bench_fit.py --repeat 5 --inner 3        # a smoke test
    PYTHONPATH=. python benchmarks/bench_fit.py --repeat 21 --inner 20 --json bench_fit.json
"""
import argparse
import importlib.util
import os
import random
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import _common  # noqa: E402  (standard library only: safe before the BLAS settings)
from bench_fit_startup import revision  # noqa: E402  (standard library only)

IMPLS = ("scipy", "py", "njit")
LSQ_PROBLEMS = ("rosenbrock", "freudenstein_roth", "bard", "kowalik_osborne", "osborne1")


# -- the curve_fit models (NumPy; the compiled ones are numba.njit(cache=True) of these) ---
def exp_decay(t, a, tau, c):
    return a * np.exp(-t / tau) + c


def gauss_peak(x, a, mu, s, c):
    return a * np.exp(-(x - mu) ** 2 / (2.0 * s * s)) + c


def gauss_2d(xy, a, x0, y0, s, b):
    return a * np.exp(-((xy[0] - x0) ** 2 + (xy[1] - y0) ** 2) / (2.0 * s * s)) + b


def curve_fit_problems(njit):
    """``{name: (numpy model, compiled model, xdata, ydata, p0, bounds)}``, fixed data."""
    rng = np.random.default_rng(20261206)
    out = {}
    t = np.linspace(0.0, 10.0, 100)
    y = exp_decay(t, 3.0, 2.5, 0.5) + 0.05 * rng.standard_normal(t.size)
    out["exp_decay m=100 n=3"] = (exp_decay, t, y, [1.0, 1.0, 0.0],
                                  ([0.0, 0.1, -10.0], [10.0, 10.0, 10.0]))
    x = np.linspace(-5.0, 5.0, 50)
    y = gauss_peak(x, 2.0, 0.5, 1.2, 0.3) + 0.05 * rng.standard_normal(x.size)
    out["gauss_peak m=50 n=4"] = (gauss_peak, x, y, [1.5, 0.0, 1.0, 0.0],
                                  ([0.0, -5.0, 0.1, -5.0], [10.0, 5.0, 5.0, 5.0]))
    for k in (5, 7):
        g = np.arange(k, dtype=np.float64)
        gx, gy = np.meshgrid(g, g)
        xy = np.vstack([gx.ravel(), gy.ravel()])
        c = (k - 1) / 2.0
        truth = (10.0, c + 0.2, c - 0.2, 1.0, 1.0)
        y = gauss_2d(xy, *truth) + 0.3 * rng.standard_normal(k * k)
        out[f"gauss_2d {k}x{k} n=5"] = (gauss_2d, xy, y, [8.0, c, c, 1.2, 0.5],
                                        ([0.0, 0.0, 0.0, 0.1, -5.0],
                                         [50.0, k - 1.0, k - 1.0, 5.0, 5.0]))
    compiled = {f: njit(cache=True)(f) for f in (exp_decay, gauss_peak, gauss_2d)}
    return {name: (f, compiled[f], x, y, p0, b) for name, (f, x, y, p0, b) in out.items()}


def lsq_problems(njit):
    """``{name: (numpy fun, compiled fun, x0)}`` from tests/fit/lsq_problems.py."""
    path = os.path.join(REPO, "tests", "fit", "lsq_problems.py")
    spec = importlib.util.spec_from_file_location("numopt_bench_lsq_problems", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    byname = {p.name: p for p in mod.PROBLEMS}
    missing = [n for n in LSQ_PROBLEMS if n not in byname]
    if missing:
        print(f"# not in lsq_problems.py (skipped): {', '.join(missing)}")
    return {n: (byname[n].fun, njit(byname[n].fun), np.asarray(byname[n].x0, float))
            for n in LSQ_PROBLEMS if n in byname}


# -- the cases ------------------------------------------------------------------------------
def cases(njit):
    """``[(group, problem, method, {impl: call}, {impl: check})]``; a check runs the fit
    once and returns ``(params, nfev)``."""
    import scipy.optimize as so

    import numopt

    out = []
    for name, (f, fc, x, y, p0, bounds) in curve_fit_problems(njit).items():
        for method in ("lm", "trf"):
            b = bounds if method == "trf" else (-np.inf, np.inf)

            def mk(lib, model, x=x, y=y, p0=p0, b=b):   # bound now, not at the call
                def call():
                    return lib.curve_fit(model, x, y, p0=p0, bounds=b)

                def check():
                    popt, _, info, _, _ = lib.curve_fit(model, x, y, p0=p0, bounds=b,
                                                        full_output=True)
                    return popt, int(info["nfev"])
                return call, check
            impl = {"scipy": mk(so, f), "py": mk(numopt, f), "njit": mk(numopt, fc)}
            out.append(("curve_fit", name, method + (" bounds" if method == "trf" else ""),
                        {k: v[0] for k, v in impl.items()}, {k: v[1] for k, v in impl.items()}))
    for name, (fun, func, x0) in lsq_problems(njit).items():
        for method in ("lm", "trf"):
            def mk(lib, fn, method=method, x0=x0):   # bound now, not at the call
                def call():
                    return lib.least_squares(fn, x0, method=method)

                def check():
                    res = lib.least_squares(fn, x0, method=method)
                    return res.x, int(res.nfev)
                return call, check
            impl = {"scipy": mk(so, fun), "py": mk(numopt, fun), "njit": mk(numopt, func)}
            out.append(("least_squares", name, method, {k: v[0] for k, v in impl.items()},
                        {k: v[1] for k, v in impl.items()}))
    return out


def main(argv=None):
    global np
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=21, help="timed rounds per case (default 21)")
    ap.add_argument("--inner", type=int, default=20, help="fits per sample (default 20)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the round order")
    ap.add_argument("--only", default="", help="comma-separated substrings: run only the "
                    "cases whose 'group problem method' contains one of them")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/MKL/OMP thread count, set before numpy is imported "
                         "(default 1; 0 leaves the environment alone)")
    ap.add_argument("--json", metavar="PATH", help="write the samples, machine and versions here")
    args = ap.parse_args(argv)
    if args.blas_threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    import numpy
    np = numpy
    from numba import njit

    sys.path.insert(0, REPO)
    info = _common.machine_info()
    vers = _common.versions("numpy", "scipy", "numba", "numopt")
    print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"# numopt from {REPO}, revision {revision()}")
    print(f"# {args.repeat} rounds x {args.inner} fits per implementation and case, medians; "
          f"BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    sys.stdout.flush()

    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    rng = random.Random(args.seed)
    rows, results = [], []
    share = _common.CpuShare().start()
    for group, problem, method, impls, checks in cases(njit):
        label = f"{group} {problem} {method}"
        if wanted and not any(w in label for w in wanted):
            continue
        got, caught = {}, []
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            for name in IMPLS:
                got[name] = checks[name]()      # warm-up: compiles or loads from the cache
            caught = sorted({f"{x.category.__name__}: {x.message}" for x in w})
        ref = got["scipy"][0]
        dp = {k: float(np.max(np.abs(got[k][0] - ref) / np.maximum(1.0, np.abs(ref))))
              for k in ("py", "njit")}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # e.g. scipy's covariance warning, timed alike
            samples = _common.time_rounds(impls, args.repeat, args.inner, rng)
        med = {k: _common.median(s) for k, s in samples.items()}
        ratio = {k: _common.median([s / n for s, n in zip(samples["scipy"], samples[k])])
                 for k in ("py", "njit")}
        nfev = {k: got[k][1] for k in IMPLS}
        rows.append([group, problem, method, f"{1e6 * med['scipy']:.1f}",
                     f"{1e6 * med['py']:.1f}", f"{1e6 * med['njit']:.1f}",
                     f"{ratio['py']:.2f}", f"{ratio['njit']:.1f}",
                     f"{nfev['scipy']}", f"{nfev['py']}/{nfev['njit']}",
                     "ok" if nfev["py"] == nfev["njit"] == nfev["scipy"] else "DIFFER",
                     f"{max(dp.values()):.1e}"])
        results.append(dict(group=group, problem=problem, method=method, samples=samples,
                            median_s=med, scipy_over=ratio, nfev=nfev, max_rel_dp=dp,
                            warnings=caught))
        print(f"# done: {label}", file=sys.stderr, flush=True)
        for c in caught:
            print(f"# {label}: warning in the warm-up call: {c}", file=sys.stderr)
    share.stop()

    print()
    _common.print_table(["group", "problem", "method", "scipy us", "py us", "njit us",
                         "scipy/py", "scipy/njit", "nfev scipy", "nfev py/njit", "",
                         "max|dp|"], rows, aligns="<<<" + ">" * 9)

    def medr(key, group=None):
        return _common.median([r["scipy_over"][key] for r in results
                               if group is None or r["group"] == group])

    summary = {}
    print()
    srows = []
    for group in ("curve_fit", "least_squares", None):
        if not any(group is None or r["group"] == group for r in results):
            continue
        g = group or "all cases"
        mj, mp = medr("njit", group), medr("py", group)
        summary[g] = {"njit": mj, "py": mp}
        srows.append([g, f"{mj:.1f}x", ">= 20x" if group == "curve_fit" else "",
                      ("met" if mj >= 20 else "NOT met") if group == "curve_fit" else "",
                      f"{mp:.2f}x", ">= 1x", "met" if mp >= 1 else "NOT met"])
    _common.print_table(["median over", "scipy/njit", "target", "", "scipy/py", "target", ""],
                        srows)
    if share.others is not None:
        print(f"\nother processes took {100 * share.others:.0f}% of the CPU while timing")
    if args.json:
        _common.write_json(args.json, dict(
            benchmark="fit", machine=info, versions=vers, revision=revision(),
            repeat=args.repeat,
            inner=args.inner, blas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
            cases=results, median_ratios=summary, others_cpu_share=share.others))
        print(f"wrote {args.json}")


np = None  # numpy, imported in main() after the BLAS settings

if __name__ == "__main__":
    main()
