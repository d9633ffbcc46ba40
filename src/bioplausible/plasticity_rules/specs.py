"""Artifacts of the plasticity-rules paper: what each notebook reads (cached results) and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import experiment as ex

SPECS: list[ArtifactSpec] = []

# --- theory, Table 1 and schematics (pr_fig1a, pr_fig1b, pr_tab1, pr_thm3, pr_thm4, pr_thm5) -----------------

# --- robustness (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b) ----------------------------------------------------------

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
