"""RAdam, Adam with a rectified adaptive learning rate (torch ``_single_tensor_radam``).

State rows: ``exp_avg``, ``exp_avg_sq``. Whether the variance is tractable at this step
(torch's ``rho_t > 5``) is decided on the host and passed as the flag ``rectify``.
"""
import math

from ._common import adam_moments, decay_weights
from ._record import Rule, lerp_weight


def radam(i, p, g, s, h, f):
    maximize, has_weight_decay, decoupled, rectify = f
    (weight1, one_minus_weight1, small_weight1, beta2, one_minus_beta2, eps, lr,
     bias_correction1, bias_correction2_sqrt, rect, weight_decay, decay_factor) = h
    d = -g[i] if maximize else g[i]
    x, d = decay_weights(p[i], d, has_weight_decay, decoupled, weight_decay, decay_factor)
    m, v = adam_moments(s[0, i], s[1, i], d, weight1, one_minus_weight1, small_weight1,
                        beta2, one_minus_beta2)
    s[0, i] = m
    s[1, i] = v
    update = m / bias_correction1 * lr
    if rectify:
        update = update * (bias_correction2_sqrt / (math.sqrt(v) + eps)) * rect
    p[i] = x - update


def derive(group, scalars, fresh):
    scalars["step"] += 1
    step = scalars["step"]
    beta1, beta2 = group["betas"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    rectify = rho_t > 5.0
    rect = 1.0
    if rectify:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
    weight1, one_minus_weight1, small_weight1 = lerp_weight(1 - beta1)
    return dict(weight1=weight1, one_minus_weight1=one_minus_weight1,
                small_weight1=small_weight1, beta2=beta2, one_minus_beta2=1 - beta2,
                eps=group["eps"], lr=lr, bias_correction1=bias_correction1,
                bias_correction2_sqrt=bias_correction2 ** 0.5, rect=rect,
                weight_decay=weight_decay, decay_factor=1 - lr * weight_decay,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0,
                decoupled=bool(group["decoupled_weight_decay"]), rectify=rectify)


RULE = Rule(radam, hyper=("weight1", "one_minus_weight1", "small_weight1", "beta2",
                          "one_minus_beta2", "eps", "lr", "bias_correction1",
                          "bias_correction2_sqrt", "rect", "weight_decay", "decay_factor"),
            flags=("maximize", "has_weight_decay", "decoupled", "rectify"),
            rows=("exp_avg", "exp_avg_sq"),
            reads=("lr", "betas", "eps", "weight_decay", "maximize", "decoupled_weight_decay"),
            derive=derive)
