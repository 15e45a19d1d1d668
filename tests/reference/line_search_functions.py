"""One-dimensional test functions for the line searches, ``phi(alpha) -> (value, derivative)``.

``mt1``..``mt456`` are the six functions of Moré and Thuente (1994), Table 1-6; the others
are smooth shapes. Shared by tests/minimize/test_linesearch.py and test_wolfe2.py.
"""
import math

from numba import njit

def mt1(beta=2.0):
    def fg(a):
        d = a * a + beta
        return -a / d, (a * a - beta) / (d * d)
    return fg


def mt2(beta=0.004):
    def fg(a):
        t = a + beta
        return t ** 5 - 2.0 * t ** 4, 5.0 * t ** 4 - 8.0 * t ** 3
    return fg


def mt3(beta=0.01, l=39):
    def fg(a):
        if a <= 1.0 - beta:
            f0, g0 = 1.0 - a, -1.0
        elif a >= 1.0 + beta:
            f0, g0 = a - 1.0, 1.0
        else:
            f0, g0 = (a - 1.0) ** 2 / (2.0 * beta) + beta / 2.0, (a - 1.0) / beta
        w = l * math.pi / 2.0
        return (f0 + 2.0 * (1.0 - beta) / (l * math.pi) * math.sin(w * a),
                g0 + (1.0 - beta) * math.cos(w * a))
    return fg


def mt456(beta1, beta2):
    def gam(b):
        return math.sqrt(1.0 + b * b) - b

    def fg(a):
        r1 = math.sqrt((1.0 - a) ** 2 + beta2 ** 2)
        r2 = math.sqrt(a * a + beta1 ** 2)
        return gam(beta1) * r1 + gam(beta2) * r2, gam(beta1) * (a - 1.0) / r1 + gam(beta2) * a / r2
    return fg


def quadratic(h, g0):
    return lambda a: (0.5 * h * a * a + g0 * a, h * a + g0)


def quartic(center, slope):
    # (a - c)^4 + slope * a: phi'(0) = -4 c^3 + slope < 0 for the parameters used
    return lambda a: ((a - center) ** 4 + slope * a, 4.0 * (a - center) ** 3 + slope)


@njit(cache=True, error_model="numpy")
def _mt1_compiled(a):
    d = a * a + 2.0
    return -a / d, (a * a - 2.0) / (d * d)
