"""Adafactor (Shazeer and Stern, 2018), as torch 2.13's ``_single_tensor_adafactor``.

A factored rule (see :class:`._record.FactoredPhases`): the second moment of a
parameter with two or more dimensions is kept as its mean over the last dimension
(``row_var``, shape ``(..., R, 1)``) and over the second to last (``col_var``, shape
``(..., 1, C)``), and the update of every element needs sums over the whole parameter
(its RMS, the update's RMS). The phases below hold the arithmetic; the drivers
(:mod:`numopt._drivers.cpu`, :mod:`numopt._drivers.cuda`) hold the loops, the sums and
the index arithmetic, the same sums in the same order on both.

State rows: ``row_var`` (a parameter of fewer than two dimensions keeps torch's
``variance``, full size, there) and ``col_var``; each in the first elements of the
parameter's slice (``state_shapes``). Sums of squares are taken in float64; a row's or
a column's mean, the estimate and the update are in the buffer's dtype, as torch's.
"""
import math

from ._common import lerp, maximum
from ._record import FactoredPhases, Rule, lerp_weight


def param_square(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    x = float(p[i])
    return x * x


def grad_square(i, p, g, s, h, f):
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    x = float(g[i])
    return x * x  # (the sign of a maximized gradient does not matter here)


def row_update(k, p, g, s, h, f, total, count):
    # torch: row_var.lerp_(norm(grad, dim=-1).square() / C, one_minus_beta2_t); for a
    # vector (count 1) variance.lerp_(grad * grad, ...)
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    mean = p.dtype.type(total / count)
    s[0, k] = lerp(s[0, k], mean, weight, one_minus_weight, small_weight)


def col_update(k, p, g, s, h, f, total, count):
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    mean = p.dtype.type(total / count)
    s[1, k] = lerp(s[1, k], mean, weight, one_minus_weight, small_weight)


def row_mean(p, g, s, h, f, total, count):
    # torch: row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1), one per batch
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    return maximum(p.dtype.type(total / count), eps1)


def scaled_update(i, p, g, s, h, f, ri, ci, mean, factored):
    # torch: (row_var @ col_var / mean) or variance, .clamp_(min=eps1 * eps1).rsqrt_() * grad;
    # element i's statistics are s[0, ri] and s[1, ci] (the drivers index)
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    row = s[0, ri]
    estimate = row * s[1, ci] / mean
    v = estimate if factored else row  # (a select: a vector's column index is any valid one)
    grad = -g[i] if maximize else g[i]
    return (one / math.sqrt(maximum(v, eps1_sq))) * grad


def step_size(p, h, f, n, param_ssq, update_ssq):
    # torch's host arithmetic, in float64: alpha = max(eps2, RMS(param)) * rho and the
    # clipping denominator max(1, RMS(update) / d); Python's max keeps its first
    # argument unless the second is larger (so a NaN RMS gives eps2, and 1).
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    root_n = math.sqrt(n)
    rms = math.sqrt(param_ssq) / root_n
    floor = float(eps2)
    alpha = (rms if rms > floor else floor) * float(rho)
    clip = math.sqrt(update_ssq) / (root_n * float(d))
    unit = float(one)
    denom = clip if clip > unit else unit
    return p.dtype.type(-alpha / denom)


def apply(i, p, g, s, h, f, u, step):
    # u: scaled_update's value for element i (the drivers pass it: a phase calls no other)
    maximize, has_weight_decay = f
    (weight, one_minus_weight, small_weight, eps1, eps1_sq, eps2, rho, d, decay_factor,
     one) = h
    x = p[i]
    if has_weight_decay:
        x = x * decay_factor  # decoupled, after the RMS was taken
    p[i] = x + step * u


def derive(group, scalars, fresh):
    scalars["step"] += 1
    step = scalars["step"]
    lr, weight_decay = group["lr"], group["weight_decay"]
    eps1, eps2 = group["eps"]
    # torch's eps1=None is the finfo eps of the first parameter of the group that has a
    # gradient; optim.Adafactor resolves it before a step (an unresolved None is not a
    # number and fails the step's checks before anything changes)
    weight, one_minus_weight, small_weight = lerp_weight(step ** group["beta2_decay"])
    return dict(weight=weight, one_minus_weight=one_minus_weight, small_weight=small_weight,
                eps1=eps1, eps1_sq=None if eps1 is None else eps1 * eps1, eps2=eps2,
                rho=min(lr, 1 / step ** 0.5), d=group["d"],
                decay_factor=1 - lr * weight_decay, one=1.0,
                maximize=bool(group["maximize"]), has_weight_decay=weight_decay != 0)


def state_shapes(shape):
    shape = tuple(shape)
    if len(shape) < 2:
        return {"variance": ("row_var", shape)}
    return {"row_var": ("row_var", shape[:-1] + (1,)),
            "col_var": ("col_var", shape[:-2] + (1,) + shape[-1:])}


RULE = Rule(FactoredPhases(param_square, grad_square, row_update, col_update, row_mean,
                           scaled_update, step_size, apply),
            name="adafactor", kind="factored", state_shapes=state_shapes,
            hyper=("weight", "one_minus_weight", "small_weight", "eps1", "eps1_sq", "eps2",
                   "rho", "d", "decay_factor", "one"),
            flags=("maximize", "has_weight_decay"), rows=("row_var", "col_var"),
            reads=("lr", "beta2_decay", "eps", "d", "weight_decay", "maximize"),
            derive=derive)
