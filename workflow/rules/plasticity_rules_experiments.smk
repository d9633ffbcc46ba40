# Plasticity rules: compute rules of the learning-curve and transfer artifacts (pr_fig2, pr_fig3, pr_fig6).
