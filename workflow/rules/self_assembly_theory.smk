# Self-assembly: rules of helper sa_theory (see its artifacts in src/bioplausible/self_assembly/specs.py).
