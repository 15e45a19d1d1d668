"""Generate golden Adafactor trajectories from torch 2.13 (``torch.optim.Adafactor``).

Run from the repository root with a torch environment (torch is never a dependency
of numopt)::

    python tools/make_golden_adafactor.py

It writes ``tests/data/adafactor_golden.npz`` (deterministic: fixed seeds, torch's
single-tensor CPU path, ``foreach=False``). Adafactor factors the second moment of a
parameter with two or more dimensions into row and column statistics (state
``row_var`` of shape ``(..., R, 1)`` and ``col_var`` of shape ``(..., 1, C)``) and
keeps a full ``variance`` for 0-d and 1-d parameters, so the cases use parameters of
shapes ``(5,)``, ``()``, ``(3, 4)``, ``(2, 3, 4)`` and ``(4, 1, 2)`` in two groups.

Layout: ``meta`` is a JSON list of cases (id, dtype, kwargs, the second group's
overrides, shapes, steps, each parameter's state keys and their shapes). For case
``<id>`` and parameter ``j``: ``<id>/p<j>/param`` ``(steps+1, size)`` (row 0 the
initial value), ``<id>/p<j>/grad`` ``(steps, size)`` (the gradient of each step),
``<id>/p<j>/<key>`` ``(steps+1, size of the key)`` (row 0 zeros: torch creates the
state at the first step) and ``<id>/step`` ``(steps+1,)``.

Gradients come from a fixed random sequence plus a pull towards the origin
(``g = noise + 0.5 * p``) computed in torch from torch's iterates, then recorded, so
numopt replays exactly the gradients torch saw.
"""
import json
import os

import numpy as np
import torch

STEPS = 30
SHAPES = [(5,), (), (3, 4), (2, 3, 4), (4, 1, 2)]
GROUPS = [[0, 1, 2], [3, 4]]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data",
                   "adafactor_golden.npz")

# (constructor kwargs, the second group's overrides); every option off its default
CASES = [
    (dict(), dict(lr=0.005)),
    (dict(lr=0.02, weight_decay=0.1), dict(weight_decay=0.5)),
    (dict(lr=0.01, maximize=True), dict(lr=0.03)),
    (dict(lr=0.01, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=2.0), dict(d=1.5)),
    (dict(lr=0.05, eps=(1e-6, 1e-3)), dict(beta2_decay=-0.9, weight_decay=0.05)),
]


def run_case(k, kwargs, over, dtype):
    torch.set_default_dtype(dtype)
    gen = torch.Generator().manual_seed(1000 + k)
    params = [torch.randn(s, generator=gen, dtype=dtype) for s in SHAPES]
    params = [p.requires_grad_(False) for p in params]
    groups = [{"params": [params[i] for i in GROUPS[0]]},
              {"params": [params[i] for i in GROUPS[1]], **over}]
    opt = torch.optim.Adafactor(groups, foreach=False, **kwargs)
    rec = {f"p{j}/param": [p.detach().reshape(-1).clone().numpy()] for j, p in enumerate(params)}
    rec["step"] = [0.0]
    keys = {}
    sign = -1.0 if kwargs.get("maximize") else 1.0
    for t in range(STEPS):
        for j, p in enumerate(params):
            noise = torch.randn(p.shape, generator=gen, dtype=dtype)
            p.grad = sign * (noise + 0.5 * p.detach())
            rec.setdefault(f"p{j}/grad", []).append(p.grad.reshape(-1).clone().numpy())
        opt.step()
        rec["step"].append(float(opt.state[params[0]]["step"]))
        for j, p in enumerate(params):
            rec[f"p{j}/param"].append(p.detach().reshape(-1).clone().numpy())
            st = opt.state[p]
            keys[j] = {key: list(v.shape) for key, v in st.items() if key != "step"}
            for key, v in st.items():
                if key == "step":
                    continue
                rows = rec.setdefault(f"p{j}/{key}", [np.zeros(v.numel(), dtype=v.numpy().dtype)])
                rows.append(v.reshape(-1).clone().numpy())
    return {k2: np.array(v) for k2, v in rec.items()}, keys


def main():
    out, meta = {}, []
    for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
        for k, (kwargs, over) in enumerate(CASES):
            cid = f"c{k}-{dtype_name}"
            arrays, keys = run_case(k, kwargs, over, dtype)
            for name, a in arrays.items():
                out[f"{cid}/{name}"] = a
            meta.append(dict(id=cid, dtype=dtype_name, steps=STEPS, shapes=[list(s) for s in SHAPES],
                             groups=GROUPS, kwargs={k2: list(v) if isinstance(v, tuple) else v
                                                    for k2, v in kwargs.items()},
                             over=over, state=[keys[j] for j in range(len(SHAPES))]))
    out["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT}: {len(meta)} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
