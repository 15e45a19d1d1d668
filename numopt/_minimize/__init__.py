"""numopt.minimize: scipy.optimize.minimize's methods, as compiled reverse-communication solvers."""
