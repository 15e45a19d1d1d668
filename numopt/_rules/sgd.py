"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch ``_single_tensor_sgd``).

State rows: ``momentum_buffer`` (only when ``momentum != 0``).
"""
STATE = ("momentum_buffer",)


def sgd(i, p, g, s, h):
    lr, weight_decay, momentum, one_minus_dampening, nesterov, maximize, has_buffer, first = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if weight_decay != 0:
        d = d + weight_decay * x
    if has_buffer:
        # torch starts the buffer as a copy of the first gradient, undamped.
        b = d if first else s[0, i] * momentum + one_minus_dampening * d
        s[0, i] = b
        d = d + momentum * b if nesterov else b
    p[i] = x - lr * d
