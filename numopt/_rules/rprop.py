"""Rprop, resilient backpropagation (torch ``_single_tensor_rprop``).

State rows: ``prev`` (the last gradient used), ``step_size``.
"""
STATE = ("prev", "step_size")


def rprop(i, p, g, s, h, f):
    (maximize,) = f
    etaminus, etaplus, step_size_min, step_size_max, one, zero = h
    d = -g[i] if maximize else g[i]
    prod = d * s[0, i]
    factor = etaplus if prod > zero else (etaminus if prod < zero else one)
    step = min(max(s[1, i] * factor, step_size_min), step_size_max)
    d = zero if factor == etaminus else d  # the sign flipped: skip, and forget the gradient
    s[0, i] = d
    s[1, i] = step
    p[i] = p[i] - step if d > zero else (p[i] + step if d < zero else p[i])
