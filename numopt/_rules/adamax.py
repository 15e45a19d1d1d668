"""Adamax, Adam's infinity-norm variant (torch ``_single_tensor_adamax``).

State rows: ``exp_avg``, ``exp_inf``.
"""
from ._common import lerp, maximum

STATE = ("exp_avg", "exp_inf")


def adamax(i, p, g, s, h):
    one_minus_beta1, beta2, eps, neg_clr, weight_decay, maximize = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if weight_decay != 0:
        d = d + weight_decay * x
    m = lerp(s[0, i], d, one_minus_beta1)
    u = maximum(s[1, i] * beta2, abs(d) + eps)
    s[0, i] = m
    s[1, i] = u
    p[i] = x + neg_clr * m / u
