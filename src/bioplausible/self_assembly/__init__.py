"""Self-assembly of a biologically plausible learning circuit (Liao et al. 2024): SAL and its baselines."""
