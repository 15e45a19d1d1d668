"""NAdam, Adam with Nesterov momentum and momentum decay (torch ``_single_tensor_nadam``).

State rows: ``exp_avg``, ``exp_avg_sq``; the scalar ``mu_product`` lives on the host.
"""
import math

from ._common import adam_moments, decay_weights

STATE = ("exp_avg", "exp_avg_sq")


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
