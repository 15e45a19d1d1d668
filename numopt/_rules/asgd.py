"""ASGD, averaged stochastic gradient descent (torch ``_single_tensor_asgd``).

State rows: ``ax`` (the running average); the scalars ``eta`` and ``mu`` live on the host.
"""


def asgd(i, p, g, s, h, f):
    maximize, has_weight_decay, average = f
    eta, decay_factor, mu, weight_decay = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    x = x * decay_factor
    x = x - eta * d
    p[i] = x
    s[0, i] = s[0, i] + (x - s[0, i]) * mu if average else x


STATE = ("ax",)
