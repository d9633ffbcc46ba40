"""Artifacts of the self-assembly paper: what each notebook reads (cached runs) and writes."""

from ..specs import ArtifactSpec
from .experiment import table_inputs  # noqa: F401  (Table 1's inputs: every (dataset, algorithm) cell)

SPECS: list[ArtifactSpec] = []

# --- sa_tab1, sa_tab2 (helper sa_tables) -----------------------------------------------------------------------

# --- sa_fig2, sa_fig5 (helper sa_sweeps) -----------------------------------------------------------------------
from .sweeps import fig2_inputs, fig5_inputs  # noqa: E402  (one cached sweep file per job)

SPECS += [
    ArtifactSpec("sa_fig2", "self_assembly.fig2", fig2_inputs, products=("figure", "table"),
                 description="Fig. 2: SAL test accuracy vs downstream/upstream width ratio, one curve per D_d"),
    ArtifactSpec("sa_fig5", "self_assembly.fig5", fig5_inputs, products=("figure", "table"),
                 description="Fig. 5: four-layer SAL MLP, validation accuracy over the learning-rate ratio grid"),
]

# --- sa_fig3a, sa_fig3b, sa_fig3c, sa_fig4 (helper sa_matrices) ------------------------------------------------

# --- sa_fig1a, sa_fig1b, sa_fig1c, sa_thm_* (helper sa_theory) -------------------------------------------------
