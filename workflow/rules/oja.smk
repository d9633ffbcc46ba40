# Oja's rule: compute rules of the online MLP runs (R5X, R10X, R5N, R5FA) shared by Figs 1-6 and S1.
