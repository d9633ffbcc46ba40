"""Artifacts of the self-assembly paper: what each notebook reads (cached runs) and writes."""

from ..specs import ArtifactSpec
from .experiment import table_inputs  # noqa: F401  (Table 1's inputs: every (dataset, algorithm) cell)

SPECS: list[ArtifactSpec] = []

# --- sa_tab1, sa_tab2 (helper sa_tables) -----------------------------------------------------------------------

# --- sa_fig2, sa_fig5 (helper sa_sweeps) -----------------------------------------------------------------------

# --- sa_fig3a, sa_fig3b, sa_fig3c, sa_fig4 (helper sa_matrices) ------------------------------------------------
from .matrix_runs import FIG3_MODEL, FIG4_MODEL  # noqa: E402  (the Fig. 3 run and the Fig. 4 curves)

SPECS += [
    ArtifactSpec("sa_fig3a", "self_assembly.fig3", {"run": FIG3_MODEL},
                 description="Fig. 3 (upper): H = Vbar Vbar^T before and after training, and the alignment cos(V, Vbar^T)"),
    ArtifactSpec("sa_fig3b", "self_assembly.fig3", {"run": FIG3_MODEL},
                 description="Fig. 3 (lower): W W^T before and after training"),
    ArtifactSpec("sa_fig3c", "self_assembly.fig3", {"run": FIG3_MODEL}, products=("figure", "table"),
                 description="Fig. 3 (right): singular-value spectra and effective rank of W and Wbar"),
    ArtifactSpec("sa_fig4", "self_assembly.fig4", {"runs": FIG4_MODEL}, products=("figure", "table"),
                 description="Fig. 4: plasticity ablation on CIFAR-10, test accuracy vs epoch"),
]

# --- sa_fig1a, sa_fig1b, sa_fig1c, sa_thm_* (helper sa_theory) -------------------------------------------------
