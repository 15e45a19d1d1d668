"""Test problems for optimizers, for numopt's tests and benchmarks.

- :mod:`numopt.testing.problems`: the unconstrained problems of Moré, Garbow and
  Hillstrom (1981), each with compiled ``fun``/``grad``/``fg``, the standard starting
  point and the known minimum.
"""
from . import problems
from .problems import ALL, Problem, get

__all__ = ["problems", "Problem", "ALL", "get"]
