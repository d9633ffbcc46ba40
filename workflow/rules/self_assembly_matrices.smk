# Self-assembly: rules of helper sa_matrices (see its artifacts in src/bioplausible/self_assembly/specs.py).
