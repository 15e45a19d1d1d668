"""SGD with momentum, dampening, Nesterov momentum and weight decay (torch ``_single_tensor_sgd``).

State rows: ``momentum_buffer`` (only when ``momentum != 0``). torch starts the buffer
as a copy of the first gradient; here the buffer starts at 0 and the first step is
``0 * 0 + 1 * d``, which is that copy exactly.
"""
from ._record import Rule


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


def derive(group, scalars, fresh):
    momentum, weight_decay = group["momentum"], group["weight_decay"]
    # A fresh buffer is 0: ``0 * 0 + 1 * d`` is torch's copy of the first gradient.
    buffer_decay, grad_scale = (0, 1) if fresh else (momentum, 1 - group["dampening"])
    return dict(lr=group["lr"], weight_decay=weight_decay, momentum=momentum,
                buffer_decay=buffer_decay, grad_scale=grad_scale,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0,
                has_momentum=momentum != 0, nesterov=bool(group["nesterov"]))


RULE = Rule(sgd, hyper=("lr", "weight_decay", "momentum", "buffer_decay", "grad_scale"),
            flags=("maximize", "has_weight_decay", "has_momentum", "nesterov"),
            rows=("momentum_buffer",),
            reads=("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize"),
            derive=derive,
            # no step count: without momentum, plain SGD keeps no state at all
            active_rows=lambda group: ("momentum_buffer",) if group["momentum"] != 0 else (),
            scalars=lambda group: {})
