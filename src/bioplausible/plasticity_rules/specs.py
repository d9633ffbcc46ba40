"""Artifacts of the plasticity-rules paper: what each notebook reads (cached results) and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import experiment as ex

SPECS: list[ArtifactSpec] = []

# --- theory, Table 1 and schematics (pr_fig1a, pr_fig1b, pr_tab1, pr_thm3, pr_thm4, pr_thm5) -----------------

# --- robustness (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b) ----------------------------------------------------------

# --- learning curves and transfer (pr_fig2, pr_fig3, pr_fig6) -----------------------------------------------------

# --- alternative schemes and closed forms (pr_txt_c4, pr_thm1, pr_thm2) ---------------------------------------------
