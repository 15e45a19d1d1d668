"""Scalar helpers shared by the rules (compiled wherever the rules are)."""
from numba.extending import register_jitable


@register_jitable
def lerp(start, end, weight):
    """``start + weight * (end - start)``, as torch's ``lerp`` computes it.

    torch switches to ``end - (end - start) * (1 - weight)`` for ``|weight| >= 0.5``,
    which is exact at ``weight == 1``.
    """
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


@register_jitable
def maximum(a, b):
    """NaN-propagating maximum, as ``torch.maximum``."""
    if a > b or a != a:
        return a
    return b
