"""RAdam, Adam with a rectified adaptive learning rate (torch ``_single_tensor_radam``).

State rows: ``exp_avg``, ``exp_avg_sq``. Whether the variance is tractable at this step
(torch's ``rho_t > 5``) is decided on the host and passed as the flag ``rectify``.
"""
import math

from ._common import adam_moments, decay_weights

STATE = ("exp_avg", "exp_avg_sq")


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
