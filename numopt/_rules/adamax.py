"""Adamax, Adam's infinity-norm variant (torch ``_single_tensor_adamax``).

State rows: ``exp_avg``, ``exp_inf``.
"""
from ._common import lerp, maximum
from ._record import Rule, lerp_weight


def adamax(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    weight1, one_minus_weight1, small_weight1, beta2, eps, neg_clr, weight_decay = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    m = lerp(s[0, i], d, weight1, one_minus_weight1, small_weight1)
    u = maximum(s[1, i] * beta2, abs(d) + eps)
    s[0, i] = m
    s[1, i] = u
    p[i] = x + neg_clr * m / u


def derive(group, scalars, fresh):
    scalars["step"] += 1
    beta1, beta2 = group["betas"]
    clr = group["lr"] / (1 - beta1 ** scalars["step"])
    weight1, one_minus_weight1, small_weight1 = lerp_weight(1 - beta1)
    return dict(weight1=weight1, one_minus_weight1=one_minus_weight1,
                small_weight1=small_weight1, beta2=beta2, eps=group["eps"], neg_clr=-clr,
                weight_decay=group["weight_decay"], maximize=bool(group["maximize"]),
                has_weight_decay=group["weight_decay"] != 0)


RULE = Rule(adamax, hyper=("weight1", "one_minus_weight1", "small_weight1", "beta2", "eps",
                           "neg_clr", "weight_decay"),
            flags=("maximize", "has_weight_decay"), rows=("exp_avg", "exp_inf"),
            reads=("lr", "betas", "eps", "weight_decay", "maximize"), derive=derive)
