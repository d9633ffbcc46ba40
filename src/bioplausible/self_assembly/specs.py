"""Artifacts of the self-assembly paper: what each notebook reads (cached runs) and writes."""

from ..specs import ArtifactSpec
from .experiment import table_inputs  # noqa: F401  (Table 1's inputs: every (dataset, algorithm) cell)

SPECS: list[ArtifactSpec] = []

# --- sa_tab1, sa_tab2 (helper sa_tables) -----------------------------------------------------------------------
SPECS += [
    ArtifactSpec("sa_tab1", "self_assembly.tab1", table_inputs, products=("table",),
                 description="Table 1: test accuracy of SGD, FA, WM, KP and SAL on seven datasets (5-layer MLP)"),
    ArtifactSpec("sa_tab2", "self_assembly.tab2", products=("table",),
                 description="Table 2: connectivity and plasticity of the four connection types per algorithm"),
]

# --- sa_fig2, sa_fig5 (helper sa_sweeps) -----------------------------------------------------------------------

# --- sa_fig3a, sa_fig3b, sa_fig3c, sa_fig4 (helper sa_matrices) ------------------------------------------------

# --- sa_fig1a, sa_fig1b, sa_fig1c, sa_thm_* (helper sa_theory) -------------------------------------------------
