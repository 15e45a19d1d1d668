"""Generate golden optimizer trajectories from torch 2.13 for ``tests/optim/test_trajectories.py``.

Run from the repository root with the torch environment::

    python tools/make_golden_optim.py

It writes ``tests/data/optim_golden.npz`` (deterministic: fixed seeds, torch's
single-tensor CPU code path, ``foreach=False``; two runs give byte-identical files).
The test suite reads that file with NumPy only; torch is never needed to run the tests.
``--check`` prints one line per case (max |x|, distance moved, objective before and
after) instead of asserting that every trajectory stays bounded and moves; use it
when tuning the cases.

What is recorded
----------------
Every case uses four parameters of shapes ``(3,)``, ``(2, 3)``, ``(4, 1, 2)`` and
``()`` (flattened and concatenated into one vector of length 18 for storage), in
float64 (generated under ``torch.set_default_dtype(torch.float64)`` so torch keeps
its scalar state in float64, as numopt does) and in float32 (default dtype
float32), for 50 steps.

``kind == "replay"``
    Two parameter groups (params 0, 1 and params 2, 3); the second overrides some
    options (a different lr, weight_decay, ...). The gradient torch saw at every
    step is stored, so numopt can replay exactly the same gradients; an
    ill-conditioned objective can then not amplify rounding differences.
``kind == "grad_none"``
    Like replay, but some parameters have ``grad=None`` on some steps (torch skips
    them: no step increment, no state until their first gradient). ``grad_mask``
    says which parameter had a gradient at each step.
``kind == "closed_loop"``
    One group on the well-conditioned quadratic ``f = 0.5*sum(d*(x-c)**2)`` with
    the analytic gradient ``g = d*(x - c)``; only ``x0``, ``d``, ``c`` and the
    parameter trajectory are stored, and numopt computes gradients from its own
    iterates.

Layout of the npz
-----------------
``meta``: a JSON string, a list with one record per case (id, name, optimizer,
dtype, kind, objective, shapes, constructor kwargs, groups with their param
indices and option overrides, steps, the state keys of each parameter split into
tensor and scalar keys). For case ``<id>``:

- ``<id>/params``: ``(steps+1, 18)``, row 0 is the initial value, row t the value
  after step t.
- ``<id>/grads``: ``(steps, 18)``, the gradient given at step t+1 (zeros where the
  parameter had no gradient). Absent for closed-loop cases.
- ``<id>/grad_mask``: ``(steps, 4)`` bool, which parameters had a gradient.
- ``<id>/has_state``: ``(steps+1, 4)`` bool, whether torch had state for the
  parameter (row 0: right after construction).
- ``<id>/state/<key>``: tensor state, ``(steps+1, 18)`` in the case's dtype, NaN
  where a parameter has no such entry; scalar state (``step``, ``mu_product``,
  ``eta``, ``mu``), ``(steps+1, 4)`` float64, NaN where absent.
- closed loop: ``<id>/d``, ``<id>/c`` (length 18, case dtype).
"""

import json
import os
import sys

import numpy as np
import torch

STEPS = 50
SHAPES = [(3,), (2, 3), (4, 1, 2), ()]
SIZES = [int(np.prod(s)) for s in SHAPES]
N = sum(SIZES)
OFFSETS = np.cumsum([0] + SIZES)
GROUP_PARAMS = [[0, 1], [2, 3]]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "optim_golden.npz")

# ---------------------------------------------------------------------------------------------
# objectives, all on the flat concatenation of the parameters (length N), in torch


def _fixed_data():
    rng = np.random.default_rng(20240613)
    d_ill = np.logspace(-2, 2, N)               # condition number 1e4
    c_ill = rng.normal(size=N)
    X = rng.normal(size=(40, N)) / np.sqrt(N)
    w_true = rng.normal(size=N)
    y = (X @ w_true + 0.3 * rng.normal(size=40) > 0).astype(np.float64)
    d_well = np.linspace(1.0, 3.0, N)           # condition number 3, for closed loops
    c_well = rng.normal(size=N)
    return dict(d_ill=d_ill, c_ill=c_ill, X=X, y=y, d_well=d_well, c_well=c_well)


DATA = _fixed_data()


def objective(name, theta):
    """Value of objective ``name`` at the flat tensor ``theta`` (torch, differentiable)."""
    dt = theta.dtype
    sign = 1.0
    if name.startswith("neg_"):       # maximize cases ascend -f, so their iterates stay bounded
        sign, name = -1.0, name[4:]
    if name == "quadratic":
        d = torch.tensor(DATA["d_ill"], dtype=dt)
        c = torch.tensor(DATA["c_ill"], dtype=dt)
        f = 0.5 * (d * (theta - c) ** 2).sum()
    elif name == "rosenbrock":
        xy = theta.reshape(-1, 2)
        x, y = xy[:, 0], xy[:, 1]
        f = (100.0 * (y - x * x) ** 2 + (1.0 - x) ** 2).sum()
    elif name == "logistic":
        X = torch.tensor(DATA["X"], dtype=dt)
        s = 2.0 * torch.tensor(DATA["y"], dtype=dt) - 1.0
        f = torch.nn.functional.softplus(-s * (X @ theta)).mean() + 1e-3 * (theta * theta).sum()
    else:
        raise ValueError(name)
    return sign * f


# ---------------------------------------------------------------------------------------------
# the cases: (optimizer, constructor kwargs, second-group overrides, objective)
# maximize cases use the negated objective. Options not given keep torch's defaults.

Q, R, L = "quadratic", "rosenbrock", "logistic"
CONFIGS = [
    # SGD
    ("SGD", dict(lr=0.01), dict(lr=0.005, weight_decay=0.1), Q),
    ("SGD", dict(lr=0.01, momentum=0.9), dict(lr=0.005, weight_decay=0.01), Q),
    ("SGD", dict(lr=1e-3, momentum=0.9, dampening=0.5, weight_decay=0.05), dict(momentum=0.0), R),
    ("SGD", dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.01), dict(lr=0.05), L),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, maximize=True), dict(lr=0.2, weight_decay=0.02), "neg_" + L),
    ("SGD", dict(lr=1e-3, momentum=0.5, nesterov=True, maximize=True), dict(lr=5e-4, momentum=0.7), "neg_" + R),
    # Adam
    ("Adam", dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), R),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.01, betas=(0.5, 0.9)), Q),
    ("Adam", dict(lr=0.05, weight_decay=0.1), dict(lr=0.02, weight_decay=0.5), L),
    ("Adam", dict(lr=0.02, amsgrad=True), dict(lr=0.01, weight_decay=0.05), R),
    ("Adam", dict(lr=0.02, amsgrad=True, weight_decay=0.01, eps=1e-4), dict(lr=0.05, amsgrad=False), Q),
    ("Adam", dict(lr=0.05, maximize=True), dict(lr=0.01, weight_decay=0.1), "neg_" + L),
    ("Adam", dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1), dict(lr=0.01, weight_decay=0.3), Q),
    ("Adam", dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.05, amsgrad=True, maximize=True),
     dict(lr=0.01, weight_decay=0.0), "neg_" + R),
    # AdamW (decoupled weight decay always; default weight_decay 0.01)
    ("AdamW", dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), R),
    ("AdamW", dict(lr=0.05, betas=(0.85, 0.995), eps=1e-5, weight_decay=0.05), dict(lr=0.01, weight_decay=0.2), Q),
    ("AdamW", dict(lr=0.02, amsgrad=True), dict(lr=0.05, weight_decay=0.0), L),
    ("AdamW", dict(lr=0.02, maximize=True, amsgrad=True), dict(lr=0.01, weight_decay=0.3), "neg_" + Q),
    # Adamax
    ("Adamax", dict(lr=0.02), dict(lr=0.01, weight_decay=0.1), R),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-5), dict(lr=0.02, betas=(0.95, 0.9)), Q),
    ("Adamax", dict(lr=0.05, weight_decay=0.1), dict(weight_decay=0.5), L),
    ("Adamax", dict(lr=0.02, maximize=True), dict(lr=0.05, weight_decay=0.05), "neg_" + Q),
    # NAdam
    ("NAdam", dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), R),
    ("NAdam", dict(lr=0.05, momentum_decay=0.01, betas=(0.8, 0.99), eps=1e-6), dict(momentum_decay=0.1), Q),
    ("NAdam", dict(lr=0.05, weight_decay=0.1), dict(lr=0.02, weight_decay=0.3), L),
    ("NAdam", dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1), dict(lr=0.01, weight_decay=0.5), Q),
    ("NAdam", dict(lr=0.02, maximize=True), dict(lr=0.01, weight_decay=0.05), "neg_" + R),
    # RAdam (rho_t <= 5 for steps 1..5, > 5 after, with beta2 = 0.999)
    ("RAdam", dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), L),   # un-rectified steps blow up on R
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6), dict(lr=0.02, betas=(0.9, 0.95)), Q),
    ("RAdam", dict(lr=1e-3, weight_decay=0.1), dict(lr=2e-3, weight_decay=0.3), R),
    ("RAdam", dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1), dict(lr=0.01, weight_decay=0.5), Q),
    ("RAdam", dict(lr=0.02, maximize=True), dict(lr=0.01, weight_decay=0.05), "neg_" + L),
    # Adagrad
    ("Adagrad", dict(lr=0.1), dict(lr=0.05, weight_decay=0.1), R),
    ("Adagrad", dict(lr=0.5, lr_decay=0.01), dict(lr=0.2, lr_decay=0.1), Q),
    # torch fills "sum" from the constructor's initial_accumulator_value; the group's 0.5 is ignored
    ("Adagrad", dict(lr=0.3, initial_accumulator_value=0.1, eps=1e-6), dict(initial_accumulator_value=0.5), L),
    ("Adagrad", dict(lr=0.3, weight_decay=0.1, eps=1e-3), dict(lr=0.1, weight_decay=0.5), Q),
    ("Adagrad", dict(lr=0.1, maximize=True), dict(lr=0.05, weight_decay=0.05), "neg_" + R),
    # Adadelta
    ("Adadelta", dict(), dict(lr=0.5, weight_decay=0.1), R),
    ("Adadelta", dict(rho=0.95, eps=1e-5), dict(rho=0.8), Q),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1), dict(lr=2.0, weight_decay=0.3), L),
    ("Adadelta", dict(lr=2.0, maximize=True), dict(lr=1.0, weight_decay=0.05), "neg_" + Q),
    # RMSprop
    ("RMSprop", dict(lr=0.01), dict(lr=0.005, weight_decay=0.1), R),
    ("RMSprop", dict(lr=0.02, alpha=0.9, eps=1e-6), dict(alpha=0.5), Q),
    ("RMSprop", dict(lr=0.01, centered=True), dict(lr=0.02, weight_decay=0.05), L),
    ("RMSprop", dict(lr=0.005, momentum=0.9), dict(lr=0.01, weight_decay=0.1), Q),
    ("RMSprop", dict(lr=0.005, centered=True, momentum=0.8, weight_decay=0.01), dict(centered=False), R),
    ("RMSprop", dict(lr=0.01, momentum=0.5, maximize=True), dict(lr=0.005, centered=True, weight_decay=0.2),
     "neg_" + L),
    # Rprop (no weight_decay option)
    ("Rprop", dict(lr=0.01), dict(lr=0.05), R),
    ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-4, 0.1)), dict(etas=(0.6, 1.1), step_sizes=(1e-3, 1.0)), Q),
    ("Rprop", dict(lr=0.01, maximize=True), dict(lr=0.03, step_sizes=(1e-5, 0.05)), "neg_" + L),
    # ASGD (t0 small so that averaging starts within the run)
    ("ASGD", dict(lr=0.01, t0=10), dict(lr=0.005, weight_decay=0.1), Q),
    ("ASGD", dict(lr=0.001, lambd=0.01, alpha=0.5, t0=20), dict(lambd=0.1, alpha=0.9), R),
    ("ASGD", dict(lr=0.2, t0=10, weight_decay=0.1), dict(lr=0.1, t0=30), L),
    ("ASGD", dict(lr=0.1, maximize=True, t0=5), dict(lr=0.05, weight_decay=0.05, lambd=0.001), "neg_" + L),
    ("ASGD", dict(lr=0.01), dict(lr=0.02, weight_decay=0.01), Q),   # default t0=1e6: no averaging
]

CLOSED_LOOP = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("Adagrad", dict(lr=0.5)),
    ("Rprop", dict(lr=0.01)),
]

# grad_mask pattern: param 0 every step, param 1 from step 11 on, param 2 on even steps, param 3 never
GRAD_NONE = [
    ("Adam", dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), R),
    ("SGD", dict(lr=0.01, momentum=0.9), dict(lr=0.005), Q),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01), dict(lr=0.05), L),   # Adagrad creates state at construction
]

CHECK = "--check" in sys.argv   # print a summary line per case
SCALAR_KEYS = ("step", "mu_product", "eta", "mu")


def _grad_mask(kind):
    mask = np.ones((STEPS, len(SHAPES)), dtype=bool)
    if kind == "grad_none":
        mask[:10, 1] = False
        mask[1::2, 2] = False
        mask[:, 3] = False
    return mask


def _flat(tensors):
    return np.concatenate([t.detach().numpy().reshape(-1) for t in tensors])


def _label(opt_name, kwargs, over, objective, dtype, kind):
    def fmt(kw):
        parts = []
        for k, v in kw.items():
            if isinstance(v, bool):
                parts.append(k if v else f"no_{k}")
            elif isinstance(v, (tuple, list)):
                parts.append(f"{k}=" + ",".join(f"{x:g}" for x in v))
            else:
                parts.append(f"{k}={v:g}")
        return "-".join(parts)

    name = f"{opt_name}[{fmt(kwargs)}]"
    if over:
        name += f"[g2:{fmt(over)}]"
    return f"{name}-{objective}-{dtype}" + ("" if kind == "replay" else f"-{kind}")


def run_case(cid, opt_name, kwargs, over, obj, dtype, kind, rng):
    """Run one case in torch and return (meta, arrays)."""
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    torch.set_default_dtype(tdtype)
    x0 = rng.normal(scale=0.5, size=N).astype(dtype)
    params = [torch.tensor(x0[OFFSETS[i]:OFFSETS[i + 1]].reshape(s), dtype=tdtype, requires_grad=True)
              for i, s in enumerate(SHAPES)]
    cls = getattr(torch.optim, opt_name)
    if kind == "closed_loop":
        groups = [{"params": params}]
        group_meta = [{"params": list(range(len(SHAPES))), "options": {}}]
        d = torch.tensor(DATA["d_well"], dtype=tdtype)
        c = torch.tensor(DATA["c_well"], dtype=tdtype)
    else:
        groups = [{"params": [params[i] for i in GROUP_PARAMS[0]]},
                  {"params": [params[i] for i in GROUP_PARAMS[1]], **over}]
        group_meta = [{"params": GROUP_PARAMS[0], "options": {}},
                      {"params": GROUP_PARAMS[1], "options": over}]
    opt = cls(groups, foreach=False, **kwargs)   # foreach=False: the single-tensor implementation
    mask = _grad_mask(kind)

    def snapshot():
        rows = {}
        for i, p in enumerate(params):
            for k, v in opt.state.get(p, {}).items():
                rows.setdefault(k, {})[i] = v.detach().clone() if torch.is_tensor(v) else torch.tensor(float(v))
        return rows

    snaps = [snapshot()]
    traj = [_flat(params)]
    grads = np.zeros((STEPS, N), dtype=dtype)
    for t in range(STEPS):
        opt.zero_grad(set_to_none=True)
        if kind == "closed_loop":
            for i, p in enumerate(params):
                dd = d[OFFSETS[i]:OFFSETS[i + 1]].reshape(SHAPES[i])
                cc = c[OFFSETS[i]:OFFSETS[i + 1]].reshape(SHAPES[i])
                p.grad = dd * (p.detach() - cc)   # the same expression the test evaluates in NumPy
        else:
            theta = torch.cat([p.reshape(-1) for p in params])
            objective(obj, theta).backward()
            for i, p in enumerate(params):
                if not mask[t, i]:
                    p.grad = None
                else:
                    grads[t, OFFSETS[i]:OFFSETS[i + 1]] = p.grad.detach().numpy().reshape(-1)
        opt.step()
        traj.append(_flat(params))
        snaps.append(snapshot())

    traj = np.array(traj)
    assert traj.dtype == np.dtype(dtype), traj.dtype
    if CHECK:
        f0 = f1 = float("nan")
        if kind != "closed_loop":
            f0, f1 = (float(objective(obj, torch.tensor(traj[i]))) for i in (0, -1))
        print(f"{cid} {opt_name:8s} {dtype} {kind:11s} {str(obj):15s} max|x|={np.abs(traj).max():9.3g} "
              f"moved={np.abs(traj[-1] - traj[0]).max():9.3g} f0={f0:9.4g} f50={f1:9.4g}")
    if not CHECK:
        assert np.isfinite(traj).all() and np.abs(traj).max() < 1e2, (cid, np.abs(traj).max())
        assert np.abs(traj[-1] - traj[0]).max() > 1e-3, (cid, "parameters barely moved")

    arrays = {f"{cid}/params": traj, f"{cid}/grad_mask": mask}
    if kind == "closed_loop":
        arrays[f"{cid}/d"] = DATA["d_well"].astype(dtype)
        arrays[f"{cid}/c"] = DATA["c_well"].astype(dtype)
    else:
        arrays[f"{cid}/grads"] = grads
    has_state = np.array([[i in _present(s) for i in range(len(SHAPES))] for s in snaps])
    arrays[f"{cid}/has_state"] = has_state
    keys = sorted({k for s in snaps for k in s})
    state_keys = [[] for _ in SHAPES]
    for k in keys:
        scalar = k in SCALAR_KEYS
        arr = np.full((STEPS + 1, len(SHAPES) if scalar else N), np.nan, dtype=np.float64 if scalar else dtype)
        for t, s in enumerate(snaps):
            for i, v in s.get(k, {}).items():
                if scalar:
                    assert v.dim() == 0
                    arr[t, i] = float(v)
                else:
                    assert v.dtype == tdtype and tuple(v.shape) == SHAPES[i], (k, v.dtype, v.shape)
                    arr[t, OFFSETS[i]:OFFSETS[i + 1]] = v.numpy().reshape(-1)
        for i in range(len(SHAPES)):
            if k in snaps[-1] and i in snaps[-1][k]:
                state_keys[i].append(k)
        arrays[f"{cid}/state/{k}"] = arr
    meta = dict(
        id=cid, name=_label(opt_name, kwargs, over, obj if kind != "closed_loop" else "well_quadratic",
                            dtype, kind),
        optimizer=opt_name, dtype=dtype, kind=kind,
        objective=obj if kind != "closed_loop" else "well_quadratic",
        shapes=[list(s) for s in SHAPES], kwargs=kwargs, groups=group_meta, steps=STEPS,
        state_keys=state_keys, scalar_keys=[k for k in keys if k in SCALAR_KEYS],
        tensor_keys=[k for k in keys if k not in SCALAR_KEYS],
    )
    return meta, arrays


def _present(snap):
    out = set()
    for per in snap.values():
        out |= set(per)
    return out


def main():
    torch.manual_seed(0)   # nothing here draws from torch's RNG; set for safety
    rng = np.random.default_rng(12345)
    metas, arrays = [], {}
    jobs = []
    for dtype in ("float64", "float32"):
        for name, kw, over, obj in CONFIGS:
            jobs.append((name, kw, over, obj, dtype, "replay"))
        for name, kw, over, obj in GRAD_NONE:
            jobs.append((name, kw, over, obj, dtype, "grad_none"))
        for name, kw in CLOSED_LOOP:
            jobs.append((name, kw, {}, None, dtype, "closed_loop"))
    default = torch.get_default_dtype()
    try:
        for n, (name, kw, over, obj, dtype, kind) in enumerate(jobs):
            cid = f"c{n:03d}"
            meta, arr = run_case(cid, name, kw, over, obj, dtype, kind, rng)
            metas.append(meta)
            arrays.update(arr)
    finally:
        torch.set_default_dtype(default)
    arrays["meta"] = np.array(json.dumps(metas))
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(metas)} cases to {os.path.normpath(OUT)} ({os.path.getsize(OUT) / 1e6:.2f} MB)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
