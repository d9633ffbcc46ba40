"""Oja's plasticity rule under biological constraints (Shervani-Tabar, Mirhoseini, Rosenbaum 2024): online
(batch 1) deep MLPs trained by back-propagation or feedback alignment with and without Oja's subspace rule, a
vanilla RNN on delayed MNIST with BPTT (+ Oja), and a meta-learned local rule with plastic feedback (Eq. 9).
Catalog: shared/papers/oja_rule.catalog.md.

Modules: :mod:`.online` (the online MLP, its update rules and logs, vectorised over runs), :mod:`.rnn` (delayed
MNIST, BPTT and BPTT + Oja), :mod:`.meta` (Eq. 9 and the meta-learning loop), :mod:`.experiment` (config ->
runs, cached-result paths).
"""
