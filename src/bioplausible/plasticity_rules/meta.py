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


def learn_output_rules(graph: Graph, drive: torch.Tensor, labels: torch.Tensor, *, initial_tables: torch.Tensor,
                       seeds: list[int], eta: float, steps: int, batch: int, lr: float, weight_decay: float,
                       log_every: int = 10, log_tables: bool = False) -> tuple[torch.Tensor, list[list[dict]]]:
    """:func:`learn_rule` for R output rules of a T = 1 network at once (e.g. Thm 1's random initial rules).

    Run r starts from ``initial_tables[r]`` (2 × 2) and draws its batches from its own seeded shuffles
    (``seeds[r]``), exactly as ``learn_rule(..., seed=seeds[r])`` would; the R inner loops advance together
    (:func:`training.train_with_rules` with one output table per run) and the summed loss separates, so Adam
    (elementwise) and the weight decay act on each run as if it were alone. Returns the final tables (R, 2, 2)
    and one log per run."""
    if graph.T != 1:
        raise ValueError(f"learn_output_rules is for T = 1 output rules; the graph has T = {graph.T}")
    R = initial_tables.shape[0]
    if len(seeds) != R:
        raise ValueError(f"{len(seeds)} seeds for {R} initial tables")
    n_examples = len(labels)
    if batch > n_examples:
        raise ValueError(f"batch {batch} exceeds the {n_examples} training examples")
    tables = nn.Parameter(initial_tables.to(graph.dtype).clone())
    optimizer = torch.optim.Adam([tables], lr=lr, weight_decay=weight_decay)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    per_epoch = n_examples // batch
    orders = [torch.randperm(n_examples, generator=g) for g in gens]
    logs: list[list[dict]] = [[] for _ in range(R)]
    started = time.time()
    for step in range(steps):
        if step % per_epoch == 0 and step:
            orders = [torch.randperm(n_examples, generator=g) for g in gens]
        start = (step % per_epoch) * batch
        idx = torch.stack([o[start:start + batch] for o in orders])          # (R, batch)
        with torch.no_grad():
            inner = train_with_rules(graph, None, tables.detach(), drive, labels, idx, eta=eta, record=True)
        _, U = weights_from_counts(graph, None, inner.counts_out, None, tables, eta)   # (R, l, n)
        z = logits(graph, None, U, drive[idx])                                          # (R, batch, l)
        y = labels[idx]
        per_run = nn.functional.cross_entropy(z.transpose(1, 2), y, reduction="none").mean(1)   # (R,)
        optimizer.zero_grad()
        per_run.sum().backward()
        optimizer.step()
        if step % log_every == 0 or step == steps - 1:
            acc = (z.argmax(-1) == y).double().mean(1)
            for r in range(R):
                entry = {"step": step, "loss": float(per_run[r].detach()), "batch_acc": float(acc[r]),
                         "update_fraction": float(inner.n_updates[r]) / batch, "seconds": time.time() - started}
                if log_tables:
                    entry["output_table"] = tables[r].detach().tolist()
                logs[r].append(entry)
    return tables.detach().clone(), logs
