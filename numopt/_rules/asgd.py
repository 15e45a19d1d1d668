"""ASGD, averaged stochastic gradient descent (torch ``_single_tensor_asgd``).

State rows: ``ax`` (the running average); the scalars ``eta`` and ``mu`` live on the host.
"""
from ._record import Rule


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


def derive(group, scalars, fresh):
    eta, mu = scalars["eta"], scalars["mu"]
    scalars["step"] += 1
    step = scalars["step"]
    lr, lambd = group["lr"], group["lambd"]
    # The update uses the previous eta and mu; the new ones are for the next step.
    scalars["eta"] = lr / ((1 + lambd * lr * step) ** group["alpha"])
    scalars["mu"] = 1 / max(1, step - group["t0"])
    return dict(eta=eta, decay_factor=1 - lambd * eta, mu=mu, weight_decay=group["weight_decay"],
                maximize=bool(group["maximize"]), has_weight_decay=group["weight_decay"] != 0,
                average=mu != 1)


RULE = Rule(asgd, hyper=("eta", "decay_factor", "mu", "weight_decay"),
            flags=("maximize", "has_weight_decay", "average"), rows=("ax",),
            reads=("lr", "lambd", "alpha", "t0", "weight_decay", "maximize"), derive=derive,
            scalars=lambda group: {"step": 0, "eta": float(group["lr"]), "mu": 1.0})
