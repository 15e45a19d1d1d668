"""Least squares and curve fitting: residual-based methods (see API.md section 6)."""
