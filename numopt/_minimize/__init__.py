"""scipy.optimize.minimize's interface over compiled, reverse-communication solvers."""
