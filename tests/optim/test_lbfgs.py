"""numopt.optim.LBFGS against torch 2.13 trajectories in ``tests/data/lbfgs_golden.npz``.

The data comes from ``tools/make_golden_lbfgs.py`` (see its docstring for the cases and
the layout); torch is not needed here. LBFGS calls its closure itself, so every case is
closed loop: the closure below computes the same analytic gradients as the script's, in
NumPy, at numopt's own iterates, and ``step()`` is called as many times as torch's was.

Tolerance
---------
Parameters and losses, elementwise, relative to the element's running maximum (as in
``test_trajectories.py``): after step k, ``|got_i - want_i| <= rtol * max_{s <= k}
|want_{s,i}|`` (rtol 1e-10 for float64, 1e-5 for float32). Counters (``func_evals``,
``n_iter``, the history length) must match exactly: they are torch's decisions, and a
different decision would show there first. The other state (``d``, ``prev_flat_grad``,
``t``, ``H_diag``, ``prev_loss``) is compared norm-wise with ``STATE_RTOL`` (1e-8 /
1e-3): near convergence ``y = g - prev_g`` is a difference of nearly equal gradients,
so ``H_diag`` and the direction carry a relative error far above the parameters'.

What differs from torch at all: the summation order of dot products of 4 or more
elements (torch calls BLAS), torch's fused multiply-add in float64 ``add_``, and
torch's float32 ``sqrt`` (not correctly rounded on the CPU that made the data). Short
float32 Rosenbrock runs without a line search avoid all three, and there numopt's
float32 arithmetic reproduces torch's bit for bit
(``test_float32_arithmetic_is_torchs``).
"""
import io
import json
import os
import pickle

import numpy as np
import pytest

from numopt import Parameter, optim

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_PATH = os.path.join(HERE, "..", "data", "lbfgs_golden.npz")
RTOL = {"float64": 1e-10, "float32": 1e-5}
STATE_RTOL = {"float64": 1e-8, "float32": 1e-3}
LAM = 1e-2


def _load():
    with np.load(DATA_PATH) as z:
        data = {k: z[k] for k in z.files}
    return json.loads(str(data.pop("meta"))), data


META, DATA = _load()


# -- the problems, as in tools/make_golden_lbfgs.py -----------------------------------------
def make_params(problem, dtype):
    if problem == "rosenbrock":
        return [Parameter(np.array([-1.2, 1.0], dtype=dtype))]
    if problem == "quadratic":
        return [Parameter(np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], dtype=dtype)),
                Parameter(np.array([-2.0, 1.0], dtype=dtype)),
                Parameter(np.array([0.3, -0.2, 0.1], dtype=dtype))]
    return [Parameter(np.zeros(5, dtype=dtype)), Parameter(np.array(0.5, dtype=dtype))]


def loss_and_grads(problem, params, dtype):
    # in float64, rounded to the parameters' dtype (as the script does in torch)
    P = [p.data.astype(np.float64) for p in params]
    if problem == "rosenbrock":
        x0, x1 = P[0]
        r = x1 - x0 * x0
        f = 100.0 * r * r + (1.0 - x0) * (1.0 - x0)
        grads = [np.array([-400.0 * x0 * r - 2.0 * (1.0 - x0), 200.0 * r])]
    elif problem == "quadratic":
        A, b = DATA["quadratic/A"], DATA["quadratic/b"]
        x = np.concatenate([P[0].reshape(-1), P[1].reshape(-1)])
        Ax = A @ x
        f = 0.5 * np.dot(x, Ax) - np.dot(b, x)
        g = Ax - b
        grads = [g[:6].reshape(2, 3), g[6:], None]
    else:
        X = DATA["logistic/X"]
        s = 2.0 * DATA["logistic/y"] - 1.0
        w, c = P
        z = X @ w + c
        f = np.mean(np.log1p(np.exp(-s * z))) + 0.5 * LAM * np.dot(w, w)
        gz = -s / (1.0 + np.exp(s * z)) / X.shape[0]
        grads = [X.T @ gz + LAM * w, gz.sum()]
    return dtype(f), [None if g is None else np.asarray(g, dtype=dtype) for g in grads]


def make_closure(opt, problem, params, dtype):
    def closure():
        opt.zero_grad()
        f, grads = loss_and_grads(problem, params, dtype)
        for p, g in zip(params, grads):
            if g is not None:
                p.grad = g
        return f
    return closure


def flat(params):
    return np.concatenate([p.data.reshape(-1).astype(np.float64) for p in params])


def _close(got, want, history, rtol):
    scale = np.max(np.abs(history), axis=0)
    return np.all(np.abs(got - want) <= rtol * scale)


CASES = [pytest.param(c, id=f"{c['id']}-{c['problem']}-{c['dtype']}-"
                      + "-".join(f"{k}={v}" for k, v in c["kwargs"].items())) for c in META]


@pytest.mark.parametrize("case", CASES)
def test_follows_torch(case):
    cid, problem, dtype = case["id"], case["problem"], np.dtype(case["dtype"]).type
    rtol = RTOL[case["dtype"]]
    params = make_params(problem, dtype)
    opt = optim.LBFGS(params, **case["kwargs"])
    closure = make_closure(opt, problem, params, dtype)
    want = DATA[f"{cid}/params"]
    np.testing.assert_array_equal(flat(params), want[0])
    for k in range(case["steps"]):
        loss = opt.step(closure)
        where = f"{cid} after step {k + 1}"
        st = opt.state[params[0]]
        assert st["func_evals"] == DATA[f"{cid}/func_evals"][k], where
        assert st["n_iter"] == DATA[f"{cid}/n_iter"][k], where
        assert len(st["old_dirs"]) == DATA[f"{cid}/history"][k], where
        got = flat(params)
        assert _close(got, want[k + 1], want[:k + 2], rtol), \
            f"{where}: params {got} vs torch {want[k + 1]}"
        losses = DATA[f"{cid}/loss"]
        assert _close(float(loss), losses[k], losses[:k + 1], rtol), where
        for key in ("d", "prev_flat_grad", "t", "H_diag", "prev_loss"):
            hist = DATA[f"{cid}/{key}"][:k + 1]
            got_v = np.asarray(st[key], dtype=np.float64)
            err = np.max(np.abs(got_v - hist[-1]))
            assert err <= STATE_RTOL[case["dtype"]] * np.max(np.abs(hist)), f"{where}: {key}"
        assert st["d"].dtype == st["prev_flat_grad"].dtype == dtype
        assert all(p.data.dtype == dtype for p in params)
    # the parameter without a gradient (quadratic's u) never moves
    if problem == "quadratic":
        np.testing.assert_array_equal(params[2].data, np.array([0.3, -0.2, 0.1], dtype=dtype))


def test_float32_arithmetic_is_torchs():
    # Rosenbrock (n = 2) without a line search: no BLAS-order dot, no sqrt, so the
    # emulated float32 arithmetic must give torch's numbers exactly.
    cases = [c for c in META if c["problem"] == "rosenbrock" and c["dtype"] == "float32"
             and "line_search_fn" not in c["kwargs"]]
    assert cases
    for case in cases:
        params = make_params("rosenbrock", np.float32)
        opt = optim.LBFGS(params, **case["kwargs"])
        closure = make_closure(opt, "rosenbrock", params, np.float32)
        for k in range(case["steps"]):
            opt.step(closure)
            np.testing.assert_array_equal(flat(params), DATA[f"{case['id']}/params"][k + 1])
            np.testing.assert_array_equal(opt.state[params[0]]["d"],
                                          DATA[f"{case['id']}/d"][k].astype(np.float32))


def _run(problem, dtype, kwargs, steps, opt=None, params=None):
    params = params or make_params(problem, dtype)
    opt = opt or optim.LBFGS(params, **kwargs)
    closure = make_closure(opt, problem, params, dtype)
    traj = []
    for _ in range(steps):
        traj.append(float(opt.step(closure)))
    return opt, params, traj


RESUME = [("rosenbrock", np.float64, dict(line_search_fn="strong_wolfe", max_iter=6, history_size=4)),
          ("logistic", np.float32, dict(max_iter=5, history_size=3)),
          ("quadratic", np.float64, dict(line_search_fn="strong_wolfe", max_iter=3))]


@pytest.mark.parametrize("problem,dtype,kwargs", RESUME)
@pytest.mark.parametrize("via", ["pickle", "save_state"])
def test_state_dict_resume_is_bit_exact(problem, dtype, kwargs, via):
    opt, params, _ = _run(problem, dtype, kwargs, 3)
    x_mid = [p.data.copy() for p in params]
    sd = opt.state_dict()
    _, _, tail = _run(problem, dtype, kwargs, 3, opt=opt, params=params)
    x_end = flat(params)
    if via == "pickle":
        sd = pickle.loads(pickle.dumps(sd))
    else:
        buf = io.BytesIO()
        optim.save_state(buf, sd)
        buf.seek(0)
        sd = optim.load_state(buf)
    params2 = make_params(problem, dtype)
    for p, x in zip(params2, x_mid):
        p.data = x
    opt2 = optim.LBFGS(params2, **kwargs)
    opt2.load_state_dict(sd)
    _, _, tail2 = _run(problem, dtype, kwargs, 3, opt=opt2, params=params2)
    assert tail2 == tail
    np.testing.assert_array_equal(flat(params2), x_end)
    s1, s2 = opt.state_dict()["state"][0], opt2.state_dict()["state"][0]
    assert s1.keys() == s2.keys()
    for key in s1:
        np.testing.assert_array_equal(s1[key], s2[key], err_msg=key)


def test_state_layout():
    params = make_params("quadratic", np.float32)
    opt = optim.LBFGS(params, history_size=4, max_iter=3)
    assert opt.state_dict()["state"] == {} and len(opt.state) == 0
    closure = make_closure(opt, "quadratic", params, np.float32)
    opt.step(closure)
    st = opt.state[params[0]]
    assert list(st) == ["func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro",
                        "H_diag", "prev_flat_grad", "prev_loss", "al"]
    assert st["d"].shape == (11,) and st["d"].dtype == np.float32
    k = len(st["old_dirs"])
    assert st["old_dirs"].shape == st["old_stps"].shape == (k, 11) and st["ro"].shape == (k,)
    assert st["al"].shape == (4,) and np.isnan(st["al"][k:]).all()
    assert isinstance(st["t"], float) and isinstance(st["func_evals"], int)
    assert opt.state[params[1]] == {}          # torch keeps everything under params[0]
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    assert sd["param_groups"][0]["params"] == [0, 1, 2]
    assert sd["param_groups"][0]["max_eval"] == 3 * 5 // 4


def test_converged_first_call_keeps_only_counters():
    # An initial gradient below tolerance_grad returns at once, as torch does: the
    # state then holds only the counters.
    x = Parameter(np.array([1.0, 1.0]))
    opt = optim.LBFGS([x])
    closure = make_closure(opt, "rosenbrock", [x], np.float64)
    assert opt.step(closure) == 0.0
    assert opt.state[x] == {"func_evals": 1, "n_iter": 0}
    np.testing.assert_array_equal(x.data, [1.0, 1.0])


def test_load_state_dict_accepts_lists():
    # torch's own layout: lists of flat arrays for the history, None in al.
    opt, params, _ = _run("rosenbrock", np.float64, dict(history_size=3, lr=0.1), 1)
    sd = opt.state_dict()
    st = sd["state"][0]
    st2 = dict(st, old_dirs=list(st["old_dirs"]), old_stps=list(st["old_stps"]),
               ro=[float(r) for r in st["ro"]],
               al=[None if np.isnan(a) else float(a) for a in st["al"]])
    x = params[0].data.copy()
    opt2 = optim.LBFGS([Parameter(x.copy())], history_size=3, lr=0.1)
    opt2.load_state_dict(dict(sd, state={0: st2}))
    for key, value in opt2.state_dict()["state"][0].items():
        np.testing.assert_array_equal(value, st[key], err_msg=key)


@pytest.mark.parametrize("history_size,fail_at", [(100, 4), (2, 9), (3, 7)])
def test_closure_error_restores_parameters_and_state(history_size, fail_at):
    kwargs = dict(line_search_fn="strong_wolfe", max_iter=8, history_size=history_size)
    params = make_params("rosenbrock", np.float64)
    opt = optim.LBFGS(params, **kwargs)
    good = make_closure(opt, "rosenbrock", params, np.float64)
    opt.step(good)
    x_before = params[0].data.copy()
    sd_before = opt.state_dict()
    calls = [0]

    def flaky():
        calls[0] += 1
        if calls[0] == fail_at:   # a few iterations into the step
            raise ZeroDivisionError("boom")
        return good()

    with pytest.raises(ZeroDivisionError, match="boom"):
        opt.step(flaky)
    np.testing.assert_array_equal(params[0].data, x_before)
    sd_after = opt.state_dict()
    for key, value in sd_before["state"][0].items():
        np.testing.assert_array_equal(sd_after["state"][0][key], value, err_msg=key)
    # and the next steps are the ones an uninterrupted optimizer takes
    ref = make_params("rosenbrock", np.float64)
    ref_opt = optim.LBFGS(ref, **kwargs)
    ref_closure = make_closure(ref_opt, "rosenbrock", ref, np.float64)
    for _ in range(3):
        ref_opt.step(ref_closure)
    opt.step(good)
    opt.step(good)
    np.testing.assert_array_equal(params[0].data, ref[0].data)
    assert opt.state[params[0]]["func_evals"] == ref_opt.state[ref[0]]["func_evals"]


def test_closure_error_on_first_step_leaves_no_state():
    x = Parameter(np.array([-1.2, 1.0]))
    opt = optim.LBFGS([x])

    def bad():
        raise RuntimeError("no")

    with pytest.raises(RuntimeError, match="no"):
        opt.step(bad)
    assert opt.state_dict()["state"] == {}
    np.testing.assert_array_equal(x.data, [-1.2, 1.0])


def test_options_edited_between_steps_take_effect():
    params = make_params("rosenbrock", np.float64)
    opt = optim.LBFGS(params, lr=0.01, max_iter=3, max_eval=10)
    closure = make_closure(opt, "rosenbrock", params, np.float64)
    opt.step(closure)
    assert opt.state[params[0]]["n_iter"] == 3
    opt.param_groups[0]["max_iter"] = 5
    opt.param_groups[0]["max_eval"] = 100
    opt.step(closure)
    assert opt.state[params[0]]["n_iter"] == 8
    opt.param_groups[0]["line_search_fn"] = "strong_wolfe"
    opt.param_groups[0]["tolerance_grad"] = 1e3       # converged at once: one evaluation
    opt.step(closure)
    assert opt.state[params[0]]["n_iter"] == 8
    assert opt.state[params[0]]["func_evals"] == 3 + 5 + 1


def test_errors():
    x = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([x], lr=-1)
    with pytest.raises(ValueError, match="Tensor lr must be 1-element"):
        optim.LBFGS([x], lr=np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match=r"doesn't support per-parameter options \(parameter groups\)"):
        optim.LBFGS([{"params": [x]}, {"params": [Parameter(np.zeros(1))]}])
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.LBFGS([])
    with pytest.raises(ValueError, match="same dtype"):
        optim.LBFGS([Parameter(np.zeros(2)), Parameter(np.zeros(2, dtype=np.float32))])
    with pytest.raises(ValueError, match="history_size"):
        optim.LBFGS([x], history_size=0)
    opt = optim.LBFGS([x], line_search_fn="backtracking")
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        opt.step(lambda: 0.0)
    opt = optim.LBFGS([x])
    with pytest.raises(TypeError):
        opt.step()                      # the closure is required, as in torch
    opt.add_param_group({"params": [Parameter(np.zeros(1))]})
    with pytest.raises(ValueError, match="parameter groups"):
        opt.step(lambda: 0.0)


def test_history_size_cannot_change():
    opt, params, _ = _run("rosenbrock", np.float64, dict(history_size=3), 1)
    opt.param_groups[0]["history_size"] = 5
    with pytest.raises(ValueError, match="history_size cannot change"):
        opt.step(make_closure(opt, "rosenbrock", params, np.float64))


def test_load_state_dict_errors():
    opt, params, _ = _run("rosenbrock", np.float64, dict(history_size=3), 1)
    sd = opt.state_dict()
    other = optim.LBFGS([Parameter(np.zeros(3))], history_size=3)
    with pytest.raises(ValueError, match="elements"):
        other.load_state_dict(sd)
    assert other.state_dict()["state"] == {}        # nothing changed
    st = dict(sd["state"][0], al=np.zeros(7))
    with pytest.raises(ValueError, match="'al'"):
        opt.load_state_dict(dict(sd, state={0: st}))
