"""Shared by the peer sub-scripts: read a case file, time a solve, write the result.

The driver writes a JSON spec: ``problem`` ("rosen" or "peak"), ``cases`` (a list of
``{"n": n, "data": path}``, each ``.npz`` holding ``X0`` (B, n) and the problem's data:
``A`` (B,) for Rosenbrock, ``t`` (points,) and ``Y`` (B, points) for the peak), the batch
``sizes`` and the timing settings. A sub-script writes ``{"name", "versions", "runs":
[{"n", "compile_s", "cases", "keep"} or {"n", "error"}]}`` or ``{"error"}``.
Sub-scripts import only NumPy and the standard library from here, so each can run in
its own environment.
"""
import json
import os
import sys
import time

import numpy as np

GTOL = 1e-5            # scipy L-BFGS-B's default pgtol (max-norm of the projected gradient)
FTOL = 2.220446049250313e-09  # scipy's factr * eps: (f_k - f_k+1) / max(|f_k|, |f_k+1|, 1)
MAXITER = 15000        # scipy L-BFGS-B's default maxiter
MAXCOR = 10            # scipy L-BFGS-B's default history size


def load(spec_path):
    """Return the spec dict."""
    with open(spec_path) as f:
        return json.load(f)


def data(case):
    """The problems' arrays of one case of the spec."""
    with np.load(case["data"]) as npz:
        return dict(npz)


def rows(data, problem, stop):
    """The first ``stop`` problems: ``(X0, args)``."""
    X0 = np.ascontiguousarray(data["X0"][:stop])
    if problem == "rosen":
        return X0, (np.ascontiguousarray(data["A"][:stop]),)
    return X0, (data["t"], np.ascontiguousarray(data["Y"][:stop]))


def row(args, problem, i):
    """Problem ``i``'s own arguments, from the batch's ``args`` (``rows``)."""
    if problem == "rosen":
        return (args[0][i],)
    return (args[0], args[1][i])


def now():
    return time.perf_counter()


def write(out_path, payload):
    tmp = out_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f)
    os.replace(tmp, out_path)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def summary(x, fun, nit, success):
    """What every peer reports about its solutions (x of the first ``keep`` rows)."""
    return {"success_rate": float(np.mean(success)), "nit_median": float(np.median(nit)),
            "nit_max": int(np.max(nit)), "fun_median": float(np.median(fun))}


def time_sizes(solve, sizes, repeat, budget, max_case_s, keep, min_rows=1000, prepare=None):
    """Time ``solve(m)`` (the first ``m`` problems) for each batch size in ``sizes``.

    ``solve(m)`` returns ``(x, fun, nit, success)`` for those problems. A size whose
    run would take longer than ``max_case_s`` at the rate measured so far is timed on
    its first rows only (at least ``min_rows``) and reported with ``measured_B < B``:
    throughput of independent problems does not depend on how many there are once
    every thread has plenty. Each size is timed ``repeat`` times or until ``budget``
    seconds are spent, at least once; the rate is ``measured_B / median time``, and
    ``cpu_rate`` the same per CPU second of the process (all its threads).

    ``prepare(m)``, if given, runs before the clock starts for each size (JAX compiles
    its program for the batch shape there).

    Returns ``(cases, keep)``: a list of dicts per size, and ``{"x": ..., "fun": ...}``
    of the first ``keep`` problems (from the first size's run).
    """
    cases, kept, rate = [], None, None
    for B in sizes:
        m = B
        if rate is not None and B / rate > max_case_s:
            m = min(B, max(min_rows, int(max_case_s * rate)))
        if prepare is not None:
            prepare(m)
        times, cpu = [], []
        while True:
            t0, c0 = now(), time.process_time()
            x, fun, nit, success = solve(m)
            times.append(now() - t0)
            cpu.append(time.process_time() - c0)
            if len(times) >= repeat or sum(times) >= budget:
                break
        med = float(np.median(times))
        rate = m / med
        if kept is None:
            kept = {"x": np.asarray(x[:keep]).tolist(),
                    "fun": np.asarray(fun[:keep]).tolist()}
        # CPU seconds of every thread of this process: less moved by other processes
        # than the wall clock on a shared machine.
        rec = {"B": B, "measured_B": m, "times": times, "rate": rate, "cpu_times": cpu,
               "cpu_rate": m / max(float(np.median(cpu)), 1e-9)}
        rec.update(summary(x, fun, nit, success))
        cases.append(rec)
        log(f"#   B={B:>7} measured {m:>7}: {rate:12,.0f} problems/s  "
            f"({len(times)} runs, median {med:.3f} s)")
    return cases, kept
