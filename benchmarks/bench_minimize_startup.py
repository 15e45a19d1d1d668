"""Start-up cost of ``numopt.minimize``: a fresh process's import and first solves.

Every measurement runs in a new Python process, with ``NUMBA_CACHE_DIR`` pointed at a
temporary directory:

- **cold**: a new, empty cache directory, so numba compiles everything the run needs;
- **warm**: a second process on the directory the cold run just filled, so compiled
  code is loaded from disk.

Cases (each repeated ``--repeat`` times; medians are reported):

- ``python``: the interpreter alone (``pass``), the floor under everything;
- ``import numopt``: cold and warm;
- ``<M> compiled``: ``import numopt``, import a Rosenbrock objective (a module file's
  ``@numopt.objective(grad=True)``), ``numopt.minimize(rosen_fg, x0, method=M)`` (the
  first solve: it compiles, or loads, the method's compiled loop and compiles the
  objective), the same solve again, then a solve with a second, new objective of the
  same signature (compiles that objective only, never the solver);
- ``<M> compiled cache=True``: the same with both objectives in a module file marked
  ``@numopt.objective(grad=True, cache=True)``: a warm run loads them, and their
  adapters, from numba's disk cache;
- ``<M> Python``: ``import numopt``, then ``numopt.minimize(scipy.optimize.rosen, x0,
  jac=scipy.optimize.rosen_der, method=M)`` twice: the solver loop in Python around the
  method's compiled steps;
- ``scipy <M>``: ``import scipy.optimize`` and ``scipy.optimize.minimize`` on the same
  problem twice, for reference (no numba, nothing to compile).

``M`` is each of ``--methods`` (default BFGS and L-BFGS-B) that numopt has.

Needs numpy, scipy and numba (any environment with them)::

    PYTHONPATH=. python benchmarks/bench_minimize_startup.py
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
_CHILD_IMPORT = """
import json, time
t0 = time.perf_counter()
import numopt
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""
_CHILD_AVAILABLE = """
import json
from numopt._minimize import _registry
ok = []
for m in {methods!r}:
    try:
        ok.append(_registry.get(m).name)
    except ValueError:
        pass
print(json.dumps({{"available": ok}}))
"""
# The objectives live in a module file (written for each case), so that numba can cache
# them with cache=True; without it, as inline definitions, they are compiled afresh.
_OBJECTIVES_MODULE = """
import numopt

@numopt.objective(grad=True, cache={cache})
def rosen_fg(x, g):
    for i in range(x.size):
        g[i] = 0.0
    f = 0.0
    for i in range(x.size - 1):
        t = x[i + 1] - x[i] * x[i]
        s = 1.0 - x[i]
        f += 100.0 * t * t + s * s
        g[i] += -400.0 * x[i] * t - 2.0 * s
        g[i + 1] += 200.0 * t
    return f

@numopt.objective(grad=True, cache={cache})
def sphere_fg(x, g):
    f = 0.0
    for i in range(x.size):
        g[i] = 2.0 * (x[i] - 3.0)
        f += (x[i] - 3.0) ** 2
    return f
"""
_CHILD_COMPILED = """
import json, sys, time
sys.path.insert(0, {moddir!r})
t0 = time.perf_counter()
import numopt
t1 = time.perf_counter()
import numpy as np
from numopt_bench_objectives import rosen_fg, sphere_fg
x0 = np.tile([-1.2, 1.0], {n} // 2)
res = numopt.minimize(rosen_fg, x0, method="{method}")
t2 = time.perf_counter()
res2 = numopt.minimize(rosen_fg, x0, method="{method}")
t3 = time.perf_counter()
res3 = numopt.minimize(sphere_fg, x0, method="{method}")
t4 = time.perf_counter()
assert res.success and np.allclose(res.x, 1.0, atol=1e-4), res
assert res2.nit == res.nit and res3.success
print(json.dumps({{"import_s": t1 - t0, "first_solve_s": t2 - t1, "second_solve_s": t3 - t2,
                  "new_objective_s": t4 - t3}}))
"""
_CHILD_PYTHON = """
import json, time
t0 = time.perf_counter()
import numopt
t1 = time.perf_counter()
import numpy as np
from scipy.optimize import rosen, rosen_der
x0 = np.tile([-1.2, 1.0], {n} // 2)
res = numopt.minimize(rosen, x0, jac=rosen_der, method="{method}")
t2 = time.perf_counter()
res2 = numopt.minimize(rosen, x0, jac=rosen_der, method="{method}")
t3 = time.perf_counter()
assert res.success and np.allclose(res.x, 1.0, atol=1e-4), res
print(json.dumps({{"import_s": t1 - t0, "first_solve_s": t2 - t1, "second_solve_s": t3 - t2}}))
"""
_CHILD_SCIPY = """
import json, time
t0 = time.perf_counter()
import scipy.optimize as so
t1 = time.perf_counter()
import numpy as np
x0 = np.tile([-1.2, 1.0], {n} // 2)
res = so.minimize(so.rosen, x0, jac=so.rosen_der, method="{method}")
t2 = time.perf_counter()
res2 = so.minimize(so.rosen, x0, jac=so.rosen_der, method="{method}")
t3 = time.perf_counter()
assert res.success, res
print(json.dumps({{"import_s": t1 - t0, "first_solve_s": t2 - t1, "second_solve_s": t3 - t2}}))
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="repetitions per case (default 5)")
    ap.add_argument("--methods", default="BFGS,L-BFGS-B",
                    help="comma-separated methods whose first solve is timed (default "
                         "BFGS,L-BFGS-B; those numopt lacks are skipped)")
    ap.add_argument("--n", type=int, default=2, help="Rosenbrock size, even (default 2)")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to run the children with (default: this one)")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/MKL/OMP thread count in the children (default 1, as "
                         "bench_minimize.py; 0 leaves the environment alone)")
    ap.add_argument("--json", metavar="PATH", help="write results, machine and versions here")
    args = ap.parse_args(argv)
    if args.blas_threads > 0:
        # Inherited by the children. scipy's L-BFGS-B calls BLAS on short vectors: with
        # threaded OpenBLAS on a busy 2-core machine one small solve took 0.4 s, not 2 ms.
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)
    if args.n < 2 or args.n % 2:
        ap.error("--n must be even and at least 2")
    wanted = [m.strip() for m in args.methods.split(",") if m.strip()]

    info = _common.machine_info()
    sys.path.insert(0, REPO)
    vers = _common.versions("numpy", "scipy", "numba", "numopt")
    base = tempfile.mkdtemp(prefix="numopt_bench_minimize_startup_")
    try:
        methods = run_child(args.python, _CHILD_AVAILABLE.format(methods=wanted),
                            tempfile.mkdtemp(dir=base))[1]["available"]
        missing = [m for m in wanted if m.lower() not in {a.lower() for a in methods}]
        print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']} "
              f"({args.python})")
        print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
        print(f"# {args.repeat} repetitions per case, medians; each run is a new process; "
              f"Rosenbrock n={args.n} from (-1.2, 1, ...); BLAS threads: "
              f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
        if missing:
            print(f"# not in numopt (skipped): {', '.join(missing)}")
        sys.stdout.flush()

        samples, cache_files, failures = {}, {}, {}

        def record(case, wall, child):
            samples.setdefault(case, []).append(dict(child, wall_s=wall))

        def attempt(case, code, cache_dir):
            """Run and record one child; a failure is counted and reported, not fatal."""
            try:
                record(case, *run_child(args.python, code, cache_dir))
                return True
            except RuntimeError as exc:
                lines = [ln for ln in str(exc).splitlines() if ln.strip()]
                failures.setdefault(case, []).append(lines[-1] if lines else "?")
                return False

        def fresh():
            return tempfile.mkdtemp(dir=base)

        cpu = _common.CpuShare().start()
        # One untimed run first, so that every timed run finds the libraries in the page cache.
        run_child(args.python, _CHILD_SCIPY.format(n=args.n, method="BFGS"), fresh())
        run_child(args.python, _CHILD_IMPORT, fresh())
        for r in range(args.repeat):
            record("python", *run_child(args.python, _CHILD_PASS, fresh()))
            d = fresh()
            record("import numopt (cold)", *run_child(args.python, _CHILD_IMPORT, d))
            record("import numopt (warm)", *run_child(args.python, _CHILD_IMPORT, d))
            for m in methods:
                for label, child, cache in (("compiled", _CHILD_COMPILED, False),
                                            ("compiled cache=True", _CHILD_COMPILED, True),
                                            ("Python", _CHILD_PYTHON, False)):
                    d = fresh()
                    moddir = os.path.join(d, "objectives")  # a new file: nothing cached yet
                    os.makedirs(moddir)
                    with open(os.path.join(moddir, "numopt_bench_objectives.py"), "w") as fh:
                        fh.write(_OBJECTIVES_MODULE.format(cache=cache))
                    code = child.format(n=args.n, method=m, moddir=moddir)
                    if attempt(f"{m} {label} (cold)", code, d):
                        cache_files[f"{m} {label}"] = cache_size(d)
                        attempt(f"{m} {label} (warm)", code, d)
                attempt(f"scipy {m}", _CHILD_SCIPY.format(n=args.n, method=m), fresh())
            print(f"# repetition {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)
        cpu.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def med(case, key):
        return _common.median([s[key] for s in samples[case] if key in s])

    headers = ["case", "wall s", "import s", "1st solve s", "2nd solve ms", "new objective s",
               "min wall s", "runs"]
    rows = []
    for case, runs in samples.items():
        rows.append([case, _common.fmt(med(case, "wall_s"), ".3f"),
                     _common.fmt(med(case, "import_s"), ".3f"),
                     _common.fmt(med(case, "first_solve_s"), ".3f"),
                     _common.fmt(1e3 * med(case, "second_solve_s"), ".3f"),
                     _common.fmt(med(case, "new_objective_s"), ".3f"),
                     _common.fmt(min(s["wall_s"] for s in runs), ".3f"), len(runs)])
    print()
    _common.print_table(headers, rows)
    print()
    print("wall = the whole process seen from outside (interpreter start included); the other "
          "columns are timed inside the child. cold = empty NUMBA_CACHE_DIR, warm = the "
          "directory a cold run filled. 'import s' of the scipy rows is import scipy.optimize.")
    for case, (files, size) in cache_files.items():
        print(f"cache written by a cold '{case}' run: {files} files, {size / 2**10:.0f} KiB")
    for case, errors in failures.items():
        print(f"'{case}': {len(errors)} run(s) failed, e.g.: {errors[-1]}")
    print(f"other processes used {_common.fmt(cpu.others, '.0%')} of the CPUs during the run")

    if args.json:
        keys = ("wall_s", "import_s", "first_solve_s", "second_solve_s", "new_objective_s")
        _common.write_json(args.json, {
            "benchmark": "minimize_startup", "machine": info, "versions": vers,
            "config": {"repeat": args.repeat, "methods": methods, "missing": missing,
                       "n": args.n, "python": args.python,
                       "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")},
            "median": {c: {k: med(c, k) for k in keys} for c in samples},
            "samples": samples,
            "cache_files": {c: {"files": f, "bytes": b} for c, (f, b) in cache_files.items()},
            "failures": failures, "other_processes_cpu_share": cpu.others,
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
