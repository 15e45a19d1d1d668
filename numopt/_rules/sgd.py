"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch ``_single_tensor_sgd``).

State rows: ``momentum_buffer`` (only when ``momentum != 0``). torch starts the buffer
as a copy of the first gradient; here the buffer starts at 0 and the first step is
``0 * 0 + 1 * d``, which is that copy exactly.
"""
STATE = ("momentum_buffer",)


def sgd(i, p, g, s, h, f):
    maximize, has_weight_decay, has_momentum, nesterov = f
    lr, weight_decay, momentum, buffer_decay, grad_scale = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        d = d + weight_decay * x
    if has_momentum:
        b = s[0, i] * buffer_decay + grad_scale * d
        s[0, i] = b
        d = d + momentum * b if nesterov else b
    p[i] = x - lr * d
