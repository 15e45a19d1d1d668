"""RMSprop, optionally centered and with momentum (torch ``_single_tensor_rmsprop``).

State rows: ``square_avg``, then ``momentum_buffer`` when ``momentum > 0``, then
``grad_avg`` when ``centered``.
"""
import math

from ._common import lerp

STATE = ("square_avg", "momentum_buffer", "grad_avg")


def rmsprop(i, p, g, s, h, f):
    maximize, has_weight_decay, centered, has_momentum = f
    (lr, alpha, one_minus_alpha, one_minus_weight, small_weight, eps, momentum,
     weight_decay) = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    sq = s[0, i] * alpha + one_minus_alpha * d * d
    s[0, i] = sq
    if centered:
        row = 2 if has_momentum else 1
        ga = lerp(s[row, i], d, one_minus_alpha, one_minus_weight, small_weight)
        s[row, i] = ga
        avg = math.sqrt(sq - ga * ga) + eps
    else:
        avg = math.sqrt(sq) + eps
    if has_momentum:
        b = s[1, i] * momentum + d / avg
        s[1, i] = b
        p[i] = x - lr * b
    else:
        p[i] = x - lr * d / avg
