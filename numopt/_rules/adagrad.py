"""Adagrad (torch ``_single_tensor_adagrad``, dense gradients).

State rows: ``sum``.
"""
import math

STATE = ("sum",)


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
