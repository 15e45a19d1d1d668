"""Start-up cost of a compiled fit: a fresh process's import and first ``curve_fit``.

Every measurement runs in a new Python process, with ``NUMBA_CACHE_DIR`` pointed at a
temporary directory:

- **cold**: a new, empty cache directory, so numba compiles everything the fit needs
  (numopt's MINPACK/TRF machinery and the model);
- **warm**: a second process on the directory the cold run just filled, so the compiled
  code is loaded from disk (the figure a user sees from the second run of a script on).

Cases (each repeated ``--repeat`` times, medians reported):

- ``python``: the interpreter alone, the floor under everything;
- ``njit lm``: ``import numopt``, import the exponential-decay model ``a exp(-t / tau) +
  c`` from a module file where it is ``@numba.njit(cache=True)``, fit it to 100 noisy
  points with ``numopt.curve_fit`` (``method="lm"``, the default), then fit it again;
- ``njit trf bounds``: the same with bounds (``method="trf"``);
- ``py lm``: the same model in NumPy (no numba), ``numopt.curve_fit`` twice: numopt's
  Python loop around its compiled steps;
- ``scipy lm``: ``import scipy.optimize`` and ``scipy.optimize.curve_fit`` on the NumPy
  model twice, for reference (nothing to compile).

Reported: ``import s`` (``import numopt``, or ``scipy.optimize`` for scipy), ``1st fit s``
(the first fit after the imports: compilation, or loading from the cache, included) and
``2nd fit ms``, all timed inside the child, and the whole process's wall time. Target:
the first compiled fit under 1 s with a warm cache.

Run from the repository root (a few minutes: each cold run compiles numopt's fit code)::

    PYTHONPATH=. python benchmarks/bench_fit_startup.py
    PYTHONPATH=. python benchmarks/bench_fit_startup.py --repeat 1     # a smoke test

numba's cache is keyed on the source files: while someone edits ``numopt/`` (the header
then says ``-dirty``), a warm run finds its entries stale and compiles again. Measure an
export of a commit instead::

    mkdir ../numopt_head && git archive HEAD | tar -x -C ../numopt_head
    cd ../numopt_head && PYTHONPATH=. python benchmarks/bench_fit_startup.py
"""
import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402
from bench_startup import cache_size, run_child  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_CHILD_PASS = "import json; print(json.dumps({}))"

# The model lives in a module file (written for each case), so that numba can cache it.
_MODEL_MODULE = """
import numba
import numpy as np

@numba.njit(cache=True)
def exp_decay(t, a, tau, c):
    return a * np.exp(-t / tau) + c

def exp_decay_np(t, a, tau, c):
    return a * np.exp(-t / tau) + c
"""
_DATA = """
t = np.linspace(0.0, 10.0, 100)
y = 3.0 * np.exp(-t / 2.5) + 0.5 + 0.05 * np.random.default_rng(1).standard_normal(100)
p0 = [1.0, 1.0, 0.0]
"""
_CHILD_FIT = """
import json, sys, time
sys.path.insert(0, {moddir!r})
t0 = time.perf_counter()
import {lib}
t1 = time.perf_counter()
import numpy as np
from numopt_bench_fit_model import {model} as model
""" + _DATA + """
kw = dict(p0=p0, bounds={bounds})
popt, pcov = {call}(model, t, y, **kw)
t2 = time.perf_counter()
popt2, pcov2 = {call}(model, t, y, **kw)
t3 = time.perf_counter()
assert np.allclose(popt, [3.0, 2.5, 0.5], rtol=0.1, atol=0.05), popt
assert np.array_equal(popt, popt2)
print(json.dumps({{"import_s": t1 - t0, "first_fit_s": t2 - t1, "second_fit_s": t3 - t2}}))
"""
_BOUNDS = "([0.0, 0.1, -10.0], [10.0, 10.0, 10.0])"
# case -> (module imported and timed, the call, model name, bounds)
CASES = {
    "njit lm": ("numopt", "numopt.curve_fit", "exp_decay", "(-np.inf, np.inf)"),
    "njit trf bounds": ("numopt", "numopt.curve_fit", "exp_decay", _BOUNDS),
    "py lm": ("numopt", "numopt.curve_fit", "exp_decay_np", "(-np.inf, np.inf)"),
    "scipy lm": ("scipy.optimize", "scipy.optimize.curve_fit", "exp_decay_np",
                 "(-np.inf, np.inf)"),
}


def revision():
    """``git describe`` of the tree measured, ``-dirty`` when numopt/ has uncommitted
    changes (numba's cache is keyed on the source files: an edit between a cold and a
    warm run makes the warm run compile again)."""
    import subprocess
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "numopt"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + ("-dirty" if dirty else "")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per case (default 3)")
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated cases (default all: {', '.join(CASES)})")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to run the children with (default: this one)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/MKL/OMP thread count in the children (default 1, as "
                         "bench_fit.py; 0 leaves the environment alone)")
    ap.add_argument("--json", metavar="PATH", help="write results, machine and versions here")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        ap.error(f"unknown cases {unknown}; choose from {list(CASES)}")
    if args.blas_threads > 0:
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)

    info = _common.machine_info()
    sys.path.insert(0, REPO)
    vers = _common.versions("numpy", "scipy", "numba", "numopt")
    print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']} "
          f"({args.python})")
    print(f"# numopt from {REPO}, revision {revision()}")
    print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"# {args.repeat} repetitions per case, medians; each run is a new process; "
          f"exponential decay, 100 points, 3 parameters; BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    sys.stdout.flush()

    base = tempfile.mkdtemp(prefix="numopt_bench_fit_startup_")
    samples, cache_files, failures = {}, {}, {}

    def attempt(case, code, cache_dir):
        """Run and record one child; a failure is counted and reported, not fatal."""
        try:
            wall, child = run_child(args.python, code, cache_dir)
        except RuntimeError as exc:
            lines = [ln for ln in str(exc).splitlines() if ln.strip()]
            failures.setdefault(case, []).append(lines[-1] if lines else "?")
            return False
        samples.setdefault(case, []).append(dict(child, wall_s=wall))
        return True

    def fresh():
        return tempfile.mkdtemp(dir=base)

    def child(case, d):
        lib, call, model, bounds = CASES[case]
        moddir = os.path.join(d, "model")
        if not os.path.isdir(moddir):   # a new file per cache directory
            os.makedirs(moddir)
            with open(os.path.join(moddir, "numopt_bench_fit_model.py"), "w") as fh:
                fh.write(_MODEL_MODULE)
        return _CHILD_FIT.format(moddir=moddir, lib=lib, call=call, model=model,
                                 bounds=bounds)

    cpu = _common.CpuShare().start()
    try:
        # One untimed run first, so that every timed run finds the libraries in the page cache.
        d = fresh()
        run_child(args.python, child("scipy lm", d), d)
        for r in range(args.repeat):
            attempt("python", _CHILD_PASS, fresh())
            for case in cases:
                d = fresh()
                code = child(case, d)
                if case.startswith("scipy"):
                    attempt(case, code, d)
                    continue
                if attempt(f"{case} (cold)", code, d):
                    cache_files[case] = cache_size(d)
                    attempt(f"{case} (warm)", code, d)
            print(f"# repetition {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    finally:
        cpu.stop()
        shutil.rmtree(base, ignore_errors=True)

    def med(case, key):
        return _common.median([s[key] for s in samples[case] if key in s])

    rows = []
    for case, runs in samples.items():
        rows.append([case, _common.fmt(med(case, "wall_s"), ".3f"),
                     _common.fmt(med(case, "import_s"), ".3f"),
                     _common.fmt(med(case, "first_fit_s"), ".3f"),
                     _common.fmt(1e3 * med(case, "second_fit_s"), ".3f"),
                     _common.fmt(min(s["wall_s"] for s in runs), ".3f"), len(runs)])
    print()
    _common.print_table(["case", "wall s", "import s", "1st fit s", "2nd fit ms",
                         "min wall s", "runs"], rows)
    print()
    print("wall = the whole process seen from outside (interpreter start included); the other "
          "columns are timed inside the child. cold = empty NUMBA_CACHE_DIR, warm = the "
          "directory a cold run filled. 'import s' of the scipy row is import scipy.optimize.")
    for case in ("njit lm", "njit trf bounds"):
        if f"{case} (warm)" in samples:
            first = med(f"{case} (warm)", "first_fit_s")
            print(f"target: first compiled fit ({case}) with a warm cache under 1 s: "
                  f"{first:.3f} s, {'met' if first < 1.0 else 'NOT met'}")
    for case, (files, size) in cache_files.items():
        print(f"cache written by a cold '{case}' run: {files} files, {size / 2**10:.0f} KiB")
    for case, errors in failures.items():
        print(f"'{case}': {len(errors)} run(s) failed, e.g.: {errors[-1]}")
    print(f"other processes used {_common.fmt(cpu.others, '.0%')} of the CPUs during the run")

    if args.json:
        keys = ("wall_s", "import_s", "first_fit_s", "second_fit_s")
        _common.write_json(args.json, {
            "benchmark": "fit_startup", "machine": info, "versions": vers,
            "config": {"repeat": args.repeat, "python": args.python, "cases": cases,
                       "revision": revision(),
                       "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")},
            "median": {c: {k: med(c, k) for k in keys} for c in samples},
            "samples": samples,
            "cache_files": {c: {"files": f, "bytes": b} for c, (f, b) in cache_files.items()},
            "failures": failures, "other_processes_cpu_share": cpu.others,
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
