# Plasticity rules: compute rules of the robustness artifacts (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b).
