"""The unconstrained test problems of Moré, Garbow and Hillstrom (1981).

Each problem is a :class:`Problem` record holding its dimensions, the paper's standard
starting point, the known minimum and three compiled functions that follow numopt's
objective protocol (no allocation inside, float64 arithmetic):

- ``fun(x) -> float``: the objective;
- ``grad(x, g) -> None``: writes the analytic gradient into ``g``;
- ``fg(x, g) -> float``: both at once.

Almost all problems are sums of squares :math:`f(x) = \\sum_{i=1}^m r_i(x)^2`; each is
written out by hand with the residuals accumulated in loops, so that ``fg`` needs no
scratch arrays. Problems whose number of residuals ``m`` may vary in the paper use the
``m`` of the paper's reference value of f* (noted per problem).

Python-friendly accessors :meth:`Problem.f`, :meth:`Problem.jac` and
:meth:`Problem.f_and_jac` allocate and return, for ``scipy.optimize.minimize``.

``ALL`` lists every problem at its canonical dimensions; :func:`get` looks one up by
label (``"watson_n9"``) or by name and dimension (``get("watson", n=9)``); problems of
variable dimension can be built at any valid ``n`` by their factory function
(``extended_rosenbrock(1000)``).

References
----------
J. J. Moré, B. S. Garbow and K. E. Hillstrom, "Testing unconstrained optimization
software", ACM Trans. Math. Software 7(1), 17-41, 1981. doi:10.1145/355934.355936

Examples
--------
>>> import numpy as np
>>> from numopt.testing import problems
>>> p = problems.get("rosenbrock")
>>> p.n, p.m, p.x0.tolist(), p.f_min
(2, 2, [-1.2, 1.0], 0.0)
>>> g = np.empty(p.n)
>>> round(p.fg(p.x0, g), 6), g.round(6).tolist()
(24.2, [-215.6, -88.0])
>>> problems.get("watson", n=9).label
'watson_n9'
"""
from dataclasses import dataclass, field
from math import atan, cos, exp, log, pi, sin, sqrt

import numba
import numpy as np

__all__ = [
    "Problem", "ALL", "get", "names",
    "rosenbrock", "freudenstein_roth", "powell_badly_scaled", "brown_badly_scaled",
    "beale", "jennrich_sampson", "helical_valley", "bard", "gaussian", "meyer",
    "gulf", "box_3d", "powell_singular", "wood", "kowalik_osborne", "brown_dennis",
    "osborne_1", "biggs_exp6", "osborne_2", "watson", "extended_rosenbrock",
    "extended_powell_singular", "penalty_1", "penalty_2", "variably_dimensioned",
    "trigonometric", "brown_almost_linear", "discrete_boundary_value",
    "discrete_integral_equation", "broyden_tridiagonal", "broyden_banded", "chebyquad",
    "chained_rosenbrock",
]

# Every compiled function: cached on disk, and numpy's float semantics (x / 0 is inf,
# not an exception), so that a solver probing far away sees inf or nan and backs off.
_jit = numba.njit(cache=True, error_model="numpy")


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Problem:
    """One test problem at one dimension.

    Attributes
    ----------
    name : str
        Family name, e.g. ``"extended_rosenbrock"``.
    n : int
        Number of variables.
    m : int
        Number of residuals (the objective is their sum of squares).
    x0 : ndarray
        The paper's standard starting point, read-only so that the shared record cannot
        be changed by accident: pass ``p.x0.copy()`` to code that works in place or to a
        compiled signature that expects a writable array.
    f_min : float
        The known global minimum value f*.
    x_min : ndarray or None
        A minimiser: the paper's where it gives one in closed form, otherwise one
        refined numerically here (see ``notes``); ``None`` where the minimiser is not
        attained (at infinity) or unknown.
    fun, grad, fg : numba dispatchers
        ``fun(x) -> f``, ``grad(x, g)`` and ``fg(x, g) -> f``, writing the gradient into
        the float64 array ``g`` of length ``n``.
    notes : str
        Local minima, variants, and where a number comes from.
    number : int or None
        The problem's number in Moré, Garbow and Hillstrom (1981); ``None`` for extras.
    f_local : tuple of float
        Other local minimum values documented for this problem (solvers often stop there).
    """

    name: str
    n: int
    m: int
    x0: np.ndarray
    f_min: float
    x_min: object
    fun: object = field(repr=False)
    grad: object = field(repr=False)
    fg: object = field(repr=False)
    notes: str = ""
    number: object = None
    f_local: tuple = ()

    @property
    def label(self):
        """Unique key: the name, with ``_n<n>`` appended for variable-dimension families."""
        return f"{self.name}_n{self.n}" if _FAMILIES[self.name][1] else self.name

    def _x(self, x):
        x = np.ascontiguousarray(x, dtype=np.float64)
        if not x.flags.writeable:
            # numba types read-only arrays separately: one specialisation is enough.
            x = x.copy()
        if x.shape != (self.n,):
            raise ValueError(f"x must have shape ({self.n},) for {self.label}, got {x.shape}")
        return x

    def f(self, x):
        """Objective value at ``x`` as a Python float."""
        return float(self.fun(self._x(x)))

    def jac(self, x):
        """Gradient at ``x`` as a new array (scipy's ``jac``)."""
        g = np.empty(self.n)
        self.grad(self._x(x), g)
        return g

    def f_and_jac(self, x):
        """``(f, gradient)`` at ``x``, for scipy's ``jac=True``."""
        g = np.empty(self.n)
        return float(self.fg(self._x(x), g)), g


# name -> (factory, canonical dimensions or None for fixed n); filled by _family.
_FAMILIES = {}


def _family(name, dims=None):
    def register(factory):
        _FAMILIES[name] = (factory, dims)
        factory.family = name
        return factory
    return register


def _make(name, n, m, x0, f_min, x_min, funcs, notes="", number=None, f_local=()):
    fun, grad, fg = funcs
    return Problem(name=name, n=n, m=m, x0=_frozen(x0), f_min=float(f_min),
                   x_min=None if x_min is None else _frozen(x_min),
                   fun=fun, grad=grad, fg=fg, notes=notes, number=number,
                   f_local=tuple(f_local))


def _check_n(name, n, lo, hi=None, multiple=1):
    n = int(n)
    if n < lo or (hi is not None and n > hi) or n % multiple:
        rule = f"n >= {lo}" + (f" and n <= {hi}" if hi is not None else "")
        rule += f", a multiple of {multiple}" if multiple > 1 else ""
        raise ValueError(f"{name} needs {rule}; got n={n}")
    return n


# ---------------------------------------------------------------------------------
# 1 and 21: Rosenbrock, extended Rosenbrock (pairs (x_{2i-1}, x_{2i}), n even)
#   r_{2i-1} = 10 (x_{2i} - x_{2i-1}^2),  r_{2i} = 1 - x_{2i-1}

@_jit
def _ext_rosenbrock_fun(x):
    f = 0.0
    for k in range(0, x.shape[0] - 1, 2):
        r1 = 10.0 * (x[k + 1] - x[k] * x[k])
        r2 = 1.0 - x[k]
        f += r1 * r1 + r2 * r2
    return f


@_jit
def _ext_rosenbrock_fg(x, g):
    f = 0.0
    for k in range(0, x.shape[0] - 1, 2):
        r1 = 10.0 * (x[k + 1] - x[k] * x[k])
        r2 = 1.0 - x[k]
        f += r1 * r1 + r2 * r2
        g[k] = -40.0 * x[k] * r1 - 2.0 * r2
        g[k + 1] = 20.0 * r1
    return f


@_jit
def _ext_rosenbrock_grad(x, g):
    _ext_rosenbrock_fg(x, g)


_EXT_ROSENBROCK = (_ext_rosenbrock_fun, _ext_rosenbrock_grad, _ext_rosenbrock_fg)


@_family("rosenbrock")
def rosenbrock():
    """Rosenbrock's function (MGH 1)."""
    return _make("rosenbrock", 2, 2, [-1.2, 1.0], 0.0, [1.0, 1.0], _EXT_ROSENBROCK,
                 number=1)


@_family("extended_rosenbrock", (10, 100))
def extended_rosenbrock(n=10):
    """Extended Rosenbrock function (MGH 21): n/2 uncoupled copies of Rosenbrock."""
    n = _check_n("extended_rosenbrock", n, 2, multiple=2)
    return _make("extended_rosenbrock", n, n, np.tile([-1.2, 1.0], n // 2), 0.0, np.ones(n),
                 _EXT_ROSENBROCK, number=21,
                 notes="n/2 uncoupled 2-D Rosenbrock problems; not scipy.optimize.rosen "
                       "(that is the chained form, see chained_rosenbrock).")


# ---------------------------------------------------------------------------------
# Extra, not in MGH: the chained Rosenbrock function of scipy.optimize.rosen,
#   f = sum_{i<n} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2

@_jit
def _chained_rosenbrock_fun(x):
    f = 0.0
    for i in range(x.shape[0] - 1):
        t = x[i + 1] - x[i] * x[i]
        s = 1.0 - x[i]
        f += 100.0 * t * t + s * s
    return f


@_jit
def _chained_rosenbrock_fg(x, g):
    n = x.shape[0]
    for i in range(n):
        g[i] = 0.0
    f = 0.0
    for i in range(n - 1):
        t = x[i + 1] - x[i] * x[i]
        s = 1.0 - x[i]
        f += 100.0 * t * t + s * s
        g[i] += -400.0 * x[i] * t - 2.0 * s
        g[i + 1] += 200.0 * t
    return f


@_jit
def _chained_rosenbrock_grad(x, g):
    _chained_rosenbrock_fg(x, g)


# Its second local minimum, computed here (BFGS from (-1, 1, ..., 1), gtol 1e-12).
_CHAINED_ROSENBROCK_LOCAL = {4: 3.7014286104300167, 10: 3.9865791123471377,
                             100: 3.986623854300933}


@_family("chained_rosenbrock", (10, 100))
def chained_rosenbrock(n=10):
    """Chained Rosenbrock function, as ``scipy.optimize.rosen`` (not an MGH problem)."""
    n = _check_n("chained_rosenbrock", n, 2)
    f_local = (_CHAINED_ROSENBROCK_LOCAL[n],) if n in _CHAINED_ROSENBROCK_LOCAL else ()
    return _make("chained_rosenbrock", n, 2 * (n - 1), np.tile([-1.2, 1.0], (n + 1) // 2)[:n],
                 0.0, np.ones(n),
                 (_chained_rosenbrock_fun, _chained_rosenbrock_grad, _chained_rosenbrock_fg),
                 f_local=f_local,
                 notes="scipy.optimize.rosen; not in MGH. Starting point (-1.2, 1, -1.2, ...) "
                       "by analogy with MGH 21. For n >= 4 there is a second local "
                       "minimum near (-1, 1, ..., 1): f = 3.70143 (n=4), 3.98658 (n=10), "
                       "3.98662 (n=100), computed here.")


# ---------------------------------------------------------------------------------
# 2: Freudenstein and Roth
#   r1 = -13 + x1 + ((5 - x2) x2 - 2) x2,  r2 = -29 + x1 + ((x2 + 1) x2 - 14) x2

@_jit
def _freudenstein_roth_fun(x):
    r1 = -13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1]
    r2 = -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1]
    return r1 * r1 + r2 * r2


@_jit
def _freudenstein_roth_fg(x, g):
    y = x[1]
    r1 = -13.0 + x[0] + ((5.0 - y) * y - 2.0) * y
    r2 = -29.0 + x[0] + ((y + 1.0) * y - 14.0) * y
    g[0] = 2.0 * (r1 + r2)
    g[1] = 2.0 * (r1 * ((10.0 - 3.0 * y) * y - 2.0) + r2 * ((3.0 * y + 2.0) * y - 14.0))
    return r1 * r1 + r2 * r2


@_jit
def _freudenstein_roth_grad(x, g):
    _freudenstein_roth_fg(x, g)


@_family("freudenstein_roth")
def freudenstein_roth():
    """Freudenstein and Roth function (MGH 2)."""
    return _make("freudenstein_roth", 2, 2, [0.5, -2.0], 0.0, [5.0, 4.0],
                 (_freudenstein_roth_fun, _freudenstein_roth_grad, _freudenstein_roth_fg),
                 number=2, f_local=(48.984253679240005,),
                 notes="Local minimum f = 48.9842... at (11.4128, -0.896805); descent "
                       "methods from x0 usually stop there.")


# ---------------------------------------------------------------------------------
# 3: Powell badly scaled
#   r1 = 1e4 x1 x2 - 1,  r2 = exp(-x1) + exp(-x2) - 1.0001

@_jit
def _powell_badly_scaled_fun(x):
    r1 = 1e4 * x[0] * x[1] - 1.0
    r2 = exp(-x[0]) + exp(-x[1]) - 1.0001
    return r1 * r1 + r2 * r2


@_jit
def _powell_badly_scaled_fg(x, g):
    e1 = exp(-x[0])
    e2 = exp(-x[1])
    r1 = 1e4 * x[0] * x[1] - 1.0
    r2 = e1 + e2 - 1.0001
    g[0] = 2.0 * (r1 * 1e4 * x[1] - r2 * e1)
    g[1] = 2.0 * (r1 * 1e4 * x[0] - r2 * e2)
    return r1 * r1 + r2 * r2


@_jit
def _powell_badly_scaled_grad(x, g):
    _powell_badly_scaled_fg(x, g)


@_family("powell_badly_scaled")
def powell_badly_scaled():
    """Powell badly scaled function (MGH 3)."""
    return _make("powell_badly_scaled", 2, 2, [0.0, 1.0], 0.0,
                 [1.0981593296997374e-05, 9.106146739867187],
                 (_powell_badly_scaled_fun, _powell_badly_scaled_grad, _powell_badly_scaled_fg),
                 number=3,
                 notes="The paper gives x* = (1.098...e-5, 9.106...); the digits here solve "
                       "r1 = r2 = 0 numerically.")


# ---------------------------------------------------------------------------------
# 4: Brown badly scaled
#   r1 = x1 - 1e6,  r2 = x2 - 2e-6,  r3 = x1 x2 - 2

@_jit
def _brown_badly_scaled_fun(x):
    r1 = x[0] - 1e6
    r2 = x[1] - 2e-6
    r3 = x[0] * x[1] - 2.0
    return r1 * r1 + r2 * r2 + r3 * r3


@_jit
def _brown_badly_scaled_fg(x, g):
    r1 = x[0] - 1e6
    r2 = x[1] - 2e-6
    r3 = x[0] * x[1] - 2.0
    g[0] = 2.0 * (r1 + r3 * x[1])
    g[1] = 2.0 * (r2 + r3 * x[0])
    return r1 * r1 + r2 * r2 + r3 * r3


@_jit
def _brown_badly_scaled_grad(x, g):
    _brown_badly_scaled_fg(x, g)


@_family("brown_badly_scaled")
def brown_badly_scaled():
    """Brown badly scaled function (MGH 4)."""
    return _make("brown_badly_scaled", 2, 3, [1.0, 1.0], 0.0, [1e6, 2e-6],
                 (_brown_badly_scaled_fun, _brown_badly_scaled_grad, _brown_badly_scaled_fg),
                 number=4)


# ---------------------------------------------------------------------------------
# 5: Beale,  r_i = y_i - x1 (1 - x2^i),  i = 1..3

_BEALE_Y = np.array([1.5, 2.25, 2.625])


@_jit
def _beale_fun(x):
    f = 0.0
    p = 1.0
    for i in range(3):
        p *= x[1]
        r = _BEALE_Y[i] - x[0] * (1.0 - p)
        f += r * r
    return f


@_jit
def _beale_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    p = 1.0   # x2^(i-1)
    for i in range(3):
        q = p * x[1]
        r = _BEALE_Y[i] - x[0] * (1.0 - q)
        f += r * r
        g0 -= 2.0 * r * (1.0 - q)
        g1 += 2.0 * r * x[0] * (i + 1) * p
        p = q
    g[0] = g0
    g[1] = g1
    return f


@_jit
def _beale_grad(x, g):
    _beale_fg(x, g)


@_family("beale")
def beale():
    """Beale function (MGH 5)."""
    return _make("beale", 2, 3, [1.0, 1.0], 0.0, [3.0, 0.5],
                 (_beale_fun, _beale_grad, _beale_fg), number=5)


# ---------------------------------------------------------------------------------
# 6: Jennrich and Sampson, m = 10:  r_i = 2 + 2i - (exp(i x1) + exp(i x2))

@_jit
def _jennrich_sampson_fun(x):
    f = 0.0
    for i in range(1, 11):
        r = 2.0 + 2.0 * i - (exp(i * x[0]) + exp(i * x[1]))
        f += r * r
    return f


@_jit
def _jennrich_sampson_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    for i in range(1, 11):
        e1 = exp(i * x[0])
        e2 = exp(i * x[1])
        r = 2.0 + 2.0 * i - (e1 + e2)
        f += r * r
        g0 -= 2.0 * r * i * e1
        g1 -= 2.0 * r * i * e2
    g[0] = g0
    g[1] = g1
    return f


@_jit
def _jennrich_sampson_grad(x, g):
    _jennrich_sampson_fg(x, g)


@_family("jennrich_sampson")
def jennrich_sampson():
    """Jennrich and Sampson function (MGH 6) with m = 10."""
    return _make("jennrich_sampson", 2, 10, [0.3, 0.4], 124.36218235561483,
                 [0.2578252136703641, 0.2578252136703641],
                 (_jennrich_sampson_fun, _jennrich_sampson_grad, _jennrich_sampson_fg),
                 number=6,
                 notes="m = 10. Paper: f* = 124.362 at x1 = x2 = 0.2578; digits here "
                       "refined numerically.")


# ---------------------------------------------------------------------------------
# 7: Helical valley
#   r1 = 10 (x3 - 10 theta(x1, x2)),  r2 = 10 (sqrt(x1^2 + x2^2) - 1),  r3 = x3
#   2 pi theta = arctan(x2 / x1) for x1 > 0, arctan(x2 / x1) + pi for x1 < 0

@_jit
def _helical_theta(x1, x2):
    if x1 > 0.0:
        return atan(x2 / x1) / (2.0 * pi)
    if x1 < 0.0:
        return atan(x2 / x1) / (2.0 * pi) + 0.5
    # x1 == 0, undefined in the paper: the limit from x1 > 0.
    if x2 > 0.0:
        return 0.25
    if x2 < 0.0:
        return -0.25
    return 0.0


@_jit
def _helical_valley_fun(x):
    r1 = 10.0 * (x[2] - 10.0 * _helical_theta(x[0], x[1]))
    r2 = 10.0 * (sqrt(x[0] * x[0] + x[1] * x[1]) - 1.0)
    r3 = x[2]
    return r1 * r1 + r2 * r2 + r3 * r3


@_jit
def _helical_valley_fg(x, g):
    rho2 = x[0] * x[0] + x[1] * x[1]
    rho = sqrt(rho2)
    r1 = 10.0 * (x[2] - 10.0 * _helical_theta(x[0], x[1]))
    r2 = 10.0 * (rho - 1.0)
    r3 = x[2]
    c = 100.0 / (2.0 * pi * rho2)   # dr1/dx1 = c x2, dr1/dx2 = -c x1
    g[0] = 2.0 * (r1 * c * x[1] + r2 * 10.0 * x[0] / rho)
    g[1] = 2.0 * (-r1 * c * x[0] + r2 * 10.0 * x[1] / rho)
    g[2] = 2.0 * (10.0 * r1 + r3)
    return r1 * r1 + r2 * r2 + r3 * r3


@_jit
def _helical_valley_grad(x, g):
    _helical_valley_fg(x, g)


@_family("helical_valley")
def helical_valley():
    """Helical valley function (MGH 7)."""
    return _make("helical_valley", 3, 3, [-1.0, 0.0, 0.0], 0.0, [1.0, 0.0, 0.0],
                 (_helical_valley_fun, _helical_valley_grad, _helical_valley_fg), number=7,
                 notes="theta jumps by 1 across the half-line x1 = 0, x2 < 0 (the paper's "
                       "branch of arctan); it is undefined at x1 = x2 = 0.")


# ---------------------------------------------------------------------------------
# 8: Bard,  r_i = y_i - (x1 + u_i / (v_i x2 + w_i x3)),  u = i, v = 16 - i, w = min(u, v)

_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73,
                    0.96, 1.34, 2.10, 4.39])


@_jit
def _bard_fun(x):
    f = 0.0
    for i in range(1, 16):
        u = float(i)
        v = 16.0 - u
        w = min(u, v)
        r = _BARD_Y[i - 1] - (x[0] + u / (v * x[1] + w * x[2]))
        f += r * r
    return f


@_jit
def _bard_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(1, 16):
        u = float(i)
        v = 16.0 - u
        w = min(u, v)
        d = v * x[1] + w * x[2]
        r = _BARD_Y[i - 1] - (x[0] + u / d)
        f += r * r
        q = 2.0 * r * u / (d * d)
        g0 -= 2.0 * r
        g1 += q * v
        g2 += q * w
    g[0] = g0
    g[1] = g1
    g[2] = g2
    return f


@_jit
def _bard_grad(x, g):
    _bard_fg(x, g)


@_family("bard")
def bard():
    """Bard function (MGH 8)."""
    return _make("bard", 3, 15, [1.0, 1.0, 1.0], 8.214877306578976e-03,
                 [0.08241055974978892, 1.1330360920297216, 2.343695178642537],
                 (_bard_fun, _bard_grad, _bard_fg), number=8, f_local=(17.428693333333335,),
                 notes="Paper: f* = 8.21487e-3; x_min refined numerically. Second "
                       "minimum f = 17.4286... at (0.8406..., -inf, -inf), a limit: "
                       "x1 = mean(y), the sum of squared deviations of the data.")


# ---------------------------------------------------------------------------------
# 9: Gaussian,  r_i = x1 exp(-x2 (t_i - x3)^2 / 2) - y_i,  t_i = (8 - i) / 2

_GAUSSIAN_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                        0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


@_jit
def _gaussian_fun(x):
    f = 0.0
    for i in range(1, 16):
        d = 0.5 * (8 - i) - x[2]
        r = x[0] * exp(-0.5 * x[1] * d * d) - _GAUSSIAN_Y[i - 1]
        f += r * r
    return f


@_jit
def _gaussian_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(1, 16):
        d = 0.5 * (8 - i) - x[2]
        e = exp(-0.5 * x[1] * d * d)
        r = x[0] * e - _GAUSSIAN_Y[i - 1]
        f += r * r
        g0 += 2.0 * r * e
        g1 -= r * x[0] * e * d * d
        g2 += 2.0 * r * x[0] * e * x[1] * d
    g[0] = g0
    g[1] = g1
    g[2] = g2
    return f


@_jit
def _gaussian_grad(x, g):
    _gaussian_fg(x, g)


@_family("gaussian")
def gaussian():
    """Gaussian function (MGH 9)."""
    return _make("gaussian", 3, 15, [0.4, 1.0, 0.0], 1.1279327696188578e-08,
                 [0.39895613783875666, 1.0000190844878059, 0.0],
                 (_gaussian_fun, _gaussian_grad, _gaussian_fg), number=9,
                 notes="Paper: f* = 1.12793e-8; x_min refined numerically (x3 = 0 by "
                       "the symmetry of the data).")


# ---------------------------------------------------------------------------------
# 10: Meyer,  r_i = x1 exp(x2 / (t_i + x3)) - y_i,  t_i = 45 + 5 i

_MEYER_Y = np.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0,
                     9744.0, 8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0,
                     2872.0])


@_jit
def _meyer_fun(x):
    f = 0.0
    for i in range(1, 17):
        r = x[0] * exp(x[1] / (45.0 + 5.0 * i + x[2])) - _MEYER_Y[i - 1]
        f += r * r
    return f


@_jit
def _meyer_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(1, 17):
        s = 45.0 + 5.0 * i + x[2]
        e = exp(x[1] / s)
        r = x[0] * e - _MEYER_Y[i - 1]
        f += r * r
        g0 += 2.0 * r * e
        g1 += 2.0 * r * x[0] * e / s
        g2 -= 2.0 * r * x[0] * e * x[1] / (s * s)
    g[0] = g0
    g[1] = g1
    g[2] = g2
    return f


@_jit
def _meyer_grad(x, g):
    _meyer_fg(x, g)


@_family("meyer")
def meyer():
    """Meyer function (MGH 10)."""
    return _make("meyer", 3, 16, [0.02, 4000.0, 250.0], 87.94585517044912,
                 [0.005609636471306065, 6181.346346243972, 345.22363462267765],
                 (_meyer_fun, _meyer_grad, _meyer_fg), number=10,
                 notes="Paper: f* = 87.9458; x_min refined numerically. Very badly "
                       "conditioned (variables of scale 1e-3, 1e3, 1e2).")


# ---------------------------------------------------------------------------------
# 11: Gulf research and development, m = 99
#   r_i = exp(-|y_i - x2|^x3 / x1) - t_i,  t_i = i / 100,  y_i = 25 + (-50 ln t_i)^(2/3)

_GULF_T = np.arange(1, 100) / 100.0
_GULF_Y = 25.0 + (-50.0 * np.log(_GULF_T)) ** (2.0 / 3.0)


@_jit
def _gulf_fun(x):
    f = 0.0
    for i in range(99):
        r = exp(-abs(_GULF_Y[i] - x[1]) ** x[2] / x[0]) - _GULF_T[i]
        f += r * r
    return f


@_jit
def _gulf_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(99):
        d = _GULF_Y[i] - x[1]
        a = abs(d)
        p = a ** x[2]
        e = exp(-p / x[0])
        r = e - _GULF_T[i]
        f += r * r
        g0 += 2.0 * r * e * p / (x[0] * x[0])
        if a > 0.0:   # |d|^x3 has derivative 0 (x3 > 1) or none at d = 0
            s = 1.0 if d > 0.0 else -1.0
            g1 += 2.0 * r * e * x[2] * (p / a) * s / x[0]
            g2 -= 2.0 * r * e * p * log(a) / x[0]
    g[0] = g0
    g[1] = g1
    g[2] = g2
    return f


@_jit
def _gulf_grad(x, g):
    _gulf_fg(x, g)


@_family("gulf")
def gulf():
    """Gulf research and development function (MGH 11) with m = 99."""
    return _make("gulf", 3, 99, [5.0, 2.5, 0.15], 0.0, [50.0, 25.0, 1.5],
                 (_gulf_fun, _gulf_grad, _gulf_fg), number=11,
                 notes="m = 99. The paper prints 'y_i mi x2' for y_i - x2 (a typesetting "
                       "slip). Flat far from x*: exp(-|.|^x3 / x1) saturates at 0 or 1.")


# ---------------------------------------------------------------------------------
# 12: Box three-dimensional, m = 10
#   r_i = exp(-t_i x1) - exp(-t_i x2) - x3 (exp(-t_i) - exp(-10 t_i)),  t_i = 0.1 i

@_jit
def _box_3d_fun(x):
    f = 0.0
    for i in range(1, 11):
        t = 0.1 * i
        r = exp(-t * x[0]) - exp(-t * x[1]) - x[2] * (exp(-t) - exp(-10.0 * t))
        f += r * r
    return f


@_jit
def _box_3d_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    for i in range(1, 11):
        t = 0.1 * i
        e1 = exp(-t * x[0])
        e2 = exp(-t * x[1])
        c = exp(-t) - exp(-10.0 * t)
        r = e1 - e2 - x[2] * c
        f += r * r
        g0 -= 2.0 * r * t * e1
        g1 += 2.0 * r * t * e2
        g2 -= 2.0 * r * c
    g[0] = g0
    g[1] = g1
    g[2] = g2
    return f


@_jit
def _box_3d_grad(x, g):
    _box_3d_fg(x, g)


@_family("box_3d")
def box_3d():
    """Box three-dimensional function (MGH 12) with m = 10."""
    return _make("box_3d", 3, 10, [0.0, 10.0, 20.0], 0.0, [1.0, 10.0, 1.0],
                 (_box_3d_fun, _box_3d_grad, _box_3d_fg), number=12,
                 notes="m = 10. f = 0 also at (10, 1, -1) and on the line x1 = x2, x3 = 0.")


# ---------------------------------------------------------------------------------
# 13 and 22: Powell singular, extended Powell singular (blocks of 4, n % 4 == 0)
#   r1 = a + 10 b,  r2 = sqrt(5) (c - d),  r3 = (b - 2 c)^2,  r4 = sqrt(10) (a - d)^2

@_jit
def _ext_powell_fun(x):
    f = 0.0
    for k in range(0, x.shape[0] - 3, 4):
        a = x[k] + 10.0 * x[k + 1]
        b = x[k + 2] - x[k + 3]
        c = x[k + 1] - 2.0 * x[k + 2]
        d = x[k] - x[k + 3]
        c3 = c * c * c
        d3 = d * d * d
        f += a * a + 5.0 * b * b + c3 * c + 10.0 * d3 * d
    return f


@_jit
def _ext_powell_fg(x, g):
    f = 0.0
    for k in range(0, x.shape[0] - 3, 4):
        a = x[k] + 10.0 * x[k + 1]
        b = x[k + 2] - x[k + 3]
        c = x[k + 1] - 2.0 * x[k + 2]
        d = x[k] - x[k + 3]
        c3 = c * c * c
        d3 = d * d * d
        f += a * a + 5.0 * b * b + c3 * c + 10.0 * d3 * d
        g[k] = 2.0 * a + 40.0 * d3
        g[k + 1] = 20.0 * a + 4.0 * c3
        g[k + 2] = 10.0 * b - 8.0 * c3
        g[k + 3] = -10.0 * b - 40.0 * d3
    return f


@_jit
def _ext_powell_grad(x, g):
    _ext_powell_fg(x, g)


_EXT_POWELL = (_ext_powell_fun, _ext_powell_grad, _ext_powell_fg)


@_family("powell_singular")
def powell_singular():
    """Powell singular function (MGH 13)."""
    return _make("powell_singular", 4, 4, [3.0, -1.0, 0.0, 1.0], 0.0, np.zeros(4),
                 _EXT_POWELL, number=13,
                 notes="The Hessian is singular at x*, so convergence in x is slow "
                       "(linear at best) even though f falls fast.")


@_family("extended_powell_singular", (12, 100))
def extended_powell_singular(n=12):
    """Extended Powell singular function (MGH 22): n/4 uncoupled copies of MGH 13."""
    n = _check_n("extended_powell_singular", n, 4, multiple=4)
    return _make("extended_powell_singular", n, n, np.tile([3.0, -1.0, 0.0, 1.0], n // 4),
                 0.0, np.zeros(n), _EXT_POWELL, number=22,
                 notes="Singular Hessian at x*, as MGH 13.")


# ---------------------------------------------------------------------------------
# 14: Wood
#   r = (10 (x2 - x1^2), 1 - x1, sqrt(90) (x4 - x3^2), 1 - x3,
#        sqrt(10) (x2 + x4 - 2), (x2 - x4) / sqrt(10))

@_jit
def _wood_fun(x):
    a = x[1] - x[0] * x[0]
    b = 1.0 - x[0]
    c = x[3] - x[2] * x[2]
    d = 1.0 - x[2]
    e = x[1] + x[3] - 2.0
    h = x[1] - x[3]
    return 100.0 * a * a + b * b + 90.0 * c * c + d * d + 10.0 * e * e + 0.1 * h * h


@_jit
def _wood_fg(x, g):
    a = x[1] - x[0] * x[0]
    b = 1.0 - x[0]
    c = x[3] - x[2] * x[2]
    d = 1.0 - x[2]
    e = x[1] + x[3] - 2.0
    h = x[1] - x[3]
    g[0] = -400.0 * x[0] * a - 2.0 * b
    g[1] = 200.0 * a + 20.0 * e + 0.2 * h
    g[2] = -360.0 * x[2] * c - 2.0 * d
    g[3] = 180.0 * c + 20.0 * e - 0.2 * h
    return 100.0 * a * a + b * b + 90.0 * c * c + d * d + 10.0 * e * e + 0.1 * h * h


@_jit
def _wood_grad(x, g):
    _wood_fg(x, g)


@_family("wood")
def wood():
    """Wood function (MGH 14)."""
    return _make("wood", 4, 6, [-3.0, -1.0, -3.0, -1.0], 0.0, np.ones(4),
                 (_wood_fun, _wood_grad, _wood_fg), number=14,
                 notes="A saddle point at (-0.96797, 0.94714, -0.96952, 0.95125), "
                       "f = 7.87697, can stall descent methods.")


# ---------------------------------------------------------------------------------
# 15: Kowalik and Osborne
#   r_i = y_i - x1 (u_i^2 + u_i x2) / (u_i^2 + u_i x3 + x4)

_KOWALIK_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342,
                       0.0323, 0.0235, 0.0246])
_KOWALIK_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


@_jit
def _kowalik_osborne_fun(x):
    f = 0.0
    for i in range(11):
        u = _KOWALIK_U[i]
        r = _KOWALIK_Y[i] - x[0] * (u * u + u * x[1]) / (u * u + u * x[2] + x[3])
        f += r * r
    return f


@_jit
def _kowalik_osborne_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for i in range(11):
        u = _KOWALIK_U[i]
        num = u * u + u * x[1]
        den = u * u + u * x[2] + x[3]
        r = _KOWALIK_Y[i] - x[0] * num / den
        f += r * r
        q = 2.0 * r * x[0] * num / (den * den)
        g0 -= 2.0 * r * num / den
        g1 -= 2.0 * r * x[0] * u / den
        g2 += q * u
        g3 += q
    g[0] = g0
    g[1] = g1
    g[2] = g2
    g[3] = g3
    return f


@_jit
def _kowalik_osborne_grad(x, g):
    _kowalik_osborne_fg(x, g)


@_family("kowalik_osborne")
def kowalik_osborne():
    """Kowalik and Osborne function (MGH 15)."""
    return _make("kowalik_osborne", 4, 11, [0.25, 0.39, 0.415, 0.39], 3.075056038492361e-04,
                 [0.19280693457512202, 0.19128232876920212, 0.1230565069155615,
                  0.13606233069937212],
                 (_kowalik_osborne_fun, _kowalik_osborne_grad, _kowalik_osborne_fg),
                 number=15, f_local=(1.02734e-03,),
                 notes="Paper: f* = 3.07505e-4; x_min refined numerically. Also "
                       "f = 1.02734...e-3 at (+inf, -14.07..., -inf, -inf).")


# ---------------------------------------------------------------------------------
# 16: Brown and Dennis, m = 20
#   r_i = (x1 + t_i x2 - exp(t_i))^2 + (x3 + x4 sin(t_i) - cos(t_i))^2,  t_i = i / 5

@_jit
def _brown_dennis_fun(x):
    f = 0.0
    for i in range(1, 21):
        t = i / 5.0
        a = x[0] + t * x[1] - exp(t)
        b = x[2] + x[3] * sin(t) - cos(t)
        r = a * a + b * b
        f += r * r
    return f


@_jit
def _brown_dennis_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    for i in range(1, 21):
        t = i / 5.0
        s = sin(t)
        a = x[0] + t * x[1] - exp(t)
        b = x[2] + x[3] * s - cos(t)
        r = a * a + b * b
        f += r * r
        g0 += 4.0 * r * a
        g1 += 4.0 * r * a * t
        g2 += 4.0 * r * b
        g3 += 4.0 * r * b * s
    g[0] = g0
    g[1] = g1
    g[2] = g2
    g[3] = g3
    return f


@_jit
def _brown_dennis_grad(x, g):
    _brown_dennis_fg(x, g)


@_family("brown_dennis")
def brown_dennis():
    """Brown and Dennis function (MGH 16) with m = 20."""
    return _make("brown_dennis", 4, 20, [25.0, 5.0, -5.0, -1.0], 85822.20162635631,
                 [-11.59443990476217, 13.203630051207206, -0.403439488176861,
                  0.2367787744557359],
                 (_brown_dennis_fun, _brown_dennis_grad, _brown_dennis_fg), number=16,
                 notes="m = 20. Paper: f* = 85822.2; x_min refined numerically.")


# ---------------------------------------------------------------------------------
# 17: Osborne 1
#   r_i = y_i - (x1 + x2 exp(-t_i x4) + x3 exp(-t_i x5)),  t_i = 10 (i - 1)

_OSBORNE1_Y = np.array([
    0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
    0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
    0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406])


@_jit
def _osborne_1_fun(x):
    f = 0.0
    for i in range(33):
        t = 10.0 * i
        r = _OSBORNE1_Y[i] - (x[0] + x[1] * exp(-t * x[3]) + x[2] * exp(-t * x[4]))
        f += r * r
    return f


@_jit
def _osborne_1_fg(x, g):
    f = 0.0
    g0 = 0.0
    g1 = 0.0
    g2 = 0.0
    g3 = 0.0
    g4 = 0.0
    for i in range(33):
        t = 10.0 * i
        e4 = exp(-t * x[3])
        e5 = exp(-t * x[4])
        r = _OSBORNE1_Y[i] - (x[0] + x[1] * e4 + x[2] * e5)
        f += r * r
        g0 -= 2.0 * r
        g1 -= 2.0 * r * e4
        g2 -= 2.0 * r * e5
        g3 += 2.0 * r * x[1] * t * e4
        g4 += 2.0 * r * x[2] * t * e5
    g[0] = g0
    g[1] = g1
    g[2] = g2
    g[3] = g3
    g[4] = g4
    return f


@_jit
def _osborne_1_grad(x, g):
    _osborne_1_fg(x, g)


@_family("osborne_1")
def osborne_1():
    """Osborne 1 function (MGH 17)."""
    return _make("osborne_1", 5, 33, [0.5, 1.5, -1.0, 0.01, 0.02], 5.464894697482553e-05,
                 [0.37541005210695194, 1.9358469127123559, -1.4646871366134118,
                  0.012867534640057266, 0.02212269966167266],
                 (_osborne_1_fun, _osborne_1_grad, _osborne_1_fg), number=17,
                 notes="Paper: f* = 5.46489e-5; x_min refined numerically.")


# ---------------------------------------------------------------------------------
# 18: Biggs EXP6, m = 13
#   r_i = x3 exp(-t_i x1) - x4 exp(-t_i x2) + x6 exp(-t_i x5) - y_i,  t_i = 0.1 i,
#   y_i = exp(-t_i) - 5 exp(-10 t_i) + 3 exp(-4 t_i)

_BIGGS_T = 0.1 * np.arange(1, 14)
_BIGGS_Y = np.exp(-_BIGGS_T) - 5.0 * np.exp(-10.0 * _BIGGS_T) + 3.0 * np.exp(-4.0 * _BIGGS_T)


@_jit
def _biggs_exp6_fun(x):
    f = 0.0
    for i in range(13):
        t = _BIGGS_T[i]
        r = (x[2] * exp(-t * x[0]) - x[3] * exp(-t * x[1]) + x[5] * exp(-t * x[4])
             - _BIGGS_Y[i])
        f += r * r
    return f


@_jit
def _biggs_exp6_fg(x, g):
    for j in range(6):
        g[j] = 0.0
    f = 0.0
    for i in range(13):
        t = _BIGGS_T[i]
        e1 = exp(-t * x[0])
        e2 = exp(-t * x[1])
        e5 = exp(-t * x[4])
        r = x[2] * e1 - x[3] * e2 + x[5] * e5 - _BIGGS_Y[i]
        f += r * r
        r2 = 2.0 * r
        g[0] -= r2 * t * x[2] * e1
        g[1] += r2 * t * x[3] * e2
        g[2] += r2 * e1
        g[3] -= r2 * e2
        g[4] -= r2 * t * x[5] * e5
        g[5] += r2 * e5
    return f


@_jit
def _biggs_exp6_grad(x, g):
    _biggs_exp6_fg(x, g)


@_family("biggs_exp6")
def biggs_exp6():
    """Biggs EXP6 function (MGH 18) with m = 13."""
    return _make("biggs_exp6", 6, 13, [1.0, 2.0, 1.0, 1.0, 1.0, 1.0], 0.0,
                 [1.0, 10.0, 1.0, 5.0, 4.0, 3.0],
                 (_biggs_exp6_fun, _biggs_exp6_grad, _biggs_exp6_fg), number=18,
                 f_local=(5.655649925499936e-03,),
                 notes="m = 13. f = 0 at (1, 10, 1, 5, 4, 3) (and (4, 10, 3, 5, 1, 1)); the "
                       "paper's f = 5.65565e-3 is a local minimum that methods often reach.")


# ---------------------------------------------------------------------------------
# 19: Osborne 2,  t_i = (i - 1) / 10,
#   r_i = y_i - (x1 e^{-t_i x5} + x2 e^{-(t_i - x9)^2 x6} + x3 e^{-(t_i - x10)^2 x7}
#                + x4 e^{-(t_i - x11)^2 x8})

_OSBORNE2_Y = np.array([
    1.366, 1.191, 1.112, 1.013, 0.991, 0.885, 0.831, 0.847, 0.786, 0.725, 0.746, 0.679,
    0.608, 0.655, 0.616, 0.606, 0.602, 0.626, 0.651, 0.724, 0.649, 0.649, 0.694, 0.644,
    0.624, 0.661, 0.612, 0.558, 0.533, 0.495, 0.500, 0.423, 0.395, 0.375, 0.372, 0.391,
    0.396, 0.405, 0.428, 0.429, 0.523, 0.562, 0.607, 0.653, 0.672, 0.708, 0.633, 0.668,
    0.645, 0.632, 0.591, 0.559, 0.597, 0.625, 0.739, 0.710, 0.729, 0.720, 0.636, 0.581,
    0.428, 0.292, 0.162, 0.098, 0.054])


@_jit
def _osborne_2_fun(x):
    f = 0.0
    for i in range(65):
        t = i / 10.0
        d2 = t - x[8]
        d3 = t - x[9]
        d4 = t - x[10]
        r = _OSBORNE2_Y[i] - (x[0] * exp(-t * x[4]) + x[1] * exp(-d2 * d2 * x[5])
                              + x[2] * exp(-d3 * d3 * x[6]) + x[3] * exp(-d4 * d4 * x[7]))
        f += r * r
    return f


@_jit
def _osborne_2_fg(x, g):
    for j in range(11):
        g[j] = 0.0
    f = 0.0
    for i in range(65):
        t = i / 10.0
        d2 = t - x[8]
        d3 = t - x[9]
        d4 = t - x[10]
        e1 = exp(-t * x[4])
        e2 = exp(-d2 * d2 * x[5])
        e3 = exp(-d3 * d3 * x[6])
        e4 = exp(-d4 * d4 * x[7])
        r = _OSBORNE2_Y[i] - (x[0] * e1 + x[1] * e2 + x[2] * e3 + x[3] * e4)
        f += r * r
        r2 = 2.0 * r
        g[0] -= r2 * e1
        g[1] -= r2 * e2
        g[2] -= r2 * e3
        g[3] -= r2 * e4
        g[4] += r2 * x[0] * t * e1
        g[5] += r2 * x[1] * d2 * d2 * e2
        g[6] += r2 * x[2] * d3 * d3 * e3
        g[7] += r2 * x[3] * d4 * d4 * e4
        g[8] -= r2 * 2.0 * x[1] * x[5] * d2 * e2
        g[9] -= r2 * 2.0 * x[2] * x[6] * d3 * e3
        g[10] -= r2 * 2.0 * x[3] * x[7] * d4 * e4
    return f


@_jit
def _osborne_2_grad(x, g):
    _osborne_2_fg(x, g)


@_family("osborne_2")
def osborne_2():
    """Osborne 2 function (MGH 19)."""
    return _make("osborne_2", 11, 65,
                 [1.3, 0.65, 0.65, 0.7, 0.6, 3.0, 5.0, 7.0, 2.0, 4.5, 5.5],
                 4.013773629354769e-02,
                 [1.3099771546277155, 0.4315537946035448, 0.6336616989611482,
                  0.5994305347865091, 0.7541832263294168, 0.9042885798570195,
                  1.365811835239069, 4.823698817230564, 2.3986848661311355,
                  4.568874597667333, 5.6753414705805465],
                 (_osborne_2_fun, _osborne_2_grad, _osborne_2_fg), number=19,
                 notes="Paper: f* = 4.01377e-2; x_min refined numerically.")


# ---------------------------------------------------------------------------------
# 20: Watson, m = 31, 2 <= n <= 31, t_i = i / 29 for i <= 29:
#   r_i = sum_{j>=2} (j-1) x_j t_i^{j-2} - (sum_j x_j t_i^{j-1})^2 - 1,
#   r_30 = x1,  r_31 = x2 - x1^2 - 1

@_jit
def _watson_sums(x, t):
    s1 = 0.0   # sum_{j>=2} (j-1) x_j t^{j-2}
    s2 = 0.0   # sum_j x_j t^{j-1}
    p = 1.0    # t^k
    q = 0.0    # t^(k-1)
    for k in range(x.shape[0]):
        if k > 0:
            s1 += k * x[k] * q
        s2 += x[k] * p
        q = p
        p *= t
    return s1, s2


@_jit
def _watson_fun(x):
    f = 0.0
    for i in range(1, 30):
        s1, s2 = _watson_sums(x, i / 29.0)
        r = s1 - s2 * s2 - 1.0
        f += r * r
    r31 = x[1] - x[0] * x[0] - 1.0
    return f + x[0] * x[0] + r31 * r31


@_jit
def _watson_fg(x, g):
    n = x.shape[0]
    for k in range(n):
        g[k] = 0.0
    f = 0.0
    for i in range(1, 30):
        t = i / 29.0
        s1, s2 = _watson_sums(x, t)
        r = s1 - s2 * s2 - 1.0
        f += r * r
        # dr/dx_k = k t^{k-1} - 2 s2 t^k  (0-based k)
        p = 1.0
        q = 0.0
        for k in range(n):
            d = -2.0 * s2 * p
            if k > 0:
                d += k * q
            g[k] += 2.0 * r * d
            q = p
            p *= t
    r31 = x[1] - x[0] * x[0] - 1.0
    g[0] += 2.0 * x[0] - 4.0 * r31 * x[0]
    g[1] += 2.0 * r31
    return f + x[0] * x[0] + r31 * r31


@_jit
def _watson_grad(x, g):
    _watson_fg(x, g)


_WATSON_MIN = {
    6: (2.287670053552395e-03,
        [-0.015725086468717654, 1.0124348693089202, -0.23299162544110796,
         1.260430085753591, -1.513728920094747, 0.9929964312046752]),
    9: (1.3997601380949765e-06,
        [-1.53070366155298e-05, 0.9997897039321695, 0.014763963694568035,
         0.1463423282889924, 1.0008211030456111, -2.617731140607907, 4.10440316458369,
         -3.143612278618757, 1.0526264080247083]),
    12: (4.722381102809697e-10,
         [-6.638078502709679e-09, 1.0000016441124344, -0.0005639310885885128,
          0.3478205159273248, -0.15673127330402598, 1.0528139959556548, -3.247267510232201,
          7.288427822284793, -10.27183952316566, 9.074107032928044, -4.541372647815354,
          1.012011372015539]),
}


@_family("watson", (6, 9))
def watson(n=6):
    """Watson function (MGH 20), 2 <= n <= 31, m = 31."""
    n = _check_n("watson", n, 2, 31)
    if n not in _WATSON_MIN:
        raise ValueError(f"watson: the minimum is known only for n in {sorted(_WATSON_MIN)}; "
                         f"got n={n}")
    f_min, x_min = _WATSON_MIN[n]
    return _make("watson", n, 31, np.zeros(n), f_min, x_min,
                 (_watson_fun, _watson_grad, _watson_fg), number=20,
                 notes="Paper: f* = 2.28767e-3 (n=6), 1.39976e-6 (n=9), 4.72238e-10 "
                       "(n=12); x_min refined numerically. Ill-conditioned for n >= 9 "
                       "(a polynomial fit in the monomial basis).")


# ---------------------------------------------------------------------------------
# 23: Penalty I, m = n + 1, a = 1e-5
#   r_i = sqrt(a) (x_i - 1),  r_{n+1} = sum x_j^2 - 1/4

@_jit
def _penalty_1_fun(x):
    f = 0.0
    s = 0.0
    for j in range(x.shape[0]):
        f += 1e-5 * (x[j] - 1.0) ** 2
        s += x[j] * x[j]
    return f + (s - 0.25) ** 2


@_jit
def _penalty_1_fg(x, g):
    f = 0.0
    s = 0.0
    for j in range(x.shape[0]):
        f += 1e-5 * (x[j] - 1.0) ** 2
        s += x[j] * x[j]
    r = s - 0.25
    for j in range(x.shape[0]):
        g[j] = 2e-5 * (x[j] - 1.0) + 4.0 * r * x[j]
    return f + r * r


@_jit
def _penalty_1_grad(x, g):
    _penalty_1_fg(x, g)


_PENALTY_1_MIN = {
    4: (2.249977500899937e-05, [0.2500074995875382] * 4),
    10: (7.087651467090369e-05, [0.1581223011] * 10),
}


@_family("penalty_1", (4, 10))
def penalty_1(n=4):
    """Penalty function I (MGH 23), m = n + 1."""
    n = _check_n("penalty_1", n, 1)
    if n not in _PENALTY_1_MIN:
        raise ValueError(f"penalty_1: the minimum is known only for n in "
                         f"{sorted(_PENALTY_1_MIN)}; got n={n}")
    f_min, x_min = _PENALTY_1_MIN[n]
    return _make("penalty_1", n, n + 1, np.arange(1.0, n + 1), f_min, x_min,
                 (_penalty_1_fun, _penalty_1_grad, _penalty_1_fg), number=23,
                 notes="Paper: f* = 2.24997e-5 (n=4), 7.08765e-5 (n=10); x_min refined "
                       "numerically (all components equal).")


# ---------------------------------------------------------------------------------
# 24: Penalty II, m = 2n, a = 1e-5, y_i = exp(i/10) + exp((i-1)/10)
#   r_1 = x1 - 0.2
#   r_i = sqrt(a) (exp(x_i/10) + exp(x_{i-1}/10) - y_i),      2 <= i <= n
#   r_i = sqrt(a) (exp(x_{i-n+1}/10) - exp(-1/10)),            n < i < 2n
#   r_2n = sum_j (n - j + 1) x_j^2 - 1

@_jit
def _penalty_2_fun(x):
    n = x.shape[0]
    r = x[0] - 0.2
    f = r * r
    s = n * x[0] * x[0]
    for k in range(1, n):
        ek = exp(0.1 * x[k])
        q = ek + exp(0.1 * x[k - 1]) - (exp(0.1 * (k + 1)) + exp(0.1 * k))
        f += 1e-5 * q * q
        q = ek - exp(-0.1)
        f += 1e-5 * q * q
        s += (n - k) * x[k] * x[k]
    return f + (s - 1.0) ** 2


@_jit
def _penalty_2_fg(x, g):
    n = x.shape[0]
    for k in range(n):
        g[k] = 0.0
    r = x[0] - 0.2
    f = r * r
    g[0] = 2.0 * r
    s = n * x[0] * x[0]
    for k in range(1, n):
        ek = exp(0.1 * x[k])
        ekm = exp(0.1 * x[k - 1])
        q = ek + ekm - (exp(0.1 * (k + 1)) + exp(0.1 * k))
        f += 1e-5 * q * q
        g[k] += 2e-6 * q * ek
        g[k - 1] += 2e-6 * q * ekm
        q = ek - exp(-0.1)
        f += 1e-5 * q * q
        g[k] += 2e-6 * q * ek
        s += (n - k) * x[k] * x[k]
    r = s - 1.0
    for k in range(n):
        g[k] += 4.0 * r * (n - k) * x[k]
    return f + r * r


@_jit
def _penalty_2_grad(x, g):
    _penalty_2_fg(x, g)


_PENALTY_2_MIN = {
    4: (9.376293007355444e-06,
        [0.19999933335070066, 0.19131670024427203, 0.4801014857727631, 0.5188454044034948]),
    10: (2.93660537456746e-04,
         [0.19998360519949743, 0.010350647987875003, 0.01960493422742254,
          0.03208906643643332, 0.049932677444395925, 0.07651399449076868,
          0.118624072327416, 0.1921448718849968, 0.34732058758704487,
          0.3691643756975043]),
}


@_family("penalty_2", (4, 10))
def penalty_2(n=4):
    """Penalty function II (MGH 24), m = 2n."""
    n = _check_n("penalty_2", n, 1)
    if n not in _PENALTY_2_MIN:
        raise ValueError(f"penalty_2: the minimum is known only for n in "
                         f"{sorted(_PENALTY_2_MIN)}; got n={n}")
    f_min, x_min = _PENALTY_2_MIN[n]
    return _make("penalty_2", n, 2 * n, np.full(n, 0.5), f_min, x_min,
                 (_penalty_2_fun, _penalty_2_grad, _penalty_2_fg), number=24,
                 notes="Paper: f* = 9.37629e-6 (n=4), 2.93660e-4 (n=10); x_min refined "
                       "numerically.")


# ---------------------------------------------------------------------------------
# 25: Variably dimensioned, m = n + 2
#   r_i = x_i - 1,  r_{n+1} = sum_j j (x_j - 1),  r_{n+2} = r_{n+1}^2

@_jit
def _variably_dimensioned_fun(x):
    f = 0.0
    s = 0.0
    for j in range(x.shape[0]):
        d = x[j] - 1.0
        f += d * d
        s += (j + 1) * d
    return f + s * s + s ** 4


@_jit
def _variably_dimensioned_fg(x, g):
    f = 0.0
    s = 0.0
    for j in range(x.shape[0]):
        d = x[j] - 1.0
        f += d * d
        s += (j + 1) * d
    c = 2.0 * s + 4.0 * s * s * s
    for j in range(x.shape[0]):
        g[j] = 2.0 * (x[j] - 1.0) + c * (j + 1)
    return f + s * s + s ** 4


@_jit
def _variably_dimensioned_grad(x, g):
    _variably_dimensioned_fg(x, g)


@_family("variably_dimensioned", (10,))
def variably_dimensioned(n=10):
    """Variably dimensioned function (MGH 25), m = n + 2."""
    n = _check_n("variably_dimensioned", n, 1)
    return _make("variably_dimensioned", n, n + 2, 1.0 - np.arange(1, n + 1) / n, 0.0,
                 np.ones(n),
                 (_variably_dimensioned_fun, _variably_dimensioned_grad,
                  _variably_dimensioned_fg), number=25)


# ---------------------------------------------------------------------------------
# 26: Trigonometric, m = n
#   r_i = n - sum_j cos x_j + i (1 - cos x_i) - sin x_i

@_jit
def _trigonometric_fun(x):
    n = x.shape[0]
    c = 0.0
    for j in range(n):
        c += cos(x[j])
    f = 0.0
    for i in range(n):
        r = n - c + (i + 1) * (1.0 - cos(x[i])) - sin(x[i])
        f += r * r
    return f


@_jit
def _trigonometric_fg(x, g):
    n = x.shape[0]
    c = 0.0
    for j in range(n):
        c += cos(x[j])
    f = 0.0
    rsum = 0.0
    for i in range(n):    # g holds the residuals until the last loop
        g[i] = n - c + (i + 1) * (1.0 - cos(x[i])) - sin(x[i])
        f += g[i] * g[i]
        rsum += g[i]
    # dr_i/dx_j = sin x_j + [i == j] ((j + 1) sin x_j - cos x_j)
    for j in range(n):
        sj = sin(x[j])
        g[j] = 2.0 * (rsum * sj + g[j] * ((j + 1) * sj - cos(x[j])))
    return f


@_jit
def _trigonometric_grad(x, g):
    _trigonometric_fg(x, g)


@_family("trigonometric", (10,))
def trigonometric(n=10):
    """Trigonometric function (MGH 26), m = n."""
    n = _check_n("trigonometric", n, 1)
    f_local = (2.79505612187749e-05,) if n == 10 else ()
    return _make("trigonometric", n, n, np.full(n, 1.0 / n), 0.0, np.zeros(n),
                 (_trigonometric_fun, _trigonometric_grad, _trigonometric_fg), number=26,
                 f_local=f_local,
                 notes="f = 0 at x = 0 (and its 2 pi translates); many local minima. "
                       "For n = 10, descent methods from x0 usually stop at the local "
                       "minimum f = 2.79506e-5.")


# ---------------------------------------------------------------------------------
# 27: Brown almost-linear, m = n
#   r_i = x_i + sum_j x_j - (n + 1) for i < n,  r_n = prod_j x_j - 1

@_jit
def _brown_almost_linear_fun(x):
    n = x.shape[0]
    s = 0.0
    p = 1.0
    for j in range(n):
        s += x[j]
        p *= x[j]
    f = 0.0
    for i in range(n - 1):
        r = x[i] + s - (n + 1)
        f += r * r
    return f + (p - 1.0) ** 2


@_jit
def _brown_almost_linear_fg(x, g):
    n = x.shape[0]
    s = 0.0
    p = 1.0
    for j in range(n):
        s += x[j]
        p *= x[j]
    f = 0.0
    rsum = 0.0
    for i in range(n - 1):
        r = x[i] + s - (n + 1)
        f += r * r
        rsum += r
        g[i] = 2.0 * r
    g[n - 1] = 0.0
    rn = p - 1.0
    for j in range(n):
        pj = 1.0   # prod over k != j, without dividing (x_j may be 0)
        for k in range(n):
            if k != j:
                pj *= x[k]
        g[j] += 2.0 * (rsum + rn * pj)
    return f + rn * rn


@_jit
def _brown_almost_linear_grad(x, g):
    _brown_almost_linear_fg(x, g)


@_family("brown_almost_linear", (10,))
def brown_almost_linear(n=10):
    """Brown almost-linear function (MGH 27), m = n."""
    n = _check_n("brown_almost_linear", n, 1)
    return _make("brown_almost_linear", n, n, np.full(n, 0.5), 0.0, np.ones(n),
                 (_brown_almost_linear_fun, _brown_almost_linear_grad,
                  _brown_almost_linear_fg), number=27, f_local=(1.0,),
                 notes="f = 0 at (a, ..., a, a^(1-n)) for every root a of "
                       "n a^n - (n+1) a^(n-1) + 1 = 0 (a = 1 gives x_min = ones); "
                       "f = 1 at (0, ..., 0, n+1).")


# ---------------------------------------------------------------------------------
# 28: Discrete boundary value, m = n, h = 1/(n+1), t_i = i h, x_0 = x_{n+1} = 0
#   r_i = 2 x_i - x_{i-1} - x_{i+1} + h^2 (x_i + t_i + 1)^3 / 2

@_jit
def _dbv_residual(x, i, h):
    n = x.shape[0]
    left = x[i - 1] if i > 0 else 0.0
    right = x[i + 1] if i < n - 1 else 0.0
    c = x[i] + (i + 1) * h + 1.0
    return 2.0 * x[i] - left - right + 0.5 * h * h * c * c * c


@_jit
def _discrete_boundary_value_fun(x):
    n = x.shape[0]
    h = 1.0 / (n + 1)
    f = 0.0
    for i in range(n):
        r = _dbv_residual(x, i, h)
        f += r * r
    return f


@_jit
def _discrete_boundary_value_fg(x, g):
    n = x.shape[0]
    h = 1.0 / (n + 1)
    f = 0.0
    for i in range(n):    # g holds the residuals until overwritten below
        g[i] = _dbv_residual(x, i, h)
        f += g[i] * g[i]
    prev = 0.0            # r_{j-1}
    for j in range(n):
        rj = g[j]
        c = x[j] + (j + 1) * h + 1.0
        gj = 2.0 * rj * (2.0 + 1.5 * h * h * c * c) - 2.0 * prev
        if j < n - 1:
            gj -= 2.0 * g[j + 1]
        g[j] = gj
        prev = rj
    return f


@_jit
def _discrete_boundary_value_grad(x, g):
    _discrete_boundary_value_fg(x, g)


# The common solution of MGH 28 and 29 (n = 10), solved numerically.
_BVP_X = {10: [-0.04316498251876487, -0.08157715653538689, -0.11448571438052929,
               -0.14097357686259668, -0.1599086961819831, -0.16987720231277492,
               -0.16908998378120835, -0.15524953522183182, -0.125355891678935,
               -0.07541653368589209]}


@_family("discrete_boundary_value", (10,))
def discrete_boundary_value(n=10):
    """Discrete boundary value function (MGH 28), m = n."""
    n = _check_n("discrete_boundary_value", n, 1)
    t = np.arange(1, n + 1) / (n + 1)
    return _make("discrete_boundary_value", n, n, t * (t - 1.0), 0.0, _BVP_X.get(n),
                 (_discrete_boundary_value_fun, _discrete_boundary_value_grad,
                  _discrete_boundary_value_fg), number=28,
                 notes="f* = 0 at the solution of the discretised two-point boundary value "
                       "problem u'' = (u + t + 1)^3 / 2, u(0) = u(1) = 0 (no closed form; "
                       "x_min for n = 10 solved numerically here). MGH 29 has the same "
                       "solution.")


# ---------------------------------------------------------------------------------
# 29: Discrete integral equation, m = n, h = 1/(n+1), t_i = i h, c_j = (x_j + t_j + 1)^3
#   r_i = x_i + h [(1 - t_i) sum_{j<=i} t_j c_j + t_i sum_{j>i} (1 - t_j) c_j] / 2

@_jit
def _discrete_integral_equation_fun(x):
    n = x.shape[0]
    h = 1.0 / (n + 1)
    b = 0.0
    for j in range(n):
        t = (j + 1) * h
        c = x[j] + t + 1.0
        b += (1.0 - t) * c * c * c
    a = 0.0
    f = 0.0
    for i in range(n):
        t = (i + 1) * h
        c = x[i] + t + 1.0
        c3 = c * c * c
        a += t * c3
        b -= (1.0 - t) * c3     # now sum over j > i
        r = x[i] + 0.5 * h * ((1.0 - t) * a + t * b)
        f += r * r
    return f


@_jit
def _discrete_integral_equation_fg(x, g):
    n = x.shape[0]
    h = 1.0 / (n + 1)
    b = 0.0
    for j in range(n):
        t = (j + 1) * h
        c = x[j] + t + 1.0
        b += (1.0 - t) * c * c * c
    a = 0.0
    f = 0.0
    q = 0.0                     # sum_i r_i (1 - t_i)
    for i in range(n):          # g holds the residuals until the last loop
        t = (i + 1) * h
        c = x[i] + t + 1.0
        c3 = c * c * c
        a += t * c3
        b -= (1.0 - t) * c3
        g[i] = x[i] + 0.5 * h * ((1.0 - t) * a + t * b)
        f += g[i] * g[i]
        q += g[i] * (1.0 - t)
    # g_k = 2 r_k + 3 h c_k^2 [t_k sum_{i>=k} r_i (1 - t_i) + (1 - t_k) sum_{i<k} r_i t_i]
    p = 0.0
    for k in range(n):
        t = (k + 1) * h
        c = x[k] + t + 1.0
        rk = g[k]
        g[k] = 2.0 * rk + 3.0 * h * c * c * (t * q + (1.0 - t) * p)
        q -= rk * (1.0 - t)
        p += rk * t
    return f


@_jit
def _discrete_integral_equation_grad(x, g):
    _discrete_integral_equation_fg(x, g)


@_family("discrete_integral_equation", (10,))
def discrete_integral_equation(n=10):
    """Discrete integral equation function (MGH 29), m = n."""
    n = _check_n("discrete_integral_equation", n, 1)
    t = np.arange(1, n + 1) / (n + 1)
    return _make("discrete_integral_equation", n, n, t * (t - 1.0), 0.0, _BVP_X.get(n),
                 (_discrete_integral_equation_fun, _discrete_integral_equation_grad,
                  _discrete_integral_equation_fg), number=29,
                 notes="f* = 0 at the solution of the discretised integral equation, "
                       "the Green's-function form of MGH 28's boundary value problem: the "
                       "same x_min (solved numerically here for n = 10).")


# ---------------------------------------------------------------------------------
# 30: Broyden tridiagonal, m = n, x_0 = x_{n+1} = 0
#   r_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1

@_jit
def _broyden_tri_residual(x, i):
    n = x.shape[0]
    left = x[i - 1] if i > 0 else 0.0
    right = x[i + 1] if i < n - 1 else 0.0
    return (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0


@_jit
def _broyden_tridiagonal_fun(x):
    f = 0.0
    for i in range(x.shape[0]):
        r = _broyden_tri_residual(x, i)
        f += r * r
    return f


@_jit
def _broyden_tridiagonal_fg(x, g):
    n = x.shape[0]
    f = 0.0
    for i in range(n):    # g holds the residuals until overwritten below
        g[i] = _broyden_tri_residual(x, i)
        f += g[i] * g[i]
    prev = 0.0            # r_{j-1}
    for j in range(n):
        rj = g[j]
        gj = 2.0 * rj * (3.0 - 4.0 * x[j]) - 4.0 * prev
        if j < n - 1:
            gj -= 2.0 * g[j + 1]
        g[j] = gj
        prev = rj
    return f


@_jit
def _broyden_tridiagonal_grad(x, g):
    _broyden_tridiagonal_fg(x, g)


_BROYDEN_TRI_X10 = [-0.5707221320112248, -0.681806949984275, -0.7022100760176601,
                    -0.7055106298950804, -0.7049061557287437, -0.7014966070298512,
                    -0.6918893223547983, -0.6657965144058537, -0.5960351090263658,
                    -0.4164122575286933]


@_family("broyden_tridiagonal", (10,))
def broyden_tridiagonal(n=10):
    """Broyden tridiagonal function (MGH 30), m = n."""
    n = _check_n("broyden_tridiagonal", n, 1)
    x_min = _BROYDEN_TRI_X10 if n == 10 else None
    return _make("broyden_tridiagonal", n, n, np.full(n, -1.0), 0.0, x_min,
                 (_broyden_tridiagonal_fun, _broyden_tridiagonal_grad,
                  _broyden_tridiagonal_fg), number=30,
                 notes="f* = 0; the paper gives no x*; x_min for n = 10 solved "
                       "numerically here.")


# ---------------------------------------------------------------------------------
# 31: Broyden banded, m = n, ml = 5, mu = 1
#   r_i = x_i (2 + 5 x_i^2) + 1 - sum_{j in J_i} x_j (1 + x_j),
#   J_i = {j != i : max(1, i - ml) <= j <= min(n, i + mu)}

@_jit
def _broyden_banded_residual(x, i):
    n = x.shape[0]
    r = x[i] * (2.0 + 5.0 * x[i] * x[i]) + 1.0
    for j in range(max(0, i - 5), min(n, i + 2)):
        if j != i:
            r -= x[j] * (1.0 + x[j])
    return r


@_jit
def _broyden_banded_fun(x):
    f = 0.0
    for i in range(x.shape[0]):
        r = _broyden_banded_residual(x, i)
        f += r * r
    return f


@_jit
def _broyden_banded_fg(x, g):
    n = x.shape[0]
    for j in range(n):
        g[j] = 0.0
    f = 0.0
    for i in range(n):
        r = _broyden_banded_residual(x, i)
        f += r * r
        g[i] += 2.0 * r * (2.0 + 15.0 * x[i] * x[i])
        for j in range(max(0, i - 5), min(n, i + 2)):
            if j != i:
                g[j] -= 2.0 * r * (1.0 + 2.0 * x[j])
    return f


@_jit
def _broyden_banded_grad(x, g):
    _broyden_banded_fg(x, g)


_BROYDEN_BANDED_X10 = [-0.4283028635872503, -0.47659642435629024, -0.5196524636468617,
                       -0.5580993248321808, -0.5925061568294574, -0.624503682199468,
                       -0.6232394714405911, -0.6213938417965735, -0.6204535966590874,
                       -0.5864692707204351]


@_family("broyden_banded", (10,))
def broyden_banded(n=10):
    """Broyden banded function (MGH 31), m = n."""
    n = _check_n("broyden_banded", n, 1)
    x_min = _BROYDEN_BANDED_X10 if n == 10 else None
    return _make("broyden_banded", n, n, np.full(n, -1.0), 0.0, x_min,
                 (_broyden_banded_fun, _broyden_banded_grad, _broyden_banded_fg),
                 number=31, notes="f* = 0; the paper gives no x*; x_min for n = 10 solved "
                                  "numerically here.")


# ---------------------------------------------------------------------------------
# 35: Chebyquad, m = n here,
#   r_i = (1/n) sum_j T_i(x_j) - integral_0^1 T_i,  T_i the Chebyshev polynomial
#   shifted to [0, 1]; the integral is 0 for odd i and -1 / (i^2 - 1) for even i.

@_jit
def _shifted_chebyshev(x, i):
    """T_i(2x - 1) and its derivative in x, by the three-term recurrence."""
    y = 2.0 * x - 1.0
    t0, t1 = 1.0, y
    d0, d1 = 0.0, 1.0
    if i == 0:
        return t0, 0.0
    for _ in range(1, i):
        t0, t1 = t1, 2.0 * y * t1 - t0
        d0, d1 = d1, 2.0 * t0 + 2.0 * y * d1 - d0
    return t1, 2.0 * d1


@_jit
def _chebyquad_residual(x, i):
    n = x.shape[0]
    s = 0.0
    for j in range(n):
        s += _shifted_chebyshev(x[j], i)[0]
    r = s / n
    if i % 2 == 0:
        r += 1.0 / (i * i - 1.0)
    return r


@_jit
def _chebyquad_fun(x):
    f = 0.0
    for i in range(1, x.shape[0] + 1):
        r = _chebyquad_residual(x, i)
        f += r * r
    return f


@_jit
def _chebyquad_fg(x, g):
    # O(n^3) work without scratch storage; fine for the small n this problem is used at.
    n = x.shape[0]
    for j in range(n):
        g[j] = 0.0
    f = 0.0
    for i in range(1, n + 1):
        r = _chebyquad_residual(x, i)
        f += r * r
        for j in range(n):
            g[j] += 2.0 * r * _shifted_chebyshev(x[j], i)[1] / n
    return f


@_jit
def _chebyquad_grad(x, g):
    _chebyquad_fg(x, g)


_CHEBYQUAD_MIN = {
    8: (3.5168737256779247e-03,
        [0.04315276015619384, 0.19309084039454955, 0.2663287069029855, 0.5,
         0.5, 0.7336712931187638, 0.8069091596245949, 0.9568472398524666]),
    9: (0.0, None),
    10: (6.50395480088231e-03,
         [0.059619899799838824, 0.16670828030734278, 0.2391706570036339,
          0.3988842923819788, 0.3988842891301074, 0.6011157028699333,
          0.6011157093892018, 0.760829339290118, 0.8332917166887602,
          0.9403800987225213]),
}


@_family("chebyquad", (8, 10))
def chebyquad(n=8):
    """Chebyquad function (MGH 35) with m = n."""
    n = _check_n("chebyquad", n, 1)
    if n <= 7:
        f_min, x_min = 0.0, None
    elif n in _CHEBYQUAD_MIN:
        f_min, x_min = _CHEBYQUAD_MIN[n]
    else:
        raise ValueError(f"chebyquad: the minimum is known only for n <= 10; got n={n}")
    return _make("chebyquad", n, n, np.arange(1, n + 1) / (n + 1), f_min, x_min,
                 (_chebyquad_fun, _chebyquad_grad, _chebyquad_fg), number=35,
                 notes="m = n. Paper: f* = 0 for n <= 7 and n = 9, 3.51687e-3 (n=8), "
                       "6.50395e-3 (n=10), values refined numerically here. The minimiser "
                       "is unique only up to permuting the x_j.")


# ---------------------------------------------------------------------------------

def names():
    """The family names, in the paper's order (extras last)."""
    return list(_FAMILIES)


def _canonical():
    out = []
    for factory, dims in _FAMILIES.values():
        if dims:
            out.extend(factory(n) for n in dims)
        else:
            out.append(factory())
    out.sort(key=lambda p: (p.number if p.number is not None else 1000, p.n))
    return out


#: Every problem at its canonical dimensions, in the paper's order.
ALL = _canonical()
_BY_LABEL = {p.label: p for p in ALL}


def get(name, n=None):
    """Look up a problem.

    Parameters
    ----------
    name : str
        A label from ``ALL`` (``"watson_n9"``) or a family name (``"watson"``).
    n : int, optional
        Dimension for a variable-dimension family; default its first canonical one.
        Dimensions outside the canonical ones are built on demand.

    Returns
    -------
    Problem

    Raises
    ------
    KeyError
        Unknown name.
    ValueError
        ``n`` given for a fixed-dimension problem with a different ``n``, or invalid.
    """
    if n is None and name in _BY_LABEL:
        return _BY_LABEL[name]
    if name not in _FAMILIES:
        raise KeyError(f"unknown problem {name!r}; known: {', '.join(_FAMILIES)}")
    factory, dims = _FAMILIES[name]
    if not dims:
        p = _BY_LABEL[name]
        if n is not None and int(n) != p.n:
            raise ValueError(f"{name} has fixed dimension n={p.n}; got n={n}")
        return p
    n = dims[0] if n is None else int(n)
    return _BY_LABEL.get(f"{name}_n{n}") or factory(n)
