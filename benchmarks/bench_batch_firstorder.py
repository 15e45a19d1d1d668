"""Problems per second of ``minimize_batch`` with a first-order method against torch.optim
over one ``(B, n)`` tensor (what a torch user writes for many small problems) and a loop
of ``numopt.minimize``.

Every implementation runs Adam (lr 1e-3, torch's defaults otherwise) for a fixed number
of steps (``gtol=0``, so no problem stops early) on B chained Rosenbrock problems of n
variables, each with its own ``a`` (``sum((a - x_i)^2 + 100 (x_i+1 - x_i^2)^2)``):

- ``numopt``: ``minimize_batch(method="adam")`` with an ``@numopt.objective(grad=True)``;
- ``torch analytic``: ``torch.optim.Adam([X])`` on a float64 ``(B, n)`` tensor, the
  gradient written by hand with torch ops (no autograd), ``foreach`` default;
- ``torch autograd``: the same with ``loss.sum().backward()``;
- ``numopt loop``: ``numopt.minimize(method="adam")`` per problem (timed on the first
  ``--loop-rows`` problems and scaled; its rate does not depend on B).

Rounds interleave the implementations; the table gives the median rate and the ratio
of numopt's rate to each peer's. The final points are compared with torch's (float64,
same update order: they agree to rounding).

Run from the repository root, in an environment with torch::

    PYTHONPATH=. python benchmarks/bench_batch_firstorder.py
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402
from bench_batch import rosen_objective  # noqa: E402 -- the same objective as bench_batch


def make_problems(B, n, seed=0):
    rng = np.random.default_rng(seed)
    X0 = np.tile(np.where(np.arange(n) % 2 == 0, -1.2, 1.0), (B, 1))
    X0 += rng.uniform(-0.5, 0.5, (B, n))
    return X0, rng.uniform(0.5, 1.5, B)


def run_numopt(fg, X0, A, steps):
    import numopt

    res = numopt.minimize_batch(fg, X0, args=(A,), method="adam",
                                options={"lr": 1e-3, "maxiter": steps, "gtol": 0.0})
    return res.x


def run_loop(fg, X0, A, steps):
    import numopt

    return np.array([numopt.minimize(fg, X0[i], args=(A[i],), method="adam",
                                     options={"lr": 1e-3, "maxiter": steps, "gtol": 0.0}).x
                     for i in range(X0.shape[0])])


def run_torch(X0, A, steps, autograd):
    import torch

    X = torch.tensor(X0, requires_grad=True)
    a = torch.tensor(A)[:, None]
    opt = torch.optim.Adam([X], lr=1e-3)
    for _ in range(steps):
        opt.zero_grad()
        if autograd:
            x0, x1 = X[:, :-1], X[:, 1:]
            loss = ((a - x0) ** 2 + 100.0 * (x1 - x0 * x0) ** 2).sum()
            loss.backward()
        else:
            with torch.no_grad():
                x0, x1 = X[:, :-1], X[:, 1:]
                t, u = a - x0, x1 - x0 * x0
                G = torch.zeros_like(X)
                G[:, :-1] += -2.0 * t - 400.0 * x0 * u
                G[:, 1:] += 200.0 * u
                X.grad = G
        opt.step()
    return X.detach().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=lambda s: [int(float(v)) for v in s.split(",")],
                    default=[1000, 10000, 100000])
    ap.add_argument("--n", type=int, default=2)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--loop-rows", type=int, default=100)
    args = ap.parse_args()
    import numba
    import torch

    torch.set_num_threads(numba.get_num_threads())
    print(_common.machine_info())
    print(f"Adam, {args.steps} steps, chained Rosenbrock n={args.n}; "
          f"threads: numba {numba.get_num_threads()}, torch {torch.get_num_threads()}")
    fg = rosen_objective()
    X0, A = make_problems(8, args.n)
    run_numopt(fg, X0, A, 2)  # compile outside the timings
    run_loop(fg, X0[:2], A[:2], 2)
    rows = []
    for B in args.sizes:
        X0, A = make_problems(B, args.n)
        impls = {
            "numopt": lambda: run_numopt(fg, X0, A, args.steps),
            "torch analytic": lambda: run_torch(X0, A, args.steps, False),
            "torch autograd": lambda: run_torch(X0, A, args.steps, True),
            "numopt loop": lambda: run_loop(fg, X0[:args.loop_rows], A[:args.loop_rows],
                                            args.steps),
        }
        times = {k: [] for k in impls}
        out = {}
        for _ in range(args.rounds):
            for k, f in impls.items():
                t = time.perf_counter()
                out[k] = f()
                times[k].append(time.perf_counter() - t)
        rate = {k: (args.loop_rows if k == "numopt loop" else B) / _common.median(v)
                for k, v in times.items()}
        dx = np.abs(out["numopt"] - out["torch autograd"]).max()
        rows.append([f"{B:,}", *(f"{rate[k]:,.0f}" for k in impls),
                     *(f"{rate['numopt'] / rate[k]:.1f}x" for k in list(impls)[1:]),
                     f"{dx:.1e}"])
    _common.print_table(["B", "numopt /s", "torch analytic /s", "torch autograd /s",
                         "numopt loop /s", "vs torch analytic", "vs torch autograd",
                         "vs loop", "max|x - x_torch|"], rows)


if __name__ == "__main__":
    main()
