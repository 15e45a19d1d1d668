"""Problems per second of ``numopt.minimize_batch`` against a scipy loop, scijit in a
numba ``prange`` loop and L-BFGS in JAX under ``vmap``, on many small independent fits.

Problems (the same rows for every implementation):

- ``rosen``: the chained Rosenbrock function ``sum((a - x_i)^2 + 100 (x_i+1 - x_i^2)^2)``
  with its own ``a ~ U(0.5, 1.5)`` per problem (an argument sliced per problem), from
  ``(-1.2, 1, -1.2, ...) + U(-0.5, 0.5)``, at ``--ns`` variables;
- ``peak``: least-squares fit of a Gaussian peak (amplitude, centre, width, offset) to a
  noisy curve of 50 points, ``numopt._demo.make_peak_curves`` / ``peak_initial_guess`` /
  ``_peak_objective``.

Implementations:

- numopt: ``minimize_batch`` with an ``@numopt.objective(grad=True)`` objective (one
  compiled ``prange`` call for the whole batch), for each of ``--methods``;
- ``scipy``: ``scipy.optimize.minimize(method="L-BFGS-B", jac=True)`` per problem in a
  Python loop with NumPy objectives, timed on the first ``--scipy-rows`` problems (its
  rate does not depend on the batch size), one thread;
- ``scijit``: ``scijit.optimize.minimize(method="L-BFGS-B")`` called per problem inside
  an ``@njit(parallel=True)`` ``prange`` loop, in scijit's environment;
- ``jax-optax`` (and ``jax-optimistix`` on request): L-BFGS under ``jax.vmap`` on the
  CPU, in JAX's environment; see ``_batch_peers/jax_vmap.py``.

Every peer runs in its own process (``_batch_peers/*.py``) and reports JSON; the
driver prints the tables side by side. Each implementation uses ``--threads`` threads
(numba's default); the scipy loop is serial.

Run from the repository root::

    PYTHONPATH=. python benchmarks/bench_batch.py --json bench_batch.json
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PEERS_DIR = os.path.join(HERE, "_batch_peers")
sys.path.insert(0, HERE)
sys.path.insert(0, PEERS_DIR)
import _common  # noqa: E402
import _peerlib  # noqa: E402

import numpy as np  # noqa: E402

# Interpreters of environments with scijit and with JAX: none unless named by these variables.
SCIJIT_PYTHON = os.environ.get("NUMOPT_SCIJIT_PYTHON", "none")
JAX_PYTHON = os.environ.get("NUMOPT_JAX_PYTHON", "none")
PEAK_N = 4
# Column labels of the peers, in table order.
PEER_LABELS = {"scipy": "scipy loop", "scijit": "scijit prange", "jax-optax": "JAX optax vmap",
               "jax-optimistix": "JAX optx vmap"}
SHORT = {"scipy": "scipy", "scijit": "scijit", "jax-optax": "JAX", "jax-optimistix": "optx"}
DX_FLAG = 1e-3  # |x - x_scipy| above this counts as a different answer
F_FLAG = 1e-6   # f - f_scipy above this (relative to 1 + |f_scipy|) counts as a worse answer
SCIPY_METHODS = ("L-BFGS-B", "BFGS", "CG", "Nelder-Mead")


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------

def rosen_objective():
    import numopt

    @numopt.objective(grad=True)
    def rosen_fg(x, g, a):
        """Chained Rosenbrock with its own ``a``; writes the gradient into g."""
        f = 0.0
        for i in range(x.size):
            g[i] = 0.0
        for i in range(x.size - 1):
            t = a - x[i]
            u = x[i + 1] - x[i] * x[i]
            f += t * t + 100.0 * u * u
            g[i] += -2.0 * t - 400.0 * x[i] * u
            g[i + 1] += 200.0 * u
        return f

    return rosen_fg


def make_rosen(B, n, seed):
    rng = np.random.default_rng([seed, n])
    start = np.tile([-1.2, 1.0], (n + 1) // 2)[:n]
    X0 = start + rng.uniform(-0.5, 0.5, (B, n))
    A = rng.uniform(0.5, 1.5, B)
    return {"X0": X0, "A": A}


def make_peak(B, seed):
    from numopt._demo import make_peak_curves, peak_initial_guess

    t, Y, _ = make_peak_curves(B, seed=seed)
    return {"X0": peak_initial_guess(t, Y), "t": t, "Y": Y}


def normalise(problem, x):
    """The peak models depend on the width through its square: compare |width|."""
    x = np.array(x, dtype=float)
    column = {"peak": 2, "gauss2d": 3}.get(problem)
    if column is not None and x.size:
        x[:, column] = np.abs(x[:, column])
    return x


# The 2-D Gaussian of the GPU section: 5 x 5 pixels, 5 parameters.
def gauss2d_objective():
    import numopt

    @numopt.objective(grad=True)
    def gauss2d_fg(p, g, u, v, z):
        """0.5 * sum((A exp(-((u-x0)^2 + (v-y0)^2) / (2 w^2)) + c - z)^2) and its gradient."""
        amp, x0, y0, w, c = p[0], p[1], p[2], p[3], p[4]
        f = 0.0
        g[0] = g[1] = g[2] = g[3] = g[4] = 0.0
        w2 = w * w
        for k in range(z.size):
            du = u[k] - x0
            dv = v[k] - y0
            d2 = du * du + dv * dv
            e = np.exp(-d2 / (2.0 * w2))
            r = amp * e + c - z[k]
            f += 0.5 * r * r
            ae = r * amp * e
            g[0] += r * e
            g[1] += ae * du / w2
            g[2] += ae * dv / w2
            g[3] += ae * d2 / (w2 * w)
            g[4] += r
        return f

    return gauss2d_fg


def make_gauss2d(B, seed, side=5, noise=0.05):
    rng = np.random.default_rng([seed, 2])
    grid = np.linspace(-2.0, 2.0, side)
    uu, vv = np.meshgrid(grid, grid, indexing="ij")
    u, v = uu.ravel(), vv.ravel()
    amp = rng.uniform(1.0, 5.0, B)
    x0, y0 = rng.uniform(-1.0, 1.0, B), rng.uniform(-1.0, 1.0, B)
    w = rng.uniform(0.6, 1.2, B)
    c = rng.uniform(-0.5, 0.5, B)
    d2 = (u - x0[:, None]) ** 2 + (v - y0[:, None]) ** 2
    Z = amp[:, None] * np.exp(-d2 / (2 * w[:, None] ** 2)) + c[:, None]
    Z += noise * rng.standard_normal(Z.shape)
    top = Z.argmax(axis=1)
    offset = Z.min(axis=1)
    P0 = np.column_stack([Z.max(axis=1) - offset, u[top], v[top], np.ones(B), offset])
    return P0, u, v, Z


# --------------------------------------------------------------------------------------
# numopt, in this process
# --------------------------------------------------------------------------------------

def run_numopt(problem, case, method, args, objective):
    import numopt

    data = _peerlib.data(case)

    def solve(m):
        X0, fargs = _peerlib.rows(data, problem, m)
        res = numopt.minimize_batch(objective, X0, args=fargs, method=method)
        return res.x, res.fun, res.nit, res.success

    t0 = _peerlib.now()
    solve(4)  # compiles the objective's adapter; the solver loads from numba's cache
    first = _peerlib.now() - t0
    _peerlib.log(f"# numopt {method}, {problem} n={case['n']}: first call {first:.1f} s")
    cases, kept = _peerlib.time_sizes(solve, args.sizes, args.repeat, args.budget,
                                      args.max_case_s, args.keep)
    return {"n": case["n"], "compile_s": first, "cases": cases, "keep": kept}


# --------------------------------------------------------------------------------------
# Peers, each in its own process
# --------------------------------------------------------------------------------------

def run_peer(label, python, script, spec, env_extra, tmp):
    """Run a peer sub-script; return its JSON (``{"error": ...}`` when it failed)."""
    if not python or python == "none":
        return {"error": f"not requested (--{label}-python none)"}
    if not os.path.exists(python):
        return {"error": f"{python} does not exist"}
    spec_path = os.path.join(tmp, f"{label}_{spec['problem']}_spec.json")
    out_path = os.path.join(tmp, f"{label}_{spec['problem']}_out.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ)
    env.update(env_extra)
    env.pop("PYTHONPATH", None)  # the peers import nothing from the repository
    proc = subprocess.run([python, os.path.join(PEERS_DIR, script), spec_path, out_path],
                          env=env, stdout=subprocess.PIPE, stderr=None, text=True)
    if proc.returncode != 0 or not os.path.exists(out_path):
        return {"error": f"{script} failed (rc={proc.returncode})"}
    with open(out_path) as f:
        return json.load(f)


def peer_specs(args, problem, cases):
    """(label, python, script, spec, environment) of each requested peer."""
    common = dict(problem=problem, cases=cases, repeat=args.repeat, budget=args.budget,
                  max_case_s=args.max_case_s, keep=args.keep, threads=args.threads)
    one_thread = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")}
    out = []
    for peer in args.peers:
        if peer == "scipy":
            spec = dict(common, sizes=[args.scipy_rows], method="L-BFGS-B",
                        max_case_s=1e9, repeat=args.scipy_repeat)
            out.append(("scipy", sys.executable, "scipy_loop.py", spec, one_thread))
            # scipy's own run of each other numopt method, on the compared rows only:
            # the reference for that method's answers.
            for m in args.methods:
                if m != "L-BFGS-B" and m in SCIPY_METHODS:
                    spec = dict(common, sizes=[args.keep], method=m, max_case_s=1e9, repeat=1)
                    out.append((f"scipy:{m}", sys.executable, "scipy_loop.py", spec,
                                one_thread))
        elif peer == "scijit":
            spec = dict(common, sizes=args.sizes, method="L-BFGS-B")
            env = dict(one_thread, NUMBA_NUM_THREADS=str(args.threads))
            out.append(("scijit", args.scijit_python, "scijit_prange.py", spec, env))
        elif peer == "jax":
            flags = (f"--xla_force_host_platform_device_count={args.threads} "
                     f"--xla_cpu_multi_thread_eigen=true "
                     f"intra_op_parallelism_threads={args.threads}")
            for solver in args.jax_solvers:
                spec = dict(common, sizes=args.sizes, solver=solver, chunk=args.jax_chunk,
                            rtol=args.optx_tol, atol=args.optx_tol)
                env = dict(one_thread, XLA_FLAGS=flags)
                out.append((f"jax-{solver}", args.jax_python, "jax_vmap.py", spec, env))
    return out


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

def by_n(result):
    """{n: run} of a peer's or numopt's result ({} where it failed)."""
    return {r["n"]: r for r in result.get("runs", []) if "cases" in r}


def case_at(run, B):
    for c in run["cases"]:
        if c["B"] == B:
            return c
    return None


def fmt_rate(c, scaled_mark=True):
    if c is None:
        return "-"
    mark = "~" if scaled_mark and c["measured_B"] < c["B"] else ""
    return f"{mark}{c['rate']:,.0f}"


def fmt_ratio(x):
    if x is None or x != x:
        return "-"
    return f"{x:,.0f}x" if x >= 100 else (f"{x:.1f}x" if x >= 1 else f"{x:.2f}x")


def rate_of(results, label, n, B):
    """Rate of an implementation at (n, B); the scipy loop's rate holds for every B."""
    run = by_n(results.get(label, {})).get(n)
    if run is None:
        return None, None
    c = run["cases"][0] if label == "scipy" else case_at(run, B)
    return (c["rate"], c) if c else (None, None)


def label_name(label):
    if label.startswith("numopt:"):
        return f"numopt {label[7:]}"
    if label.startswith("scipy:"):
        return f"scipy {label[6:]} loop"
    return PEER_LABELS[label]


def reference_of(label, results):
    """The scipy run an implementation's answers are compared with: scipy's run of the
    same method where there is one, else scipy's L-BFGS-B."""
    if label.startswith("numopt:") and f"scipy:{label[7:]}" in results:
        return f"scipy:{label[7:]}"
    return "scipy"


def compare_with_scipy(problem, results):
    """{label: {n: {max_dx, n_diff, n_worse, rows, ref}}} on the first rows each solved."""
    quality = {}
    for label, r in results.items():
        ref_label = reference_of(label, results)
        if label.startswith("scipy"):
            continue
        ref = by_n(results.get(ref_label, {}))
        for n, run in by_n(r).items():
            if n not in ref:
                continue
            a, b = normalise(problem, run["keep"]["x"]), normalise(problem, ref[n]["keep"]["x"])
            fa, fb = np.array(run["keep"]["fun"]), np.array(ref[n]["keep"]["fun"])
            k = min(len(a), len(b))
            dx = np.max(np.abs(a[:k] - b[:k]), axis=1)
            worse = (fa[:k] - fb[:k]) > F_FLAG * (1.0 + np.abs(fb[:k]))
            quality.setdefault(label, {})[str(n)] = {
                "ref": ref_label, "max_dx": float(dx.max()), "n_diff": int((dx > DX_FLAG).sum()),
                "n_worse": int(worse.sum()), "rows": k}
    return quality


def print_tables(args, report):
    methods = args.methods
    peers = [p for p in report["peer_order"]]
    for problem, res in report["problems"].items():
        ns = res["ns"]
        print(f"\n== {problem}: problems per second ({args.threads} threads; scipy loop: "
              f"1 thread, timed on {args.scipy_rows} problems; ~: timed on the first rows "
              "only, see below)")
        headers = ["n", "B"] + [f"numopt {m}" for m in methods] + [PEER_LABELS[p] for p in peers]
        rows = []
        for n in ns:
            for B in args.sizes:
                row = [n, f"{B:,}"]
                for label in [f"numopt:{m}" for m in methods] + peers:
                    rate, c = rate_of(res["results"], label, n, B)
                    row.append(fmt_rate(c, label != "scipy") if rate else "-")
                rows.append(row)
        _common.print_table(headers, rows)

        print(f"\n== {problem}: numopt / peer (problems per second; > 1: numopt is faster)")
        headers = ["n", "B"] + [f"{m}/{SHORT[p]}" for m in methods for p in peers]
        rows = []
        for n in ns:
            for B in args.sizes:
                row = [n, f"{B:,}"]
                for m in methods:
                    mine, _ = rate_of(res["results"], f"numopt:{m}", n, B)
                    for p in peers:
                        theirs, _ = rate_of(res["results"], p, n, B)
                        row.append(fmt_ratio(mine / theirs if mine and theirs else None))
                rows.append(row)
        _common.print_table(headers, rows)

        print(f"\n== {problem}: quality at the largest B, and the answers on the first "
              f"{res['compare_rows']} problems against scipy's (the same method where scipy "
              "has it, else L-BFGS-B)")
        headers = ["n", "implementation", "problems/s", "per CPU-s", "timed rows", "success",
                   "nit med",
                   "nit max", "vs scipy", "max|dx|", f"#|dx|>{DX_FLAG:g}", "#worse f",
                   "first call s"]
        rows = []
        labels = [f"numopt:{m}" for m in methods] + peers + [
            lab for lab in res["results"] if lab.startswith("scipy:")]
        for n in ns:
            for label in labels:
                run = by_n(res["results"].get(label, {})).get(n)
                name = label_name(label)
                if run is None:
                    r = res["results"].get(label, {})
                    err = r.get("error") or next((x.get("error") for x in r.get("runs", [])
                                                  if x["n"] == n), None) or "not run"
                    rows.append([n, name] + ["-"] * 10 + [f"error: {err[:70]}"])
                    continue
                c = run["cases"][-1]
                q = res["quality"].get(label, {}).get(str(n))
                cmp = (["(ref)", "-", "-", "-"] if q is None else
                       [q["ref"].replace("scipy:", "").replace("scipy", "L-BFGS-B"),
                        f"{q['max_dx']:.1e}", q["n_diff"], q["n_worse"]])
                rows.append([n, name, f"{c['rate']:,.0f}", f"{c['cpu_rate']:,.0f}",
                             f"{c['measured_B']:,}",
                             f"{c['success_rate']:.2%}", f"{c['nit_median']:.0f}",
                             c["nit_max"]] + cmp + [f"{run['compile_s']:.1f}"])
        _common.print_table(headers, rows)
        scaled = [(label, n, c["B"], c["measured_B"]) for label, r in res["results"].items()
                  if not label.startswith("scipy") for n, run in by_n(r).items()
                  for c in run["cases"]
                  if c["measured_B"] < c["B"]]
        if scaled:
            print("~ timed on the first rows only (--max-case-s "
                  f"{args.max_case_s:g}): " + "; ".join(
                      f"{lab} n={n} B={B:,}: {m:,}" for lab, n, B, m in scaled))


def print_targets(args, report):
    """The issue's targets for 1e5 Rosenbrock n=2 problems (or the nearest case run)."""
    res = report["problems"].get("rosen")
    if not res or 2 not in res["ns"]:
        return
    B = max(args.sizes)
    print(f"\n== targets (rosen n=2, B={B:,}): >= 300x the scipy loop, >= 10x scijit in "
          "prange, faster than JAX vmap")
    targets = [("scipy", 300.0), ("scijit", 10.0)] + [(p, 1.0) for p in report["peer_order"]
                                                      if p.startswith("jax")]
    rows = []
    for m in args.methods:
        mine, c = rate_of(res["results"], f"numopt:{m}", 2, B)
        for peer, need in targets:
            theirs, pc = rate_of(res["results"], peer, 2, B)
            if not mine or not theirs:
                rows.append([m, PEER_LABELS[peer], "-", "-", f">= {need:g}x", "-", "not run"])
                continue
            ratio = mine / theirs
            ok = ratio >= need if need > 1 else ratio > 1
            rows.append([m, PEER_LABELS[peer], f"{mine:,.0f}", f"{theirs:,.0f}",
                         f"{'>= ' if need > 1 else '> '}{need:g}x", fmt_ratio(ratio),
                         "met" if ok else "NOT met"])
    _common.print_table(["numopt method", "peer", "numopt /s", "peer /s", "target",
                         "ratio", "verdict"], rows)


# --------------------------------------------------------------------------------------
# GPU section
# --------------------------------------------------------------------------------------

def gpu_section(args, report):
    """device="cuda" on Rosenbrock and the 2-D Gaussian, only where a GPU is present."""
    print("\n== GPU: minimize_batch(device='cuda')")
    from numopt._drivers.cuda import cuda_available

    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    if not cuda_available() or (simulated and not args.gpu_sim):
        why = "the CUDA simulator is not timed (--gpu-sim to run it)" if simulated else \
            "no CUDA device"
        print(f"no GPU: skipped ({why})")
        report["gpu"] = {"skipped": why}
        return
    import numopt

    sizes = args.gpu_sizes
    rosen, gauss = rosen_objective(), gauss2d_objective()
    cases = [("rosen", n) for n in args.ns] + [("gauss2d", 5)]
    rows, out, errors = [], [], []
    for problem, n in cases:
        if problem == "rosen":
            full = make_rosen(max(sizes), n, args.seed)
            fun = rosen

            def rows_of(m, full=full):
                return full["X0"][:m], (full["A"][:m],)
        else:
            P0, u, v, Z = make_gauss2d(max(sizes), args.seed)
            fun = gauss

            def rows_of(m, P0=P0, u=u, v=v, Z=Z):
                return P0[:m], (u, v, Z[:m])
        for method in args.methods:
            try:
                rows_m, out_m = _gpu_case(args, problem, n, method, fun, rows_of)
            except Exception as exc:  # noqa: BLE001 -- one method failing must not hide the rest
                msg = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                errors.append(f"{problem} n={n} {method}: {msg}")
                rows_m = [[problem, n, method, "-", "error"] + ["-"] * 5]
                out_m = [dict(problem=problem, n=n, method=method, error=msg)]
            rows += rows_m
            out += out_m
    _common.print_table(["problem", "n", "method", "B", "GPU /s", f"CPU /s ({args.threads} thr)",
                         "success", "nit med", "max|x_gpu - x_cpu| (64)", "first call s"], rows)
    for e in errors:
        print(f"error: {e}")
    report["gpu"] = {"cases": out}


def _gpu_case(args, problem, n, method, fun, rows_of):
    """Time one method on the GPU at each of --gpu-sizes, and on the CPU at the smallest;
    check the GPU's answers on 64 problems against the CPU's."""
    import numopt

    sizes = args.gpu_sizes
    X0, fargs = rows_of(min(64, max(sizes)))
    t0 = _peerlib.now()
    gpu = numopt.minimize_batch(fun, X0, args=fargs, method=method, device="cuda")
    compile_s = _peerlib.now() - t0  # the kernel's compilation, for these types
    cpu = numopt.minimize_batch(fun, X0, args=fargs, method=method)
    dx = float(np.max(np.abs(normalise(problem, gpu.x) - normalise(problem, cpu.x))))

    def timed(B, device):
        X, a = rows_of(B)
        times = []
        while True:
            t0 = _peerlib.now()
            res = numopt.minimize_batch(fun, X, args=a, method=method, device=device)
            times.append(_peerlib.now() - t0)
            if len(times) >= args.repeat or sum(times) >= args.budget:
                return res, times, B / float(np.median(times))

    _, _, cpu_rate = timed(min(sizes), "cpu")
    rows, out = [], []
    for B in sizes:
        res, times, rate = timed(B, "cuda")
        rows.append([problem, n, method, f"{B:,}", f"{rate:,.0f}",
                     f"{cpu_rate:,.0f}" if B == min(sizes) else "", f"{res.success.mean():.2%}",
                     f"{np.median(res.nit):.0f}", f"{dx:.1e}", f"{compile_s:.1f}"])
        out.append(dict(problem=problem, n=n, method=method, B=B, rate=rate, times=times,
                        cpu_rate=cpu_rate, cpu_B=min(sizes),
                        success_rate=float(res.success.mean()),
                        nit_median=float(np.median(res.nit)), max_dx_cpu=dx,
                        compile_s=compile_s))
        _peerlib.log(f"# GPU {problem} n={n} {method} B={B}: {rate:,.0f}/s")
    return rows, out


# --------------------------------------------------------------------------------------

def parse_args(argv=None):
    import numba

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ints = lambda s: [int(float(x)) for x in s.split(",") if x]  # noqa: E731 -- "1e5" works
    words = lambda s: [x for x in s.split(",") if x]  # noqa: E731
    ap.add_argument("--sizes", type=ints, default=[1000, 10000, 100000],
                    help="batch sizes B (default 1e3,1e4,1e5)")
    ap.add_argument("--ns", type=ints, default=[2, 5, 10], help="Rosenbrock sizes n")
    ap.add_argument("--problems", type=words, default=["rosen", "peak"])
    ap.add_argument("--methods", type=words, default=["L-BFGS-B", "BFGS"],
                    help="numopt methods (those not registered are skipped)")
    ap.add_argument("--peers", type=words, default=["scipy", "scijit", "jax"])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per case (median)")
    ap.add_argument("--budget", type=float, default=3.0,
                    help="seconds of runs per case before repeats stop (at least one run)")
    ap.add_argument("--max-case-s", type=float, default=8.0,
                    help="a run predicted to take longer is timed on the first rows only")
    ap.add_argument("--scipy-rows", type=int, default=200)
    ap.add_argument("--scipy-repeat", type=int, default=3)
    ap.add_argument("--keep", type=int, default=200,
                    help="problems whose x is compared with scipy's")
    ap.add_argument("--threads", type=int, default=numba.get_num_threads())
    ap.add_argument("--scijit-python", default=SCIJIT_PYTHON)
    ap.add_argument("--jax-python", default=JAX_PYTHON)
    ap.add_argument("--jax-solvers", type=words, default=["optax"],
                    help="optax and/or optimistix")
    ap.add_argument("--jax-chunk", type=int, default=1000,
                    help="problems per vmap call (0: the whole batch in one call)")
    ap.add_argument("--optx-tol", type=float, default=1e-8, help="optimistix rtol = atol")
    ap.add_argument("--gpu-sizes", type=ints, default=[10000, 100000, 1000000])
    ap.add_argument("--gpu-sim", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write every number to this file")
    args = ap.parse_args(argv)
    args.sizes = sorted(args.sizes)
    return args


def main(argv=None):
    args = parse_args(argv)
    import numba

    import numopt
    from numopt._demo import _peak_objective
    from numopt._minimize import _registry

    numba.set_num_threads(args.threads)
    methods = []
    for m in args.methods:
        try:
            _registry.get(m)
            methods.append(m)
        except ValueError:
            print(f"numopt {m}: not registered in this build, skipped")
    args.methods = methods
    report = {"machine": _common.machine_info(), "args": vars(args),
              "versions": _common.versions("numpy", "scipy", "numba", "numopt"),
              "peer_order": [], "problems": {}, "cpu_share": {}}
    for p in args.peers:
        report["peer_order"] += ([f"jax-{s}" for s in args.jax_solvers] if p == "jax" else [p])
    print(f"bench_batch: {args.threads} threads, sizes {args.sizes}, Rosenbrock n in {args.ns}, "
          f"methods {methods}, peers {report['peer_order']}")
    print(f"machine: {report['machine']['cpu_model']}, {report['machine']['cpu_count']} CPUs; "
          f"numopt {numopt.__version__ if hasattr(numopt, '__version__') else '?'}, "
          f"numba {numba.__version__}")
    with tempfile.TemporaryDirectory(prefix="numopt_bench_batch_") as tmp:
        for problem in args.problems:
            ns = args.ns if problem == "rosen" else [PEAK_N]
            cases = []
            for n in ns:
                full = make_rosen(max(args.sizes), n, args.seed) if problem == "rosen" else \
                    make_peak(max(args.sizes), args.seed)
                path = os.path.join(tmp, f"{problem}_{n}.npz")
                np.savez(path, **full)
                cases.append({"n": n, "data": path})
            objective = rosen_objective() if problem == "rosen" else _peak_objective()
            results = {}
            for m in methods:
                cpu = _common.CpuShare().start()
                results[f"numopt:{m}"] = {"runs": [run_numopt(problem, c, m, args, objective)
                                                   for c in cases]}
                report["cpu_share"][f"{problem} numopt {m}"] = cpu.stop().others
            for label, python, script, spec, env in peer_specs(args, problem, cases):
                cpu = _common.CpuShare().start()
                results[label] = run_peer(label, python, script, spec, env, tmp)
                report["cpu_share"][f"{problem} {label}"] = cpu.stop().others
                if "error" in results[label]:
                    print(f"{label}: {results[label]['error']}")
            quality = compare_with_scipy(problem, results)
            compare = min([len(run["keep"]["x"]) for r in results.values()
                           for run in by_n(r).values()] or [0])
            report["problems"][problem] = {"ns": ns, "results": results, "quality": quality,
                                           "compare_rows": compare}
        print_tables(args, report)
        print_targets(args, report)
        shares = ", ".join(f"{k} {v:.0%}" for k, v in report["cpu_share"].items()
                           if v is not None)
        print(f"\nCPU share taken by other processes while each part ran: {shares}")
        gpu_section(args, report)
    if args.json:
        _common.write_json(args.json, report)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
