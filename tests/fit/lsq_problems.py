"""Least-squares test problems in residual form, with analytic Jacobians.

Moré, Garbow and Hillstrom (1981), "Testing unconstrained optimization software", ACM
TOMS 7(1), problems as numbered there, from the paper's starting points; plus an
exponential-decay fit to fixed synthetic data. Biggs EXP6 starts
near the paper's point, see ``BIGGS_DEGENERATE_X0``. ``fun(x) -> r`` (m,) and ``jac(x) -> J``
(m, n), plain NumPy.
"""
from collections import namedtuple

import numpy as np

LsqProblem = namedtuple("LsqProblem", "name fun jac x0")


def _rosenbrock():
    def fun(x):
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])

    def jac(x):
        return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])
    return LsqProblem("rosenbrock", fun, jac, [-1.2, 1.0])


def _freudenstein_roth():
    def fun(x):
        return np.array([-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1],
                         -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]])

    def jac(x):
        return np.array([[1.0, 10 * x[1] - 3 * x[1] ** 2 - 2],
                         [1.0, 3 * x[1] ** 2 + 2 * x[1] - 14]])
    return LsqProblem("freudenstein_roth", fun, jac, [0.5, -2.0])


def _powell_badly_scaled():
    def fun(x):
        return np.array([1e4 * x[0] * x[1] - 1, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])

    def jac(x):
        return np.array([[1e4 * x[1], 1e4 * x[0]], [-np.exp(-x[0]), -np.exp(-x[1])]])
    return LsqProblem("powell_badly_scaled", fun, jac, [0.0, 1.0])


def _brown_badly_scaled():
    def fun(x):
        return np.array([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2])

    def jac(x):
        return np.array([[1.0, 0.0], [0.0, 1.0], [x[1], x[0]]])
    return LsqProblem("brown_badly_scaled", fun, jac, [1.0, 1.0])


def _beale():
    y = np.array([1.5, 2.25, 2.625])
    i = np.arange(1, 4)

    def fun(x):
        return y - x[0] * (1 - x[1] ** i)

    def jac(x):
        return np.column_stack([-(1 - x[1] ** i), x[0] * i * x[1] ** (i - 1)])
    return LsqProblem("beale", fun, jac, [1.0, 1.0])


def _jennrich_sampson():
    i = np.arange(1, 11)

    def fun(x):
        return 2 + 2 * i - (np.exp(i * x[0]) + np.exp(i * x[1]))

    def jac(x):
        return np.column_stack([-i * np.exp(i * x[0]), -i * np.exp(i * x[1])])
    return LsqProblem("jennrich_sampson", fun, jac, [0.3, 0.4])


def _helical_valley():
    def theta(x):
        t = np.arctan(x[1] / x[0]) / (2 * np.pi)
        return t + 0.5 if x[0] < 0 else t

    def fun(x):
        r = np.hypot(x[0], x[1])
        return np.array([10 * (x[2] - 10 * theta(x)), 10 * (r - 1), x[2]])

    def jac(x):
        r2 = x[0] ** 2 + x[1] ** 2
        r = np.sqrt(r2)
        return np.array([[100 * x[1] / (2 * np.pi * r2), -100 * x[0] / (2 * np.pi * r2), 10.0],
                         [10 * x[0] / r, 10 * x[1] / r, 0.0],
                         [0.0, 0.0, 1.0]])
    return LsqProblem("helical_valley", fun, jac, [-1.0, 0.0, 0.0])


def _bard():
    y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96,
                  1.34, 2.10, 4.39])
    u = np.arange(1.0, 16.0)
    v = 16 - u
    w = np.minimum(u, v)

    def fun(x):
        return y - (x[0] + u / (v * x[1] + w * x[2]))

    def jac(x):
        d = (v * x[1] + w * x[2]) ** 2
        return np.column_stack([-np.ones(15), u * v / d, u * w / d])
    return LsqProblem("bard", fun, jac, [1.0, 1.0, 1.0])


def _gaussian():
    y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989, 0.3521,
                  0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])
    t = (7 - np.arange(1, 16)) / 2

    def fun(x):
        return x[0] * np.exp(-x[1] * (t - x[2]) ** 2 / 2) - y

    def jac(x):
        e = np.exp(-x[1] * (t - x[2]) ** 2 / 2)
        return np.column_stack([e, -x[0] * e * (t - x[2]) ** 2 / 2,
                                x[0] * e * x[1] * (t - x[2])])
    return LsqProblem("gaussian", fun, jac, [0.4, 1.0, 0.0])


def _box_3d():
    t = 0.1 * np.arange(1, 11)

    def fun(x):
        return (np.exp(-t * x[0]) - np.exp(-t * x[1])
                - x[2] * (np.exp(-t) - np.exp(-10 * t)))

    def jac(x):
        return np.column_stack([-t * np.exp(-t * x[0]), t * np.exp(-t * x[1]),
                                -(np.exp(-t) - np.exp(-10 * t))])
    return LsqProblem("box_3d", fun, jac, [0.0, 10.0, 20.0])


def _powell_singular():
    s5, s10 = np.sqrt(5.0), np.sqrt(10.0)

    def fun(x):
        return np.array([x[0] + 10 * x[1], s5 * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2,
                         s10 * (x[0] - x[3]) ** 2])

    def jac(x):
        a = 2 * (x[1] - 2 * x[2])
        b = 2 * s10 * (x[0] - x[3])
        return np.array([[1.0, 10.0, 0.0, 0.0], [0.0, 0.0, s5, -s5],
                         [0.0, a, -2 * a, 0.0], [b, 0.0, 0.0, -b]])
    return LsqProblem("powell_singular", fun, jac, [3.0, -1.0, 0.0, 1.0])


def _wood():
    s10, s90, r10 = np.sqrt(10.0), np.sqrt(90.0), 1 / np.sqrt(10.0)

    def fun(x):
        return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0], s90 * (x[3] - x[2] ** 2),
                         1 - x[2], s10 * (x[1] + x[3] - 2), r10 * (x[1] - x[3])])

    def jac(x):
        return np.array([[-20 * x[0], 10, 0, 0], [-1, 0, 0, 0], [0, 0, -2 * s90 * x[2], s90],
                         [0, 0, -1, 0], [0, s10, 0, s10], [0, r10, 0, -r10]], dtype=float)
    return LsqProblem("wood", fun, jac, [-3.0, -1.0, -3.0, -1.0])


def _kowalik_osborne():
    y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323,
                  0.0235, 0.0246])
    u = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])

    def fun(x):
        return y - x[0] * (u ** 2 + u * x[1]) / (u ** 2 + u * x[2] + x[3])

    def jac(x):
        num = u ** 2 + u * x[1]
        den = u ** 2 + u * x[2] + x[3]
        return np.column_stack([-num / den, -x[0] * u / den, x[0] * num * u / den ** 2,
                                x[0] * num / den ** 2])
    return LsqProblem("kowalik_osborne", fun, jac, [0.25, 0.39, 0.415, 0.39])


def _brown_dennis():
    t = np.arange(1, 21) / 5

    def fun(x):
        return ((x[0] + t * x[1] - np.exp(t)) ** 2
                + (x[2] + x[3] * np.sin(t) - np.cos(t)) ** 2)

    def jac(x):
        a = 2 * (x[0] + t * x[1] - np.exp(t))
        b = 2 * (x[2] + x[3] * np.sin(t) - np.cos(t))
        return np.column_stack([a, a * t, b, b * np.sin(t)])
    return LsqProblem("brown_dennis", fun, jac, [25.0, 5.0, -5.0, -1.0])


def _osborne1():
    y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784,
                  0.751, 0.718, 0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522,
                  0.506, 0.490, 0.478, 0.467, 0.457, 0.448, 0.438, 0.431, 0.424, 0.420,
                  0.414, 0.411, 0.406])
    t = 10.0 * np.arange(33)

    def fun(x):
        return y - (x[0] + x[1] * np.exp(-t * x[3]) + x[2] * np.exp(-t * x[4]))

    def jac(x):
        e4, e5 = np.exp(-t * x[3]), np.exp(-t * x[4])
        return np.column_stack([-np.ones(33), -e4, -e5, t * x[1] * e4, t * x[2] * e5])
    return LsqProblem("osborne1", fun, jac, [0.5, 1.5, -1.0, 0.01, 0.02])


def _biggs_exp6():
    t = 0.1 * np.arange(1, 14)
    y = np.exp(-t) - 5 * np.exp(-10 * t) + 3 * np.exp(-4 * t)

    def fun(x):
        return (x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1])
                + x[5] * np.exp(-t * x[4]) - y)

    def jac(x):
        e0, e1, e4 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
        return np.column_stack([-t * x[2] * e0, t * x[3] * e1, e0, -e1, -t * x[5] * e4, e4])
    # Not the paper's start (1, 2, 1, 1, 1, 1), where x1 = x5 and x3 = x6 make two pairs of
    # the Jacobian's columns equal: see BIGGS_DEGENERATE_X0.
    return LsqProblem("biggs_exp6", fun, jac, [1.2, 2.0, 1.0, 1.0, 1.5, 1.0])


# The paper's start for Biggs EXP6: a Jacobian of rank 4 with six columns, whose QR
# factorization leaves rounding noise on R's diagonal; which of the symmetric solutions
# (x1, x3) <-> (x5, x6) the iterations reach then hinges on that noise.
BIGGS_DEGENERATE_X0 = [1.0, 2.0, 1.0, 1.0, 1.0, 1.0]


def _exp_decay():
    # y = a exp(-t / tau) + c with fixed noise: a curve_fit user's first fit
    t = np.linspace(0.0, 10.0, 50)
    y = 3.0 * np.exp(-t / 2.5) + 0.5 + 0.05 * np.random.default_rng(11).standard_normal(50)

    def fun(x):
        return x[0] * np.exp(-t / x[1]) + x[2] - y

    def jac(x):
        e = np.exp(-t / x[1])
        return np.column_stack([e, x[0] * e * t / x[1] ** 2, np.ones_like(t)])
    return LsqProblem("exp_decay", fun, jac, [1.0, 1.0, 0.0])


PROBLEMS = [p() for p in (_rosenbrock, _freudenstein_roth, _powell_badly_scaled,
                          _brown_badly_scaled, _beale, _jennrich_sampson, _helical_valley,
                          _bard, _gaussian, _box_3d, _powell_singular, _wood,
                          _kowalik_osborne, _brown_dennis, _osborne1, _biggs_exp6,
                          _exp_decay)]
