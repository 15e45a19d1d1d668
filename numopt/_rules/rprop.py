"""Rprop, resilient backpropagation (torch ``_single_tensor_rprop``).

State rows: ``prev`` (the last gradient used), ``step_size``.
"""
from ._record import Rule


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


def derive(group, scalars, fresh):
    scalars["step"] += 1
    etaminus, etaplus = group["etas"]
    step_size_min, step_size_max = group["step_sizes"]
    return dict(etaminus=etaminus, etaplus=etaplus, step_size_min=step_size_min,
                step_size_max=step_size_max, one=1.0, zero=0.0, maximize=bool(group["maximize"]))


RULE = Rule(rprop, hyper=("etaminus", "etaplus", "step_size_min", "step_size_max", "one", "zero"),
            flags=("maximize",), rows=("prev", "step_size"),
            reads=("lr", "etas", "step_sizes", "maximize"), derive=derive,
            row_init=lambda group, name: group["lr"] if name == "step_size" else 0)
