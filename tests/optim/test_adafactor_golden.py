"""torch 2.13's Adafactor trajectories (``tests/data/adafactor_golden.npz``, from
``tools/make_golden_adafactor.py``) against the NumPy reference of
``tests/reference/naive_optim.py``: the data and the reference agree, parameters and the
factored state (``row_var`` ``(..., R, 1)``, ``col_var`` ``(..., 1, C)``, ``variance``
for 0-d and 1-d parameters) after every step, for 1-D, 2-D and 3-D parameters, weight
decay and maximize. Tolerance as in test_trajectories.py: relative to the largest
magnitude each element has had.
"""
import json
import os
from functools import lru_cache

import numpy as np
import pytest

from .test_trajectories import naive

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "adafactor_golden.npz")
RTOL = {"float64": 1e-10, "float32": 1e-5}


@lru_cache(maxsize=1)
def _npz():
    return np.load(DATA)


META = json.loads(str(_npz()["meta"]))


def _kwargs(kw):
    return {k: tuple(v) if k == "eps" else v for k, v in kw.items()}


def replay(m, Param, make):
    z = _npz()
    cid, dtype = m["id"], np.dtype(m["dtype"])
    shapes = [tuple(s) for s in m["shapes"]]
    params = [Param(z[f"{cid}/p{j}/param"][0].reshape(s).astype(dtype)) for j, s in enumerate(shapes)]
    groups = [{"params": [params[i] for i in m["groups"][0]]},
              {"params": [params[i] for i in m["groups"][1]], **m["over"]}]
    opt = make(groups, _kwargs(m["kwargs"]))
    rtol = RTOL[m["dtype"]]
    for t in range(m["steps"]):
        opt.zero_grad()
        for j, (p, s) in enumerate(zip(params, shapes)):
            p.grad = z[f"{cid}/p{j}/grad"][t].reshape(s).astype(dtype)
        opt.step()
        for j, (p, s) in enumerate(zip(params, shapes)):
            st = opt.state[p]
            assert sorted(st) == sorted(["step", *m["state"][j]]), (t, j)
            assert float(st["step"]) == z[f"{cid}/step"][t + 1]
            for key in ["param", *m["state"][j]]:
                want = z[f"{cid}/p{j}/{key}"]
                got = np.asarray(p.data if key == "param" else st[key])
                if key != "param":
                    assert list(got.shape) == m["state"][j][key], (t, j, key)
                scale = np.abs(want[:t + 2]).max(axis=0)
                err = np.abs(got.reshape(-1).astype(np.float64) - want[t + 1])
                assert (err <= rtol * scale).all(), (
                    f"{cid} step {t + 1} param {j} {key}: max err {err.max():.3e}, "
                    f"scale {scale[np.argmax(err)]:.3e}")


def test_golden_data_covers_the_options():
    assert os.path.getsize(DATA) < 5e5
    assert {m["dtype"] for m in META} == {"float64", "float32"}
    groups = [{**naive.DEFAULTS["Adafactor"], **_kwargs(m["kwargs"]), **o}
              for m in META for o in ({}, m["over"])]
    for name, default in naive.DEFAULTS["Adafactor"].items():
        assert any(g[name] != default for g in groups), name
    ndims = {len(s) for m in META for s in m["shapes"]}
    assert ndims == {0, 1, 2, 3}


@pytest.mark.parametrize("case", META, ids=[m["id"] for m in META])
def test_naive_reference_follows_torch(case):
    replay(case, naive.Param, lambda groups, kw: naive.NaiveOptimizer("Adafactor", groups, **kw))


def _numopt_make(groups, kw):
    from numopt import optim

    return optim.Adafactor(groups, **kw)


@pytest.mark.parametrize("case", META, ids=[m["id"] for m in META])
def test_numopt_follows_torch(case):
    from numopt import Parameter

    replay(case, Parameter, _numopt_make)
