"""Scalar helpers shared by the rules (compiled wherever the rules are).

Both are written as value selects rather than branches with side effects, so that
loops over them vectorise.
"""
from numba.extending import register_jitable


@register_jitable(inline="always")
def lerp(start, end, weight, one_minus_weight, small_weight):
    """``start + weight * (end - start)``, as torch's ``lerp`` computes it.

    torch uses ``end - (end - start) * (1 - weight)`` when ``|weight| >= 0.5`` (exact at
    ``weight == 1``); the host passes ``1 - weight`` and which form applies
    (``small_weight``), both fixed for the whole step.
    """
    near_start = start + weight * (end - start)
    near_end = end - (end - start) * one_minus_weight
    return near_start if small_weight else near_end


@register_jitable(inline="always")
def maximum(a, b):
    """NaN-propagating maximum, as ``torch.maximum``."""
    return a if (a > b or a != a) else b


@register_jitable(inline="always")
def decay_weights(x, d, has_weight_decay, decoupled, weight_decay, decay_factor):
    """Apply weight decay as torch does: decoupled (AdamW) scales the parameter by
    ``1 - lr * weight_decay``; otherwise an L2 term joins the gradient."""
    if has_weight_decay:
        if decoupled:
            x = x * decay_factor
        else:
            d = d + weight_decay * x
    return x, d


@register_jitable(inline="always")
def adam_moments(m, v, d, weight1, one_minus_weight1, small_weight1, beta2, one_minus_beta2):
    """Adam's first and second moment updates (``exp_avg.lerp_``, ``exp_avg_sq.mul_().addcmul_()``)."""
    return (lerp(m, d, weight1, one_minus_weight1, small_weight1),
            v * beta2 + one_minus_beta2 * d * d)
