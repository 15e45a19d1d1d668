"""The ``numopt demo`` linear-regression demo: its numbers, its output and its CLI.

The demo runs in-process once per module (about a second once the rules are compiled):
every optimizer with 10 printed steps and a budget of 500 steps, the default, from
seed 0. With a constant learning rate and full-batch gradients the optimizers
converge at very different speeds, so each gets a tolerance that follows from how it
behaves on this problem (see ``test_budget_results``).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numopt import __main__ as cli
from numopt import _demo

REPO = Path(__file__).resolve().parent.parent
STEPS, BUDGET, SEED = 10, 500, 0
ALL = list(_demo.OPTIMIZER_LRS)


@pytest.fixture(scope="module")
def demo():
    lines = []
    results = _demo.run_linear_regression(out=lines.append, steps=STEPS, budget=BUDGET, seed=SEED)
    return results, lines


def _error(r, target):
    return max(abs(r["A"] - target[0]), abs(r["b"] - target[1]))


def test_runs_every_optimizer_in_order(demo):
    results, _ = demo
    assert list(results["optimizers"]) == ALL
    assert ALL == ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam",
                   "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD"]


def test_data_and_least_squares(demo):
    results, _ = demo
    x, t, _ = _demo.make_linear_data(n=100, seed=SEED)
    assert x.shape == t.shape == (100, 1)
    design = np.hstack([x, np.ones_like(x)])
    a, b = np.linalg.solve(design.T @ design, design.T @ t[:, 0])    # normal equations
    np.testing.assert_allclose(results["lstsq"], (a, b), rtol=1e-12)
    # Noise 0.1 on 100 points: the fit lands within a few 0.1/sqrt(100) of the truth,
    # and the least-squares loss is about the noise variance, 0.01.
    assert abs(a - _demo.TRUE_A) < 0.05 and abs(b - _demo.TRUE_B) < 0.05
    assert 0.005 < results["lstsq_loss"] < results["true_loss"] < 0.02


def test_gradient_matches_finite_differences():
    x, t, rng = _demo.make_linear_data(n=100, seed=3)
    w, b = _demo.initial_point(rng)
    _, gw, gb = _demo.mse_and_grad(w, b, x, t)
    h = 1e-6
    for k, (dw, db) in enumerate([(h, 0.0), (0.0, h)]):
        fp = _demo.mse_and_grad(w + dw, b + db, x, t)[0]
        fm = _demo.mse_and_grad(w - dw, b - db, x, t)[0]
        expected = gw[0, 0] if k == 0 else gb[0]
        assert abs((fp - fm) / (2 * h) - expected) < 1e-6 * max(1.0, abs(expected))


def test_budget_results(demo):
    results, _ = demo
    ls = results["lstsq"]
    opt = results["optimizers"]
    x, t, _ = _demo.make_linear_data(n=100, seed=SEED)

    # Linear convergence: the MSE Hessian 2 [[mean x^2, mean x], [mean x, 1]] has
    # eigenvalues near 2, so SGD contracts by about 1 - 0.05 * 2 = 0.9 per step, and
    # 0.9 ** 500 is 1e-23. RMSprop with alpha=0.99 also reaches the solution to ~1e-15
    # by step 500 (later its normaliser decays and it drifts off again, so only 1e-6).
    assert _error(opt["SGD"], ls) < 1e-10
    assert _error(opt["RMSprop"], ls) < 1e-6
    # Adam and Rprop settle to ~2e-7 (torch 2.13 lands on the same digits); NAdam's
    # momentum schedule still leaves ~1e-4.
    assert _error(opt["Adam"], ls) < 1e-5
    assert _error(opt["Rprop"], ls) < 1e-5
    assert _error(opt["NAdam"], ls) < 1e-3
    # Adamax (1e-2) and RAdam (6e-2) are still in their transient after 500 steps.
    assert _error(opt["Adamax"], ls) < 0.1
    assert _error(opt["RAdam"], ls) < 0.1

    # ASGD's default lambd=1e-4 shrinks p by (1 - lambd * eta) every step, so it
    # converges to the ridge solution (H + lambd I) p = H p_ls of the MSE Hessian H,
    # about 2.6e-4 away from least squares, not to least squares itself.
    design = np.hstack([x, np.ones_like(x)])
    hess = 2.0 / len(x) * design.T @ design
    ridge = np.linalg.solve(hess + 1e-4 * np.eye(2), hess @ np.array(ls))
    assert _error(opt["ASGD"], ridge) < 1e-6
    assert 1e-4 < _error(opt["ASGD"], ls) < 1e-3

    # AdamW's default decoupled weight_decay=0.01 pulls both coefficients towards 0.
    assert ls[0] - 0.2 < opt["AdamW"]["A"] < ls[0] - 0.01
    assert ls[1] - 0.2 < opt["AdamW"]["b"] < ls[1]

    # Adagrad at lr=0.05 moves each coordinate by lr * g_t / sqrt(sum g_s^2) <= lr / sqrt(t)
    # (the gradient only shrinks here), so in 500 steps by at most
    # 0.05 * 2 * sqrt(500) = 2.2: it cannot reach A_ls ~ 5.1 from A0 ~ -0.6.
    a0, b0 = results["initial"]
    assert abs(opt["Adagrad"]["A"] - a0) <= 0.05 * 2 * np.sqrt(BUDGET)
    assert _error(opt["Adagrad"], ls) > 1.0
    # Adadelta starts with steps of about sqrt(eps)=1e-3 and only slowly grows them.
    assert _error(opt["Adadelta"], ls) > 1.0
    for name in ("Adagrad", "Adadelta"):
        assert np.all(np.diff(opt[name]["losses"]) < 0), name     # steady descent, no overshoot
    # SGD's loss falls strictly until it reaches the least-squares floor (to rounding).
    assert np.all(np.diff(opt["SGD"]["losses"][:150]) < 0)
    assert opt["SGD"]["loss"] == pytest.approx(results["lstsq_loss"], rel=1e-12)

    for name in ALL:
        r = opt[name]
        assert r["losses"].shape == (BUDGET,)
        assert r["losses"][0] == pytest.approx(results["initial_loss"], rel=1e-12)
        assert r["loss"] < results["initial_loss"]
        assert r["seconds"] > 0


def test_printed_trajectory_sgd_matches_plain_numpy(demo):
    # SGD is p -= lr * g: redo the ten printed steps by hand.
    results, _ = demo
    x, t, rng = _demo.make_linear_data(n=100, seed=SEED)
    w, b = _demo.initial_point(rng)
    expected = []
    for _ in range(STEPS):
        _, gw, gb = _demo.mse_and_grad(w, b, x, t)
        w, b = w - 0.05 * gw, b - 0.05 * gb
        expected.append((w[0, 0], b[0]))
    np.testing.assert_allclose(results["optimizers"]["SGD"]["trajectory"], expected, rtol=1e-14)


def test_first_adam_and_rprop_steps_move_by_lr(demo):
    # Adam's first update is lr * m1 / sqrt(v1) = lr * sign(g) (up to eps); Rprop's
    # first step size is lr. Both move each coordinate by exactly lr towards the fit.
    results, _ = demo
    a0, b0 = results["initial"]
    for name in ("Adam", "Rprop"):
        a1, b1 = results["optimizers"][name]["trajectory"][0]
        assert a1 - a0 == pytest.approx(0.05, rel=1e-6)
        assert b1 - b0 == pytest.approx(0.05, rel=1e-6)


def test_output_has_one_line_per_step_per_optimizer(demo):
    results, lines = demo
    step_line = re.compile(
        r"^(\w+)\s+step\s+(\d+)\s+learned A =\s*(\S+)\s+learned b =\s*(\S+)\s+loss = \S+$"
    )
    seen = {}
    for line in lines:
        m = step_line.match(line)
        if m:
            seen.setdefault(m.group(1), []).append(int(m.group(2)))
            traj = results["optimizers"][m.group(1)]["trajectory"][int(m.group(2)) - 1]
            assert float(m.group(3)) == pytest.approx(traj[0], abs=1e-7)
            assert float(m.group(4)) == pytest.approx(traj[1], abs=1e-7)
    assert seen == {name: list(range(1, STEPS + 1)) for name in ALL}
    text = "\n".join(lines)
    assert f"true A = {_demo.TRUE_A}" in text and f"true b = {_demo.TRUE_B}" in text
    # One table row per optimizer, plus the two reference rows.
    for name in ALL + ["least squares", "true"]:
        assert sum(line.startswith(name + " ") for line in lines) >= 1, name


def test_quiet_and_subset(capsys):
    assert cli.main(["demo", "linear", "--quiet", "--budget", "20", "--optimizers", "SGD,Adam"]) == 0
    out = capsys.readouterr().out
    assert "learned A =" not in out                       # no per-step lines
    assert re.search(r"^SGD\s", out, re.MULTILINE) and re.search(r"^Adam\s", out, re.MULTILINE)
    assert not re.search(r"^RMSprop\s", out, re.MULTILINE)


def test_seed_changes_data_and_runs_are_reproducible():
    kw = dict(out=None, steps=2, budget=20, optimizers=["Adam"])
    r1 = _demo.run_linear_regression(seed=1, **kw)
    r1b = _demo.run_linear_regression(seed=1, **kw)
    r2 = _demo.run_linear_regression(seed=2, **kw)
    assert r1["optimizers"]["Adam"]["trajectory"] == r1b["optimizers"]["Adam"]["trajectory"]
    assert r1["lstsq"] != r2["lstsq"]


def test_bad_arguments():
    with pytest.raises(SystemExit) as exc:
        cli.main(["demo", "linear", "--optimizers", "SGD,Nope"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        cli.main(["demo", "linear", "--budget", "-1"])
    with pytest.raises(ValueError, match="unknown optimizer"):
        _demo.run_linear_regression(out=None, optimizers=["Nope"])
    with pytest.raises(ValueError, match="unknown demo"):
        _demo.run_demo("nope")


def test_module_entry_point_exits_zero():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-m", "numopt", "demo", "--budget", "50", "--curves", "200"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "After 50 steps" in proc.stdout
    step_lines = [line for line in proc.stdout.splitlines()
                  if re.match(r"^\w+\s+step\s+\d+\s", line)]
    assert len(step_lines) == STEPS * len(ALL)


def test_console_script_points_at_main():
    tomllib = pytest.importorskip("tomllib")      # Python 3.11+
    with open(REPO / "pyproject.toml", "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    module, _, func = scripts["numopt"].partition(":")
    assert (module, func) == ("numopt.__main__", "main")
    assert callable(getattr(cli, func))


def test_peak_fits_recover_the_truth():
    """Least-squares fits of noisy Gaussian peaks (noise 0.05) land near the true
    parameters: the median error is a fraction of the noise, every fit converges."""
    from numopt._demo import run_peak_fits

    out = run_peak_fits(out=None, curves=400, seed=3)
    err = np.abs(out["x"] - out["truth"])
    assert out["result"].success.mean() >= 0.99
    assert np.all(np.median(err, axis=0) < 0.03)
    assert np.all(np.percentile(err, 95, axis=0) < 0.12)


def test_peak_fits_equal_scipy_least_squares_on_a_sample():
    from scipy.optimize import least_squares

    from numopt._demo import make_peak_curves, peak_initial_guess, run_peak_fits

    out = run_peak_fits(out=None, curves=30, seed=4)
    t, Y, truth = make_peak_curves(30, seed=4)
    X0 = peak_initial_guess(t, Y)
    for i in range(0, 30, 6):
        def resid(p):
            return p[0] * np.exp(-(t - p[1]) ** 2 / (2 * p[2] ** 2)) + p[3] - Y[i]
        ref = least_squares(resid, X0[i], xtol=1e-12, ftol=1e-12, gtol=1e-12).x
        ref[2] = abs(ref[2])
        np.testing.assert_allclose(out["x"][i], ref, atol=2e-4)
