# Plasticity rules: compute rules of the experiments artifacts (see workflow/rules/plasticity_rules.smk for the shared ones).
