"""NAdam, Adam with Nesterov momentum and momentum decay (torch ``_single_tensor_nadam``).

State rows: ``exp_avg``, ``exp_avg_sq``; the scalar ``mu_product`` lives on the host.
"""
import math

from ._common import adam_moments, decay_weights
from ._record import Rule, lerp_weight


def nadam(i, p, g, s, h, f):
    maximize, has_weight_decay, decoupled = f
    (weight1, one_minus_weight1, small_weight1, beta2, one_minus_beta2, eps, bias_correction2,
     grad_coef, avg_coef, weight_decay, decay_factor) = h
    d = -g[i] if maximize else g[i]
    x, d = decay_weights(p[i], d, has_weight_decay, decoupled, weight_decay, decay_factor)
    m, v = adam_moments(s[0, i], s[1, i], d, weight1, one_minus_weight1, small_weight1,
                        beta2, one_minus_beta2)
    s[0, i] = m
    s[1, i] = v
    denom = math.sqrt(v / bias_correction2) + eps
    x = x + grad_coef * d / denom
    p[i] = x + avg_coef * m / denom


def derive(group, scalars, fresh):
    scalars["step"] += 1
    step = scalars["step"]
    beta1, beta2 = group["betas"]
    lr, weight_decay, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * psi)))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * psi)))
    scalars["mu_product"] *= mu
    mu_product = scalars["mu_product"]
    weight1, one_minus_weight1, small_weight1 = lerp_weight(1 - beta1)
    return dict(weight1=weight1, one_minus_weight1=one_minus_weight1,
                small_weight1=small_weight1, beta2=beta2, one_minus_beta2=1 - beta2,
                eps=group["eps"], bias_correction2=1 - beta2 ** step,
                grad_coef=-lr * (1.0 - mu) / (1.0 - mu_product),
                avg_coef=(-lr * mu_next) / (1.0 - mu_product * mu_next),
                weight_decay=weight_decay, decay_factor=1 - lr * weight_decay,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0,
                decoupled=bool(group["decoupled_weight_decay"]))


RULE = Rule(nadam, hyper=("weight1", "one_minus_weight1", "small_weight1", "beta2",
                          "one_minus_beta2", "eps", "bias_correction2", "grad_coef", "avg_coef",
                          "weight_decay", "decay_factor"),
            flags=("maximize", "has_weight_decay", "decoupled"), rows=("exp_avg", "exp_avg_sq"),
            reads=("lr", "betas", "eps", "weight_decay", "momentum_decay", "maximize",
                   "decoupled_weight_decay"),
            derive=derive, scalars=lambda group: {"step": 0, "mu_product": 1.0})
