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


def _attack_inputs(dataset: str, nets: tuple[str, ...], first_seed_only: bool = False):
    """The attack results (catalog A7) of ``nets`` on ``dataset``, every net seed (or the first)."""

    def inputs(config: Mapping[str, Any]) -> dict[str, str]:
        pr = config["plasticity_rules"]
        seeds = pr["nets"]["seeds"][:1] if first_seed_only else pr["nets"]["seeds"]
        return {f"attack_{dataset}_{net}_s{s}": ex.attack_result(dataset, net, s) for net in nets for s in seeds}

    return inputs


def _tab2_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Table 2: the T3 / T1star / T1 nets on every dataset (clean test accuracy) and their MNIST attacks."""
    pr = config["plasticity_rules"]
    out = {f"net_{d}_{net}_s{s}": ex.trained_net(d, net, s)
           for d in pr["nets"]["datasets"] for net in ("T3", "T1star", "T1") for s in pr["nets"]["seeds"]}
    out.update(_attack_inputs("mnist", ("T3", "T1star", "T1"))(config))
    return out


SPECS += [
    ArtifactSpec("pr_fig4", "plasticity_rules.attack", _attack_inputs("mnist", ("T3", "T1", "T1star", "GD")),
                 products=("figure", "table"),
                 description="Fig. 4: robust accuracy vs L2 radius under the targeted raw-gradient attack (MNIST; "
                             "T = 3, T = 1, T = 1*, GD), with the foolbox L2 PGD / CW diagnostics and the step-size "
                             "sweep"),
    ArtifactSpec("pr_tab2", "plasticity_rules.attack", _tab2_inputs, products=("table",),
                 description="Table 2: clean MNIST / Fashion-MNIST accuracy and MNIST robustness at eps 2 and 4 "
                             "for T = 3, T = 1*, T = 1"),
    ArtifactSpec("pr_fig5a", "plasticity_rules.attack",
                 _attack_inputs("mnist", ("T3", "GD"), first_seed_only=True),
                 description="Fig. 5 (left): MNIST images at their smallest fooling radius, GD vs T = 3 plasticity "
                             "net"),
    ArtifactSpec("pr_fig5b", "plasticity_rules.attack",
                 _attack_inputs("fashion_mnist", ("T3", "GD"), first_seed_only=True),
                 description="Fig. 5 (right): the same on Fashion-MNIST"),
]

# --- learning curves and transfer (pr_fig2, pr_fig3, pr_fig6) -----------------------------------------------------
def _fig3_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Fig. 3: one transfer result per dataset, and the learned rules (the R1 table's sign pattern is reported)."""
    from .curves import fig3_rules

    out = {f"transfer_{d}": ex.fig3_transfer(d) for d in ex.TASKS}
    out.update({r: ex.learned_rule(r) for r in fig3_rules(config["plasticity_rules"])})
    return out


SPECS += [
    ArtifactSpec("pr_fig2", "plasticity_rules.fig2", {"curves": ex.fig2_curves(), "R1": ex.learned_rule("R1")},
                 products=("figure", "table"),
                 description="Fig. 2: MNIST test accuracy vs training samples, plasticity (learned R1, perceptron) "
                             "vs GD on the output weights, one T = 1 net"),
    ArtifactSpec("pr_fig3", "plasticity_rules.fig3", _fig3_inputs, products=("figure", "table"),
                 description="Fig. 3: test and train accuracy of four models re-trained with the fixed rules R1 / R2 "
                             "on six datasets, mean and std over re-trainings"),
    ArtifactSpec("pr_fig6", "plasticity_rules.fig6", {"curves": ex.fig6_curves()}, products=("figure", "table"),
                 description="Fig. 6: MNIST test accuracy of a T = 3 net updated on misclassified examples only vs "
                             "on every example"),
]

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
