"""Every sample configuration of the optimizer table against the hand-written NumPy
implementation in ``tests/reference/naive_optim.py``.

This is the reference of optimizers torch does not have (the table's rows with
``reference="naive"``, such as Lion), and a second, independent one for the others
(whose main reference is torch's recorded trajectories, test_trajectories.py). Both
sides are given the same gradients (random, replayed), in two parameter groups, and
parameters and state are compared after every step, relative to the largest magnitude
each element has had (as in test_trajectories.py).
"""
import numpy as np
import pytest

from numopt import Parameter
from numopt.testing import optimizers as table

from .test_trajectories import naive

CASES, IDS = table.configs()
SHAPES = [(3,), (2, 3), (4, 1, 2), ()]
STEPS = 25
RTOL = {np.float64: 1e-10, np.float32: 1e-5}


def test_every_row_has_a_naive_reference():
    for row in table.OPTIMIZERS:
        assert row.name in naive.DEFAULTS, row.name
        assert row.reference in ("torch", "naive"), row.name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls,kwargs", CASES, ids=IDS)
def test_follows_the_naive_reference(cls, kwargs, dtype):
    rng = np.random.default_rng(7)
    x0 = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    ours = [Parameter(x.copy()) for x in x0]
    theirs = [naive.Param(x.copy()) for x in x0]
    over = {"lr": kwargs.get("lr", 0.01) * 0.5}
    opt = cls([{"params": ours[:2]}, {"params": ours[2:], **over}], **kwargs)
    ref = naive.NaiveOptimizer(cls.__name__, [{"params": theirs[:2]}, {"params": theirs[2:], **over}],
                               **kwargs)
    scale = [np.abs(x).astype(np.float64) for x in x0]
    for t in range(STEPS):
        opt.zero_grad()
        ref.zero_grad()
        for p, q in zip(ours, theirs):
            g = (rng.standard_normal(p.shape) + 0.3 * q.data).astype(dtype)
            p.grad, q.grad = g.copy(), g.copy()
        opt.step()
        ref.step()
        for j, (p, q) in enumerate(zip(ours, theirs)):
            scale[j] = np.maximum(scale[j], np.abs(q.data))
            np.testing.assert_array_less(np.abs(p.data - q.data), RTOL[dtype] * scale[j] + 1e-300,
                                         err_msg=f"param {j} after step {t + 1}")
            mine, want = opt.state[p], ref.state[q]
            assert sorted(mine) == sorted(want), (t, j)
            for key, value in want.items():
                v = np.asarray(value, dtype=np.float64)
                tol = RTOL[dtype] * np.maximum(np.abs(v), 1.0) if key != "step" else 0
                np.testing.assert_array_less(np.abs(np.asarray(mine[key], np.float64) - v),
                                             tol + 1e-300, err_msg=f"param {j} {key} step {t + 1}")
