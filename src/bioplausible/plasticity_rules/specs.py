"""Artifacts of the plasticity-rules paper: what each notebook reads (cached results) and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import experiment as ex

SPECS: list[ArtifactSpec] = []

# --- theory, Table 1 and schematics (pr_fig1a, pr_fig1b, pr_tab1, pr_thm3, pr_thm4, pr_thm5) -----------------
# Seconds-scale: each notebook computes its check itself (bioplausible.plasticity_rules.classical / .theory).
SPECS += [
    ArtifactSpec("pr_fig1a", "plasticity_rules.fig1a",
                 description="Fig. 1a: feedforward network with three hidden layers and a rule r(i fired?, j fired?)"),
    ArtifactSpec("pr_fig1b", "plasticity_rules.fig1b",
                 description="Fig. 1b: the collapsed recurrent layer (T = 3 rounds) and its 8 x 8 rule over firing patterns"),
    ArtifactSpec("pr_tab1", "plasticity_rules.tab1", products=("table",),
                 description="Table 1: the Perceptron and MW output-layer rules, and their step-for-step equivalence"),
    ArtifactSpec("pr_thm3", "plasticity_rules.thm3", products=("figure", "table"),
                 description="Theorem 3: the [-a, a; b, -b] rule converges within 2 b^2 n / (a^2 gamma^2) mistakes"),
    ArtifactSpec("pr_thm4", "plasticity_rules.thm4", products=("figure", "table"),
                 description="Theorem 4: margin-perceptron mistake bounds, separable and noisy, and normalised margins"),
    ArtifactSpec("pr_thm5", "plasticity_rules.thm5", products=("figure", "table"),
                 description="Theorem 5: weak-selection evolution vs its first-order (GD) map and the paper's (2 - 2x) map"),
]

# --- robustness (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b) ----------------------------------------------------------

# --- learning curves and transfer (pr_fig2, pr_fig3, pr_fig6) -----------------------------------------------------

# --- alternative schemes and closed forms (pr_txt_c4, pr_thm1, pr_thm2) ---------------------------------------------
SPECS += [
    ArtifactSpec("pr_txt_c4", "plasticity_rules.txt_c4", {"result": ex.closed_form_result("txt_c4")},
                 products=("table",),
                 description="App. C.4: perceptron rule with the default scheme, all edges (S2), all examples and all "
                             "edges (S1+S2), and the MSE-optimal rule r* (S1+S2), T = 1 networks, one pass; MNIST "
                             "and the four generated tasks, A ~ N(0, 1) and A = 1"),
    ArtifactSpec("pr_thm1", "plasticity_rules.thm1", {"result": ex.closed_form_result("thm1")},
                 products=("figure", "table"),
                 description="Thm 1: the T = 1 output rule learned by GD from 10 random initial rules (Halfspace, "
                             "ReLU1, MNIST 0 vs 1): final tables and the four entries vs Adam step"),
    ArtifactSpec("pr_thm2", "plasticity_rules.thm2", {"result": ex.closed_form_result("thm2")},
                 products=("figure", "table"),
                 description="Thm 2: the closed-form MSE-optimal output rule r* (S1+S2, T = 1, |V| = 1000) on MNIST "
                             "and Halfspace: gradient at r*, Adam on L(r), CE convexity along random lines, accuracy"),
]
