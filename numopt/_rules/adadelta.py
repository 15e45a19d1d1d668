"""Adadelta (torch ``_single_tensor_adadelta``).

State rows: ``square_avg``, ``acc_delta``.
"""
import math
from ._record import Rule


def adadelta(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    lr, rho, one_minus_rho, eps, weight_decay = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    sq = s[0, i] * rho + one_minus_rho * d * d
    acc = s[1, i]
    delta = math.sqrt(acc + eps) / math.sqrt(sq + eps) * d
    s[0, i] = sq
    s[1, i] = acc * rho + one_minus_rho * delta * delta
    p[i] = x - lr * delta


def derive(group, scalars, fresh):
    scalars["step"] += 1
    rho = group["rho"]
    return dict(lr=group["lr"], rho=rho, one_minus_rho=1 - rho, eps=group["eps"],
                weight_decay=group["weight_decay"], maximize=bool(group["maximize"]),
                has_weight_decay=group["weight_decay"] != 0)


RULE = Rule(adadelta, hyper=("lr", "rho", "one_minus_rho", "eps", "weight_decay"),
            flags=("maximize", "has_weight_decay"), rows=("square_avg", "acc_delta"),
            reads=("lr", "rho", "eps", "weight_decay", "maximize"), derive=derive)
