"""numopt.optim.lr_scheduler against torch 2.13's schedules (tests/data/sched_golden.npz).

The golden file is written by ``tools/make_golden_sched.py`` (needs torch); these tests
do not need torch.
"""

import copy
import json
import math
import os
import pickle
import re
import subprocess
import sys
import warnings
from collections import Counter

import numpy as np
import pytest

from numopt import Parameter, optim
from numopt.optim import lr_scheduler as nls

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "data", "sched_golden.npz")
RTOL = 1e-12

# Must agree with LAMBDAS in tools/make_golden_sched.py (same names, same functions).
LAMBDAS = {
    "exp0.95": lambda e: 0.95**e,
    "inv_sqrt": lambda e: 1.0 / math.sqrt(e + 1),
    "warmup10": lambda e: min(1.0, (e + 1) / 10),
    "const0.9": lambda e: 0.9,
    "alt": lambda e: 0.99 if e % 2 else 0.97,
    "sfn_half": lambda x: 0.5**x,
    "sfn_inv": lambda x: 1.0 / (1.0 + 0.1 * x),
}


def _load_golden():
    with np.load(GOLDEN) as data:
        arrays = {k: data[k] for k in data.files if k != "meta"}
        meta = json.loads(str(data["meta"]))
    return arrays, meta


ARRAYS, META = _load_golden()
CASES = META["cases"]
ERRORS = META["errors"]


# --------------------------------------------------------------------------- helpers


def _resolve(value):
    if isinstance(value, dict) and "lambda" in value:
        return LAMBDAS[value["lambda"]]
    if isinstance(value, list) and value and isinstance(value[0], dict) and "lambda" in value[0]:
        return [LAMBDAS[v["lambda"]] for v in value]
    return value


def build(opt, spec, last_epoch=None):
    """Build a scheduler from a golden JSON spec (mirror of the tool's ``build``)."""
    cls = getattr(nls, spec["cls"])
    if spec["cls"] == "SequentialLR":
        subs = [build(opt, s) for s in spec["schedulers"]]
        kw = {} if last_epoch is None else {"last_epoch": last_epoch}
        return cls(opt, schedulers=subs, milestones=spec["milestones"], **kw)
    if spec["cls"] == "ChainedScheduler":
        return cls([build(opt, s) for s in spec["schedulers"]], optimizer=opt)
    kwargs = {k: _resolve(v) for k, v in spec.get("kwargs", {}).items()}
    if last_epoch is not None:
        kwargs["last_epoch"] = last_epoch
    return cls(opt, **kwargs)


def make_optimizer(kind, lrs):
    """Two param groups with different learning rates, as in the golden tool."""
    p1 = Parameter(np.zeros(3))
    p2 = Parameter(np.zeros(2))
    groups = [{"params": [p1]}, {"params": [p2], "lr": lrs[1]}]
    if kind == "sgd":
        return optim.SGD(groups, lr=lrs[0], momentum=0.9)
    if kind == "sgd_plain":
        return optim.SGD(groups, lr=lrs[0])
    if kind == "adam":
        return optim.Adam(groups, lr=lrs[0], betas=(0.9, 0.999))
    raise ValueError(kind)


def _is_cycled(case):
    spec = case["sched"]
    return spec["cls"] in ("CyclicLR", "OneCycleLR") and spec["kwargs"].get("cycle_momentum", True)


def _snapshot(opt, sched, cycled, use_betas):
    lr = [g["lr"] for g in opt.param_groups]
    mom = beta2 = None
    if cycled:
        if use_betas:
            mom = [g["betas"][0] for g in opt.param_groups]
            beta2 = [g["betas"][1] for g in opt.param_groups]
        else:
            mom = [g["momentum"] for g in opt.param_groups]
    return lr, mom, beta2, list(sched.get_last_lr())


def _case(name):
    """A golden case's metadata, plus its name and whether it feeds a metric."""
    return dict(CASES[name], name=name, metrics=f"{name}/metrics" in ARRAYS)


def _advance(opt, sched, case, t):
    """Step ``t`` (0-based) of a golden case: optimizer step, then the scheduler's.

    Returns the scheduler, which is rebuilt at the case's resume step.
    """
    opt.step()
    if case["metrics"]:
        sched.step(ARRAYS[f"{case['name']}/metrics"][t])
    elif case.get("epochs") is not None:
        sched.step(case["epochs"][t])
    elif case.get("resume") is not None and t + 1 == case["resume"]:
        sched = build(opt, case["sched"], last_epoch=t)
    else:
        sched.step()
    return sched


def replay(name, start_opt=None, start_sched=None, start=0):
    """Replay a golden case (optionally from a restored optimizer/scheduler at ``start``)."""
    case = _case(name)
    cycled = _is_cycled(case)
    use_betas = case["opt"] == "adam"
    if start_opt is None:
        opt = make_optimizer(case["opt"], case["group_lrs"])
        with warnings.catch_warnings():
            # SequentialLR over a ChainedScheduler warns at construction, as in torch
            warnings.simplefilter("ignore")
            sched = build(opt, case["sched"])
    else:
        opt, sched = start_opt, start_sched
    rows = [_snapshot(opt, sched, cycled, use_betas)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecated step(epoch) warns
        for t in range(start, case["steps"]):
            sched = _advance(opt, sched, case, t)
            rows.append(_snapshot(opt, sched, cycled, use_betas))
    out = {"lr": np.array([r[0] for r in rows], dtype=np.float64)}
    if cycled:
        out["momentum"] = np.array([r[1] for r in rows], dtype=np.float64)
        if use_betas:
            out["beta2"] = np.array([r[2] for r in rows], dtype=np.float64)
    out["last_lr"] = np.array([r[3] for r in rows], dtype=np.float64)
    return out, opt, sched


def _golden(name, key):
    if key == "last_lr" and f"{name}/last_lr" not in ARRAYS:
        key = "lr"  # torch's get_last_lr() equalled the groups' lr throughout
    return ARRAYS[f"{name}/{key}"]


def _plain(value):
    """True if ``value`` holds only plain Python values (what pickle keeps portable)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):  # includes Counter (MultiStepLR's milestones, as torch)
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


# --------------------------------------------------------------------------- golden replay


def test_golden_file_is_complete():
    assert META["torch"].startswith("2.13")
    classes = set()

    def collect(spec):
        classes.add(spec["cls"])
        for s in spec.get("schedulers", []):
            collect(s)

    for case in CASES.values():
        collect(case["sched"])
    expected = set(nls.__all__) - {"LRScheduler", "InverseTimeDecay"}
    assert classes == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_matches_torch(name):
    out, _, sched = replay(name)
    for key in ("lr", "momentum", "beta2", "last_lr"):
        if key in out:
            np.testing.assert_allclose(out[key], _golden(name, key), rtol=RTOL, atol=0, err_msg=key)
    for key in ("momentum", "beta2"):
        assert (key in out) == (f"{name}/{key}" in ARRAYS)
    assert sorted(sched.state_dict()) == CASES[name]["state_dict_keys"]


RESUMABLE = sorted(n for n, c in CASES.items() if c["epochs"] is None and c["resume"] is None)


@pytest.mark.parametrize("name", RESUMABLE)
def test_state_dict_resume_through_pickle(name):
    """Save optimizer + scheduler mid-run, restore into fresh objects, finish the schedule."""
    case = _case(name)
    k = 23
    opt, sched = _run_prefix(name, k)
    blob = pickle.dumps({"opt": opt.state_dict(), "sched": sched.state_dict()})
    assert _plain(sched.state_dict())

    saved = pickle.loads(blob)
    opt2 = make_optimizer(case["opt"], case["group_lrs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # built before the optimizer's load_state_dict, as torch advises
        sched2 = build(opt2, case["sched"])
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])

    out, _, _ = replay(name, start_opt=opt2, start_sched=sched2, start=k)
    for key in ("lr", "momentum", "beta2", "last_lr"):
        if key in out:
            want = _golden(name, key)[k:]
            np.testing.assert_allclose(out[key], want, rtol=RTOL, atol=0, err_msg=key)


def _run_prefix(name, k):
    case = _case(name)
    opt = make_optimizer(case["opt"], case["group_lrs"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = build(opt, case["sched"])
        for t in range(k):
            sched = _advance(opt, sched, case, t)
    return opt, sched


def test_state_dict_round_trip_does_not_mutate_input():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.SequentialLR(
        opt, [nls.LambdaLR(opt, LAMBDAS["exp0.95"]), nls.StepLR(opt, 3)], milestones=[4]
    )
    sd = sched.state_dict()
    before = pickle.dumps(sd)
    sched.load_state_dict(sd)
    assert pickle.dumps(sd) == before
    assert sd["_schedulers"][0]["lr_lambdas"] == [None, None]  # functions are not saved


def test_lambda_callable_objects_are_saved():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.LambdaLR(opt, [Decay(0.5), LAMBDAS["exp0.95"]])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]
    sd["lr_lambdas"][0]["rate"] = 0.25
    other = nls.LambdaLR(make_optimizer("sgd", [0.1, 0.02]), [Decay(0.5), LAMBDAS["exp0.95"]])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].rate == 0.25
    assert "lr_lambdas" in sd


def test_multistep_milestones_counter():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.MultiStepLR(opt, [3, 3, 5])
    assert sched.state_dict()["milestones"] == Counter({3: 2, 5: 1})


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_invalid_arguments_raise_torch_message(name):
    case = ERRORS[name]
    expected = case["expected"]
    exc_type = {"ValueError": ValueError, "TypeError": TypeError, "KeyError": KeyError}[
        expected["type"]
    ]
    opt = make_optimizer(case.get("opt", "sgd"), [0.1, 0.02])
    with pytest.raises(exc_type) as info:
        if "steps" in case or "epoch" in case:
            sched = build(opt, case["sched"])
            for _ in range(case.get("steps", 0)):
                opt.step()
                sched.step()
            if "epoch" in case:
                sched.step(case["epoch"])
        else:
            build(opt, case["sched"])
    assert type(info.value) is exc_type
    assert str(info.value) == expected["message"]


def test_not_an_optimizer():
    with pytest.raises(TypeError, match="^object is not an Optimizer$"):
        nls.StepLR(object(), step_size=2)
    with pytest.raises(TypeError, match="^list is not an Optimizer$"):
        nls.ReduceLROnPlateau([])


def test_cycle_momentum_needs_momentum_or_betas():
    opt = optim.Adagrad([Parameter(np.zeros(2))], lr=0.1)
    msg = "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
    with pytest.raises(ValueError, match=re.escape(msg)):
        nls.CyclicLR(opt, base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match=re.escape(msg)):
        nls.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    nls.OneCycleLR(opt, max_lr=0.1, total_steps=10, cycle_momentum=False)


def test_composite_scheduler_checks():
    opt = make_optimizer("sgd", [0.1, 0.02])
    other = make_optimizer("sgd", [0.1, 0.02])
    foreign = nls.ExponentialLR(other, gamma=0.9)
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        nls.SequentialLR(opt, [nls.ExponentialLR(opt, 0.9), foreign], milestones=[2])
    with pytest.raises(ValueError, match="expects all schedulers to belong to the same optimizer"):
        nls.ChainedScheduler([nls.ExponentialLR(opt, 0.9), foreign])
    msg = "^{} at index {} should have `optimizer` as its attribute.$"
    with pytest.raises(TypeError, match=msg.format("SequentialLR", 0)):
        nls.SequentialLR(opt, [object()], milestones=[])
    with pytest.raises(TypeError, match=msg.format("ChainedScheduler", 1)):
        nls.ChainedScheduler([nls.ExponentialLR(opt, 0.9), object()])


def test_plateau_min_lrs_follow_new_param_groups():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.ReduceLROnPlateau(opt, patience=0, min_lr=0.001)
    opt.add_param_group({"params": [Parameter(np.zeros(1))], "lr": 0.5})
    sched.step(1.0)
    sched.step(2.0)
    assert sched.min_lrs == [0.001] * 3
    assert sched.get_last_lr() == pytest.approx([0.01, 0.002, 0.05])

    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.ReduceLROnPlateau(opt, patience=0, min_lr=[0.001, 0.001])
    opt.add_param_group({"params": [Parameter(np.zeros(1))], "lr": 0.5})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="differs from when `ReduceLROnPlateau` was initialized"):
        sched.step(2.0)


# --------------------------------------------------------------------------- warnings


def test_warns_when_scheduler_steps_before_optimizer():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.StepLR(opt, step_size=2)
    msg = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"
    with pytest.warns(UserWarning, match=re.escape(msg)):
        sched.step()


def test_no_warning_in_the_right_order():
    opt = make_optimizer("adam", [0.1, 0.02])
    sched = nls.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            sched.step()
    assert sched.get_last_lr() == [0.1 * 0.125, 0.02 * 0.125]
    assert opt.step._wrapped_by_lr_sched
    # A second scheduler on the same optimizer does not wrap it again.
    wrapped = opt.step
    nls.ConstantLR(opt)
    assert opt.step is wrapped


def test_warns_when_optimizer_step_was_replaced():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.StepLR(opt, step_size=2)
    opt.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="Seems like `optimizer.step\\(\\)` has been overridden"):
        sched.step()


def test_step_wrapper_returns_the_closure_loss():
    opt = make_optimizer("sgd", [0.1, 0.02])
    nls.StepLR(opt, step_size=2)
    assert opt.step(lambda: 3.5) == 3.5
    assert opt._opt_called


def test_get_lr_outside_step_warns():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match=re.escape("please use `get_last_lr()`")):
        sched.get_lr()


def test_step_with_epoch_is_deprecated():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.StepLR(opt, step_size=2)
    opt.step()
    msg = "The epoch parameter in `scheduler.step()` was not necessary"
    with pytest.warns(UserWarning, match=re.escape(msg)):
        sched.step(5)
    assert sched.last_epoch == 5
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.01, 0.02 * 0.01], rel=RTOL)


# --------------------------------------------------------------------------- pickling the optimizer


def test_optimizer_with_scheduler_still_pickles_and_copies():
    opt = make_optimizer("sgd", [0.1, 0.02])
    try:
        pickle.dumps(opt)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"the optimizer itself does not pickle: {exc!r}")
    nls.StepLR(opt, step_size=2)
    for clone in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert clone.step._wrapped_by_lr_sched
        assert clone.step._opt_ref() is clone
        clone.step()
        assert clone._opt_called


# --------------------------------------------------------------------------- InverseTimeDecay


@pytest.mark.parametrize("decay", [0.0, 1e-3, 0.05, 1.0, 7.5])
def test_inverse_time_decay_follows_its_formula(decay):
    opt = make_optimizer("adam", [0.1, 0.02])
    sched = nls.InverseTimeDecay(opt, decay=decay)
    got = [sched.get_last_lr()]
    for _ in range(1000):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr())
    t = np.arange(1001)[:, None]
    want = np.array([0.1, 0.02]) / (1.0 + decay * t)
    np.testing.assert_allclose(np.array(got), want, rtol=RTOL, atol=0)
    assert [g["lr"] for g in opt.param_groups] == got[-1]


def test_inverse_time_decay_closed_form_and_chaining():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.InverseTimeDecay(opt, decay=0.2)
    with pytest.warns(UserWarning):
        sched.step(9)
    assert sched.get_last_lr() == [0.1 / (1 + 0.2 * 9), 0.02 / (1 + 0.2 * 9)]

    opt = make_optimizer("sgd", [0.1, 0.02])
    chain = nls.ChainedScheduler(
        [nls.InverseTimeDecay(opt, decay=0.2), nls.ExponentialLR(opt, gamma=0.9)]
    )
    for t in range(1, 40):
        opt.step()
        chain.step()
        want = [b * 0.9**t / (1 + 0.2 * t) for b in (0.1, 0.02)]
        np.testing.assert_allclose(chain.get_last_lr(), want, rtol=RTOL, atol=0)


def test_inverse_time_decay_resume_and_validation():
    opt = make_optimizer("sgd", [0.1, 0.02])
    sched = nls.InverseTimeDecay(opt, decay=0.5)
    for _ in range(10):
        opt.step()
        sched.step()
    sd = pickle.loads(pickle.dumps(sched.state_dict()))
    assert _plain(sd)
    opt2 = make_optimizer("sgd", [0.1, 0.02])
    sched2 = nls.InverseTimeDecay(opt2, decay=0.5)
    opt2.load_state_dict(opt.state_dict())
    sched2.load_state_dict(sd)
    for t in range(11, 20):
        opt2.step()
        sched2.step()
        want = [0.1 / (1 + 0.5 * t), 0.02 / (1 + 0.5 * t)]
        np.testing.assert_allclose(sched2.get_last_lr(), want, rtol=RTOL, atol=0)

    with pytest.raises(ValueError, match=r"^Invalid decay value: -0.1$"):
        nls.InverseTimeDecay(opt, decay=-0.1)
    with pytest.raises(ValueError, match=r"^Invalid decay value: nan$"):
        nls.InverseTimeDecay(opt, decay=float("nan"))


# --------------------------------------------------------------------------- misc


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_schedule_reaches_the_optimizer_update(kind):
    """The optimizer reads the scheduled lr: a constant gradient moves w by exactly lr."""
    w = Parameter(np.zeros(1))
    opt = optim.SGD([w], lr=1.0) if kind == "sgd" else optim.Adam([w], lr=1.0)
    sched = nls.StepLR(opt, step_size=1, gamma=0.5)
    moves = []
    for _ in range(4):
        before = w.data.copy()
        w.grad = np.ones(1)
        opt.step()
        sched.step()
        moves.append(float(before[0] - w.data[0]))
    np.testing.assert_allclose(moves, [1.0, 0.5, 0.25, 0.125], rtol=1e-6)


def test_module_does_not_import_torch():
    code = "import sys, numopt.optim.lr_scheduler; assert 'torch' not in sys.modules"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
