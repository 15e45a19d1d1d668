"""Update rules: the arithmetic of every optimizer, and its contract, written once.

Each module holds one rule: a plain function ``rule(i, p, g, s, h, f)`` that updates
element ``i`` of the flat parameter buffer ``p`` in place, reading the gradient ``g[i]``
and reading and writing the state rows ``s[k, i]``; and its record ``RULE``
(:class:`._record.Rule`), which names what the function unpacks from ``h`` and ``f``,
the state rows and scalars it keeps, and derives each step's values from a parameter
group. The optimizer classes and the drivers read the record; no other file knows the
order of ``h`` or ``f``.

- ``h`` is a tuple of per-step scalars (learning rate, bias corrections) computed once
  per step on the host in float64, as torch does, and cast to the buffer's dtype so
  that float32 buffers are updated in float32 arithmetic.
- ``f`` is a tuple of booleans for the structural options (``maximize``, weight decay
  on or off, ``amsgrad``, ``centered``...). The drivers compile one loop per
  combination with ``f`` as a constant, so untaken branches vanish and the loop
  vectorises; a branch on a runtime flag with a store inside would not (measured: 7x
  slower for float32 Adam).

The functions carry no decorator: :mod:`numopt._drivers.cpu` compiles them into serial
and threaded loops and :mod:`numopt._drivers.cuda` into GPU kernels. They must stay
free of allocation, Python objects and numeric literals: in numba a literal (``1``,
``0.5``) promotes float32 arithmetic to float64, so constants come in ``h``.

Each rule follows torch 2.13's ``_single_tensor_<name>`` in the same order of
operations, including torch's operand order inside ``addcmul``/``addcdiv``
(``self + value * t1 * t2`` and ``self + value * t1 / t2``).
"""
