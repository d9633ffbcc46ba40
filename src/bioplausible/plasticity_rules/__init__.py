"""Learning with plasticity rules (Cristian, Dabagia, Papadimitriou, Vempala 2021): simple random-graph RNNs
with a cap (k-winners-take-all), plasticity rules over firing sequences, rules learned by gradient descent
through the unrolled inner loop, and their robustness. Catalog: shared/papers/plasticity_rules_gd.catalog.md.

Modules: :mod:`.network` (the simple RNN: graph, cap, firing codes, forward pass), :mod:`.rules` (table and
small-network rules, the perceptron and MW tables), :mod:`.training` (rule-based training, sequential and
vectorised over independent runs), :mod:`.meta` (learning a rule by GD), :mod:`.tasks` (the generated tasks),
:mod:`.experiment` (config -> runs, cached-result paths).
"""
