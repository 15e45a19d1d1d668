"""Element-wise update rules: the arithmetic of every optimizer, written once.

Each module holds one rule: a plain function ``rule(i, p, g, s, h)`` that updates
element ``i`` of the flat parameter buffer ``p`` in place, reading the gradient ``g[i]``
and reading and writing the state rows ``s[k, i]``. ``h`` is a tuple of per-step
scalars (learning rate, bias corrections, flags) computed once per step on the host in
float64, as torch does, and cast to the buffer's dtype so that float32 buffers are
updated in float32 arithmetic.

The functions carry no decorator: :mod:`numopt._drivers.cpu` compiles them into serial
and threaded loops and :mod:`numopt._drivers.cuda` into GPU kernels. They must stay
free of allocation, Python objects and float literals (a float64 literal would promote
float32 arithmetic to float64).

Each rule follows torch 2.13's ``_single_tensor_<name>`` in the same order of
operations, including torch's operand order inside ``addcmul``/``addcdiv``
(``self + value * t1 * t2`` and ``self + value * t1 / t2``).
"""
