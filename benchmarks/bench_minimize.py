"""Time per solve: ``numopt.minimize`` against ``scipy.optimize.minimize`` (and scijit).

Problems: scipy's Rosenbrock (``scipy.optimize.rosen``, the chained form) at several sizes
from (-1.2, 1, -1.2, ...), and classic problems of Moré, Garbow and Hillstrom from
:mod:`numopt.testing.problems` at their standard starting points. Methods: every one of
``--methods`` that numopt has (``numopt._minimize._registry.get`` succeeds); scipy runs the
ones it has too (BFGS, L-BFGS-B, CG, Nelder-Mead); numopt's LBFGS (torch's algorithm) has
no peer and is timed alone.

Two tables, one per kind of objective:

- ``python``: both libraries get the same Python callables, ``scipy.optimize.rosen`` /
  ``rosen_der`` for Rosenbrock and the problem's ``f`` / ``jac`` otherwise (Python
  wrappers around compiled code, allocating the gradient). numopt runs its solver loop in
  Python; the method's steps are compiled.
- ``compiled``: numopt gets ``numopt.objective(grad=True)(problem.fg)`` (value-only
  ``numopt.objective(problem.fun)`` for Nelder-Mead) and the whole solve runs in compiled
  code; scipy keeps its usual objective (as in ``python``). scijit, a numba library of
  scipy routines, runs its ``minimize`` on the same problems from inside an ``@njit``
  loop, in a separate process (``--scijit-python``, its own environment).

Each case is timed round-robin: in every round each implementation solves the problem
(``inner`` times in a row when one solve is shorter than ``--min-sample``), in a new random
order each round. Reported: the median time per solve, the median over rounds of the
per-round ratio numopt/peer (below 1: numopt is faster), and quality beside it: ``nit``,
``nfev`` and success of each library, and ``max|x_numopt - x_peer|``.

Run from the repository root, e.g.::

    PYTHONPATH=. python benchmarks/bench_minimize.py --json bench_minimize.json
"""
import argparse
import gc
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import _common  # noqa: E402  (standard library only: safe before the BLAS settings)

# numopt method -> the peers' name for it (scipy and scijit use scipy's names).
PEER_NAMES = {"BFGS": "BFGS", "L-BFGS-B": "L-BFGS-B", "CG": "CG", "Nelder-Mead": "Nelder-Mead"}
DEFAULT_METHODS = "BFGS,L-BFGS-B,CG,Nelder-Mead,LBFGS"
DEFAULT_SIZES = "2,10,100,1000"
DEFAULT_PROBLEMS = ("beale,helical_valley,powell_singular,wood,biggs_exp6,watson_n9,"
                    "trigonometric_n10,extended_powell_singular_n100")
# Options beyond the method's defaults. numopt's LBFGS has torch's defaults, made for one
# optimizer step (max_iter=20, no line search); a solve needs a line search and a budget.
# history_size=10 and tolerance_grad=1e-5 are L-BFGS-B's maxcor and gtol.
NUMOPT_OPTIONS = {"LBFGS": dict(line_search_fn="strong_wolfe", max_iter=15000, history_size=10,
                                tolerance_grad=1e-5)}
# Largest n per method (all libraries), and for the peers only. scipy's BFGS updates its
# inverse Hessian with two dense n x n matrix products per iteration (O(n^3)): about 0.25 s
# per iteration at n=1000, so a Rosenbrock solve takes over 20 minutes; scijit's BFGS is a
# port of it. Nelder-Mead at n=1000 would spend 200000 evaluations to fail.
DEFAULT_MAX_N = "Nelder-Mead=100"
DEFAULT_PEER_MAX_N = "BFGS=100"
# The interpreter of an environment with scijit: none unless NUMOPT_SCIJIT_PYTHON names one.
SCIJIT_PYTHON = os.environ.get("NUMOPT_SCIJIT_PYTHON", "none")
SLOW_S = 5.0   # a first call this long is a sample itself (compilation takes far less)


# --------------------------------------------------------------------------------------
# Helpers that need no third-party import
# --------------------------------------------------------------------------------------

def _caps(text):
    out = {}
    for item in filter(None, (s.strip() for s in text.split(","))):
        name, _, n = item.partition("=")
        out[name.strip().lower()] = int(n)
    return out


def fmt_ms(seconds):
    """Milliseconds with about three significant digits, ``-`` when missing."""
    if seconds is None or seconds != seconds:
        return "-"
    ms = 1e3 * seconds
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def fmt_ratio(r):
    if r is None or r != r:
        return "-"
    return f"{r:.2f}" if r >= 0.1 else f"{r:.3f}" if r >= 0.01 else f"{r:.1e}"


def _yn(ok):
    return "-" if ok is None else ("y" if ok else "n")


def _now():
    return time.perf_counter()


def calibrate(fn, min_sample):
    """Run ``fn`` until warm; return (result, seconds per call, pre-samples, inner)."""
    t0 = _now()
    res = fn()
    t = _now() - t0
    pre = []
    if t >= SLOW_S:
        pre = [t]   # compilation (done before) cannot explain this: count it as a sample
    else:
        t0 = _now()
        res = fn()
        t = _now() - t0
    inner = max(1, min(100000, math.ceil(min_sample / max(t, 1e-9))))
    return res, t, pre, inner


def run_rounds(impls, repeat, budget, min_sample, rng):
    """Time ``impls`` ({name: fn}) round-robin; return {name: {...}} and the number of rounds.

    Each entry has ``result`` (of the calibration call), ``samples`` (seconds per solve,
    one per round) and ``inner``.
    """
    out = {}
    for name, fn in impls.items():
        res, t, pre, inner = calibrate(fn, min_sample)
        out[name] = dict(result=res, est=t, samples=list(pre), inner=inner, pre=len(pre))
    round_s = sum(o["est"] * o["inner"] for o in out.values())
    have = min(len(o["samples"]) for o in out.values())
    rounds = max(0 if have else 1, min(repeat - have, int(budget // max(round_s, 1e-9))))
    names = list(impls)
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            fn, inner = impls[name], out[name]["inner"]
            gc.disable()
            try:
                t0 = _now()
                for _ in range(inner):
                    fn()
                dt = _now() - t0
            finally:
                gc.enable()
            out[name]["samples"].append(dt / inner)
    return out, rounds + have


def ratio_median(a, b):
    """Median over rounds of a[i] / b[i] (rounds both have)."""
    k = min(len(a), len(b))
    return _common.median([a[i] / b[i] for i in range(k)]) if k else float("nan")


# --------------------------------------------------------------------------------------
# The scijit worker: runs in scijit's environment, in its own process
# --------------------------------------------------------------------------------------

def _dispatch_source(count, kind):
    """Source of one @njit objective over all problems, chosen by the integer argument k.

    scijit compiles its whole solver per objective function (10 to 25 s each); one
    objective for all problems keeps that to one compilation per method. ``fg`` returns
    ``(f, g)`` with a new gradient array (scijit's protocol), ``f`` the value only.
    """
    lines = [f"def {kind}_all(x, k):"]
    if kind == "fg":
        lines.append("    g = np.empty(x.size)")
    for i in range(count):
        call = f"FG{i}(x, g)" if kind == "fg" else f"FUN{i}(x)"
        lines.append(f"    {'if' if i == 0 else 'elif'} k == {i}:")
        lines.append(f"        f = {call}")
    lines.append("    else:")
    lines.append("        f = np.nan")
    lines.append("    return (f, g)" if kind == "fg" else "    return f")
    return "\n".join(lines)


def _loop_source(method):
    ident = method.replace("-", "_").lower()
    return (f"def loop_{ident}(fun, x0, k, reps):\n"
            f"    res = minimize(fun, x0, args=(k,), method={method!r})\n"
            f"    for r in range(reps - 1):\n"
            f"        res = minimize(fun, x0, args=(k,), method={method!r})\n"
            f"    return res.nit, res.nfev, res.fun, res.success, res.x\n"), f"loop_{ident}"


def scijit_worker(spec_path, out_path):
    """Time scijit.optimize.minimize on the cases in ``spec_path``; write JSON to ``out_path``."""
    with open(spec_path) as f:
        spec = json.load(f)
    import numpy as np
    from numba import njit

    try:
        import scijit
        from scijit.optimize import minimize
    except Exception as exc:  # noqa: BLE001 -- report why, the parent prints it
        with open(out_path, "w") as f:
            json.dump({"error": f"{type(exc).__name__}: {exc}"}, f)
        return
    warnings.simplefilter("ignore")
    from numopt.testing import problems as P

    cases = spec["cases"]
    probs = [_problem(P, c["problem"], c["n"]) for c in cases]
    fgs, funs = [], []
    for p in probs:
        if p.fg not in fgs:
            fgs.append(p.fg)
        if p.fun not in funs:
            funs.append(p.fun)
    ns = {"np": np, "minimize": minimize}
    ns.update({f"FG{i}": fn for i, fn in enumerate(fgs)})
    ns.update({f"FUN{i}": fn for i, fn in enumerate(funs)})
    exec(_dispatch_source(len(fgs), "fg"), ns)
    exec(_dispatch_source(len(funs), "f"), ns)
    fg_all, f_all = njit(ns["fg_all"]), njit(ns["f_all"])
    loops = {}
    compile_s = {}
    records = []
    for c, p in zip(cases, probs):
        method = c["method"]
        if method not in loops:
            src, name = _loop_source(method)
            exec(src, ns)
            loops[method] = njit(ns[name])
        value_only = method == "Nelder-Mead"
        fun = f_all if value_only else fg_all
        k = (funs if value_only else fgs).index(p.fun if value_only else p.fg)
        x0 = p.x0.copy()
        loop = loops[method]
        if method not in compile_s:  # compiles the loop and scijit's solver, once per method
            t0 = _now()
            loop(fun, x0, k, 1)
            compile_s[method] = _now() - t0

        def solve(reps=1, loop=loop, fun=fun, x0=x0, k=k):
            return loop(fun, x0, k, reps)

        res, est, pre, inner = calibrate(solve, spec["min_sample"])
        samples = list(pre)
        rounds = max(0 if pre else 1,
                     min(spec["repeat"] - len(pre), int(spec["budget"] // max(est * inner, 1e-9))))
        for _ in range(rounds):
            gc.disable()
            try:
                t0 = _now()
                solve(inner)
                samples.append((_now() - t0) / inner)
            finally:
                gc.enable()
        nit, nfev, fun_val, success, x = res
        records.append(dict(key=c["key"], median_s=_common.median(samples), samples=samples,
                            inner=inner, rounds=len(samples),
                            nit=int(nit), nfev=int(nfev), fun=float(fun_val),
                            success=bool(success), x=[float(v) for v in x]))
        print(f"# scijit {c['key']}: {fmt_ms(records[-1]['median_s'])} ms", file=sys.stderr,
              flush=True)
    with open(out_path, "w") as f:
        json.dump({"version": getattr(scijit, "__version__", "unknown"), "records": records,
                   "compile_s": compile_s,
                   "versions": _common.versions("numpy", "scipy", "numba", "scijit")}, f)


def _problem(P, name, n):
    if name == "rosen":
        return P.chained_rosenbrock(n)
    return P.get(name)


def run_scijit(python, cases, args):
    """Run the scijit worker in ``python``; return ({key: record}, worker info, error)."""
    if not python or python == "none":
        return {}, None, "not requested (--scijit-python none)"
    if not os.path.exists(python):
        return {}, None, f"{python} does not exist (make one: python3 -m venv sjvenv && " \
                         "sjvenv/bin/pip install scijit numba scipy)"
    spec = dict(cases=cases, repeat=args.repeat, budget=args.budget,
                min_sample=args.min_sample, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="numopt_bench_scijit_") as tmp:
        spec_path, out_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "out.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        env = dict(os.environ)
        env["PYTHONPATH"] = REPO + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.run([python, os.path.abspath(__file__), "--scijit-worker", spec_path,
                               out_path], env=env, capture_output=True, text=True)
        if proc.returncode != 0 or not os.path.exists(out_path):
            return {}, None, f"worker failed (rc={proc.returncode}): {proc.stderr[-2000:]}"
        with open(out_path) as f:
            out = json.load(f)
    if "error" in out:
        return {}, None, out["error"]
    records = {r["key"]: r for r in out.pop("records")}
    return records, out, None


# --------------------------------------------------------------------------------------
# The main benchmark
# --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default=DEFAULT_METHODS,
                    help=f"comma-separated numopt methods (default {DEFAULT_METHODS}); "
                         "those numopt lacks are skipped")
    ap.add_argument("--sizes", default=DEFAULT_SIZES,
                    help=f"Rosenbrock sizes (default {DEFAULT_SIZES}); empty for none")
    ap.add_argument("--problems", default=DEFAULT_PROBLEMS,
                    help="comma-separated labels from numopt.testing.problems (default: "
                         f"{DEFAULT_PROBLEMS}); empty for none")
    ap.add_argument("--objectives", default="python,compiled",
                    help="which tables: python, compiled (default both)")
    ap.add_argument("--repeat", type=int, default=9, help="timed rounds per case (default 9)")
    ap.add_argument("--budget", type=float, default=10.0,
                    help="seconds of timed rounds per case; slow cases get fewer rounds "
                         "(at least one) (default 10)")
    ap.add_argument("--min-sample", type=float, default=0.02,
                    help="repeat a fast solve within a sample until the sample lasts this "
                         "long, in seconds (default 0.02)")
    ap.add_argument("--max-n", default=DEFAULT_MAX_N,
                    help=f"largest n per method, e.g. 'Nelder-Mead=100,BFGS=100' (default "
                         f"{DEFAULT_MAX_N})")
    ap.add_argument("--peer-max-n", default=DEFAULT_PEER_MAX_N,
                    help="largest n per method for scipy and scijit; numopt alone above "
                         f"(default {DEFAULT_PEER_MAX_N})")
    ap.add_argument("--blas-threads", type=int, default=1,
                    help="OPENBLAS/MKL/OMP thread count for scipy's BLAS calls, set before "
                         "NumPy loads (default 1; 0 leaves the environment alone)")
    ap.add_argument("--scijit-python", default=SCIJIT_PYTHON,
                    help=f"interpreter of an environment with scijit (default {SCIJIT_PYTHON}); "
                         "'none' to skip")
    ap.add_argument("--seed", type=int, default=0, help="round order (default 0)")
    ap.add_argument("--json", metavar="PATH", help="write all results, machine and versions here")
    ap.add_argument("--scijit-worker", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.scijit_worker:
        scijit_worker(*args.scijit_worker)
        return
    if args.blas_threads > 0:
        # scipy's L-BFGS-B calls BLAS on vectors; threaded, on a busy 2-core machine, its
        # threads fight the benchmark's: 8 s instead of 0.05 s for Rosenbrock n=100.
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
            os.environ[var] = str(args.blas_threads)

    import numpy as np
    import scipy
    import scipy.optimize as so

    import numopt
    from numopt._minimize import _registry
    from numopt.testing import problems as P

    methods, missing = [], []
    for name in filter(None, (m.strip() for m in args.methods.split(","))):
        try:
            methods.append(_registry.get(name).name)
        except ValueError:
            missing.append(name)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    labels = [s.strip() for s in args.problems.split(",") if s.strip()]
    objectives = [s.strip() for s in args.objectives.split(",") if s.strip()]
    max_n, peer_max_n = _caps(args.max_n), _caps(args.peer_max_n)

    info = _common.machine_info()
    vers = _common.versions("numpy", "scipy", "numba", "numopt")
    print(f"# {info['cpu_model']}, {info['cpu_count']} CPUs; python {info['python']}")
    print("# " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"# BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}; "
          f"{args.repeat} round-robin rounds per case (fewer past {args.budget:g} s), samples of "
          f">= {args.min_sample * 1e3:g} ms; medians")
    print(f"# methods: {', '.join(methods)}" + (f"; not in numopt (skipped): {', '.join(missing)}"
                                                if missing else ""))
    for m, o in NUMOPT_OPTIONS.items():
        if m in methods:
            print(f"# numopt {m} options: {o}")
    sys.stdout.flush()
    warnings.simplefilter("ignore")  # scipy's and numopt's precision-loss warnings, etc.

    # Problems: (key, label, n, Problem, python f, python jac) in the order of the tables.
    problems = []
    for n in sizes:
        problems.append(("rosen", n, P.chained_rosenbrock(n), so.rosen, so.rosen_der))
    for label in labels:
        p = P.get(label)
        problems.append((label, p.n, p, p.f, p.jac))
    compiled = {}  # one numopt Objective per compiled function

    def objective(fn, grad):
        if fn not in compiled:
            compiled[fn] = numopt.objective(grad=grad)(fn)
        return compiled[fn]

    cases = []
    for name, n, p, pf, pj in problems:
        for m in methods:
            if n > max_n.get(m.lower(), 10 ** 9):
                continue
            peer = PEER_NAMES.get(m)
            if peer and n > peer_max_n.get(m.lower(), 10 ** 9):
                peer = None
            key = f"{name}/{n}/{m}"
            cases.append(dict(key=key, problem=name, n=n, method=m, p=p, pf=pf, pj=pj, peer=peer,
                              peer_skipped=bool(PEER_NAMES.get(m)) and peer is None))

    # Compile (or load from the cache) each method's solvers before any timing.
    warm = P.chained_rosenbrock(2)
    for m in methods:
        opts = NUMOPT_OPTIONS.get(m)
        x0 = warm.x0.copy()
        if _registry.get(m).uses_gradient:
            numopt.minimize(so.rosen, x0, jac=so.rosen_der, method=m, options=opts)
            numopt.minimize(objective(warm.fg, True), x0, method=m, options=opts)
        else:
            numopt.minimize(so.rosen, x0, method=m, options=opts)
            numopt.minimize(objective(warm.fun, False), x0, method=m, options=opts)

    rng = random.Random(args.seed)
    results = {obj: [] for obj in objectives}
    cpu = _common.CpuShare().start()
    for obj in objectives:
        for c in cases:
            m, p = c["method"], c["p"]
            x0 = p.x0.copy()
            opts = NUMOPT_OPTIONS.get(m)
            grad = _registry.get(m).uses_gradient
            if obj == "python":
                nf, nj = c["pf"], (c["pj"] if grad else None)
            else:
                nf, nj = (objective(p.fg, True) if grad else objective(p.fun, False)), None
            impls = {"numopt": lambda nf=nf, nj=nj, x0=x0, m=m, opts=opts:
                     numopt.minimize(nf, x0, jac=nj, method=m, options=opts)}
            if c["peer"]:
                sj = c["pj"] if grad else None
                impls["scipy"] = lambda sf=c["pf"], sj=sj, x0=x0, peer=c["peer"]: \
                    so.minimize(sf, x0, jac=sj, method=peer)
            timed, rounds = run_rounds(impls, args.repeat, args.budget, args.min_sample, rng)
            rec = dict(key=c["key"], problem=c["problem"], n=c["n"], method=m, objective=obj,
                       rounds=rounds, peer_skipped=c["peer_skipped"])
            for lib, t in timed.items():
                r = t["result"]
                rec[lib] = dict(median_s=_common.median(t["samples"]), samples=t["samples"],
                                inner=t["inner"], nit=int(r.nit), nfev=int(r.nfev),
                                success=bool(r.success), fun=float(r.fun),
                                x=[float(v) for v in r.x], message=str(r.message))
            if "scipy" in timed:
                rec["ratio_scipy"] = ratio_median(timed["numopt"]["samples"],
                                                  timed["scipy"]["samples"])
                rec["dx_scipy"] = float(np.max(np.abs(timed["numopt"]["result"].x
                                                      - timed["scipy"]["result"].x)))
            results[obj].append(rec)
            print(f"# {obj} {c['key']}: numopt {fmt_ms(rec['numopt']['median_s'])} ms"
                  + (f", scipy {fmt_ms(rec['scipy']['median_s'])} ms" if "scipy" in rec else ""),
                  file=sys.stderr, flush=True)
    cpu.stop()

    # scijit, in its own environment and process, after the rest (its compilation is long).
    sj_records, sj_info, sj_error = {}, None, None
    if "compiled" in objectives:
        sj_cases = [dict(key=c["key"], problem=c["problem"], n=c["n"], method=c["peer"])
                    for c in cases if c["peer"]]
        if sj_cases:
            sj_records, sj_info, sj_error = run_scijit(args.scijit_python, sj_cases, args)
        for rec in results["compiled"]:
            s = sj_records.get(rec["key"])
            if s:
                rec["scijit"] = s
                rec["ratio_scijit"] = rec["numopt"]["median_s"] / s["median_s"]
                rec["dx_scijit"] = float(np.max(np.abs(np.array(rec["numopt"]["x"])
                                                       - np.array(s["x"]))))

    sj_version = (sj_info or {}).get("version")

    for obj in objectives:
        print()
        if obj == "python":
            print("## Python objective (the same callables for numopt and scipy); times in ms "
                  "per solve")
        else:
            print("## Compiled objective for numopt (@numopt.objective); scipy with its usual "
                  "NumPy objective; scijit from an @njit loop; times in ms per solve")
        with_sj = obj == "compiled" and bool(sj_records)
        headers = ["problem", "n", "method", "numopt", "scipy", "no/sp"]
        if with_sj:
            headers += ["scijit", "no/sj"]
        headers += ["nit no/sp" + ("/sj" if with_sj else ""),
                    "nfev no/sp" + ("/sj" if with_sj else ""),
                    "ok", "|dx| sp", "R"]
        rows = []
        for rec in results[obj]:
            no, sp, sj = rec["numopt"], rec.get("scipy"), rec.get("scijit")
            libs = [no, sp] + ([sj] if with_sj else [])
            row = [rec["problem"], rec["n"], rec["method"], fmt_ms(no["median_s"]),
                   "skip" if rec["peer_skipped"] else fmt_ms(sp["median_s"] if sp else None),
                   fmt_ratio(rec.get("ratio_scipy"))]
            if with_sj:
                row += [fmt_ms(sj["median_s"] if sj else None), fmt_ratio(rec.get("ratio_scijit"))]
            row += ["/".join(str(lib["nit"]) if lib else "-" for lib in libs),
                    "/".join(str(lib["nfev"]) if lib else "-" for lib in libs),
                    "/".join(_yn(lib["success"] if lib else None) for lib in libs),
                    f"{rec['dx_scipy']:.0e}" if "dx_scipy" in rec else "-",
                    rec["rounds"]]
            rows.append(row)
        _common.print_table(headers, rows, "<><" + ">" * (len(headers) - 3))
    print()
    print("no/sp, no/sj: median over rounds of numopt's time / the peer's (below 1: numopt is "
          "faster); ok: success (numopt/scipy[/scijit]); |dx| sp: max |x_numopt - x_scipy|; "
          "R: rounds timed. 'skip': the peer is not run at this n (--peer-max-n).")
    if "compiled" in objectives:
        if sj_error:
            print(f"scijit: not timed: {sj_error}")
        elif sj_records:
            print(f"scijit {sj_version}: timed alone in its own process ({args.scijit_python}), "
                  "one compiled objective for all problems; the no/sj ratio is of medians.")
    print(f"other processes used {_common.fmt(cpu.others, '.0%')} of the CPUs during the "
          "numopt/scipy rounds")

    if args.json:
        _common.write_json(args.json, {
            "benchmark": "minimize", "machine": info, "versions": dict(vers, scijit=sj_version),
            "config": {k: v for k, v in vars(args).items() if k != "scijit_worker"},
            "methods": methods, "missing_methods": missing, "numopt_options": NUMOPT_OPTIONS,
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "results": results, "scijit_error": sj_error, "scijit_worker": sj_info,
            "other_processes_cpu_share": cpu.others,
        })
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
