# Plasticity rules: compute rules of the alternative-scheme and closed-form artifacts (pr_txt_c4, pr_thm1, pr_thm2).
