# Plasticity rules: compute rules of the robustness artifacts (see workflow/rules/plasticity_rules.smk for the shared ones).
