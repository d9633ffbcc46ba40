"""Artifacts of Amit's paper implemented so far: what each notebook reads (cached simulations) and writes."""

from ..paths import rel_sim
from ..specs import ArtifactSpec

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
]
