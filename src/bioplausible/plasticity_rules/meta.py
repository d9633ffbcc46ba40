"""Learning a plasticity rule by gradient descent (Appendix C.1 "GD to Learn a Rule"; catalog A5).

For every batch (size 100): reset W = 0, U = 0; train the network on the batch with the current rule, one
example at a time, misclassified-only (:func:`training.train_with_rules`); compute the cross-entropy of the
resulting network on the same batch; take its gradient with respect to the rule parameters; Adam step
(lr 1e-2, coupled L2 ``weight_decay`` 0.01, as the authors' code).

Differentiation through the inner loop holds the firing codes and the "misclassified?" decisions constant:
the final weights are then linear in the rule tables, W = η M_G ⊙ Σ_{a,b} R[a,b] N_ab and U = η Σ R_o[s,b] N^o_sb
(:func:`training.weights_from_counts`), and the loss gradient flows through the batched forward pass with those
weights (U, W in rounds t ≥ 2 and the values the cap keeps). A small-network rule is materialised into its table
first, so the gradient reaches its weights through the table.
"""

from __future__ import annotations

import time
from typing import Callable

import torch
from torch import nn

from .network import Graph, logits
from .rules import rule_table
from .training import train_with_rules, weights_from_counts


def learn_rule(graph: Graph, drive: torch.Tensor, labels: torch.Tensor, *, rnn_rule: nn.Module | torch.Tensor | None,
               output_rule: nn.Module | torch.Tensor, eta: float, steps: int, batch: int, lr: float,
               weight_decay: float, seed: int, log_every: int = 10,
               progress: Callable[[str], None] | None = None, log_tables: bool = False) -> list[dict]:
    """Adam on the parameters of whichever of ``rnn_rule``/``output_rule`` are modules (tensors stay fixed).

    ``drive``/``labels``: the training set (Ã x per example). Batches are drawn from one shuffle per epoch
    (seeded); ``steps`` Adam steps in all. Returns a log: step, loss, batch accuracy after the inner loop,
    fraction of examples that triggered an update; with ``log_tables`` also the output table (and the RNN
    table when T >= 2) after the step, as nested lists (``output_table``, ``rnn_table``)."""
    if graph.T >= 2 and rnn_rule is None:
        raise ValueError(f"T={graph.T}: an RNN rule (table or module) is needed")
    modules = [r for r in (rnn_rule, output_rule) if isinstance(r, nn.Module)]
    params = [p for m in modules for p in m.parameters()]
    if not params:
        raise ValueError("nothing to learn: pass the rule(s) to learn as nn.Module (TableRule or NetworkRule)")
    n_examples = len(labels)
    if batch > n_examples:
        raise ValueError(f"batch {batch} exceeds the {n_examples} training examples")
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    per_epoch = n_examples // batch
    order = torch.randperm(n_examples, generator=gen)
    log: list[dict] = []
    started = time.time()
    use_rnn = graph.T >= 2
    for step in range(steps):
        if step % per_epoch == 0 and step:
            order = torch.randperm(n_examples, generator=gen)
        idx = order[(step % per_epoch) * batch:(step % per_epoch + 1) * batch]
        d, y = drive[idx], labels[idx]
        with torch.no_grad():
            table = rule_table(rnn_rule).detach() if use_rnn else None
            out_table = rule_table(output_rule).detach()
            inner = train_with_rules(graph, table, out_table, d, y, torch.arange(len(idx))[None], eta=eta,
                                     record=True)
        W, U = weights_from_counts(graph, inner.counts_rnn, inner.counts_out,
                                   rule_table(rnn_rule) if use_rnn else None, rule_table(output_rule), eta)
        z = logits(graph, W, U, d)
        loss = nn.functional.cross_entropy(z, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % log_every == 0 or step == steps - 1:
            entry = {"step": step, "loss": float(loss.detach()), "batch_acc": float((z.argmax(-1) == y).double().mean()),
                     "update_fraction": float(inner.n_updates[0]) / len(idx), "seconds": time.time() - started}
            if log_tables:
                entry["output_table"] = rule_table(output_rule).detach().tolist()
                if use_rnn:
                    entry["rnn_table"] = rule_table(rnn_rule).detach().tolist()
            log.append(entry)
            if progress is not None and (step % (log_every * 10) == 0 or step == steps - 1):
                progress(f"rule step {step + 1}/{steps}: loss {entry['loss']:.4f}, batch acc {entry['batch_acc']:.3f}")
    return log
