"""Running a batch on an executor: chunks of problems, gathered in order.

Works with a ``dask.distributed.Client`` or any ``concurrent.futures.Executor`` (both
have ``submit``). Each chunk is an ordinary :func:`numopt.minimize_batch` call on the
worker, so results equal a local run. The batch front door hands itself in as
``solve``: this module is below it and imports no front door.
"""
import concurrent.futures

import numpy as np

from .._result import BatchResult
from ._prepare import per_problem

__all__ = ["run_chunks"]


def _chunk_bounds(bounds, lo, hi):
    if bounds is not None and hasattr(bounds, "lb") and np.ndim(bounds.lb) == 2:
        from scipy.optimize import Bounds

        return Bounds(np.asarray(bounds.lb)[lo:hi], np.asarray(bounds.ub)[lo:hi])
    return bounds


def _solve_chunk(solve, fun, X0, args, method, jac, bounds, tol, options, device):
    return solve(fun, X0, args=args, method=method, jac=jac, bounds=bounds, tol=tol,
                 options=options, device=device)


def _solve_pickled_chunk(solve, payload, X0, args, method, bounds, tol, options, device):
    import pickle

    fun, jac = pickle.loads(payload)
    return _solve_chunk(solve, fun, X0, args, method, jac, bounds, tol, options, device)


def _cloudpickled(fun, jac):
    """``(fun, jac)`` as cloudpickle bytes, or None without cloudpickle.

    A process pool pickles with the standard pickle, which sends functions by name: an
    objective defined in the main script, or a lambda, would fail on the way. cloudpickle
    (which dask brings, and uses itself) sends them by value instead.
    """
    try:
        import cloudpickle
    except ImportError:
        return None
    return cloudpickle.dumps((fun, jac))


def run_chunks(executor, solve, fun, X0, args, method, jac, bounds, tol, options, device,
               out_dtype, chunks=None):
    """Split ``X0`` (and per-problem ``args``/``bounds``) into chunks, run
    ``solve(fun, chunk, args=..., method=..., jac=..., bounds=..., tol=..., options=...,
    device=...)`` (:func:`numopt.minimize_batch`, a module-level function that pickles
    by name) on them on ``executor`` and concatenate the results in the original order."""
    B = X0.shape[0]
    if chunks is None:
        workers = _worker_count(executor)
        chunks = max(1, min(B, 4 * workers))
    edges = np.linspace(0, B, chunks + 1).astype(int)
    mask = per_problem(args, B)
    payload = None
    if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
        payload = _cloudpickled(fun, jac)
    futures, spans = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi <= lo:
            continue
        chunk_args = tuple(a[lo:hi] if m else a for a, m in zip(args, mask))
        chunk_bounds = _chunk_bounds(bounds, lo, hi)
        if payload is not None:
            futures.append(executor.submit(_solve_pickled_chunk, solve, payload, X0[lo:hi],
                                           chunk_args, method, chunk_bounds, tol, options,
                                           device))
        else:
            futures.append(executor.submit(_solve_chunk, solve, fun, X0[lo:hi], chunk_args,
                                           method, jac, chunk_bounds, tol, options, device))
        spans.append((lo, hi))
    parts = []
    for f, (lo, hi) in zip(futures, spans):
        try:
            parts.append(f.result())
        except Exception as e:  # the objective's own exception: say where it came from
            for later in futures:
                later.cancel()
            if hasattr(e, "add_note"):
                e.add_note(f"numopt: in the chunk of problems {lo} to {hi - 1} (problem "
                           f"numbers above count from {lo})")
            raise
    cat = lambda name: np.concatenate([getattr(p, name) for p in parts])  # noqa: E731
    res = BatchResult(x=cat("x").astype(out_dtype), fun=cat("fun"), jac=cat("jac"),
                      nit=cat("nit"), nfev=cat("nfev"), reason=cat("reason"),
                      uses_gradient=parts[0]._uses_gradient)
    return res


def _worker_count(executor):
    info = getattr(executor, "scheduler_info", None)
    if callable(info):  # dask.distributed.Client
        try:
            return max(1, sum(w.get("nthreads", 1) for w in info()["workers"].values()))
        except Exception:  # an unusual scheduler: one chunk per submit is still correct
            return 1
    return max(1, getattr(executor, "_max_workers", 1))
