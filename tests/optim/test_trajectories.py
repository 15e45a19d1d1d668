"""numopt.optim against torch 2.13 trajectories recorded in ``tests/data/optim_golden.npz``.

The data comes from ``tools/make_golden_optim.py`` (torch's single-tensor CPU path); see
its docstring for the layout. Torch is not needed here.

- Replay cases: numopt gets exactly the gradients torch saw (``opt.zero_grad();
  p.grad = g; opt.step()``), and after every step each parameter and each state
  entry is compared with torch's.
- Grad-None cases: as replay, but some parameters have no gradient on some steps;
  they must not move and must get no state until their first gradient.
- Closed-loop cases: numopt computes the gradient of a well-conditioned quadratic
  from its own iterates; only the parameter trajectory is compared.

Tolerance
---------
Elementwise, relative to the element's own history: at step t, element i of a
tensor (parameter or state) must satisfy

    |got_i - want_i| <= rtol * max_{s <= t} |want_{s,i}|        (rtol 1e-10 / 1e-5)

with ``s`` running over the recorded steps (row 0, the initial value, included).
A plain elementwise relative error is meaningless where a value crosses zero
(a parameter passing through 0, a momentum buffer changing sign), while a norm-wise
error would let small elements of an ill-conditioned problem drift unchecked. The
rounding error of a stable recurrence is bounded by a few ulps of the magnitudes it
has carried, which is what the running maximum measures; an element that has
always been exactly 0 must stay exactly 0. Step counters must match exactly.
"""

import importlib.util
import inspect
import json
import os
from functools import lru_cache

import numpy as np
import pytest

from numopt.testing import optimizers as table

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_PATH = os.path.join(HERE, "..", "data", "optim_golden.npz")
RTOL = {"float64": 1e-10, "float32": 1e-5}

# Every option torch 2.13 gives each optimizer checked against torch (the table's rows
# with reference "torch" whose data is in optim_golden.npz; Adafactor's has a file of its
# own, test_adafactor_golden.py): its constructor arguments but foreach, fused, capturable and
# differentiable; each must be set to a non-default value by at least one case.
_TORCH_ONLY = {"self", "params", "foreach", "fused", "capturable", "differentiable"}
OPTIONS = {i.name: [k for k in inspect.signature(i.cls.__init__).parameters if k not in _TORCH_ONLY]
           for i in table.OPTIMIZERS if i.reference == "torch" and i.golden == "optim_golden.npz"}
TUPLE_OPTIONS = ("betas", "etas", "step_sizes")


def _load_reference():
    path = os.path.join(HERE, "..", "reference", "naive_optim.py")
    spec = importlib.util.spec_from_file_location("_numopt_naive_optim", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


naive = _load_reference()


@lru_cache(maxsize=1)
def _npz():
    return np.load(DATA_PATH)


def _meta():
    if not os.path.exists(DATA_PATH):
        return []
    return json.loads(str(_npz()["meta"]))


META = _meta()


def _fmt(kw):
    parts = []
    for k, v in kw.items():
        if isinstance(v, bool):
            parts.append(k if v else f"{k}=False")
        elif isinstance(v, list):
            parts.append(f"{k}=" + ",".join(f"{x:g}" for x in v))
        else:
            parts.append(f"{k}={v:g}")
    return ",".join(parts)


def _case_id(m):
    """E.g. ``Adam(lr=0.02,amsgrad)+g2(lr=0.01,weight_decay=0.05)-rosenbrock-float64``."""
    s = f"{m['optimizer']}({_fmt(m['kwargs'])})"
    over = m["groups"][-1]["options"] if len(m["groups"]) > 1 else {}
    if over:
        s += f"+g2({_fmt(over)})"
    return f"{s}-{m['objective']}-{m['dtype']}"


def _cases(*kinds):
    return [pytest.param(m, id=_case_id(m)) for m in META if m["kind"] in kinds]


@lru_cache(maxsize=None)
def _arrays(cid):
    """The case's arrays, plus the running-max history scale of every float array."""
    z = _npz()
    arrs = {k[len(cid) + 1:]: z[k] for k in z.files if k.startswith(cid + "/")}
    scales = {}
    for k, a in arrs.items():
        if a.dtype.kind == "f" and k not in ("grads", "d", "c"):
            scales[k] = np.fmax.accumulate(np.abs(a), axis=0)   # fmax: NaN (no state) is skipped
    return arrs, scales


def _kwargs(kw):
    return {k: tuple(v) if k in TUPLE_OPTIONS else v for k, v in kw.items()}


# --------------------------------------------------------------------------- backends

def _numopt_backend():
    from numopt import Parameter, optim

    def make(name, groups, kwargs):
        return getattr(optim, name)(groups, **kwargs)

    return Parameter, make


def _naive_backend():
    def make(name, groups, kwargs):
        return naive.NaiveOptimizer(name, groups, **kwargs)

    return naive.Param, make


def _state_of(opt, p):
    st = opt.state.get(p) if hasattr(opt.state, "get") else opt.state[p]
    return st if st else {}


# --------------------------------------------------------------------------- the run

def _build(m, backend, arrs):
    Param, make = backend
    dtype = np.dtype(m["dtype"])
    shapes = [tuple(s) for s in m["shapes"]]
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    slices = [slice(offsets[i], offsets[i + 1]) for i in range(len(shapes))]
    params = [Param(arrs["params"][0, sl].reshape(s).astype(dtype)) for sl, s in zip(slices, shapes)]
    groups = [{"params": [params[i] for i in g["params"]], **_kwargs(g["options"])} for g in m["groups"]]
    opt = make(m["optimizer"], groups, _kwargs(m["kwargs"]))
    return params, opt, shapes, slices


def _mismatch(what, got, want, scale, rtol):
    """A description of the worst violation of |got-want| <= rtol*scale, or None."""
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.asarray(want, dtype=np.float64).reshape(-1)
    scale = np.asarray(scale, dtype=np.float64).reshape(-1)
    if got.shape != want.shape:
        return f"{what}: {got.size} elements, expected {want.size}"
    err = np.abs(got - want)
    bad = ~(err <= rtol * scale)            # also catches NaN in got
    if not bad.any():
        return None
    ratio = np.where(bad, err / np.maximum(scale, np.finfo(np.float64).tiny), 0.0)
    ratio[np.isnan(ratio)] = np.inf
    j = int(np.argmax(ratio))
    return (f"{what}[{j}]: got {got[j]!r}, torch {want[j]!r}, |diff| {err[j]:.3e} = "
            f"{ratio[j]:.3e} x history scale {scale[j]:.3e} (rtol {rtol:g}); {int(bad.sum())}/{bad.size} "
            f"elements off")


def _check_step(m, t, params, opt, shapes, slices, arrs, scales, check_state=True):
    """Compare params and state after step t (row t) with torch; return a list of problems."""
    rtol = RTOL[m["dtype"]]
    dtype = np.dtype(m["dtype"])
    problems = []
    for i, (p, sl, shape) in enumerate(zip(params, slices, shapes)):
        data = np.asarray(p.data)
        if data.shape != shape or data.dtype != dtype:
            problems.append(f"param {i}: shape/dtype {data.shape}/{data.dtype}, expected {shape}/{dtype}")
            continue
        msg = _mismatch(f"param {i}", data, arrs["params"][t, sl], scales["params"][t, sl], rtol)
        if msg:
            problems.append(msg)
        if not check_state:
            continue
        st = _state_of(opt, p)
        if not arrs["has_state"][t, i]:
            if st:
                problems.append(f"param {i}: has state {sorted(st)} but torch has none yet")
            continue
        keys = m["state_keys"][i]
        if sorted(st) != sorted(keys):
            problems.append(f"param {i}: state keys {sorted(st)}, torch {sorted(keys)}")
        for k in keys:
            if k not in st:
                continue
            if k in m["scalar_keys"]:
                want = arrs[f"state/{k}"][t, i]
                got = float(np.asarray(st[k]))
                if k == "step":
                    if got != want:
                        problems.append(f"param {i} state 'step': got {got!r}, torch {want!r}")
                    continue
                msg = _mismatch(f"param {i} state {k!r}", got, want, scales[f"state/{k}"][t, i], rtol)
            else:
                v = np.asarray(st[k])
                if v.shape != shape:
                    problems.append(f"param {i} state {k!r}: shape {v.shape}, torch {shape}")
                    continue
                msg = _mismatch(f"param {i} state {k!r}", v, arrs[f"state/{k}"][t, sl],
                                scales[f"state/{k}"][t, sl], rtol)
            if msg:
                problems.append(msg)
    return problems


def _fail(m, t, problems):
    where = "after construction" if t == 0 else f"after step {t}"
    pytest.fail(f"{_case_id(m)} ({m['id']}), {where}:\n  " + "\n  ".join(problems), pytrace=False)


def run_replay(m, backend):
    arrs, scales = _arrays(m["id"])
    params, opt, shapes, slices = _build(m, backend, arrs)
    mask = arrs["grad_mask"]
    problems = _check_step(m, 0, params, opt, shapes, slices, arrs, scales)
    if problems:
        _fail(m, 0, problems)
    for t in range(m["steps"]):
        before = [np.array(p.data, copy=True) for p in params]
        opt.zero_grad()
        for i, (p, sl, shape) in enumerate(zip(params, slices, shapes)):
            if mask[t, i]:
                p.grad = arrs["grads"][t, sl].reshape(shape).copy()
        opt.step()
        problems = _check_step(m, t + 1, params, opt, shapes, slices, arrs, scales)
        for i, p in enumerate(params):
            if not mask[t, i] and not np.array_equal(np.asarray(p.data), before[i]):
                problems.append(f"param {i} had grad None but moved")
        if problems:
            _fail(m, t + 1, problems)


def run_closed_loop(m, backend):
    arrs, scales = _arrays(m["id"])
    params, opt, shapes, slices = _build(m, backend, arrs)
    d, c = arrs["d"], arrs["c"]
    for t in range(m["steps"]):
        opt.zero_grad()
        for p, sl, shape in zip(params, slices, shapes):
            # the same expression torch's run evaluated, so the gradients agree bit for bit
            p.grad = d[sl].reshape(shape) * (np.asarray(p.data) - c[sl].reshape(shape))
        opt.step()
        problems = _check_step(m, t + 1, params, opt, shapes, slices, arrs, scales, check_state=False)
        if problems:
            _fail(m, t + 1, problems)


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize("case", _cases("replay"))
def test_replayed_gradients_follow_torch(case):
    run_replay(case, _numopt_backend())


@pytest.mark.parametrize("case", _cases("grad_none"))
def test_params_without_grad_are_skipped_like_torch(case):
    run_replay(case, _numopt_backend())


@pytest.mark.parametrize("case", _cases("closed_loop"))
def test_closed_loop_follows_torch(case):
    run_closed_loop(case, _numopt_backend())


@pytest.mark.parametrize("case", _cases("replay", "grad_none", "closed_loop"))
def test_naive_reference_follows_golden_data(case):
    """The data and this harness agree with an independent NumPy transcription of torch."""
    if case["kind"] == "closed_loop":
        run_closed_loop(case, _naive_backend())
    else:
        run_replay(case, _naive_backend())


def _effective_groups(m):
    """Each group's full options: torch defaults < constructor kwargs < group overrides."""
    base = dict(naive.DEFAULTS[m["optimizer"]], **_kwargs(m["kwargs"]))
    return [dict(base, **_kwargs(g["options"])) for g in m["groups"]]


def test_golden_data_covers_every_optimizer_and_option():
    assert os.path.exists(DATA_PATH), "run tools/make_golden_optim.py in an environment with torch 2.13.0"
    assert os.path.getsize(DATA_PATH) < 3.5e6
    assert set(OPTIONS) <= set(naive.DEFAULTS)
    assert {m["optimizer"] for m in META} == set(OPTIONS)
    for name, opts in OPTIONS.items():
        # the option list is complete: it is every option the reference knows
        assert set(opts) == set(naive.DEFAULTS[name]), name
    replay = [m for m in META if m["kind"] == "replay"]
    for name, opts in OPTIONS.items():
        for dtype in ("float64", "float32"):
            cases = [m for m in replay if m["optimizer"] == name and m["dtype"] == dtype]
            assert cases, (name, dtype)
            for opt in opts:
                default = naive.DEFAULTS[name][opt]
                assert any(g[opt] != default for m in cases for g in _effective_groups(m)), (name, dtype, opt)
            objectives = {m["objective"].replace("neg_", "") for m in cases}
            assert objectives == {"quadratic", "rosenbrock", "logistic"}, (name, dtype)
    for m in replay:
        groups = _effective_groups(m)
        assert len(groups) == 2 and groups[0] != groups[1], m["id"]
        assert m["steps"] >= 50
        assert any(s == [] for s in m["shapes"]) and any(len(s) >= 3 for s in m["shapes"])
        assert all(g["maximize"] == m["objective"].startswith("neg_") for g in groups), m["id"]
    # combinations and branches that need more than one option value
    assert any(g["centered"] and g["momentum"] > 0
               for m in replay if m["optimizer"] == "RMSprop" for g in _effective_groups(m))
    assert any(g["nesterov"] for m in replay if m["optimizer"] == "SGD" for g in _effective_groups(m))
    for m in replay:
        if m["optimizer"] == "RAdam":
            for g in _effective_groups(m):
                rho = [naive.rho_t(g["betas"][1], s) for s in range(1, m["steps"] + 1)]
                assert min(rho) <= 5 < max(rho), (m["id"], g["betas"])
        if m["optimizer"] == "ASGD" and any(g["t0"] < m["steps"] - 1 for g in _effective_groups(m)):
            mu = _arrays(m["id"])[0]["state/mu"]
            assert np.nanmin(mu) < 1              # averaging really happened
    asgd = [m for m in replay if m["optimizer"] == "ASGD"]
    assert any(np.nanmin(_arrays(m["id"])[0]["state/mu"]) < 1 for m in asgd)
    # grad None: some parameter skipped on some steps, one never given a gradient
    for dtype in ("float64", "float32"):
        gn = [m for m in META if m["kind"] == "grad_none" and m["dtype"] == dtype]
        assert {m["optimizer"] for m in gn} >= {"Adam", "SGD", "Adagrad"}
        for m in gn:
            mask = _arrays(m["id"])[0]["grad_mask"]
            assert not mask.all() and (~mask).all(axis=0).any()
        closed = [m for m in META if m["kind"] == "closed_loop" and m["dtype"] == dtype]
        assert {m["optimizer"] for m in closed} >= {"SGD", "Adam", "RMSprop", "Adagrad", "Rprop"}
        assert any(m["optimizer"] == "SGD" and m["kwargs"].get("momentum", 0) > 0 for m in closed)
