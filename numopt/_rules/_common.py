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
