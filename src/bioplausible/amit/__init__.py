"""Amit, "Biologically Plausible Deep Learning" (arXiv preprint): numerical core of the paper's slice.

Modules (catalog ``shared/papers/amit_bioplausible_deep.catalog.md``):

- ``linear_dynamics``: matrix dynamics of deep linear nets under BP / URFB / FRFB (A8.1; Figs 3-4, S4-S5).
- ``scalar_dynamics``: decoupled scalar ODEs, conservation laws, fixed points, tail slopes (A8.2-A8.3;
  Theorems 1-2, S1-S2).
- ``decoupling``: matrix ODE from the decoupled initial condition vs the scalar ODEs (S3).
- ``circuit``: the three-neuron output-error circuit (A3; Figs 1-2).
- ``metrics``: flat JSON-able metric dicts, one function per artifact.
"""

from . import circuit, decoupling, linear_dynamics, metrics, scalar_dynamics

__all__ = ["circuit", "decoupling", "linear_dynamics", "metrics", "scalar_dynamics"]
