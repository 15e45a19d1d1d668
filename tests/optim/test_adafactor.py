"""What Adafactor does beyond the table-driven tests (test_common.py, test_validation.py,
test_reference.py) and torch's trajectories (test_adafactor_golden.py): the threaded
driver's sums over rows, columns and whole parameters agree with the serial loop bit
for bit on factored shapes; torch's eps1=None rule (the epsilon of the group's first
parameter with a gradient); torch's messages; the state's shapes and layout.
"""
import numpy as np
import pytest

from numopt import Parameter, config, optim

from .test_trajectories import naive


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(300, 130), (3, 70, 200), (40000, 1), (1, 40000)])
def test_threaded_and_serial_drivers_agree_bitwise_on_factored_shapes(shape, dtype, monkeypatch):
    rng = np.random.default_rng(5)
    x0 = rng.standard_normal(shape).astype(dtype)
    grads = [rng.standard_normal(shape).astype(dtype) for _ in range(3)]
    monkeypatch.setattr(config, "CHUNK", 4096)  # several chunks, rows and tiles per sum
    results = []
    for threshold in (0, 10**12):
        monkeypatch.setattr(config, "PARALLEL_THRESHOLD", threshold)
        p = Parameter(x0.copy())
        opt = optim.Adafactor([p], lr=0.05, weight_decay=0.1)
        for g in grads:
            p.grad = g
            opt.step()
        results.append((p.data.copy(), opt.state_dict()["state"][0]))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    for key in ("row_var", "col_var"):
        np.testing.assert_array_equal(results[0][1][key], results[1][1][key])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_large_parameter_follows_the_naive_reference(dtype):
    """The threaded driver (many chunks and column tiles) against the NumPy transcription
    of torch's update."""
    rng = np.random.default_rng(6)
    x0 = rng.standard_normal((2, 150, 700)).astype(dtype)
    ours, theirs = Parameter(x0.copy()), naive.Param(x0.copy())
    opt = optim.Adafactor([ours], lr=0.03, d=1.5)
    ref = naive.NaiveOptimizer("Adafactor", [theirs], lr=0.03, d=1.5)
    for _ in range(3):
        g = rng.standard_normal(x0.shape).astype(dtype)
        ours.grad, theirs.grad = g, g.copy()
        opt.step()
        ref.step()
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    scale = np.maximum(np.abs(x0), np.abs(theirs.data))
    assert (np.abs(ours.data - theirs.data) <= rtol * scale).all()
    for key in ("row_var", "col_var"):
        want = ref.state[theirs][key]
        np.testing.assert_allclose(opt.state[ours][key], want, rtol=rtol)


def tiny_gradient_run(params, **kwargs):
    """Steps with gradients so small that eps1 decides the update (the variance estimate
    falls below eps1**2 for float32's epsilon, not for float64's)."""
    opt = optim.Adafactor(params, **kwargs)
    for k in range(3):
        for p in params:
            p.grad = np.full(p.shape, 1e-10 * (k + 1), dtype=p.dtype)
        opt.step()
    return [p.data.copy() for p in params]


@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_eps1_none_is_the_epsilon_of_the_groups_first_parameter_with_a_gradient(shape):
    x64 = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape)
    x32 = np.linspace(1, 2, 5).astype(np.float32)
    eps32 = float(np.finfo(np.float32).eps)
    # behind a float32 parameter, a float64 one gets float32's epsilon, as in torch
    behind = tiny_gradient_run([Parameter(x32.copy()), Parameter(x64.copy())])[1]
    alone = tiny_gradient_run([Parameter(x64.copy())])[0]
    given = tiny_gradient_run([Parameter(x64.copy())], eps=(eps32, 1e-3))[0]
    np.testing.assert_array_equal(behind, given)
    assert not np.array_equal(behind, alone)
    # the first parameter *with a gradient* decides: without the float32 one's, float64's
    p32, p64 = Parameter(x32.copy()), Parameter(x64.copy())
    opt = optim.Adafactor([p32, p64])
    for k in range(3):
        p64.grad = np.full(shape, 1e-10 * (k + 1))
        opt.step()
    np.testing.assert_array_equal(p64.data, alone)
    assert opt.param_groups[0]["eps"] == (None, 1e-3)  # the group itself keeps None


@pytest.mark.parametrize("kwargs,message", [
    (dict(lr=-0.1), "Learning rate should be >= 0 but is: -0.1"),
    (dict(beta2_decay=0.5), "beta2_decay should be <= 0 but is: 0.5"),
    (dict(eps=(-1.0, 1e-3)), "epsilon1 should be >= 0 but is: -1.0"),
    (dict(eps=(None, -1e-3)), "epsilon2 should be >= 0 but is: -0.001"),
    (dict(d=0.5), "Clipping threshold d should be >= 1 but is: 0.5"),
    (dict(weight_decay=-0.1), "weight_decay should be >= 0 but is: -0.1"),
    (dict(lr=np.ones(2)), "Tensor lr must be 1-element"),
    (dict(eps=(None,)), r"eps must be a pair of real numbers, got \(None,\)"),
    (dict(eps=("a", 1e-3)), r"eps\[0\] must be a real number, got str 'a'"),
    (dict(d="big"), "d must be a real number, got str 'big'"),
])
def test_torchs_messages(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=f"^{message}$"):
        optim.Adafactor([Parameter(np.ones(2))], **kwargs)


def test_signature_and_defaults_are_torchs():
    opt = optim.Adafactor([Parameter(np.ones(2))])
    assert opt.defaults == dict(lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                                weight_decay=0.0, foreach=None, maximize=False)
    with pytest.raises(TypeError):
        optim.Adafactor([Parameter(np.ones(2))], 1e-2, -0.8, (None, 1e-3), 1.0, 0.0, None)


def test_state_has_torchs_keys_and_shapes_and_loads_back():
    shapes = [(5,), (), (3, 4), (2, 3, 4), (4, 1, 2), (0,), (2, 0, 0)]
    params = [Parameter(np.ones(s)) for s in shapes]
    opt = optim.Adafactor(params)
    for p in params:
        p.grad = np.full(p.shape, 0.5)
    opt.step()
    sd = opt.state_dict()
    want = [{"variance": (5,)}, {"variance": ()}, {"row_var": (3, 1), "col_var": (1, 4)},
            {"row_var": (2, 3, 1), "col_var": (2, 1, 4)},
            {"row_var": (4, 1, 1), "col_var": (4, 1, 2)}, {"variance": (0,)},
            {"row_var": (2, 0, 1), "col_var": (2, 1, 0)}]
    for j, keys in enumerate(want):
        entry = sd["state"][j]
        assert entry["step"] == 1
        assert {k: v.shape for k, v in entry.items() if k != "step"} == keys
    # every mean square is 0.25 after the first step (weight 1)
    np.testing.assert_array_equal(sd["state"][3]["col_var"], np.full((2, 1, 4), 0.25))
    # a dict with torch's shapes loads; a full-size row_var does not
    fresh = [Parameter(np.ones(s)) for s in shapes]
    other = optim.Adafactor(fresh)
    other.load_state_dict(sd)
    np.testing.assert_array_equal(other.state[fresh[2]]["row_var"], sd["state"][2]["row_var"])
    sd["state"][2]["row_var"] = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"'row_var' of parameter 2 has shape \(3, 4\), "
                                         r"expected \(3, 1\)"):
        other.load_state_dict(sd)


def test_an_empty_parameter_with_nonempty_factored_state_is_refused_before_anything_moves():
    w, e = Parameter(np.ones(3)), Parameter(np.ones((0, 3)))
    opt = optim.Adafactor([w, e])
    w.grad, e.grad = np.ones(3), np.ones((0, 3))
    with pytest.raises(ValueError, match=r"empty parameter of shape \(0, 3\)"):
        opt.step()
    np.testing.assert_array_equal(w.data, np.ones(3))
    assert len(opt.state) == 0
