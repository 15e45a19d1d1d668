"""RMSprop, optionally centered and with momentum (torch ``_single_tensor_rmsprop``).

State rows: ``square_avg``, then ``momentum_buffer`` when ``momentum > 0``, then
``grad_avg`` when ``centered``.
"""
import math

from ._common import lerp
from ._record import Rule, lerp_weight


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


def derive(group, scalars, fresh):
    scalars["step"] += 1
    alpha, momentum, weight_decay = group["alpha"], group["momentum"], group["weight_decay"]
    _, one_minus_weight, small_weight = lerp_weight(1 - alpha)
    return dict(lr=group["lr"], alpha=alpha, one_minus_alpha=1 - alpha,
                one_minus_weight=one_minus_weight, small_weight=small_weight, eps=group["eps"],
                momentum=momentum, weight_decay=weight_decay, maximize=bool(group["maximize"]),
                has_weight_decay=weight_decay != 0, centered=bool(group["centered"]),
                has_momentum=momentum > 0)


def active_rows(group):
    rows = ("square_avg",)
    if group["momentum"] > 0:
        rows += ("momentum_buffer",)
    if group["centered"]:
        rows += ("grad_avg",)
    return rows


RULE = Rule(rmsprop, hyper=("lr", "alpha", "one_minus_alpha", "one_minus_weight", "small_weight",
                            "eps", "momentum", "weight_decay"),
            flags=("maximize", "has_weight_decay", "centered", "has_momentum"),
            rows=("square_avg", "momentum_buffer", "grad_avg"),
            reads=("lr", "alpha", "eps", "weight_decay", "momentum", "centered", "maximize"),
            derive=derive, active_rows=active_rows)
