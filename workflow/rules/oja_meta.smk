# Oja's rule: compute rules of the meta-learned local rule (oja_fig8).
