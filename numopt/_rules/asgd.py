"""ASGD, averaged stochastic gradient descent (torch ``_single_tensor_asgd``).

State rows: ``ax`` (the running average); the scalars ``eta`` and ``mu`` live on the host.
"""
STATE = ("ax",)


def asgd(i, p, g, s, h):
    eta, decay_factor, mu, weight_decay, maximize, average = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if weight_decay != 0:
        d = d + weight_decay * x
    x = x * decay_factor
    x = x - eta * d
    p[i] = x
    if average:
        s[0, i] = s[0, i] + (x - s[0, i]) * mu
    else:
        s[0, i] = x
