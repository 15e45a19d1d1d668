"""``numopt.show_options``: the options of each ``minimize`` method, as scipy's.

The text is generated from the method registry (:mod:`numopt._minimize._registry`): the
methods, their options and defaults, the options ``tol`` sets and those accepted without
effect. The registry does not hold what each option means; that is kept here, keyed by
option name (with a few per-method entries where one name means two things), until the
registry records it.
"""
import math
import textwrap

__all__ = ["show_options"]

# scipy's solvers (scipy.optimize.show_options knows them); numopt has only ``minimize``.
_SCIPY_SOLVERS = ("minimize", "minimize_scalar", "root", "root_scalar", "linprog",
                  "quadratic_assignment")

# What the options of scipy's methods (and torch's LBFGS) mean.
_MEANING = {
    "gtol": "Stop when the `norm` of the gradient is at most `gtol`.",
    "norm": "Order of the gradient norm (`inf`: the largest absolute value).",
    "maxiter": "Maximum number of iterations (`None`: `200 * n`).",
    "xrtol": "Stop when the step is at most `xrtol * (xrtol + norm(x))`.",
    "c1": "Wolfe conditions' sufficient-decrease parameter, `0 < c1 < c2 < 1`.",
    "c2": "Wolfe conditions' curvature parameter, `0 < c1 < c2 < 1`.",
    "hess_inv0": "Initial inverse Hessian: a symmetric positive definite `(n, n)` matrix "
                 "(`None`: the identity).",
    "eps": "Absolute finite-difference step with `jac=None` (a scalar or one per variable).",
    "disp": "Print scipy's summary at the end (and warn as scipy does when the run fails).",
    "return_all": "Also return `allvecs`: x0, then the iterate after each iteration.",
    "finite_diff_rel_step": "Relative finite-difference step with `jac=\"2-point\"`, "
                            "`\"3-point\"` or `\"cs\"` (`None`: the scheme's default).",
    "maxcor": "Number of correction pairs kept (the memory of the Hessian approximation).",
    "ftol": "Stop when `(f_k - f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) <= ftol`.",
    "maxfun": "Maximum number of objective evaluations.",
    "maxls": "Maximum number of line search steps per iteration.",
    "maxfev": "Maximum number of objective evaluations.",
    "xatol": "Stop when the simplex's vertices are this close to the best one (and `fatol` "
             "holds).",
    "fatol": "Stop when the simplex's values are this close to the best one (and `xatol` "
             "holds).",
    "initial_simplex": "An `(n + 1, n)` array of the first simplex's vertices (`None`: 5% "
                       "steps from `x0`).",
    "adaptive": "Dimension-dependent reflection, expansion and contraction parameters "
                "(Gao and Han).",
    "lr": "Step length without a line search, else the first trial step.",
    "max_iter": "Maximum number of iterations (`None`: `maxiter`, else 20).",
    "max_eval": "Maximum number of objective evaluations (`None`: `max_iter * 5 // 4`).",
    "tolerance_grad": "Stop when the largest gradient component is at most this.",
    "tolerance_change": "Stop when the step or the change of `f` is below this.",
    "history_size": "Number of correction pairs kept.",
    "line_search_fn": "`None` (fixed steps of `lr`) or `\"strong_wolfe\"`.",
}

# Per method, where a name means something else there.
_METHOD_MEANING = {
    ("l-bfgs-b", "gtol"): "Stop when the largest projected gradient component is at most "
                          "`gtol`.",
    ("l-bfgs-b", "maxiter"): "Maximum number of iterations.",
    ("l-bfgs-b", "eps"): "Absolute finite-difference step with `jac=None`, kept inside the "
                         "bounds.",
    ("nelder-mead", "maxiter"): "Maximum number of iterations (when neither `maxiter` nor "
                                "`maxfev` is set, both are `200 * n`; when one is set, the "
                                "other is unlimited).",
    ("nelder-mead", "maxfev"): "Maximum number of objective evaluations (see `maxiter`).",
    ("lbfgs", "maxiter"): "scipy's name for `max_iter`.",
    ("rmsprop", "alpha"): "Smoothing constant of the running average of the squared gradient.",
    ("asgd", "alpha"): "Power of the step-size decay.",
}

# The first-order methods' options: the numopt.optim class's (torch's) constructor
# arguments, and the stopping rules minimize adds.
_FIRST_ORDER_MEANING = {
    "lr": "Learning rate.",
    "momentum": "Momentum factor.",
    "dampening": "Dampening of the momentum.",
    "weight_decay": "Weight decay (an L2 penalty added to the gradient, or decoupled where "
                    "the optimizer decouples it).",
    "nesterov": "Nesterov momentum.",
    "maximize": "Maximize the objective instead of minimizing it.",
    "foreach": "Accepted and ignored (numopt always runs one compiled loop per buffer).",
    "fused": "Accepted and ignored (numopt always runs one compiled loop per buffer).",
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
    "maxiter": "Maximum number of steps.",
    "gtol": "Stop when the largest gradient component is at most `gtol`.",
}


def _registry():
    from ._minimize import _registry

    _registry.get("bfgs")  # fills METHODS on first use
    return _registry.METHODS


def _format_default(value):
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        value = value.item()  # a NumPy scalar prints as itself, not as np.float64(...)
    return repr(value)


def _meaning(spec, name):
    key = spec.name.lower()
    first_order = spec.run is not None
    if name in spec.ignored:
        return "Accepted for compatibility with scipy; no effect."
    if (key, name) in _METHOD_MEANING:
        return _METHOD_MEANING[(key, name)]
    table = _FIRST_ORDER_MEANING if first_order else _MEANING
    return table.get(name)


def _method_text(spec):
    first_order = spec.run is not None
    if first_order:
        intro = (f"Options of numopt.minimize(method={spec.name!r}): numopt.optim's "
                 "optimizer of that name, its constructor's arguments with its defaults, "
                 "and minimize's stopping rules. It uses the gradient.")
    else:
        uses = []
        uses.append("uses the gradient" if spec.uses_gradient else "uses no gradient")
        uses.append("takes bounds" if spec.bounds else "takes no bounds")
        intro = f"Options of numopt.minimize(method={spec.name!r}); it {' and '.join(uses)}."
    lines = textwrap.wrap(intro, 79)
    if spec.tol:
        lines.append(f"`tol` sets: {', '.join(spec.tol)}.")
    lines += ["", "Options", "-------"]
    for name, default in spec.defaults.items():
        lines.append(f"{name} : default {_format_default(default)}")
        meaning = _meaning(spec, name) or "(not described yet)"
        lines += textwrap.wrap(meaning, 79, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(lines)


def show_options(solver=None, method=None, disp=True):
    """Show the options of ``numopt.minimize``'s methods, as :func:`scipy.optimize.show_options`.

    These are the method-specific options given in ``minimize``'s ``options`` dict, with
    their defaults and meanings.

    Parameters
    ----------
    solver : str, optional
        ``"minimize"``, the only solver numopt has (``None``: every solver, so
        ``"minimize"`` under a heading).
    method : str, optional
        A method of ``solver`` (case-insensitive, e.g. ``"BFGS"``). ``None``: every
        method, each under its name.
    disp : bool, optional
        Print the text and return ``None`` (default), or return the text.

    Returns
    -------
    str or None
        The text when ``disp`` is false, else ``None``.

    Raises
    ------
    ValueError
        If ``solver`` is not ``"minimize"`` (scipy's other solvers included: numopt does
        not implement them) or ``method`` is not one of its methods.

    Examples
    --------
    >>> import numopt
    >>> text = numopt.show_options("minimize", "L-BFGS-B", disp=False)
    >>> print(" ".join(text.splitlines()[:2]))  # the first sentence, wrapped at 79
    Options of numopt.minimize(method='L-BFGS-B'); it uses the gradient and takes bounds.
    """
    if solver is None:
        if method is not None:
            raise ValueError("show_options: give the solver (\"minimize\") with a method")
        text = "\n\n\n========\nminimize\n========\n" + show_options("minimize", disp=False)
    else:
        if not isinstance(solver, str):
            raise ValueError(f"show_options: solver must be a string, got {solver!r}")
        key = solver.lower()
        if key != "minimize":
            if key in _SCIPY_SOLVERS:
                raise ValueError(f"Unknown solver {solver!r}: numopt implements only "
                                 "'minimize' (scipy's other solvers are not part of numopt)")
            raise ValueError(f"Unknown solver {solver!r}; numopt has the solver 'minimize'")
        methods = _registry()
        if method is None:
            parts = []
            for spec in methods.values():
                parts += ["\n\n" + spec.name, "\n" + "=" * len(spec.name) + "\n\n",
                          _method_text(spec)]
            text = "".join(parts)
        else:
            if not isinstance(method, str) or method.lower() not in methods:
                names = ", ".join(spec.name for spec in methods.values())
                raise ValueError(f"Unknown method {method!r} of solver 'minimize'; "
                                 f"numopt.minimize supports: {names}")
            text = _method_text(methods[method.lower()])
    if disp:
        print(text)
        return None
    return text
