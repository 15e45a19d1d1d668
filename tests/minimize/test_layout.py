"""Every method's workspace layout: slots that never overlap, workspaces of exactly the
declared size (a wrong offset would silently corrupt another slot)."""
import numpy as np
import pytest

from numopt._minimize import _registry
from numopt._minimize import _workspace as W
from numopt._minimize._layout import Layout

STATE_MACHINES = ("BFGS", "CG", "L-BFGS-B", "Nelder-Mead", "LBFGS")


def _methods():
    _registry.get("bfgs")
    return [m for m in _registry.METHODS.values() if m.name in STATE_MACHINES]


def _check_spans(spans, length):
    at = 0
    for name, start, stop in spans:
        assert start == at, f"slot {name} starts at {start}, after a slot ending at {at}"
        assert stop >= start, f"slot {name} has negative length"
        at = stop
    assert at == length, f"the slots end at {at}, the workspace has length {length}"


def test_every_state_machine_declares_its_layout():
    missing = [m.name for m in _methods() if not isinstance(getattr(m.module, "LAYOUT", None), Layout)]
    assert not missing, f"methods without a Layout: {missing}"
    assert {m.name for m in _methods()} == set(STATE_MACHINES)


@pytest.mark.parametrize("method", STATE_MACHINES)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 40])
def test_slots_tile_the_workspace(method, n):
    m = _registry.get(method)
    layout = m.module.LAYOUT
    fopts, iopts = m.pack(dict(m.defaults), n, None, None)
    nws, niws = m.module.sizes(n, fopts, iopts)
    params = m.module.layout_params(n, fopts, iopts)
    spans = layout.spans(*params)
    assert (nws, niws) == layout.sizes(*params)
    _check_spans(spans["ws"], nws)
    _check_spans(spans["iws"], niws)


def test_layout_offsets_and_errors():
    L = Layout("demo", params=("n", "m"), ints=("phase",), floats=("tol", "theta"),
               arrays=(("x", "n"), ("ring", "m * n"), ("ls", 4)), int_arrays=(("perm", "n + 1"),))
    assert L.i.phase == W.HEADER_INTS
    assert (L.f.tol, L.f.theta) == (W.HEADER_FLOATS, W.HEADER_FLOATS + 1)
    o = L.offsets(3, 2)
    assert (o.x, o.ring, o.ls, o.end) == (W.HEADER_FLOATS + 2, W.HEADER_FLOATS + 5,
                                          W.HEADER_FLOATS + 11, W.HEADER_FLOATS + 15)
    assert L.sizes(3, 2) == (W.HEADER_FLOATS + 15, W.HEADER_INTS + 1 + 4)
    with pytest.raises(ValueError, match="declared twice"):
        Layout("bad", floats=("a",), arrays=(("a", "n"),))
    with pytest.raises(ValueError, match="uses m"):
        Layout("bad", arrays=(("a", "m * n"),))


def test_offsets_compile_to_constants():
    from numba import njit

    L = Layout("demo2", floats=("tol",), arrays=(("x", "n"), ("g", "n")))
    F, offsets = L.f, L.offsets  # compiled code reads the tuples and the function

    @njit
    def use(ws, n):
        o = offsets(n)
        ws[F.tol] = 1.0
        for k in range(n):
            ws[o.g + k] = 2.0
        return o.end

    ws = np.zeros(L.sizes(3)[0])
    assert use(ws, 3) == ws.size
    assert ws[F.tol] == 1.0 and (ws[-3:] == 2.0).all() and (ws[-6:-3] == 0.0).all()


def test_reason_constants_match_the_table():
    from numopt._minimize import _reasons

    assert len(_reasons.BY_CODE) == len(_reasons.TABLE)
    for r in _reasons.TABLE:
        assert getattr(_reasons, r.name) == r.code
    assert W.RAISED_REASON == _reasons.RAISED
