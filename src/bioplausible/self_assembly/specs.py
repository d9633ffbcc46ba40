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
from .sweeps import fig2_inputs, fig5_inputs  # noqa: E402  (one cached sweep file per job)

SPECS += [
    ArtifactSpec("sa_fig2", "self_assembly.fig2", fig2_inputs, products=("figure", "table"),
                 description="Fig. 2: SAL test accuracy vs downstream/upstream width ratio, one curve per D_d"),
    ArtifactSpec("sa_fig5", "self_assembly.fig5", fig5_inputs, products=("figure", "table"),
                 description="Fig. 5: four-layer SAL MLP, validation accuracy over the learning-rate ratio grid"),
]

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
from ..paths import rel_model, rel_sim  # noqa: E402  (kept in this section)

# Cached theory results (compute rules in workflow/rules/self_assembly_theory.smk, script workflow/scripts/sa_theory.py)
SIM_LEMMA1 = rel_sim("self_assembly", "thm_lemma1")                  # log‖V − V̄ᵀ‖ per step, exact case + 2 controls
MODEL_THEORY_SAL = rel_model("self_assembly", "theory/sal_mnist")    # one default SAL run with the Theorem 1 probe
SIM_MODULATION = rel_sim("self_assembly", "thm_modulation")          # Sec. 2.3 modulation with that trained net

SPECS += [
    ArtifactSpec("sa_fig1a", "self_assembly.fig1a",
                 description="Fig. 1A: the upstream-downstream scheme with the error module (schematic)"),
    ArtifactSpec("sa_fig1b", "self_assembly.fig1b",
                 description="Fig. 1B: sketch of the smallest motif, 2 upstream and 2 downstream pyramidal neurons"),
    ArtifactSpec("sa_fig1c", "self_assembly.fig1c",
                 description="Fig. 1C: the mathematical unit, W, Wbar, V, Vbar with directions and shapes"),
    ArtifactSpec("sa_thm_lemma1", "self_assembly.thm_lemma1", {"sim": SIM_LEMMA1},
                 description="Lemma 1: V - Vbar^T decays exactly as (1 - eta gamma)^t; negative controls"),
    ArtifactSpec("sa_thm_prop1", "self_assembly.thm_prop1",
                 description="Proposition 1: preconditioned GD on least squares, full-rank and rank-deficient H"),
    ArtifactSpec("sa_thm_gd_alignment", "self_assembly.thm_gd_alignment", {"run": MODEL_THEORY_SAL},
                 description="Theorem 1 diagnostic: cos(G_SAL, G_BP) and cos(G_SAL, H G_BP) per layer and epoch"),
    ArtifactSpec("sa_thm_modulation", "self_assembly.thm_modulation", {"sim": SIM_MODULATION},
                 description="Sec. 2.3: short-term modulation h -> h + tau Vbar hbar, loss change vs tau"),
]
