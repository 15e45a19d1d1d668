"""Generic loops that compile any element-wise update rule for a target."""
