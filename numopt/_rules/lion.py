"""Lion, evolved sign momentum (Chen et al., 2023, "Symbolic Discovery of Optimization
Algorithms", Algorithm 2; the order of operations of lucidrains/lion-pytorch).

State rows: ``exp_avg``. No step count: the update does not depend on it.
"""
from ._record import Rule


def lion(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    neg_lr, beta1, one_minus_beta1, beta2, one_minus_beta2, decay_factor, one, zero = h
    d = -g[i] if maximize else g[i]
    x = p[i]
    if has_weight_decay:
        x = x * decay_factor  # decoupled, before the update: p *= 1 - lr * wd
    m = s[0, i]
    c = m * beta1 + one_minus_beta1 * d
    # sign(c), with sign(0) = 0 and NaN kept (a select, so the loop vectorises)
    u = one if c > zero else (-one if c < zero else c)
    p[i] = x + neg_lr * u
    s[0, i] = m * beta2 + one_minus_beta2 * d


def derive(group, scalars, fresh):
    lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
    return dict(neg_lr=-lr, beta1=beta1, one_minus_beta1=1 - beta1, beta2=beta2,
                one_minus_beta2=1 - beta2, decay_factor=1 - lr * weight_decay, one=1.0, zero=0.0,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0)


RULE = Rule(lion, hyper=("neg_lr", "beta1", "one_minus_beta1", "beta2", "one_minus_beta2",
                         "decay_factor", "one", "zero"),
            flags=("maximize", "has_weight_decay"), rows=("exp_avg",),
            reads=("lr", "betas", "weight_decay", "maximize"), derive=derive,
            scalars=lambda group: {})
