"""Artifacts of Amit's paper implemented so far: what each notebook reads (cached simulations) and writes."""

from ..paths import rel_sim
from ..specs import ArtifactSpec
from .deep_experiment import model, table_inputs

# Cached simulations (compute rules in workflow/rules/amit.smk, script workflow/scripts/amit_sim.py).
SIM_TEACHER_STUDENT = rel_sim("amit", "linear_teacher_student")   # Fig. 3: BP / URFB / FRFB from the same W(0)
SIM_EPS_SWEEP = rel_sim("amit", "linear_eps_sweep")               # Fig. 4: eps in {0, .25, .5, 1} and BP
SIM_SCALAR_TWO_LAYER = rel_sim("amit", "scalar_two_layer")        # eq. 14 / 22 (Theorem 1)
SIM_SCALAR_THREE_LAYER = rel_sim("amit", "scalar_three_layer")    # eq. 16, k = 3 (Theorem 2)
SIM_DECOUPLING = rel_sim("amit", "decoupling")                    # matrix ODE (11) vs scalar ODE (14)

SPECS = [
    ArtifactSpec("amit_fig1", "amit.fig1", description="Fig. 1: the three-neuron output circuit (schematic)"),
    ArtifactSpec("amit_fig2", "amit.fig2", description="Fig. 2: transfer functions sigma_o and sigma_t of eq. 9"),
    ArtifactSpec("amit_fig3a", "amit.fig3", {"sim": SIM_TEACHER_STUDENT},
                 description="Fig. 3 (top): log-error of BP, FRFB and URFB in a linear 3-layer network"),
    ArtifactSpec("amit_fig3b", "amit.fig3", {"sim": SIM_TEACHER_STUDENT}, products=("figure", "table"),
                 description="Fig. 3 (rows 2-4): relative difference of URFB and BP weights per layer"),
    ArtifactSpec("amit_fig4", "amit.fig4", {"sim": SIM_EPS_SWEEP},
                 description="Fig. 4: convergence for feedback learning-rate factors eps, zero feedforward init"),
    ArtifactSpec("amit_thm1", "amit.thm1", {"sim": SIM_SCALAR_TWO_LAYER}, products=("figure", "table"),
                 description="Theorem 1: decoupled two-layer dynamics, orderings in eps and tail slopes"),
    ArtifactSpec("amit_thm2", "amit.thm2", {"sim": SIM_SCALAR_THREE_LAYER}, products=("figure", "table"),
                 description="Theorem 2: decoupled three-layer dynamics, orderings in eps and tail slopes"),
    ArtifactSpec("amit_decouple", "amit.decouple", {"sim": SIM_DECOUPLING},
                 description="The matrix ODE stays diagonal in the singular bases and matches the scalar ODE"),
    ArtifactSpec("amit_circuit", "amit.circuit",
                 description="Sec. 2.3: the circuit's output activity equals the hinge-loss error delta of eq. 5"),
    # CIFAR networks (rules in workflow/rules/amit_deep.smk): each table reads its trained runs; the figures read
    # the same runs' logs (Fig. 5) and the untied layer of the URFB simpnet (Fig. 6).
    ArtifactSpec("amit_tab1", "amit.tab1", table_inputs("tab1"), products=("table",),
                 description="Table 1: simpnet error rates, CIFAR-10 (tied / untied) and CIFAR-100, six regimes"),
    ArtifactSpec("amit_fig5a", "amit.fig5a", table_inputs("tab1"),
                 description="Fig. 5 (simple net): train and validation error vs epoch, six regimes"),
    ArtifactSpec("amit_tab2", "amit.tab2", table_inputs("tab2"), products=("table",),
                 description="Table 2: deepnet and deepernet error rates on CIFAR-100, six regimes"),
    ArtifactSpec("amit_fig5b", "amit.fig5b", table_inputs("tab2"),
                 description="Fig. 5 (deeper net): train and validation error vs epoch, deepernet on CIFAR-100"),
    ArtifactSpec("amit_fig6", "amit.fig6",
                 {"untied": model("cifar10", "simpnet", "urfb", "full", "untied")},
                 description="Fig. 6: untied simpnet filters at four locations, and their spatial similarity"),
    ArtifactSpec("amit_tab3", "amit.tab3", table_inputs("tab3"), products=("table",),
                 description="Table 3: deepernet_s on CIFAR-10, tied vs untied convolutions"),
]

# The artifacts that read trained CIFAR runs (the rest are the linear theory and the circuit: seconds each).
CIFAR_ARTIFACTS = ("amit_tab1", "amit_fig5a", "amit_tab2", "amit_fig5b", "amit_fig6", "amit_tab3")
