"""Training places and workforce capacity."""
