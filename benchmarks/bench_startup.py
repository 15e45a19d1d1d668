"""Start-up cost of numopt: ``import numopt`` and the first optimizer step, in fresh processes.

Every measurement runs in a new Python process, with ``NUMBA_CACHE_DIR`` pointed at a
temporary directory:

- **cold**: a new, empty cache directory, so numba compiles everything the run needs;
- **warm**: a second process on the directory the cold run just filled, so compiled
  code is loaded from disk.

Cases (each repeated ``--repeat`` times; medians are reported):

- ``python``            : the interpreter alone (``pass``), the floor under everything;
- ``import numpy+numba``: what numopt cannot avoid importing;
- ``import numopt``     : ``import numopt`` alone, cold and warm;
- ``first <Opt> step``  : ``import numopt``, build ``optim.<Opt>`` on one parameter of
  ``--n`` elements, assign a gradient and call ``step()`` once, cold and warm, with the
  time inside the process split into import and first step.

Needs only numpy and numba (any environment with them)::

    PYTHONPATH=. python benchmarks/bench_startup.py
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The child prints one JSON line: its own view of the time spent (perf_counter).
_CHILD_PASS = "import json; print(json.dumps({}))"
_CHILD_BASE = """
import json, time
t0 = time.perf_counter()
import numpy, numba
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""
_CHILD_IMPORT = """
import json, time
t0 = time.perf_counter()
import numopt
print(json.dumps({"import_s": time.perf_counter() - t0}))
"""
_CHILD_STEP = """
import json, time
t0 = time.perf_counter()
import numopt
t1 = time.perf_counter()
import numpy as np
from numopt import Parameter, optim
w = Parameter(np.linspace(-1.0, 1.0, {n}).astype("{dtype}"))
opt = optim.{opt}([w], lr=1e-3)
w.grad = np.ones({n}, dtype="{dtype}")
opt.step()
t2 = time.perf_counter()
opt.step()
t3 = time.perf_counter()
assert np.all(np.isfinite(w.data))
print(json.dumps({{"import_s": t1 - t0, "first_step_s": t2 - t1, "second_step_s": t3 - t2}}))
"""


def run_child(python, code, cache_dir):
    """Run ``code`` in a fresh interpreter; return (wall seconds, the child's JSON dict)."""
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    t0 = time.perf_counter()
    proc = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"child failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1])


def cache_size(path):
    """Return (number of files, total bytes) under ``path``."""
    files = size = 0
    for root, _, names in os.walk(path):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(root, name))
    return files, size


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="repetitions per case (default 5)")
    ap.add_argument("--optimizers", default="Adam",
                    help="comma-separated numopt.optim classes whose first step is timed "
                         "(default Adam)")
    ap.add_argument("--n", type=int, default=10, help="parameter size (default 10)")
    ap.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter to run the children with (default: this one)")
    ap.add_argument("--json", metavar="PATH", help="write results, machine and versions here")
    args = ap.parse_args(argv)
    optimizers = [o.strip() for o in args.optimizers.split(",") if o.strip()]

    info = _common.machine_info()
    sys.path.insert(0, REPO)  # for numopt's version; the children get it through PYTHONPATH
    vers = _common.versions("numpy", "numba", "numopt")
    print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']} "
          f"({args.python})")
    print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"# {args.repeat} repetitions per case, medians; each run is a new process; "
          f"first step: one parameter of {args.n} {args.dtype} elements")
    sys.stdout.flush()

    base = tempfile.mkdtemp(prefix="numopt_bench_startup_")
    samples = {}  # case -> list of dicts (wall_s and the child's fields)
    cache_files = {}

    def record(case, wall, child):
        samples.setdefault(case, []).append(dict(child, wall_s=wall))

    cpu = _common.CpuShare().start()
    try:
        # One untimed run first, so that every timed run finds the libraries in the page cache.
        run_child(args.python, _CHILD_STEP.format(n=args.n, dtype=args.dtype, opt=optimizers[0]),
                  tempfile.mkdtemp(dir=base))
        for r in range(args.repeat):
            record("python", *run_child(args.python, _CHILD_PASS, tempfile.mkdtemp(dir=base)))
            record("import numpy+numba",
                   *run_child(args.python, _CHILD_BASE, tempfile.mkdtemp(dir=base)))
            d = tempfile.mkdtemp(dir=base)
            record("import numopt (cold)", *run_child(args.python, _CHILD_IMPORT, d))
            record("import numopt (warm)", *run_child(args.python, _CHILD_IMPORT, d))
            for opt in optimizers:
                code = _CHILD_STEP.format(n=args.n, dtype=args.dtype, opt=opt)
                d = tempfile.mkdtemp(dir=base)
                record(f"first {opt} step (cold)", *run_child(args.python, code, d))
                cache_files[opt] = cache_size(d)
                record(f"first {opt} step (warm)", *run_child(args.python, code, d))
            print(f"# repetition {r + 1}/{args.repeat} done", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    cpu.stop()

    def med(case, key):
        return _common.median([s[key] for s in samples[case] if key in s])

    headers = ["case", "wall s", "import s", "1st step s", "2nd step ms", "min wall s"]
    rows = []
    for case, runs in samples.items():
        rows.append([case, _common.fmt(med(case, "wall_s"), ".3f"),
                     _common.fmt(med(case, "import_s"), ".3f"),
                     _common.fmt(med(case, "first_step_s"), ".3f"),
                     _common.fmt(1e3 * med(case, "second_step_s"), ".3f"),
                     _common.fmt(min(s["wall_s"] for s in runs), ".3f")])
    print()
    _common.print_table(headers, rows)
    print()
    print("wall = the whole process as seen from outside (interpreter start included); import and "
          "steps are timed inside the child. cold = empty NUMBA_CACHE_DIR, warm = the directory "
          "a cold run filled.")
    for opt, (files, size) in cache_files.items():
        print(f"cache written by a cold '{opt}' run: {files} files, {size / 2**10:.0f} KiB")
    print(f"other processes used {_common.fmt(cpu.others, '.0%')} of the CPUs during the run")

    if args.json:
        _common.write_json(args.json, {
            "benchmark": "startup", "machine": info, "versions": vers,
            "config": {"repeat": args.repeat, "optimizers": optimizers, "n": args.n,
                       "dtype": args.dtype, "python": args.python},
            "median": {c: {k: med(c, k) for k in ("wall_s", "import_s", "first_step_s",
                                                    "second_step_s")} for c in samples},
            "samples": samples,
            "cache_files": {o: {"files": f, "bytes": b} for o, (f, b) in cache_files.items()},
            "other_processes_cpu_share": cpu.others,
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
