"""numopt.optim never accepts nonsense and never half-writes (API.md section 5).

- **Hyperparameters.** Every numeric argument of every optimizer's constructor (read from
  the signatures, so that a new one is covered as soon as it exists) refuses a string,
  None, NaN, a complex number and a list with a TypeError or ValueError naming it: given
  to the constructor, in a parameter-group dict, and through ``add_param_group`` (which
  then adds nothing). torch 2.13's messages are kept where torch checks a value; what
  torch accepts and handles (a 0-d or 1-element array lr, array betas, whole-number
  floats for LBFGS's counts, ``max_iter=inf``) keeps working, bit for bit.
- **load_state_dict.** The state dict of another optimizer, or one that does not fit
  (groups, sizes, keys, shapes, dtypes, values), raises ValueError and leaves the
  optimizer exactly as it was; torch's layout (tensors as arrays, the keys an older
  torch lacks) loads and resumes bit for bit.
- **Closures.** A closure that raises leaves parameters, state and ``state_dict()`` as
  they were before that ``step()``, and its exception propagates as it is: first-order
  optimizers (their closure is called once, first), and LBFGS with the closure raising
  on its third call, in the middle of the step.
- **Atomic steps.** A step that cannot run (a bad value edited into a group, a parameter
  taken over by another optimizer) raises before any parameter of any group moves.

References: the values an uninterrupted run reaches (resuming after a failure must
continue the same trajectory), and torch's documented messages.
"""
import inspect
import io
import math
import pickle
import re
from copy import deepcopy

import numpy as np
import pytest

from numopt import Parameter, optim

from .test_common import (CLASSES, IDS, OPTIMIZERS, assert_same_state, make_params,
                          negative_lr_message, run)

ALL_CLASSES = CLASSES + [optim.LBFGS]
# torch's word for the argument in its messages, where it is not the argument's name.
LABEL = {"lr": "learning rate", "eps": "epsilon"}


def hyperparameters(cls):
    """The numeric and the pair-valued constructor arguments of ``cls``."""
    numeric, pairs = [], []
    for name, p in inspect.signature(cls.__init__).parameters.items():
        if isinstance(p.default, tuple):
            pairs.append(name)
        elif isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
            numeric.append(name)
    if cls is optim.LBFGS:
        numeric.append("max_eval")  # default None (then max_iter * 5 // 4)
    return numeric, pairs


NUMERIC = [(cls, name) for cls in ALL_CLASSES for name in hyperparameters(cls)[0]]
PAIRS = [(cls, name) for cls in ALL_CLASSES for name in hyperparameters(cls)[1]]


def test_the_audit_covers_every_optimizer_and_argument():
    """The tables above are read from the signatures; check they found what they should."""
    assert {cls for cls, _ in NUMERIC} == set(ALL_CLASSES)
    assert ("ASGD", "t0") in {(cls.__name__, n) for cls, n in NUMERIC}
    # (at least these: a new optimizer of the table brings its own)
    assert {(cls.__name__, n) for cls, n in PAIRS} >= {
        ("Adam", "betas"), ("AdamW", "betas"), ("Adamax", "betas"), ("NAdam", "betas"),
        ("RAdam", "betas"), ("Rprop", "etas"), ("Rprop", "step_sizes")}
    assert len(NUMERIC) >= 40


def param():
    return Parameter(np.ones(3))


def three_ways(cls, name, value):
    """Ways of giving ``name=value`` to ``cls``: the constructor, a group dict, and
    ``add_param_group`` (after which the optimizer must be as before)."""
    def constructor():
        cls([param()], **{name: value})

    def group_dict():
        cls([{"params": [param()], name: value}])

    def added_group():
        opt = cls([param()])
        before = deepcopy([{k: v for k, v in g.items() if k != "params"}
                           for g in opt.param_groups])
        try:
            opt.add_param_group({"params": [param()], name: value})
        finally:
            after = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
            assert after == before and len(opt._buckets) == 1

    return [constructor, group_dict, added_group]


def expect(ways, exc, pattern):
    for way in ways:
        with pytest.raises(exc, match=pattern):
            way()


# -- hyperparameters ---------------------------------------------------------------------
@pytest.mark.parametrize("cls,name", NUMERIC, ids=[f"{c.__name__}-{n}" for c, n in NUMERIC])
def test_numeric_hyperparameter_refuses_what_is_not_a_number(cls, name):
    named = rf"\b{name}\b"
    expect(three_ways(cls, name, "abc"), TypeError, named + ".*must be a real number.*'abc'")
    expect(three_ways(cls, name, [0.1]), TypeError, named + ".*must be a real number")
    expect(three_ways(cls, name, 1 + 2j), TypeError, named + ".*must be a real number")
    if not (cls is optim.LBFGS and name == "max_eval"):  # torch's None: max_iter * 5 // 4
        expect(three_ways(cls, name, None), TypeError, named + ".*must be a real number.*None")
    expect(three_ways(cls, name, float("nan")), ValueError,
           rf"({named}|(?i:{LABEL.get(name, name)})).*\bnan\b")  # (Adafactor: "Learning rate")
    if name == "lr":  # torch's Tensor lr must have one element
        expect(three_ways(cls, name, np.ones(2)), ValueError, r"^Tensor lr must be 1-element$")
    else:
        expect(three_ways(cls, name, np.ones(2)), TypeError, named + ".*must be a real number")


@pytest.mark.parametrize("cls,name", PAIRS, ids=[f"{c.__name__}-{n}" for c, n in PAIRS])
def test_pair_hyperparameter_refuses_what_is_not_a_pair_of_numbers(cls, name):
    pair = rf"^{name} must be a pair of real numbers"
    expect(three_ways(cls, name, "ab"), TypeError, pair)
    expect(three_ways(cls, name, 0.5), TypeError, pair)
    expect(three_ways(cls, name, None), TypeError, pair)
    expect(three_ways(cls, name, (0.5,)), ValueError, pair)
    expect(three_ways(cls, name, (0.5, 0.6, 0.7)), ValueError, pair)
    expect(three_ways(cls, name, np.ones((2, 2))), ValueError, pair)
    expect(three_ways(cls, name, ("a", 0.5)), TypeError, rf"^{name}\[0\] must be a real number")
    expect(three_ways(cls, name, (0.5, None)), TypeError, rf"^{name}\[1\] must be a real number")
    nan = {"betas": r"^Invalid beta parameter at index 0: nan$",
           "etas": r"^Invalid eta values: nan, 1.2$",
           "step_sizes": r"^step_sizes\[0\] must be a real number, got nan$",
           "eps": r"^epsilon1 should be >= 0 but is: nan$"}[name]
    value = (math.nan, 1.2) if name == "etas" else (math.nan, 0.5)
    expect(three_ways(cls, name, value), ValueError, nan)


@pytest.mark.parametrize("cls,kwargs,message", [
    (optim.ASGD, dict(t0="abc"), "t0 must be a real number, got str 'abc'"),
    (optim.Adam, dict(lr=float("nan")), "Invalid learning rate: nan"),
    (optim.SGD, dict(lr=float("nan")), "Invalid learning rate: nan"),
    (optim.SGD, dict(momentum=float("nan")), "Invalid momentum value: nan"),
    (optim.Adadelta, dict(rho=float("nan")), "Invalid rho value: nan"),
    (optim.Adam, dict(lr=np.array([0.1, 0.2])), "Tensor lr must be 1-element"),
    (optim.Adam, dict(betas=(True, 0.9)), "Invalid beta parameter at index 0: True"),
    (optim.Adam, dict(betas=(False, 0.9)), "betas must be either both floats or both Tensors"),
    (optim.AdamW, dict(betas=(0.9, np.array(0.99))),
     "betas must be either both floats or both Tensors"),
    (optim.Adam, dict(betas=(np.array([0.9, 0.8]), np.array(0.99))),
     r"Tensor betas\[0\] must be 1-element"),
    (optim.Rprop, dict(etas=(0.5, 0.9)), "Invalid eta values: 0.5, 0.9"),
    (optim.LBFGS, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.LBFGS, dict(max_iter=2.5), "max_iter must be a whole number or inf, got 2.5"),
    (optim.LBFGS, dict(history_size=math.inf), "history_size must be a whole number, got inf"),
    (optim.SGD, dict(lr=10 ** 400), "lr = 1000.* is too large for a float"),
])
def test_messages(cls, kwargs, message):
    """torch's own messages where torch checks the value; clear ones of numopt's where
    it does not."""
    with pytest.raises((TypeError, ValueError), match=rf"^{message}"):
        cls([param()], **kwargs)


def test_what_torch_accepts_is_accepted():
    p = param()
    optim.Adamax([p], betas=(False, 0.9))      # torch's Adamax checks only the range
    optim.Adam([p], betas=[0.5, 0.6], lr=np.float32(0.1), eps=np.float64(1e-6))
    optim.SGD([p], lr=1, momentum=1)           # Python ints
    optim.ASGD([p], t0=math.inf)               # never average
    assert optim.Adam([p], betas=[0.5, 0.6]).param_groups[0]["betas"] == (0.5, 0.6)
    opt = optim.LBFGS([p], max_iter=10.0, history_size=4.0)
    group = opt.param_groups[0]
    assert (group["max_iter"], group["max_eval"], group["history_size"]) == (10, 12, 4)
    assert optim.LBFGS([p], max_iter=math.inf).param_groups[0]["max_eval"] == math.inf


def trajectory(cls, kwargs, steps=4):
    params = make_params()
    opt = cls([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    run(opt, params, steps, skip={(1, 0), (2, 3)})
    return [p.data.copy() for p in params], opt.state_dict()


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("wrap", [np.array, lambda v: np.array([v])], ids=["0d", "1-element"])
def test_array_lr_follows_the_float_lr_bit_for_bit(cls, kwargs, wrap):
    x_ref, sd_ref = trajectory(cls, kwargs)
    x, sd = trajectory(cls, dict(kwargs, lr=wrap(kwargs["lr"])))
    for a, b in zip(x, x_ref):
        np.testing.assert_array_equal(a, b)
    assert_same_state(sd, sd_ref)


@pytest.mark.parametrize("cls,kwargs", [c for c in OPTIMIZERS if "betas" in
                                        inspect.signature(c[0].__init__).parameters],
                         ids=[i for c, i in zip(OPTIMIZERS, IDS) if "betas" in
                              inspect.signature(c[0].__init__).parameters])
def test_array_betas_follow_float_betas_bit_for_bit(cls, kwargs):
    x_ref, sd_ref = trajectory(cls, dict(kwargs, betas=(0.8, 0.99)))
    x, sd = trajectory(cls, dict(kwargs, betas=(np.array(0.8), np.array([0.99]))))
    for a, b in zip(x, x_ref):
        np.testing.assert_array_equal(a, b)
    assert_same_state(sd, sd_ref)


def test_lbfgs_unlimited_max_iter_runs_to_its_tolerances():
    def solve(**kwargs):
        x = Parameter(np.array([-1.2, 1.0]))
        opt = optim.LBFGS([x], line_search_fn="strong_wolfe", **kwargs)

        def closure():
            a, b = x.data
            x.grad = np.array([-400 * a * (b - a * a) - 2 * (1 - a), 200 * (b - a * a)])
            return 100 * (b - a * a) ** 2 + (1 - a) ** 2

        opt.step(closure)
        return x.data.copy(), opt.state[x]["func_evals"]

    x_inf, evals_inf = solve(max_iter=math.inf)
    x_big, evals_big = solve(max_iter=10 ** 6, max_eval=10 ** 7)
    np.testing.assert_array_equal(x_inf, x_big)
    assert evals_inf == evals_big < 1000                        # it stopped on tolerance
    np.testing.assert_allclose(x_inf, [1.0, 1.0], atol=1e-4)    # near the known minimum


# -- load_state_dict ---------------------------------------------------------------------
def built(cls, kwargs, steps=3):
    params = make_params()
    if cls is optim.LBFGS:
        opt = optim.LBFGS(params, **kwargs)
        for _ in range(steps):
            opt.step(quadratic_closure(opt, params))
    else:
        opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.002}], **kwargs)
        run(opt, params, steps)
    return opt, params


def quadratic_closure(opt, params, fail_at=None, error=None, calls=None):
    """sum_i c_i |p_i - 1|^2 with c = 1, 2, ...; raises ``error`` on call ``fail_at``."""
    calls = calls if calls is not None else [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = 0.0
        for i, p in enumerate(params):
            r = p.data - 1
            loss += (i + 1) * float(np.sum(r * r))
            p.grad = 2 * (i + 1) * r
        if calls[0] == fail_at:
            raise error
        return loss

    return closure


def frozen(opt, params):
    """Everything observable: parameter values, state_dict and the group options."""
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return [p.data.copy() for p in params], opt.state_dict(), deepcopy(groups)


def assert_unchanged(opt, params, before):
    x, sd, groups = before
    for p, v in zip(params, x):
        np.testing.assert_array_equal(p.data, v)
    assert_same_state(opt.state_dict(), sd)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups


CONFIGS = OPTIMIZERS + [(optim.LBFGS, dict(history_size=3)),
                        (optim.LBFGS, dict(line_search_fn="strong_wolfe"))]
CONFIG_IDS = IDS + ["LBFGS-0", "LBFGS-1"]


def test_adam_refuses_sgds_state_dict():
    sgd, _ = built(optim.SGD, dict(lr=0.1, momentum=0.9))
    adam, params = built(optim.Adam, dict(lr=0.01))
    before = frozen(adam, params)
    with pytest.raises(ValueError, match=r"^loaded state dict's parameter group 0 has no "
                                         r"'betas', 'eps', 'amsgrad', which Adam needs: is it "
                                         r"the state dict of another optimizer\?$"):
        adam.load_state_dict(sgd.state_dict())
    assert_unchanged(adam, params, before)


def test_every_other_optimizers_state_dict_is_refused():
    """Loaded into any other class, each configuration's state dict raises ValueError and
    changes nothing; only Adam and AdamW share their state dicts (AdamW is Adam with
    decoupled weight decay, one class in torch 2.13)."""
    sds = [(cls, built(cls, kwargs)[0].state_dict()) for cls, kwargs in CONFIGS]
    for cls, kwargs in CONFIGS:
        opt, params = built(cls, kwargs)
        before = frozen(opt, params)
        for other, sd in sds:
            if other is cls or {other, cls} == {optim.Adam, optim.AdamW}:
                continue
            with pytest.raises(ValueError, match="another optimizer|different number|"
                                                 "doesn't match the size"):
                opt.load_state_dict(sd)
            assert_unchanged(opt, params, before)


def mutations(sd, cls):
    """(description, mutated copy of ``sd``, regex of the error) for every way a dict of
    this configuration can fail to fit."""
    def copy():
        new = pickle.loads(pickle.dumps(sd))
        new["param_groups"][0]["lr"] = 99.0      # must not be loaded by a failing call
        return new

    out = []
    new = copy()
    new["param_groups"] = new["param_groups"] * 2
    out.append(("groups", new, "^loaded state dict has a different number of parameter groups$"))
    new = copy()
    new["param_groups"][0]["params"] = new["param_groups"][0]["params"][:1]
    out.append(("sizes", new, "^loaded state dict contains a parameter group that doesn't "
                              "match the size of optimizer's group$"))
    new = copy()
    del new["param_groups"][-1]["eps" if "eps" in new["param_groups"][-1] else "lr"]
    out.append(("missing option", new, "has no '(eps|lr)'"))
    new = copy()
    new["param_groups"][-1]["lr"] = "fast"
    out.append(("bad option", new, "parameter group .: lr must be a real number"))
    new = copy()
    new["param_groups"][-1]["lr"] = -1.0
    out.append(("negative lr", new, re.escape(negative_lr_message(cls, -1.0))))
    new = copy()
    new["param_groups"][0]["params"] = [0] * len(new["param_groups"][0]["params"])
    out.append(("repeated ids", new, "parameter 0 more than once"))
    new = copy()
    del new["state"]
    out.append(("no state", new, "has no 'state' entry"))
    new = copy()
    new["state"][99] = {}
    out.append(("unknown id", new, "parameter 99"))
    if not sd["state"]:
        return out
    pid = max(sd["state"])          # a parameter of the last group
    entry = sd["state"][pid]
    arrays = [k for k, v in entry.items() if isinstance(v, np.ndarray)]
    scalars = [k for k, v in entry.items() if not isinstance(v, np.ndarray)]
    new = copy()
    new["state"][pid]["exp_inf_of_another_optimizer"] = np.zeros(3)
    out.append(("extra state", new, "exp_inf_of_another_optimizer"))
    if len(entry) > 1:  # (an empty entry is a parameter without state)
        new = copy()
        del new["state"][pid][sorted(entry)[0]]
        out.append(("missing state", new, f"{sorted(entry)[0]}"))
    new = copy()
    new["state"][pid] = [1.0]
    out.append(("state not a dict", new, "must be a dict"))
    for key in arrays:
        new = copy()
        new["state"][pid][key] = np.zeros(entry[key].size + 7)
        out.append((f"{key} shape", new, rf"'{key}'.*(shape|elements|entries|lengths)"))
        new = copy()
        new["state"][pid][key] = np.zeros(entry[key].shape, dtype=np.int64)
        out.append((f"{key} dtype", new, rf"'{key}'.*dtype int64"))
        new = copy()
        new["state"][pid][key] = "zeros"
        out.append((f"{key} type", new, rf"'{key}'"))
    for key in scalars:
        for bad in ("abc", None, np.zeros(2)):
            new = copy()
            new["state"][pid][key] = bad
            out.append((f"{key}={bad!r}", new, rf"'{key}'.*must be a number"))
    for key in ("step", "func_evals", "n_iter"):
        if key in scalars:
            for bad in (-1, 1.5):
                new = copy()
                new["state"][pid][key] = bad
                out.append((f"{key}={bad}", new, rf"'{key}'.*non-negative whole number"))
    return out


@pytest.mark.parametrize("cls,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_a_state_dict_that_does_not_fit_is_refused_and_changes_nothing(cls, kwargs):
    opt, params = built(cls, kwargs)
    sd = opt.state_dict()
    before = frozen(opt, params)
    cases = mutations(sd, cls)
    assert len(cases) >= (8 if not sd["state"] else 13)
    for what, bad, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            opt.load_state_dict(bad)
        assert_unchanged(opt, params, before)
    opt.load_state_dict(sd)   # and the dict itself still loads
    assert_unchanged(opt, params, before)


def torch_layout(sd, cls):
    """``sd`` as torch's ``state_dict()`` gives it, tensors made NumPy arrays: scalar state
    as 0-d float32 arrays, and without the group keys an older torch lacks (those whose
    value is what torch's ``__setstate__`` fills in)."""
    sd = pickle.loads(pickle.dumps(sd))
    for entry in sd["state"].values():
        for k, v in entry.items():
            if not isinstance(v, np.ndarray):
                entry[k] = np.array(v, dtype=np.float32 if k == "step" else np.float64)
    for group in sd["param_groups"]:
        for k, v in cls._load_defaults.items():
            if group.get(k, object()) == v:
                del group[k]
    return sd


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_torchs_layout_loads_and_resumes_bit_for_bit(cls, kwargs):
    opt, params = built(cls, kwargs)
    x_mid = [p.data.copy() for p in params]
    sd = torch_layout(opt.state_dict(), cls)
    assert any(k not in sd["param_groups"][0] for k in cls._load_defaults)
    run(opt, params, 3, start=3)
    resumed = [Parameter(x) for x in x_mid]
    opt2 = cls([{"params": resumed[:2]}, {"params": resumed[2:]}], **kwargs)
    opt2.load_state_dict(sd)
    run(opt2, resumed, 3, start=3)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    assert_same_state(opt.state_dict(), opt2.state_dict())


def test_sgd_loads_old_torchs_empty_momentum_buffer():
    """torch before 2.0 stored ``momentum_buffer: None`` until the first step made one."""
    p = param()
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    sd["state"] = {0: {"momentum_buffer": None}}
    opt.load_state_dict(sd)
    assert p not in opt.state
    p.grad = np.ones(3)
    opt.step()
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], np.ones(3))


def test_state_of_another_float_dtype_is_cast_as_torch_casts_it():
    p = Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1)
    sd = opt.state_dict()
    sd["state"] = {0: {"step": 2, "exp_avg": np.full(3, 0.1), "exp_avg_sq": np.full(3, 0.2)}}
    opt.load_state_dict(sd)
    state = opt.state[p]
    assert state["exp_avg"].dtype == np.float32
    np.testing.assert_array_equal(state["exp_avg"], np.float32(0.1))
    assert state["step"] == 2


# -- closures that raise -----------------------------------------------------------------
class ClosureFailed(Exception):
    pass


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
@pytest.mark.parametrize("steps_before", [0, 2])
def test_first_order_closure_error_changes_nothing(cls, kwargs, steps_before):
    params = make_params()
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.002}], **kwargs)
    run(opt, params, steps_before, skip={(1, 2)})
    before = frozen(opt, params)
    error = ClosureFailed("the objective failed", 7)
    with pytest.raises(ClosureFailed) as info:
        opt.step(quadratic_closure(opt, params, fail_at=1, error=error))
    assert info.value is error and info.value.args == ("the objective failed", 7)
    assert_unchanged(opt, params, before)
    # and it goes on as if the failed step had never been tried
    ref = make_params()
    ref_opt = cls([{"params": ref[:2]}, {"params": ref[2:], "lr": 0.002}], **kwargs)
    run(ref_opt, ref, steps_before + 2, skip={(1, 2)})
    run(opt, params, 2, start=steps_before, skip={(1, 2)})
    for p, q in zip(params, ref):
        np.testing.assert_array_equal(p.data, q.data)


LBFGS_CASES = [(np.float64, None), (np.float64, "strong_wolfe"),
               (np.float32, None), (np.float32, "strong_wolfe")]


@pytest.mark.parametrize("dtype,line_search_fn", LBFGS_CASES)
@pytest.mark.parametrize("steps_before", [0, 2])
@pytest.mark.parametrize("failure", ["raise", "string loss"])
def test_lbfgs_closure_failing_on_its_third_call_changes_nothing(dtype, line_search_fn,
                                                                 steps_before, failure):
    kwargs = dict(line_search_fn=line_search_fn, history_size=3, max_iter=6, lr=0.5)
    params = make_params(dtype)
    opt = optim.LBFGS(params, **kwargs)
    for _ in range(steps_before):
        opt.step(quadratic_closure(opt, params))
    before = frozen(opt, params)
    state_before = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                    for k, v in opt.state[params[0]].items()}
    calls = [0]
    if failure == "raise":
        error = ClosureFailed("third call", dtype)
        closure = quadratic_closure(opt, params, fail_at=3, error=error, calls=calls)
        with pytest.raises(ClosureFailed) as info:
            opt.step(closure)
        assert info.value is error and info.value.args == ("third call", dtype)
    else:
        good = quadratic_closure(opt, params, calls=calls)

        def closure():
            loss = good()
            return "1.0" if calls[0] == 3 else loss

        with pytest.raises(TypeError, match="closure must return the loss as a real number, "
                                            "got str '1.0'"):
            opt.step(closure)
    assert calls[0] == 3
    assert_unchanged(opt, params, before)
    state = opt.state[params[0]]
    assert state.keys() == state_before.keys() and (steps_before > 0) == bool(state)
    for k, v in state_before.items():
        np.testing.assert_array_equal(state[k], v, err_msg=k)
    # and it goes on as if the failed step had never been tried
    ref = make_params(dtype)
    ref_opt = optim.LBFGS(ref, **kwargs)
    for _ in range(steps_before + 2):
        ref_opt.step(quadratic_closure(ref_opt, ref))
    for _ in range(2):
        opt.step(quadratic_closure(opt, params))
    for p, q in zip(params, ref):
        np.testing.assert_array_equal(p.data, q.data)
    assert_same_state(opt.state_dict(), ref_opt.state_dict())


@pytest.mark.parametrize("loss,ok", [(np.float32(2.5), True), (np.array([2.5]), True),
                                     (np.array(2.5), True), (np.array([1.0, 2.0]), False),
                                     (None, False), (1 + 0j, False), ([2.5], False)])
def test_lbfgs_closure_must_return_a_real_loss(loss, ok):
    x = param()
    opt = optim.LBFGS([x], max_iter=1)

    def closure():
        x.grad = np.ones(3)
        return loss

    if ok:
        assert opt.step(closure) is loss
    else:
        with pytest.raises(TypeError, match="closure must return the loss as a real number"):
            opt.step(closure)
        np.testing.assert_array_equal(x.data, np.ones(3))
        assert opt.state_dict()["state"] == {}


# -- steps that cannot run ---------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_bad_value_edited_into_a_group_fails_before_anything_moves(cls, kwargs):
    params = make_params()
    opt = cls([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    run(opt, params, 2)
    key = "etas" if cls is optim.Rprop else "lr"   # Rprop reads lr only to start its state
    for edit, exc, pattern in [
            (lambda g: g.__setitem__(key, "fast"), TypeError,
             rf"^parameter group 1: {key} must be a .*real number"),
            (lambda g: g.__setitem__(key, None), TypeError,
             rf"^parameter group 1: {key} must be a .*real number"),
            (lambda g: g.pop(key), ValueError, rf"^parameter group 1 has no '{key}'$")]:
        group = dict(opt.param_groups[1])
        before = frozen(opt, params)
        edit(opt.param_groups[1])
        opt.zero_grad()
        for k, p in enumerate(params):
            p.grad = np.full(p.shape, 0.5 + k)
        with pytest.raises(exc, match=pattern):
            opt.step()
        opt.param_groups[1] = group
        assert_unchanged(opt, params, before)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_parameter_taken_over_fails_before_anything_moves(cls, kwargs):
    params = make_params()
    opt = cls([{"params": params[:2]}, {"params": params[2:]}], **kwargs)
    run(opt, params, 2)
    before = frozen(opt, params)
    optim.SGD([params[3]])   # takes over a parameter of the second group
    for p in params:
        p.grad = np.ones(p.shape)
    with pytest.raises(RuntimeError, match="taken over by another optimizer"):
        opt.step()
    for p, x in zip(params, before[0]):
        np.testing.assert_array_equal(p.data, x)
    assert_same_state(opt.state_dict(), before[1])


def test_lbfgs_bad_value_edited_into_its_group_fails_before_the_closure_runs():
    x = param()
    opt = optim.LBFGS([x])
    opt.param_groups[0]["tolerance_grad"] = "tight"
    calls = [0]
    with pytest.raises(TypeError, match="^parameter group 0: tolerance_grad must be a real"):
        opt.step(quadratic_closure(opt, [x], calls=calls))
    assert calls[0] == 0 and opt.state_dict()["state"] == {}


def test_array_hyperparameters_survive_save_state():
    """torch's Tensor lr and betas, as arrays in a group, go through the ``.npz`` file
    (which holds no pickle) with their dtype, and resume bit for bit."""
    import io

    kwargs = dict(lr=np.array(0.01, dtype=np.float32), betas=(np.array(0.8), np.array(0.99)))
    opt, params = built(optim.Adam, kwargs)
    x_mid = [p.data.copy() for p in params]
    buf = io.BytesIO()
    optim.save_state(buf, opt.state_dict())
    buf.seek(0)
    loaded = optim.load_state(buf)
    lr = loaded["param_groups"][0]["lr"]
    assert isinstance(lr, np.ndarray) and lr.dtype == np.float32 and lr == np.float32(0.01)
    run(opt, params, 3, start=3)
    resumed = [Parameter(x) for x in x_mid]
    opt2 = optim.Adam([{"params": resumed[:2]}, {"params": resumed[2:]}])
    opt2.load_state_dict(loaded)
    run(opt2, resumed, 3, start=3)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
