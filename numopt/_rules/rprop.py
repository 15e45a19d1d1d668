"""Rprop, resilient backpropagation (torch ``_single_tensor_rprop``).

State rows: ``prev`` (the last gradient used), ``step_size``.
"""
STATE = ("prev", "step_size")


def rprop(i, p, g, s, h):
    etaminus, etaplus, step_size_min, step_size_max, one, zero, maximize = h
    d = -g[i] if maximize else g[i]
    prod = d * s[0, i]
    if prod > 0:
        factor = etaplus
    elif prod < 0:
        factor = etaminus
    else:
        factor = one
    step = min(max(s[1, i] * factor, step_size_min), step_size_max)
    if factor == etaminus:
        d = zero  # the gradient changed sign: skip this element and forget the gradient
    s[0, i] = d
    s[1, i] = step
    if d > 0:
        p[i] = p[i] - step
    elif d < 0:
        p[i] = p[i] + step
