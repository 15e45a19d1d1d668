"""Adam and AdamW, with AMSGrad and L2 or decoupled weight decay (torch ``_single_tensor_adam``).

State rows: ``exp_avg``, ``exp_avg_sq``, and ``max_exp_avg_sq`` when ``amsgrad``.
"""
import math

from ._common import adam_moments, decay_weights, maximum
from ._record import Rule, lerp_weight


def adam(i, p, g, s, h, f):
    maximize, has_weight_decay, decoupled, amsgrad = f
    (weight1, one_minus_weight1, small_weight1, beta2, one_minus_beta2, eps, neg_step_size,
     bias_correction2_sqrt, weight_decay, decay_factor) = h
    d = -g[i] if maximize else g[i]
    x, d = decay_weights(p[i], d, has_weight_decay, decoupled, weight_decay, decay_factor)
    m, v = adam_moments(s[0, i], s[1, i], d, weight1, one_minus_weight1, small_weight1,
                        beta2, one_minus_beta2)
    s[0, i] = m
    s[1, i] = v
    if amsgrad:
        v = maximum(s[2, i], v)
        s[2, i] = v
    p[i] = x + neg_step_size * m / (math.sqrt(v) / bias_correction2_sqrt + eps)


def derive(group, scalars, fresh):
    scalars["step"] += 1
    step = scalars["step"]
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    weight1, one_minus_weight1, small_weight1 = lerp_weight(1 - beta1)
    return dict(weight1=weight1, one_minus_weight1=one_minus_weight1,
                small_weight1=small_weight1, beta2=beta2, one_minus_beta2=1 - beta2,
                eps=group["eps"], neg_step_size=-(lr / bias_correction1),
                bias_correction2_sqrt=bias_correction2 ** 0.5, weight_decay=weight_decay,
                decay_factor=1 - lr * weight_decay,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0,
                decoupled=bool(group["decoupled_weight_decay"]), amsgrad=bool(group["amsgrad"]))


def active_rows(group):
    rows = ("exp_avg", "exp_avg_sq")
    return rows + ("max_exp_avg_sq",) if group["amsgrad"] else rows


RULE = Rule(adam, hyper=("weight1", "one_minus_weight1", "small_weight1", "beta2",
                         "one_minus_beta2", "eps", "neg_step_size", "bias_correction2_sqrt",
                         "weight_decay", "decay_factor"),
            flags=("maximize", "has_weight_decay", "decoupled", "amsgrad"),
            rows=("exp_avg", "exp_avg_sq", "max_exp_avg_sq"),
            reads=("lr", "betas", "eps", "weight_decay", "amsgrad", "maximize",
                   "decoupled_weight_decay"),
            derive=derive, active_rows=active_rows)
