"""RMSprop, optionally centered and with momentum (torch ``_single_tensor_rmsprop``).

State rows: ``square_avg``, then ``momentum_buffer`` when ``momentum > 0``, then
``grad_avg`` when ``centered``; ``grad_avg_row`` says where ``grad_avg`` sits.
"""
import math

from ._common import lerp

STATE = ("square_avg", "momentum_buffer", "grad_avg")


def rmsprop(i, p, g, s, h):
    (lr, alpha, one_minus_alpha, eps, momentum, weight_decay, maximize, centered,
     has_momentum, grad_avg_row) = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if weight_decay != 0:
        d = d + weight_decay * x
    sq = s[0, i] * alpha + one_minus_alpha * d * d
    s[0, i] = sq
    if centered:
        ga = lerp(s[grad_avg_row, i], d, one_minus_alpha)
        s[grad_avg_row, i] = ga
        avg = math.sqrt(sq - ga * ga) + eps
    else:
        avg = math.sqrt(sq) + eps
    if has_momentum:
        b = s[1, i] * momentum + d / avg
        s[1, i] = b
        p[i] = x - lr * b
    else:
        p[i] = x - lr * d / avg
