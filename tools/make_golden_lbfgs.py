"""Record torch 2.13 ``LBFGS`` trajectories for ``tests/optim/test_lbfgs.py``.

Run from the repository root with the torch environment::

    python tools/make_golden_lbfgs.py

It writes ``tests/data/lbfgs_golden.npz`` (deterministic: fixed data, analytic
gradients; two runs give identical files). The tests read it with NumPy only.
``--check`` prints one line per case (evaluations, iterations, loss after each step)
instead of writing, to tune the cases.

What is recorded
----------------
Each case builds ``torch.optim.LBFGS`` with some options over the parameters of one
problem, then calls ``step(closure)`` ``steps`` times. The closure sets every gradient
analytically (no autograd), with the formulas that the test repeats in NumPy, computed
in float64 and rounded to the case's dtype (so both sides feed the optimizer the same
numbers and only the optimizers' own arithmetic differs):

``rosenbrock``
    One parameter of shape (2,), from (-1.2, 1):
    ``f = 100 (x1 - x0^2)^2 + (1 - x0)^2``.
``quadratic``
    ``f = 0.5 x^T A x - b^T x`` over ``x = concat(W.ravel(), v)``, ``W`` of shape
    (2, 3) and ``v`` of shape (2,), ``A`` SPD with eigenvalues 1 to 100. A third
    parameter ``u`` of shape (3,) is in the optimizer but never gets a gradient
    (``grad`` stays None: torch's flat gradient has zeros there).
``logistic``
    ``w`` of shape (5,) and a 0-d bias ``c``; 40 samples ``X``, labels ``y`` in {0, 1},
    ``s = 2 y - 1``, ``z = X w + c``:
    ``f = mean(log1p(exp(-s z))) + 0.5 lam |w|^2`` with ``lam = 1e-2``.

Float64 cases run under ``torch.set_default_dtype(torch.float64)``, float32 cases
under the default float32. Problem data are stored in float64 and cast to the case's
dtype by both sides.

Layout of the npz
-----------------
``meta``: JSON list of cases (id, problem, dtype, kwargs, steps). Problem data:
``quadratic/A``, ``quadratic/b``, ``logistic/X``, ``logistic/y``. For case ``<id>``
(``N`` = number of elements of all parameters):

- ``<id>/params``: ``(steps + 1, N)``, row 0 the start, row k after step k;
- ``<id>/loss``: ``(steps,)``, what ``step()`` returned (the loss before the step);
- ``<id>/func_evals``, ``<id>/n_iter``, ``<id>/history``: ``(steps,)`` ints, torch's
  state counters and ``len(old_dirs)`` after each step (-1 if absent);
- ``<id>/d``, ``<id>/prev_flat_grad``: ``(steps, N)``; ``<id>/t``, ``<id>/H_diag``,
  ``<id>/prev_loss``: ``(steps,)``; NaN where torch has no such state yet.
"""
import json
import os
import sys

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "lbfgs_golden.npz")
LAM = 1e-2


def problem_data():
    rng = np.random.default_rng(20250117)
    q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    A = (q * np.logspace(0, 2, 8)) @ q.T
    A = 0.5 * (A + A.T)
    b = rng.normal(size=8)
    X = rng.normal(size=(40, 5))
    y = (X @ rng.normal(size=5) + 0.5 * rng.normal(size=40) > 0).astype(np.float64)
    return {"quadratic/A": A, "quadratic/b": b, "logistic/X": X, "logistic/y": y}


DATA = problem_data()

# (problem, LBFGS kwargs, steps in float64, steps in float32). Each runs in both dtypes.
# float32 runs are shorter where torch's float32 sqrt (not correctly rounded on this CPU:
# ~15% of results are 1 ulp off) or its BLAS dot products (another summation order for
# vectors of 4 or more elements) change an ulp that L-BFGS then amplifies past 1e-5.
W = "strong_wolfe"
CONFIGS = [
    ("rosenbrock", dict(line_search_fn=W), 4, 4),
    ("rosenbrock", dict(lr=0.1, max_iter=10, history_size=5), 6, 6),
    ("rosenbrock", dict(line_search_fn=W, max_iter=10, max_eval=12, history_size=4), 5, 1),
    ("rosenbrock", dict(line_search_fn=W, lr=0.5, max_iter=8, history_size=2,
                        tolerance_change=1e-7), 5, 5),
    ("quadratic", dict(line_search_fn=W, max_iter=4, history_size=3, tolerance_grad=1e-5), 5, 1),
    ("quadratic", dict(lr=0.5, max_iter=7, history_size=2, tolerance_change=1e-6), 4, 2),
    ("quadratic", dict(line_search_fn=W, max_iter=50, tolerance_grad=1e-3), 3, 3),
    ("logistic", dict(line_search_fn=W, lr=0.5, max_iter=15, max_eval=18, history_size=10), 3, 3),
    ("logistic", dict(max_iter=25, tolerance_change=1e-5), 3, 3),
    ("logistic", dict(line_search_fn=W, max_iter=3, history_size=1), 6, 6),
]
CASES = ([(p, "float64", kw, s64) for p, kw, s64, _ in CONFIGS]
         + [(p, "float32", kw, s32) for p, kw, _, s32 in CONFIGS])


def make_params(problem, dtype):
    """The problem's parameters (torch), and the ones the closure gives a gradient."""
    if problem == "rosenbrock":
        x = torch.nn.Parameter(torch.tensor([-1.2, 1.0], dtype=dtype))
        return [x]
    if problem == "quadratic":
        W_ = torch.nn.Parameter(torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], dtype=dtype))
        v = torch.nn.Parameter(torch.tensor([-2.0, 1.0], dtype=dtype))
        u = torch.nn.Parameter(torch.tensor([0.3, -0.2, 0.1], dtype=dtype))
        return [W_, v, u]
    w = torch.nn.Parameter(torch.zeros(5, dtype=dtype))
    c = torch.nn.Parameter(torch.tensor(0.5, dtype=dtype))
    return [w, c]


def loss_and_grads(problem, params, dtype):
    """Value and analytic gradients at the parameters' current values (torch, no autograd).

    Computed in float64 and rounded to the parameters' dtype, so that torch and NumPy
    give the optimizer the very same numbers (float32 reductions would differ in their
    summation order, and L-BFGS would amplify that noise).
    """
    f64 = torch.float64
    with torch.no_grad():
        P = [p.detach().to(f64) for p in params]
        if problem == "rosenbrock":
            x = P[0]
            x0, x1 = x[0], x[1]
            r = x1 - x0 * x0
            f = 100.0 * r * r + (1.0 - x0) * (1.0 - x0)
            grads = [torch.stack([-400.0 * x0 * r - 2.0 * (1.0 - x0), 200.0 * r])]
        elif problem == "quadratic":
            A = torch.tensor(DATA["quadratic/A"], dtype=f64)
            b = torch.tensor(DATA["quadratic/b"], dtype=f64)
            x = torch.cat([P[0].reshape(-1), P[1].reshape(-1)])
            Ax = A @ x
            f = 0.5 * torch.dot(x, Ax) - torch.dot(b, x)
            g = Ax - b
            grads = [g[:6].reshape(2, 3), g[6:], None]
        else:
            X = torch.tensor(DATA["logistic/X"], dtype=f64)
            s = 2.0 * torch.tensor(DATA["logistic/y"], dtype=f64) - 1.0
            w, c = P
            z = X @ w + c
            f = torch.mean(torch.log1p(torch.exp(-s * z))) + 0.5 * LAM * torch.dot(w, w)
            gz = -s / (1.0 + torch.exp(s * z)) / X.shape[0]
            grads = [X.T @ gz + LAM * w, gz.sum()]
        return f.to(dtype), [None if g is None else g.to(dtype) for g in grads]


def flat(params):
    return np.concatenate([p.detach().numpy().reshape(-1).astype(np.float64) for p in params])


def run_case(problem, dtype_name, kwargs, steps):
    dtype = getattr(torch, dtype_name)
    torch.set_default_dtype(dtype)
    params = make_params(problem, dtype)
    opt = torch.optim.LBFGS(params, **kwargs)

    def closure():
        opt.zero_grad()
        f, grads = loss_and_grads(problem, params, dtype)
        for p, g in zip(params, grads):
            if g is not None:
                p.grad = g.clone()
        return f

    N = sum(p.numel() for p in params)
    rec = {k: [] for k in ("loss", "func_evals", "n_iter", "history", "t", "H_diag",
                           "prev_loss", "d", "prev_flat_grad")}
    traj = [flat(params)]
    for _ in range(steps):
        loss = opt.step(closure)
        traj.append(flat(params))
        st = opt.state[params[0]]
        rec["loss"].append(float(loss))
        rec["func_evals"].append(st["func_evals"])
        rec["n_iter"].append(st["n_iter"])
        rec["history"].append(len(st["old_dirs"]) if "old_dirs" in st else -1)
        for key in ("t", "H_diag", "prev_loss"):
            rec[key].append(float(st[key]) if key in st else np.nan)
        for key in ("d", "prev_flat_grad"):
            rec[key].append(st[key].numpy().astype(np.float64) if key in st else np.full(N, np.nan))
    torch.set_default_dtype(torch.float32)
    out = {"params": np.array(traj)}
    for key, values in rec.items():
        dt = np.int64 if key in ("func_evals", "n_iter", "history") else np.float64
        out[key] = np.array(values, dtype=dt)
    return out


def main(check=False):
    arrays = dict(DATA)
    meta = []
    for i, (problem, dtype_name, kwargs, steps) in enumerate(CASES):
        cid = f"c{i:02d}"
        rec = run_case(problem, dtype_name, kwargs, steps)
        meta.append(dict(id=cid, problem=problem, dtype=dtype_name, kwargs=kwargs, steps=steps))
        for key, value in rec.items():
            arrays[f"{cid}/{key}"] = value
        if check:
            print(cid, problem, dtype_name, kwargs, "evals", rec["func_evals"].tolist(),
                  "iters", rec["n_iter"].tolist(), "hist", rec["history"].tolist(),
                  "loss", np.array2string(rec["loss"], precision=3))
    if check:
        return
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(meta)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main(check="--check" in sys.argv)
