"""Behaviour every optimizer shares: dtypes, skipped parameters, groups, state_dict,
resume, errors, and the driver choice.

Trajectories against torch live in test_trajectories.py; here the references are
invariants, or numopt itself run another way (one optimizer per parameter, serial vs.
threaded driver, uninterrupted vs. resumed).
"""
import inspect
import io
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numopt import Parameter, config, optim
from numopt.testing import optimizers as table

# (class, kwargs): every optimizer of the table with its options switched on.
OPTIMIZERS, IDS = table.configs()
CLASSES = table.classes()
SHAPES = [(3,), (2, 3), (), (4, 1, 2)]


def make_params(dtype=np.float64, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]


def grad_of(p, k):
    """A deterministic gradient that depends on the iterate (closed loop)."""
    x = p.data
    return (np.cos(np.arange(x.size) + k).reshape(x.shape) + 0.5 * x).astype(x.dtype)


def run(opt, params, steps, start=0, skip=()):
    for k in range(start, start + steps):
        opt.zero_grad()
        for j, p in enumerate(params):
            if (k, j) not in skip:
                p.grad = grad_of(p, k)
        opt.step()


def snapshot(opt, params):
    sd = opt.state_dict()
    return [p.data.copy() for p in params], sd


def assert_same_state(sd_a, sd_b):
    assert sd_a["state"].keys() == sd_b["state"].keys()
    for pid in sd_a["state"]:
        a, b = sd_a["state"][pid], sd_b["state"][pid]
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=f"state {pid}/{key}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_dtype_and_shapes_are_preserved(cls, kwargs, dtype):
    params = make_params(dtype)
    opt = cls(params, **kwargs)
    run(opt, params, 5)
    for p, shape in zip(params, SHAPES):
        assert p.data.dtype == dtype and p.data.shape == shape
        assert np.all(np.isfinite(p.data))
        for key, value in opt.state[p].items():
            if isinstance(value, np.ndarray):
                assert value.dtype == dtype, key
                if table.info(cls).param_shaped_state:
                    assert value.shape == shape, key
            else:
                assert isinstance(value, (int, float)), key


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_parameter_without_grad_is_skipped_and_gets_no_state(cls, kwargs):
    params = make_params()
    frozen = params[1]
    before = frozen.data.copy()
    initial = [p.data.copy() for p in params]
    opt = cls(params, **kwargs)
    for k in range(3):
        opt.zero_grad()
        for j, p in enumerate(params):
            if p is not frozen:
                p.grad = grad_of(p, k)
        opt.step()
    np.testing.assert_array_equal(frozen.data, before)
    if table.info(cls).eager_state:  # torch creates Adagrad's state at construction
        assert opt.state[frozen]["step"] == 0
    else:
        assert frozen not in opt.state
    for p, x0 in zip(params, initial):
        if p is not frozen:
            assert not np.array_equal(p.data, x0)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_skipped_steps_match_per_parameter_optimizers(cls, kwargs):
    """Parameters whose step counts diverge (grad None on some steps) are updated as if
    each had an optimizer of its own; exercises the split into runs."""
    skip = {(1, 0), (2, 0), (2, 2), (4, 3)}
    params = make_params()
    opt = cls(params, **kwargs)
    run(opt, params, 7, skip=skip)
    for j, shape in enumerate(SHAPES):
        alone = make_params(shapes=SHAPES)[j]
        single = cls([alone], **kwargs)
        for k in range(7):
            single.zero_grad()
            if (k, j) not in skip:
                alone.grad = grad_of(alone, k)
            single.step()
        np.testing.assert_array_equal(params[j].data, alone.data)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_state_dict_resume_is_bit_exact(cls, kwargs):
    params = make_params()
    opt = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.003}], **kwargs)
    run(opt, params, 6)
    saved_params, sd = snapshot(opt, params)
    sd = pickle.loads(pickle.dumps(sd))
    run(opt, params, 6, start=6)

    resumed = [Parameter(x.copy()) for x in saved_params]
    opt2 = cls([{"params": resumed[:2]}, {"params": resumed[2:], "lr": 0.5}], **kwargs)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.003
    run(opt2, resumed, 6, start=6)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
    assert_same_state(opt.state_dict(), opt2.state_dict())


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS[:8], ids=IDS[:8])
def test_save_state_npz_round_trip_without_pickle(cls, kwargs, tmp_path):
    params = make_params()
    opt = cls(params, **kwargs)
    run(opt, params, 3)
    path = tmp_path / "state.npz"
    optim.save_state(path, opt.state_dict())
    loaded = optim.load_state(path)
    assert loaded["param_groups"] == opt.state_dict()["param_groups"]
    assert_same_state(loaded, opt.state_dict())
    opt.load_state_dict(loaded)
    assert_same_state(loaded, opt.state_dict())


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_closure_that_raises_leaves_parameters_and_state_untouched(cls, kwargs):
    params = make_params()
    opt = cls(params, **kwargs)
    run(opt, params, 2)
    before_params, before_sd = snapshot(opt, params)

    def closure():
        opt.zero_grad()
        for p in params:
            p.grad = np.full(p.shape, 1e3)
        raise RuntimeError("objective failed")

    with pytest.raises(RuntimeError, match="objective failed"):
        opt.step(closure)
    for p, x in zip(params, before_params):
        np.testing.assert_array_equal(p.data, x)
    assert_same_state(opt.state_dict(), before_sd)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_step_returns_closure_loss(cls, kwargs):
    params = make_params()
    opt = cls(params, **kwargs)

    def closure():
        opt.zero_grad()
        for p in params:
            p.grad = grad_of(p, 0)
        return 42.5

    assert opt.step(closure) == 42.5
    assert opt.step() is None


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_threaded_and_serial_drivers_agree_bitwise(cls, kwargs, monkeypatch):
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(50_001)
    results = []
    for threshold in (0, 10**12):
        monkeypatch.setattr(config, "PARALLEL_THRESHOLD", threshold)
        p = Parameter(x0.copy())
        opt = cls([p], **kwargs)
        run(opt, [p], 3)
        results.append(p.data.copy())
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_mixed_dtypes_in_one_group_match_separate_optimizers(cls, kwargs):
    p32 = make_params(np.float32, shapes=[(5,)])[0]
    p64 = make_params(np.float64, seed=1, shapes=[(4,)])[0]
    a32 = Parameter(p32.data.copy())
    a64 = Parameter(p64.data.copy())
    opt = cls([p32, p64], **kwargs)
    run(opt, [p32, p64], 4)
    for alone in (a32, a64):
        single = cls([alone], **kwargs)
        run(single, [alone], 4)
    np.testing.assert_array_equal(p32.data, a32.data)
    np.testing.assert_array_equal(p64.data, a64.data)


def test_group_lr_edits_take_effect_between_steps():
    w = Parameter(np.array([1.0]))
    opt = optim.SGD([w], lr=0.1)
    w.grad = np.array([1.0])
    opt.step()
    opt.param_groups[0]["lr"] = 0.5
    opt.step()
    np.testing.assert_allclose(w.data, [1.0 - 0.1 - 0.5])


def test_param_groups_take_their_own_options_and_defaults():
    w, b = Parameter(np.ones(2)), Parameter(np.ones(1))
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 1e-3}], lr=1e-2, momentum=0.9)
    assert opt.param_groups[0]["lr"] == 1e-2 and opt.param_groups[1]["lr"] == 1e-3
    assert opt.param_groups[1]["momentum"] == 0.9
    w.grad, b.grad = np.ones(2), np.ones(1)
    opt.step()
    np.testing.assert_allclose(w.data, 1 - 1e-2)
    np.testing.assert_allclose(b.data, 1 - 1e-3)


def test_add_param_group_and_named_parameters():
    w, b, c = (Parameter(np.ones(2)) for _ in range(3))
    opt = optim.Adam([("weight", w), ("bias", b)], lr=1e-3)
    opt.add_param_group({"params": [("extra", c)], "lr": 0.1})
    sd = opt.state_dict()
    assert sd["param_groups"][0]["param_names"] == ["weight", "bias"]
    assert sd["param_groups"][1]["param_names"] == ["extra"]
    assert sd["param_groups"][1]["params"] == [2]
    assert sd["param_groups"][1]["betas"] == (0.9, 0.999)
    c.grad = np.ones(2)
    opt.step()
    np.testing.assert_allclose(c.data, 1 - 0.1, rtol=1e-6)
    with pytest.raises(ValueError, match="with/without names"):
        opt.add_param_group({"params": [Parameter(np.ones(1))]})


def test_zero_grad_set_to_none_false_zeroes_existing_gradients():
    w, b = Parameter(np.ones(3)), Parameter(np.ones(2))
    opt = optim.SGD([w, b], lr=0.1)
    w.grad = np.full(3, 7.0)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(w.grad, np.zeros(3))
    assert b.grad is None
    opt.zero_grad()
    assert w.grad is None


def test_parameter_data_is_a_view_into_the_flat_buffer():
    x = np.arange(6.0).reshape(2, 3)
    w = Parameter(x)
    assert w.data is x  # shared until adopted
    opt = optim.SGD([w], lr=1.0)
    assert w.data is not x and np.array_equal(w.data, x)
    assert w.data.ctypes.data % config.ALIGN == 0
    w.data = np.zeros((2, 3))
    w.grad = np.ones((2, 3))
    opt.step()
    np.testing.assert_array_equal(np.asarray(w), -np.ones((2, 3)))
    state_view = optim.Adam([w]).state
    assert len(state_view) == 0


def test_state_arrays_are_live_views():
    w = Parameter(np.ones(3))
    opt = optim.Adam([w], lr=0.1)
    w.grad = np.ones(3)
    opt.step()
    opt.state[w]["exp_avg"][...] = 0
    assert np.all(opt.state_dict()["state"][0]["exp_avg"] == 0)


def test_parameter_taken_over_by_a_new_optimizer():
    w = Parameter(np.ones(3))
    old = optim.SGD([w], lr=0.1)
    w.grad = np.ones(3)
    old.step()
    new = optim.Adam([w], lr=0.1)
    np.testing.assert_allclose(w.data, 0.9)
    np.testing.assert_allclose(w.grad, 1.0)  # the gradient moves along
    new.step()
    with pytest.raises(RuntimeError, match="taken over by another optimizer"):
        old.step()


# -- invalid input --------------------------------------------------------------------
def negative_lr_message(cls, lr):
    """torch 2.13's message for a negative learning rate (Adafactor words it its own way)."""
    if cls is optim.Adafactor:
        return f"Learning rate should be >= 0 but is: {lr}"
    return f"Invalid learning rate: {lr}"


@pytest.mark.parametrize("cls", CLASSES)
def test_negative_learning_rate_is_rejected_with_torchs_message(cls):
    with pytest.raises(ValueError, match="^" + re.escape(negative_lr_message(cls, -0.1)) + "$"):
        cls([Parameter(np.ones(2))], lr=-0.1)


@pytest.mark.parametrize("cls", [c for c in CLASSES if "betas" in inspect.signature(c).parameters])
@pytest.mark.parametrize("betas,index", [((1.0, 0.999), 0), ((-0.1, 0.9), 0), ((0.9, 1.0), 1), ((0.9, 1.5), 1)])
def test_betas_outside_unit_interval_are_rejected(cls, betas, index):
    with pytest.raises(ValueError, match=rf"^Invalid beta parameter at index {index}: "):
        cls([Parameter(np.ones(2))], betas=betas)


@pytest.mark.parametrize("cls,kwargs,message", [
    (optim.SGD, dict(momentum=-1), "Invalid momentum value: -1"),
    (optim.SGD, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum requires"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (optim.Adam, dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
    (optim.RMSprop, dict(alpha=-1), "Invalid alpha value: -1"),
    (optim.RMSprop, dict(momentum=-1), "Invalid momentum value: -1"),
    (optim.Rprop, dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (optim.ASGD, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.Adam, dict(differentiable=True), "differentiable=True is not supported"),
    (optim.Adam, dict(capturable=True), "capturable=True is not supported"),
])
def test_invalid_options_raise_value_error(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls([Parameter(np.ones(2))], **kwargs)


def test_foreach_and_fused_are_accepted():
    opt = optim.Adam([Parameter(np.ones(2))], foreach=True, fused=True)
    assert opt.defaults["fused"] is True


@pytest.mark.parametrize("bad", [np.arange(3), np.ones(3, dtype=np.int32), np.ones(2, dtype=complex),
                                 [1.0, 2.0], np.ones(2, dtype=np.float16)])
def test_non_float_parameters_raise_type_error(bad):
    with pytest.raises(TypeError, match="float32 or float64"):
        Parameter(bad)


def test_gradient_shape_and_dtype_are_checked():
    w = Parameter(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"gradient has shape \(3, 2\)"):
        w.grad = np.ones((3, 2))
    with pytest.raises(TypeError, match="gradient must be floating point"):
        w.grad = np.ones((2, 3), dtype=np.int64)
    optim.SGD([w])
    with pytest.raises(ValueError, match="gradient has shape"):
        w.grad = np.ones(6)
    assert w.grad is None


@pytest.mark.parametrize("params,exc,message", [
    ([], ValueError, "optimizer got an empty parameter list"),
    ({Parameter(np.ones(1))}, TypeError, "ordered collections"),
    ([np.ones(2)], TypeError, "optimizer can only optimize Parameters"),
])
def test_bad_parameter_lists(params, exc, message):
    with pytest.raises(exc, match=message):
        optim.SGD(params if not isinstance(params, set) else [{"params": params}])


def test_parameter_in_two_groups_or_twice_in_one_is_rejected():
    w = Parameter(np.ones(2))
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w]}, {"params": [w]}])
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([w, w])


def test_load_state_dict_validates_before_changing_anything():
    params = make_params()
    opt = optim.Adam(params, lr=0.01)
    run(opt, params, 2)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": sd["param_groups"] * 2})
    bad = pickle.loads(pickle.dumps(sd))
    bad["param_groups"][0]["params"] = bad["param_groups"][0]["params"][:2]
    with pytest.raises(ValueError, match="doesn't match the size"):
        opt.load_state_dict(bad)
    bad = pickle.loads(pickle.dumps(sd))
    bad["state"][0]["exp_avg"] = np.zeros(7)
    bad["param_groups"][0]["lr"] = 99.0
    with pytest.raises(ValueError, match="has shape"):
        opt.load_state_dict(bad)
    assert opt.param_groups[0]["lr"] == 0.01
    assert_same_state(opt.state_dict(), sd)


# -- properties -----------------------------------------------------------------------
finite = st.floats(-10, 10, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(lr=st.floats(0, 1), momentum=st.floats(0, 0.99), dampening=st.floats(0, 1),
       nesterov=st.booleans(), x=st.lists(finite, min_size=1, max_size=5))
def test_sgd_zero_gradient_without_weight_decay_leaves_parameters_unchanged(
        lr, momentum, dampening, nesterov, x):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    x0 = np.array(x)
    w = Parameter(x0.copy())
    opt = optim.SGD([w], lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov)
    for _ in range(3):
        w.grad = np.zeros_like(x0)
        opt.step()
    np.testing.assert_array_equal(w.data, x0)


@settings(max_examples=25, deadline=None)
@given(case=st.sampled_from(OPTIMIZERS), x=st.lists(finite, min_size=1, max_size=4),
       steps=st.integers(1, 6))
def test_maximize_f_equals_minimize_negative_f(case, x, steps):
    cls, kwargs = case
    kwargs = dict(kwargs, maximize=False)
    x0 = np.array(x)
    a, b = Parameter(x0.copy()), Parameter(x0.copy())
    opt_max = cls([a], **dict(kwargs, maximize=True))
    opt_min = cls([b], **kwargs)
    for k in range(steps):
        g = -grad_of(a, k)              # gradient of f = -(objective of grad_of)
        a.grad = g
        opt_max.step()
        b.grad = -g                     # gradient of -f
        opt_min.step()
    np.testing.assert_array_equal(a.data, b.data)


@settings(max_examples=20, deadline=None)
@given(case=st.sampled_from(OPTIMIZERS), split=st.integers(0, 8), total=st.integers(1, 8))
def test_resume_equals_uninterrupted(case, split, total):
    cls, kwargs = case
    split = min(split, total)
    params = make_params(shapes=[(3,), (2,)])
    opt = cls(params, **kwargs)
    run(opt, params, split)
    saved, sd = snapshot(opt, params)
    buf = io.BytesIO()
    optim.save_state(buf, sd)
    run(opt, params, total - split, start=split)
    resumed = [Parameter(x) for x in saved]
    opt2 = cls(resumed, **kwargs)
    buf.seek(0)
    opt2.load_state_dict(optim.load_state(buf))
    run(opt2, resumed, total - split, start=split)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("cls,kwargs", OPTIMIZERS, ids=IDS)
def test_resume_with_diverged_step_counts_is_bit_exact(cls, kwargs):
    """Parameters skipped on some steps carry their own scalar state through a save/load."""
    skip = {(0, 1), (1, 1), (3, 0)}
    params = make_params()
    opt = cls(params, **kwargs)
    run(opt, params, 5, skip=skip)
    saved, sd = snapshot(opt, params)
    run(opt, params, 4, start=5)
    resumed = [Parameter(x) for x in saved]
    opt2 = cls(resumed, **kwargs)
    opt2.load_state_dict(sd)
    run(opt2, resumed, 4, start=5)
    for p, q in zip(params, resumed):
        np.testing.assert_array_equal(p.data, q.data)
