"""Adam and AdamW, with AMSGrad and L2 or decoupled weight decay (torch ``_single_tensor_adam``).

State rows: ``exp_avg``, ``exp_avg_sq``, and ``max_exp_avg_sq`` when ``amsgrad``.
"""
import math

from ._common import adam_moments, decay_weights, maximum

STATE = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


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
