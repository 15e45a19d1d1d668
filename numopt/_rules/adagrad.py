"""Adagrad (torch ``_single_tensor_adagrad``, dense gradients).

State rows: ``sum``.
"""
import math
from ._record import Rule


def adagrad(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    neg_clr, eps, weight_decay = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    acc = s[0, i] + d * d
    s[0, i] = acc
    p[i] = x + neg_clr * d / (math.sqrt(acc) + eps)


def derive(group, scalars, fresh):
    scalars["step"] += 1
    clr = group["lr"] / (1 + (scalars["step"] - 1) * group["lr_decay"])
    return dict(neg_clr=-clr, eps=group["eps"], weight_decay=group["weight_decay"],
                maximize=bool(group["maximize"]), has_weight_decay=group["weight_decay"] != 0)


RULE = Rule(adagrad, hyper=("neg_clr", "eps", "weight_decay"),
            flags=("maximize", "has_weight_decay"), rows=("sum",),
            reads=("lr", "lr_decay", "eps", "weight_decay", "maximize",
                   "initial_accumulator_value"),
            derive=derive, row_init=lambda group, name: group["initial_accumulator_value"])
