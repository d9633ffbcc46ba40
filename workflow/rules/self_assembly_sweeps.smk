# Self-assembly: rules of helper sa_sweeps (see its artifacts in src/bioplausible/self_assembly/specs.py).
