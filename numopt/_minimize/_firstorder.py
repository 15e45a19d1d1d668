r"""The first-order optimizers of :mod:`numopt.optim` as ``minimize`` methods.

``minimize(fun, x0, method=name, options=...)`` with ``name`` one of "sgd", "adam",
"adamw", "adamax", "nadam", "radam", "adagrad", "adadelta", "rmsprop", "rprop", "asgd"
iterates full-batch gradients with the ``numopt.optim`` class of that name:

.. code-block:: python

    p = Parameter(x0)                            # float64; x0 is never modified
    opt = optim.Adam([p], **hyperparameters)
    for k in range(maxiter):
        f = fun(p.data); g = grad(p.data)        # one evaluation per step
        p.grad = g
        opt.step()

So each update rule and its per-step scalars exist once, in the optimizer classes,
and ``minimize(method="adam")`` follows a hand-written loop of ``optim.Adam`` bit for
bit. The loop is Python for every objective: a compiled objective (``@numopt.objective``
or ``@njit``) is called through its compiled adapter's dispatcher, one call per step;
there is no compiled solve for these methods. The loop costs about 10 µs per step on
top of the objective, most of it the optimizer's own ``step()``. ``minimize_batch``
runs one optimizer over all of its problems (:mod:`._firstorder_batch`), with the
bookkeeping of :func:`._firstorder_batch.settle` shared by both (a single problem is
row 0 of a batch of one).

Options
-------
The class's constructor keyword arguments (``lr``, ``betas``, ``momentum``, ...), with
its defaults; the class validates them, so an invalid value raises its ``ValueError``.
Besides them:

maxiter : int, default 1000
    Maximum number of steps (``np.inf``: no limit).
gtol : float, default 1e-5
    Stop when :math:`\max_i |g_i| \le` ``gtol``. ``minimize(tol=...)`` sets it.
disp : bool
    Accepted and ignored, as scipy's methods accept it.

Any other name triggers scipy's ``OptimizeWarning`` ("Unknown solver options").

Result
------
- ``nit``: the steps that led to ``x``; ``nfev``/``njev``: objective and gradient
  evaluations (``nit + 1`` after a normal stop: ``x0`` and every step are evaluated).
  With finite-difference gradients ``nfev`` counts those evaluations too, as for
  the other methods.
- ``x`` is the last iterate, with ``fun`` and ``jac`` evaluated there. First-order
  methods are not monotone: it is not necessarily the best point seen.
- Stops: ``max|g| <= gtol`` (status 0, success), ``maxiter`` steps (status 1),
  a NaN or infinite objective value or gradient (reason 5, success False: ``x`` is
  the best finite point seen, the iterate with the lowest objective value, as API.md
  promises, with ``nit`` the steps taken; if that happens at ``x0``, the result is
  ``x0`` with its non-finite values), a callback raising ``StopIteration`` (status 99).
- ``callback`` (either style) is called after every step with the new iterate and its
  objective value (not after a step whose iterate is rejected as non-finite), before
  the stopping tests, as for BFGS; ``StopIteration`` from it ends the run there.
"""
import inspect
import math
import numbers
import sys

import numpy as np
from numba import njit

from .. import optim
from .._params import Parameter
from . import _workspace as W
from ._firstorder_batch import run_batch, settle
from ._registry import NO_EFFECT_TORCH, UNLIMITED, Method, Option, ignored, real_option

MAXITER = 1000
GTOL = 1e-5

# The result iterate and its gradient, after the ws header. The point being evaluated
# lives in the optimizer's parameter buffer, so a rejected (non-finite) evaluation
# never touches them.
_XR = W.HEADER_FLOATS


def sizes(n, fopts=None, iopts=None):
    """Lengths of the ``ws`` and ``iws`` workspaces :func:`run` returns for ``n`` variables."""
    return _XR + 2 * n, W.HEADER_INTS


def _hyperparameters(cls):
    """The constructor keyword arguments of ``cls`` and their defaults."""
    params = inspect.signature(cls.__init__).parameters
    return {k: p.default for k, p in params.items() if k not in ("self", "params")}


def _control(o, method):
    """``(maxiter, gtol)`` from the merged options, checked: ``maxiter`` a non-negative
    whole number, or ``np.inf`` (or more than :data:`._registry.UNLIMITED`) for no
    limit; ``gtol`` a real number, not NaN."""
    maxiter = MAXITER if o["maxiter"] is None else o["maxiter"]
    if isinstance(maxiter, np.ndarray) and maxiter.ndim == 0:
        maxiter = maxiter[()]
    if (not isinstance(maxiter, numbers.Real) or isinstance(maxiter, (bool, np.bool_))
            or maxiter != maxiter or maxiter < 0
            or not (isinstance(maxiter, numbers.Integral) or maxiter == math.inf
                    or float(maxiter).is_integer())):
        raise ValueError(f"option 'maxiter' of {method} must be a non-negative integer (or "
                         f"np.inf for no limit), got {o['maxiter']!r:.40}")
    maxiter = UNLIMITED if maxiter == math.inf else min(int(maxiter), UNLIMITED)
    gtol = GTOL if o["gtol"] is None else real_option(o["gtol"], "gtol", method)
    return maxiter, gtol


def _make_pack(cls):
    names = tuple(_hyperparameters(cls))
    method = cls.__name__.lower()

    def pack(o, n, lower, upper):
        return {k: o[k] for k in names}, _control(o, method)

    return pack


@njit(cache=True, error_model="numpy")
def _settle_one(f, x, g, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, steps, maxiter, gtol):
    """:func:`settle` for the single problem of :func:`_run` (one compiled call a step)."""
    going = settle(0, f, x, g, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON, steps, maxiter,
                   gtol)
    if going:  # the callback (if any) reads the current iterate from the result slots
        for i in range(x.size):
            XR[0, i] = x[i]
            GR[0, i] = g[i]
        FR[0] = f
    return going


def _run(cls, fg, x0, hyper, control, args, copy_x=True, on_iteration=None):
    """Minimize with ``cls`` on full-batch gradients (see the module docstring).

    Parameters
    ----------
    cls : type
        A ``numopt.optim`` optimizer class.
    fg : callable
        ``fg(x, g, args) -> f`` (Python, or a compiled adapter's dispatcher).
    x0 : float64 ndarray
    hyper : dict
        Keyword arguments of ``cls``.
    control : (int, float)
        ``maxiter`` and ``gtol``.
    args : tuple
    copy_x : bool
        Give the objective a copy of the point (user Python code may modify it).
    on_iteration : callable, optional
        ``on_iteration(ws, iws)`` after each step (its iterate accepted); True stops.

    Returns
    -------
    ws, iws : workspaces with the header of :mod:`._workspace` filled in.
    """
    maxiter, gtol = control
    n = x0.size
    p = Parameter(x0)
    opt = cls([p], **hyper)  # adopting p copies x0 into the optimizer's buffer
    x = p.data               # the live iterate, updated in place by step()
    p.grad = np.zeros(n)
    g = p.grad               # the optimizer's gradient buffer: fg writes straight into it
    lw, li = sizes(n)
    ws = np.zeros(lw)
    iws = np.zeros(li, dtype=np.int64)
    iws[W.N] = n
    iws[W.X] = iws[W.XR] = _XR
    iws[W.G] = iws[W.GR] = _XR + n
    # settle's row-0 views of the result slots and counters, inside ws and iws.
    XR, GR = ws[_XR:_XR + n].reshape(1, n), ws[_XR + n:_XR + 2 * n].reshape(1, n)
    FR = ws[W.FR:W.FR + 1]
    NIT, NFEV = iws[W.NIT:W.NIT + 1], iws[W.NFEV:W.NFEV + 1]
    REASON = iws[W.REASON:W.REASON + 1]
    XB, GB, FB = np.zeros((1, n)), np.zeros((1, n)), np.array([np.inf])
    steps = 0
    while True:
        f = float(fg(x.copy() if copy_x else x, g, args))
        if f != f and W.raised(f):  # the compiled adapter caught an exception at x
            XR[0] = x
            REASON[0] = W.RAISED_REASON
            break
        going = _settle_one(f, x, g, XR, GR, FR, XB, GB, FB, NIT, NFEV, REASON,
                            steps, maxiter, gtol)
        # After each completed step, before the stopping tests, as scipy's BFGS does.
        if (steps and REASON[0] != 5 and on_iteration is not None
                and on_iteration(ws, iws)):
            REASON[0] = 6
            break
        if not going:
            break
        opt.step()
        steps += 1
    iws[W.TASK] = W.DONE
    return ws, iws


# What the optimizers' constructor arguments (torch's) mean, by name; where one name
# means two things, by (method, name).
_MEANING = {
    "lr": "Learning rate.",
    "momentum": "Momentum factor.",
    "dampening": "Dampening of the momentum.",
    "weight_decay": "Weight decay (an L2 penalty added to the gradient, or decoupled where "
                    "the optimizer decouples it).",
    "nesterov": "Nesterov momentum.",
    "maximize": "Maximize the objective instead of minimizing it.",
    "differentiable": "Must be False (there is no autograd).",
    "capturable": "Must be False (there are no CUDA graphs).",
    "betas": "Coefficients of the running averages of the gradient and of its square.",
    "eps": "Term added to the denominator for numerical stability.",
    "amsgrad": "Use the maximum of past squared-gradient averages (AMSGrad).",
    "decoupled_weight_decay": "Decouple the weight decay from the gradient (as AdamW).",
    "momentum_decay": "Momentum decay (NAdam's psi).",
    "lr_decay": "Learning-rate decay.",
    "initial_accumulator_value": "Initial value of the sum of squared gradients.",
    "rho": "Coefficient of the running averages of the squared gradient and step.",
    "centered": "Normalise by an estimate of the gradient's variance.",
    "etas": "Multiplicative decrease and increase factors of the step sizes.",
    "step_sizes": "Minimal and maximal step sizes.",
    "lambd": "Decay term.",
    "t0": "Step at which averaging starts.",
    ("rmsprop", "alpha"): "Smoothing constant of the running average of the squared "
                          "gradient.",
    ("asgd", "alpha"): "Power of the step-size decay.",
}


# torch's flags that choose among its kernels: the classes accept any value.
_TORCH_KERNELS = ("foreach", "fused")


def _hyperparameter_option(method, name, default):
    """The :class:`._registry.Option` of a constructor argument, typed by its default
    (the class checks the value, as torch's does): a flag, a pair (``betas``...) or a
    real number; torch's ``foreach`` and ``fused`` are accepted without effect."""
    if name in _TORCH_KERNELS:
        return ignored(name, default, NO_EFFECT_TORCH)
    if isinstance(default, bool) or default is None:
        kind = "bool"
    elif isinstance(default, tuple):
        kind = "pair"
    else:
        kind = "real"
    return Option(name, kind, default, _MEANING.get((method, name)) or _MEANING[name])


def _record(cls):
    name = cls.__name__.lower()
    hyper = _hyperparameters(cls)

    def run(fg, x0, fopts, iopts, args, copy_x=True, on_iteration=None):
        return _run(cls, fg, x0, fopts, iopts, args, copy_x, on_iteration)

    def batch(fopts, iopts, X0, evaluate, device):
        return run_batch(cls, fopts, iopts, X0, evaluate, device)

    run.__name__ = run.__qualname__ = f"run_{name}"
    run.__doc__ = (
        f"``minimize(method={name!r})``: ``numopt.optim.{cls.__name__}`` on full-batch "
        f"gradients.\n\nOptions: {', '.join(hyper)} (the class's keyword arguments and "
        f"defaults), maxiter ({MAXITER}), gtol ({GTOL:g}; set by ``tol``), disp (ignored). "
        "See :mod:`numopt._minimize._firstorder` for the stopping rules and the result.")
    return Method(
        name=name, reference=f"numopt.optim.{cls.__name__} (torch.optim.{cls.__name__})",
        options=(
            *(_hyperparameter_option(name, k, v) for k, v in hyper.items()),
            Option("maxiter", "count", MAXITER, "Maximum number of steps."),
            Option("gtol", "real", GTOL,
                   "Stop when the largest gradient component is at most `gtol`.", tol=True),
            ignored("disp", False),
        ),
        pack=_make_pack(cls), module=sys.modules[__name__], sizes=sizes, run=run,
        batch=batch,
    )


METHODS = [_record(cls) for cls in (
    optim.SGD, optim.Adam, optim.AdamW, optim.Adamax, optim.NAdam, optim.RAdam,
    optim.Adagrad, optim.Adadelta, optim.RMSprop, optim.Rprop, optim.ASGD)]
