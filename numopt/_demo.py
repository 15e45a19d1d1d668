"""Demos behind ``numopt demo`` (``python -m numopt demo``).

Each demo is a function registered in :data:`DEMOS` under a short name. It takes
``out`` (a callable that receives one line of text, or ``None`` for silence) and the
command line's common keyword options (``steps``, ``budget``, ``seed``, ``quiet``),
prints what it does through ``out``, and returns a dict of results so that tests and
notebooks can check the numbers instead of parsing the text. To add a demo, write such
a function and decorate it with ``@register_demo("name", "one-line description")``.

The first demo, ``linear``, is the linear-regression example of the classic
"PyTorch optimizers" tutorial, written with NumPy gradients and :mod:`numopt.optim`.
"""

import time

import numpy as np

__all__ = ["DEMOS", "DEFAULT_DEMO", "register_demo", "run_demo", "run_linear_regression",
           "OPTIMIZER_LRS"]

#: name -> (function, one-line description); filled by :func:`register_demo`.
DEMOS = {}

#: What ``numopt demo`` runs without a name: every demo in turn.
DEFAULT_DEMO = "all"


def register_demo(name, description):
    """Register a demo function under ``name`` for ``numopt demo NAME``.

    Parameters
    ----------
    name : str
        The name given on the command line.
    description : str
        One line shown by ``numopt demo --help``.

    Returns
    -------
    callable
        A decorator that registers the function and returns it unchanged.
    """

    def decorator(func):
        DEMOS[name] = (func, description)
        return func

    return decorator


def run_demo(name, out=print, **options):
    """Run the demo registered as ``name``; see :data:`DEMOS`.

    Parameters
    ----------
    name : str
        A key of :data:`DEMOS`.
    out : callable or None
        Receives each line of output; ``None`` prints nothing.
    **options
        Passed to the demo function (``steps``, ``budget``, ``seed``, ``quiet``).

    Returns
    -------
    dict
        What the demo function returns.
    """
    try:
        func = DEMOS[name][0]
    except KeyError:
        raise ValueError(f"unknown demo {name!r}; choose from {sorted(DEMOS)}") from None
    return func(out=out, **options)


# ---------------------------------------------------------------------------
# Linear regression, as in the torch optimizer tutorial
# ---------------------------------------------------------------------------

#: The tutorial's true slope and intercept (those of its SGD example).
TRUE_A = 5.1213945
TRUE_B = 3.2047893

#: Optimizers in the order the demo runs them, with their learning rates. The tutorial
#: uses lr=0.05 throughout; Adadelta gets torch's default lr=1.0 because its update is
#: already scaled by the running RMS of past steps (at 0.05 it barely moves: the
#: tutorial's Adadelta run changes A by 2e-4 in ten steps).
OPTIMIZER_LRS = {
    "SGD": 0.05,
    "Adam": 0.05,
    "AdamW": 0.05,
    "Adamax": 0.05,
    "NAdam": 0.05,
    "RAdam": 0.05,
    "Adagrad": 0.05,
    "Adadelta": 1.0,
    "RMSprop": 0.05,
    "Rprop": 0.05,
    "ASGD": 0.05,
}


def make_linear_data(n=100, seed=0, noise=0.1, a=TRUE_A, b=TRUE_B, dtype=np.float64):
    """Noisy samples of the line ``t = a * x + b``.

    Parameters
    ----------
    n : int
        Number of points.
    seed : int
        Seed of the NumPy generator that draws ``x ~ N(0, 1)``, the noise and then the
        initial point (see :func:`initial_point`).
    noise : float
        Standard deviation of the Gaussian noise added to the targets.
    a, b : float
        True slope and intercept.
    dtype : numpy dtype
        float64 or float32.

    Returns
    -------
    x, t : ndarray, shape (n, 1)
        Inputs and targets.
    rng : numpy.random.Generator
        The generator, advanced past the data, for drawing the initial point.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    t = a * x + b + noise * rng.standard_normal((n, 1))
    return x.astype(dtype), t.astype(dtype), rng


def initial_point(rng, dtype=np.float64):
    """Weight (1, 1) and bias (1,) drawn as ``torch.nn.Linear(1, 1)`` draws them.

    ``nn.Linear`` initialises both from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which is
    U(-1, 1) for one input.
    """
    w0 = rng.uniform(-1.0, 1.0, (1, 1)).astype(dtype)
    b0 = rng.uniform(-1.0, 1.0, (1,)).astype(dtype)
    return w0, b0


def mse_and_grad(w, b, x, t):
    """Mean squared error of ``x @ w.T + b`` against ``t`` and its gradient.

    Parameters
    ----------
    w : ndarray, shape (1, 1)
    b : ndarray, shape (1,)
    x, t : ndarray, shape (n, 1)

    Returns
    -------
    loss : float
        ``mean((x @ w.T + b - t) ** 2)``, what ``nn.MSELoss`` computes.
    gw : ndarray, shape (1, 1)
        ``2/n * r.T @ x`` with residuals ``r``.
    gb : ndarray, shape (1,)
        ``2/n * sum(r)``.
    """
    r = x @ w.T + b - t
    n = x.shape[0]
    loss = float(np.mean(r * r))
    gw = (2.0 / n) * (r.T @ x)
    gb = (2.0 / n) * r.sum(axis=0)
    return loss, gw.astype(w.dtype, copy=False), gb.astype(b.dtype, copy=False)


def least_squares(x, t):
    """The exact minimiser of the MSE: slope and intercept from ``np.linalg.lstsq``."""
    design = np.hstack([x, np.ones_like(x)]).astype(np.float64)
    (a, b), *_ = np.linalg.lstsq(design, t[:, 0].astype(np.float64), rcond=None)
    return float(a), float(b)


def _fit(name, lr, w0, b0, x, t, steps, on_step=None):
    """Run ``steps`` steps of ``optim.<name>`` from ``(w0, b0)`` with ``opt.step(closure)``.

    Returns the final ``(A, b, loss)``, the per-step losses (the closure's values, so
    taken before each update) and the wall time of the loop in seconds.
    """
    from numopt import Parameter, optim

    w = Parameter(w0.copy())
    b = Parameter(b0.copy())
    opt = getattr(optim, name)([w, b], lr=lr)

    def closure():
        opt.zero_grad()
        # Read .data at every call: the optimizer re-points it into its flat buffer.
        loss, gw, gb = mse_and_grad(w.data, b.data, x, t)
        w.grad = gw
        b.grad = gb
        return loss

    losses = np.empty(steps)
    start = time.perf_counter()
    for k in range(steps):
        losses[k] = opt.step(closure)
        if on_step is not None:
            on_step(k + 1, float(w.data[0, 0]), float(b.data[0]), losses[k])
    seconds = time.perf_counter() - start
    final_loss = mse_and_grad(w.data, b.data, x, t)[0]
    return float(w.data[0, 0]), float(b.data[0]), final_loss, losses, seconds


@register_demo("linear", "linear regression with every optimizer (the torch tutorial's example)")
def run_linear_regression(
    out=print,
    *,
    steps=10,
    budget=500,
    seed=0,
    quiet=False,
    optimizers=None,
    n=100,
    dtype=np.float64,
):
    """Fit ``t = A x + b`` with each optimizer of :mod:`numopt.optim`, as the torch tutorial does.

    The data are ``n`` points ``x ~ N(0, 1)`` with ``t = A x + b + 0.1 N(0, 1)``,
    ``A = 5.1213945`` and ``b = 3.2047893``. The model is a weight ``w`` of shape (1, 1)
    and a bias of shape (1,), started where ``nn.Linear(1, 1)`` would start (the same
    point for every optimizer); the loss is the mean squared error, with its gradient
    written out in NumPy. Phase one runs ``steps`` steps of each optimizer with
    ``opt.step(closure)`` and prints the learned A and b after each, as the tutorial
    does. Phase two restarts each optimizer from the same point, runs ``budget`` steps
    and prints a table of final losses, learned coefficients and wall times, with the
    least-squares solution and the true values for reference.

    Parameters
    ----------
    out : callable or None
        Receives each line of output (default :func:`print`); ``None`` prints nothing.
    steps : int
        Steps per optimizer in the printed phase (the tutorial's ``niter = 10``).
    budget : int
        Steps per optimizer in the timed phase.
    seed : int
        Seed for the data and the initial point.
    quiet : bool
        Print only the data summary and the final table, not the per-step lines.
    optimizers : iterable of str, optional
        Names from :data:`OPTIMIZER_LRS` (default: all, in that order).
    n : int
        Number of data points.
    dtype : numpy dtype
        Dtype of the data and parameters (float64 or float32).

    Returns
    -------
    dict
        ``"true"``: ``(A, b)``; ``"lstsq"``: ``(A, b)`` of the least-squares solution;
        ``"lstsq_loss"``, ``"true_loss"``, ``"initial_loss"``: MSE at those points and
        at the initial point; ``"budget"``, ``"steps"``, ``"seed"``; and
        ``"optimizers"``: for each name a dict with ``"lr"``, ``"trajectory"`` (a list
        of ``(A, b)`` after each printed step), ``"A"``, ``"b"``, ``"loss"`` (after the
        budget), ``"losses"`` (the closure's loss at each budget step, taken before the
        update) and ``"seconds"`` (wall time of the budget loop).

    Raises
    ------
    ValueError
        If ``steps`` or ``budget`` is negative, or an optimizer name is unknown.
    """
    if steps < 0 or budget < 0:
        raise ValueError(f"steps and budget must be >= 0, got steps={steps}, budget={budget}")
    names = list(OPTIMIZER_LRS) if optimizers is None else list(optimizers)
    unknown = [name for name in names if name not in OPTIMIZER_LRS]
    if unknown:
        raise ValueError(f"unknown optimizer(s) {unknown}; choose from {list(OPTIMIZER_LRS)}")

    def say(line=""):
        if out is not None:
            out(line)

    x, t, rng = make_linear_data(n=n, seed=seed, dtype=dtype)
    w0, b0 = initial_point(rng, dtype=dtype)
    ls_a, ls_b = least_squares(x, t)
    ls_loss = mse_and_grad(np.array([[ls_a]]), np.array([ls_b]), x, t)[0]
    true_loss = mse_and_grad(np.array([[TRUE_A]]), np.array([TRUE_B]), x, t)[0]
    init_loss = mse_and_grad(w0, b0, x, t)[0]

    say(f"Linear regression t = A*x + b + noise, N={n} points, seed={seed}, {np.dtype(dtype).name}")
    say(f"true A = {TRUE_A}  true b = {TRUE_B}")
    say(f"least squares: A = {ls_a:.7f}  b = {ls_b:.7f}  loss = {ls_loss:.7e}")
    say(f"initial point (nn.Linear(1, 1) init): A = {float(w0[0, 0]):.7f}  b = {float(b0[0]):.7f}")

    results = {}
    width = max(len(name) for name in names) if names else 0
    for name in names:
        lr = OPTIMIZER_LRS[name]
        trajectory = []

        def on_step(k, a, b, loss, name=name, trajectory=trajectory):
            trajectory.append((a, b))
            if not quiet:
                say(f"{name:<{width}} step {k:>3}  learned A = {a: .7f}  "
                    f"learned b = {b: .7f}  loss = {loss:.6g}")

        if steps and not quiet:
            say()
            say(f"{name}(lr={lr}): {steps} steps of opt.step(closure); "
                "loss is the closure's, before the update")
        # The printed phase doubles as the warm-up that compiles the update rule; with
        # steps=0 one silent step does it, so the timed phase below measures steps only.
        _fit(name, lr, w0, b0, x, t, max(steps, 1), on_step if steps else None)
        a, b, loss, losses, seconds = _fit(name, lr, w0, b0, x, t, budget)
        results[name] = {
            "lr": lr,
            "trajectory": trajectory,
            "A": a,
            "b": b,
            "loss": loss,
            "losses": losses,
            "seconds": seconds,
        }

    say()
    say(f"After {budget} steps from the same initial point (loss at start: {init_loss:.4g}):")
    header = (
        f"{'optimizer':<13} {'lr':>5} {'loss':>13} {'learned A':>11} {'learned b':>11}"
        f" {'|error|':>9} {'time ms':>8} {'us/step':>8}"
    )
    say(header)
    say("-" * len(header))
    for name in names:
        r = results[name]
        err = max(abs(r["A"] - ls_a), abs(r["b"] - ls_b))
        per_step = f"{1e6 * r['seconds'] / budget:.1f}" if budget else "-"
        say(
            f"{name:<13} {r['lr']!s:>5} {r['loss']:>13.7e} {r['A']:>11.7f} {r['b']:>11.7f}"
            f" {err:>9.2e} {1e3 * r['seconds']:>8.2f} {per_step:>8}"
        )
    say("-" * len(header))
    say(f"{'least squares':<13} {'':>5} {ls_loss:>13.7e} {ls_a:>11.7f} {ls_b:>11.7f}")
    say(f"{'true':<13} {'':>5} {true_loss:>13.7e} {TRUE_A:>11.7f} {TRUE_B:>11.7f}")
    say("|error| = max(|A - A_lstsq|, |b - b_lstsq|); time = wall time of the budget loop.")

    return {
        "true": (TRUE_A, TRUE_B),
        "lstsq": (ls_a, ls_b),
        "lstsq_loss": ls_loss,
        "true_loss": true_loss,
        "initial_loss": init_loss,
        "initial": (float(w0[0, 0]), float(b0[0])),
        "steps": steps,
        "budget": budget,
        "seed": seed,
        "optimizers": results,
    }


# ---------------------------------------------------------------------------
# Many small fits at once: a Gaussian peak per curve, with minimize_batch
# ---------------------------------------------------------------------------

def _peak_objective():
    import numopt

    @numopt.objective(grad=True)
    def peak_sq_error(p, g, t, y):
        """0.5 * sum((A exp(-(t - mu)^2 / (2 s^2)) + c - y)^2) and its gradient; no allocation."""
        amp, mu, s, c = p[0], p[1], p[2], p[3]
        f = 0.0
        g[0] = g[1] = g[2] = g[3] = 0.0
        for k in range(t.size):
            d = t[k] - mu
            e = np.exp(-d * d / (2.0 * s * s))
            r = amp * e + c - y[k]
            f += 0.5 * r * r
            g[0] += r * e
            g[1] += r * amp * e * d / (s * s)
            g[2] += r * amp * e * d * d / (s * s * s)
            g[3] += r
        return f

    return peak_sq_error


def make_peak_curves(n_curves, n_points=50, seed=0, noise=0.05):
    """Synthetic noisy Gaussian peaks: returns ``(t, Y, truth)``, ``truth`` of shape
    ``(n_curves, 4)`` holding amplitude, centre, width and offset."""
    rng = np.random.default_rng(seed)
    t = np.linspace(-5.0, 5.0, n_points)
    truth = np.column_stack([
        rng.uniform(1.0, 5.0, n_curves),     # amplitude
        rng.uniform(-2.0, 2.0, n_curves),    # centre
        rng.uniform(0.5, 1.5, n_curves),     # width
        rng.uniform(-0.5, 0.5, n_curves),    # offset
    ])
    amp, mu, s, c = truth.T
    Y = amp[:, None] * np.exp(-(t - mu[:, None]) ** 2 / (2 * s[:, None] ** 2)) + c[:, None]
    Y += noise * rng.standard_normal(Y.shape)
    return t, Y, truth


def peak_initial_guess(t, Y):
    """A data-driven start per curve: offset from the edges, peak height and position, width 1."""
    offset = 0.5 * (Y[:, :3].mean(axis=1) + Y[:, -3:].mean(axis=1))
    top = Y.argmax(axis=1)
    return np.column_stack([Y.max(axis=1) - offset, t[top], np.ones(len(Y)), offset])


@register_demo("peaks", "fit a Gaussian peak to each of 100,000 noisy curves with minimize_batch")
def run_peak_fits(out=print, *, seed=0, quiet=False, curves=100_000, method="BFGS", **_unused):
    """Fit ``curves`` Gaussian peaks (4 parameters, 50 points each) by least squares.

    Returns
    -------
    dict
        ``truth``, ``x`` (fitted), ``result`` (BatchResult), ``seconds``, ``fits_per_second``.
    """
    import time

    import numopt

    say = (lambda *a: None) if out is None else out
    objective = _peak_objective()
    t, Y, truth = make_peak_curves(curves, seed=seed)
    X0 = peak_initial_guess(t, Y)
    numopt.minimize_batch(objective, X0[:4], args=(t, Y[:4]), method=method)  # compile
    start = time.perf_counter()
    res = numopt.minimize_batch(objective, X0, args=(t, Y), method=method)
    seconds = time.perf_counter() - start
    fitted = res.x.copy()
    fitted[:, 2] = np.abs(fitted[:, 2])  # the model depends on the width through s^2
    err = np.abs(fitted - truth)
    say(f"\nGaussian peak fits: {curves:,} curves of {t.size} points, 4 parameters each, "
        f"method {method}")
    say(f"  {seconds:.2f} s  ({curves / seconds:,.0f} fits/s on {_threads()} threads), "
        f"{res.success.mean():.2%} converged, median {int(np.median(res.nit))} iterations")
    names = ("amplitude", "centre", "width", "offset")
    say("  parameter     median |fit - truth|   95th percentile")
    for k, name in enumerate(names):
        say(f"  {name:10s}  {np.median(err[:, k]):19.4f}   {np.percentile(err[:, k], 95):15.4f}")
    return {"truth": truth, "x": fitted, "result": res, "seconds": seconds,
            "fits_per_second": curves / seconds}


def _threads():
    import numba

    return numba.get_num_threads()


@register_demo("all", "the linear-regression demo, then the batch of peak fits")
def run_all(out=print, **options):
    """Run every demo in turn; returns ``{name: result}``."""
    results = {"linear": run_linear_regression(out=out, **{k: v for k, v in options.items()
                                                            if k != "curves"})}
    results["peaks"] = run_peak_fits(out=out, seed=options.get("seed", 0),
                                     quiet=options.get("quiet", False),
                                     curves=options.get("curves", 100_000))
    return results
