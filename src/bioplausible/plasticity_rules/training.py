"""Rule-based training (Appendix C.1 "Rule-based training"; catalog A4): no gradient descent.

Weights start at 0 (additive) or 1 (multiplicative). For each example in order: one forward pass (T rounds)
gives every unit's firing code c_j and the prediction ŷ; if ŷ ≠ y (scheme ``misclassified``; ``all`` = on every
example, C.4's S1) both updates apply, from that same pass:

    W_ji ← W_ji + η R[c_i, c_j]                 for every edge i -> j (T ≥ 2 only)
    U_{y,j} ← U_{y,j} + η R_o[c_j, 0],  U_{ŷ,j} ← U_{ŷ,j} + η R_o[c_j, 1]      (edges ``default``)
    U_{c,j} ← U_{c,j} + η R_o[c_j, 1] for every c ≠ y instead of ŷ only          (edges ``all``, C.4's S2)

Multiplicative mode (the authors' code): w ← w (1 + η r). The loop over examples is sequential (the paper's
online protocol); each step is a handful of batched tensor operations over all synapses, and independent runs
(shuffles, seeds) advance together along a leading run dimension R.

``record=True`` also counts, for one run, how often each synapse received each table entry; the final weights
are then linear in the tables (W = η M_G ⊙ counts·R, U likewise), which is how :mod:`.meta` differentiates
through the inner loop with the firing codes and mistake decisions held constant (catalog A5).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from .network import Graph, rounds
from .rules import check_output_table, check_rnn_table

SCHEMES = ("misclassified", "all")
EDGES = ("default", "all")
MODES = ("additive", "multiplicative")


@dataclass
class TrainResult:
    W: torch.Tensor                       # (R, n, n), M_G ⊙ W
    U: torch.Tensor                       # (R, l, n)
    n_updates: torch.Tensor               # (R,) examples that triggered an update
    n_mistakes: torch.Tensor              # (R,) examples misclassified when seen
    curve: list[dict] = field(default_factory=list)   # {"seen": int, ...eval_fn(...)} at eval points
    counts_rnn: torch.Tensor | None = None     # (n*n, S*S) when record (a single run)
    counts_out: torch.Tensor | None = None     # (R, l*n, S*2) when record
    seconds: float = 0.0


def initial_weights(graph: Graph, runs: int, mode: str) -> tuple[torch.Tensor, torch.Tensor]:
    """W = 0, U = 0 (additive) or W = M_G, U = 1 (multiplicative), with a run dimension."""
    n, l = graph.n, graph.n_classes
    if mode == "additive":
        W = graph.graph_mask.new_zeros(runs, n, n)
        U = graph.graph_mask.new_zeros(runs, l, n)
    elif mode == "multiplicative":
        W = graph.graph_mask.expand(runs, n, n).clone()
        U = graph.graph_mask.new_ones(runs, l, n)
    else:
        raise ValueError(f"update mode {mode!r}: choose one of {MODES}")
    return W, U


def train_with_rules(graph: Graph, rnn_rule: torch.Tensor | None, output_rule: torch.Tensor,
                     drive: torch.Tensor, labels: torch.Tensor, orders: torch.Tensor, *, eta: float,
                     scheme: str = "misclassified", edges: str = "default", mode: str = "additive",
                     eval_every: int | None = None, eval_fn: Callable[[torch.Tensor, torch.Tensor], dict] | None = None,
                     record: bool = False, init: tuple[torch.Tensor, torch.Tensor] | None = None,
                     progress: Callable[[str], None] | None = None) -> TrainResult:
    """Train R independent runs on the examples ``orders[r]`` (indices into ``drive``/``labels``) in sequence.

    ``drive`` = Ã x of every example (:func:`network.input_drive`), ``orders`` (R, steps) int64 (several epochs
    are concatenated shuffles). ``rnn_rule`` (2^T × 2^T) is required when T ≥ 2 and ignored when T = 1.
    ``eval_fn(W, U)`` is called before the first example and every ``eval_every`` examples. ``output_rule`` may
    carry a leading run dimension ((R, 2^T, 2): one output table per run, e.g. meta-learning from several initial
    rules at once)."""
    if scheme not in SCHEMES:
        raise ValueError(f"update scheme {scheme!r}: choose one of {SCHEMES}")
    if edges not in EDGES:
        raise ValueError(f"output edges {edges!r}: choose one of {EDGES}")
    T, n, l, S = graph.T, graph.n, graph.n_classes, graph.n_codes
    output_rule = output_rule.to(graph.dtype)
    per_run_output = output_rule.dim() == 3
    check_output_table(output_rule[0] if per_run_output else output_rule, T)
    use_rnn = T >= 2
    if use_rnn:
        if rnn_rule is None:
            raise ValueError(f"T={T} needs an RNN rule table ({S} x {S})")
        rnn_table = check_rnn_table(rnn_rule.to(graph.dtype), T)
    if orders.dim() != 2:
        raise ValueError(f"orders must be (runs, steps), got shape {tuple(orders.shape)}")
    if record and use_rnn and orders.shape[0] != 1:
        raise ValueError("record=True with an RNN rule counts the updates of a single run; pass orders of shape (1, steps)")
    if per_run_output and output_rule.shape[0] != orders.shape[0]:
        raise ValueError(f"{output_rule.shape[0]} output tables for {orders.shape[0]} runs")
    if record and mode != "additive":
        raise ValueError("record=True needs additive updates (multiplicative weights are not linear in the rule)")
    R, steps = orders.shape
    orders = orders.to(graph.graph_mask.device)
    W, U = initial_weights(graph, R, mode) if init is None else (init[0].clone(), init[1].clone())
    mask = graph.graph_mask
    dev = mask.device
    n_updates = torch.zeros(R, dtype=torch.long, device=dev)
    n_mistakes = torch.zeros(R, dtype=torch.long, device=dev)
    counts_rnn = mask.new_zeros(n * n, S * S) if record and use_rnn else None
    counts_out = mask.new_zeros(R, l * n, S * 2) if record else None
    run_ids = torch.arange(R, device=dev)
    synapse = torch.arange(n * n, device=dev) * (S * S)
    unit = torch.arange(n, device=dev)
    curve: list[dict] = []
    started = time.time()

    def evaluate(seen: int) -> None:
        if eval_fn is not None:
            curve.append({"seen": seen, **eval_fn(W, U)})
            if progress is not None:
                progress(f"{seen}/{steps} examples: {curve[-1]}")

    with torch.no_grad():
        evaluate(0)
        for t in range(steps):
            idx = orders[:, t]
            y = labels[idx]
            h, codes = rounds(graph, W if use_rnn else None, drive[idx].unsqueeze(1))   # (R, 1, n)
            pred = (h @ U.transpose(-1, -2))[:, 0].argmax(-1)
            wrong = pred != y
            n_mistakes += wrong
            update = wrong if scheme == "misclassified" else torch.ones_like(wrong)
            if update.any():
                n_updates += update
                codes = codes[:, 0]                                            # (R, n)
                flag = update.to(W.dtype)
                if use_rnn:
                    # ΔW[r, j, i] = R[c_i, c_j] (row = presynaptic code, column = postsynaptic code): gather the
                    # S possible rows R[c_., b] once, then copy row c_j for every postsynaptic unit j
                    for r in update.nonzero()[:, 0].tolist():                  # the runs that update (R is small)
                        rows = rnn_table.T[:, codes[r]]                        # (S, n): rows[b, i] = R[c_i, b]
                        delta = rows[codes[r]]                                 # (n_post, n_pre): row j = rows[c_j]
                        if mode == "additive":
                            W[r].addcmul_(delta, mask, value=eta)
                        else:
                            W[r].mul_(1 + eta * mask * delta)
                    if counts_rnn is not None and update[0]:
                        entry = codes[0][None, :] * S + codes[0][:, None]       # table entry of synapse (j, i)
                        counts_rnn.view(-1).index_add_(0, synapse + entry.reshape(-1), mask.new_ones(n * n))
                true_rows = torch.nn.functional.one_hot(y, l).to(U.dtype)         # (R, l)
                other_rows = (torch.nn.functional.one_hot(pred, l).to(U.dtype) if edges == "default"
                              else 1 - true_rows)
                ro = output_rule[run_ids[:, None], codes] if per_run_output else output_rule[codes]   # (R, n, 2)
                delta_u = true_rows[:, :, None] * ro[:, None, :, 0] + other_rows[:, :, None] * ro[:, None, :, 1]
                if mode == "additive":
                    U += eta * flag[:, None, None] * delta_u
                else:
                    U *= 1 + eta * flag[:, None, None] * delta_u
                if counts_out is not None:
                    # U[r, c, j] += η R_o[c_j, b]: count (row c, unit j) x (code, b) for every updating run r
                    co = counts_out.view(R, l, n, S, 2)
                    r = update.nonzero()[:, :1]                                # (u, 1)
                    c = codes[r[:, 0]]                                         # (u, n)
                    co[r, y[r], unit[None, :], c, 0] += 1
                    if edges == "default":
                        co[r, pred[r], unit[None, :], c, 1] += 1
                    else:
                        rows = torch.arange(l, device=dev)
                        co[r[:, :, None], rows[None, :, None], unit[None, None, :], c[:, None, :], 1] += \
                            (rows[None, :, None] != y[r][:, :, None]).to(co.dtype)
            if eval_every and (t + 1) % eval_every == 0 and t + 1 < steps:
                evaluate(t + 1)
        evaluate(steps)
    return TrainResult(W, U, n_updates, n_mistakes, curve, counts_rnn, counts_out, time.time() - started)


def weights_from_counts(graph: Graph, counts_rnn: torch.Tensor | None, counts_out: torch.Tensor,
                        rnn_rule: torch.Tensor | None, output_rule: torch.Tensor, eta: float
                        ) -> tuple[torch.Tensor | None, torch.Tensor]:
    """The final (W, U) of a recorded additive run as linear functions of the rule tables (differentiable):
    W = η M_G ⊙ Σ_{a,b} R[a,b] N_ab,  U = η Σ_{s,b} R_o[s,b] N^o_sb.

    ``counts_out`` is (R, l*n, S*2): U comes back (R, l, n), or (l, n) for a single run; ``output_rule`` is one
    table (2^T, 2) or one per run (R, 2^T, 2)."""
    n, l = graph.n, graph.n_classes
    W = None
    if counts_rnn is not None and rnn_rule is not None:
        W = eta * graph.graph_mask * (counts_rnn @ rnn_rule.reshape(-1)).view(n, n)
    R = counts_out.shape[0]
    tables = output_rule.reshape(R, -1) if output_rule.dim() == 3 else output_rule.reshape(1, -1).expand(R, -1)
    U = eta * torch.einsum("rij,rj->ri", counts_out, tables).view(R, l, n)
    return W, (U[0] if R == 1 and output_rule.dim() == 2 else U)


def shuffled_orders(n_examples: int, *, epochs: int, seeds: list[int] | tuple[int, ...]) -> torch.Tensor:
    """(R, epochs * N) example orders: one independent shuffle per epoch and per run seed."""
    out = []
    for seed in seeds:
        gen = torch.Generator().manual_seed(int(seed))
        out.append(torch.cat([torch.randperm(n_examples, generator=gen) for _ in range(epochs)]))
    return torch.stack(out)


def train_output_by_gd(features: torch.Tensor, labels: torch.Tensor, *, n_classes: int, lr: float, batch: int,
                       epochs: int, seed: int, eval_every: int | None = None,
                       eval_fn: Callable[[torch.Tensor], dict] | None = None) -> tuple[torch.Tensor, list[dict]]:
    """The GD baseline (catalog A6): only U is trained, by Adam on the mean cross-entropy of the logits U h,
    on fixed features h = c_k(ReLU(Ã x)) of a T = 1 network; U starts N(0, 1) (the authors' code).

    ``eval_fn(U)`` is called before training and every ``eval_every`` examples (at the first batch boundary
    at or after each multiple). Returns U (l, n) and the curve."""
    from ..training.loops import adam, cross_entropy_epoch

    gen = torch.Generator().manual_seed(seed)
    readout = torch.nn.Linear(features.shape[1], n_classes, bias=False).to(device=features.device,
                                                                         dtype=features.dtype)
    with torch.no_grad():
        readout.weight.copy_(torch.randn(n_classes, features.shape[1], generator=gen, dtype=features.dtype))
    optimizer = adam(readout.parameters(), lr, features.device)
    curve: list[dict] = []
    seen_before = 0
    next_eval = [eval_every or 0]

    def after_step(seen_in_epoch: int) -> None:
        seen = seen_before + seen_in_epoch
        if eval_fn is not None and eval_every and seen >= next_eval[0]:
            curve.append({"seen": seen, **eval_fn(readout.weight.detach())})
            while next_eval[0] <= seen:
                next_eval[0] += eval_every

    if eval_fn is not None:
        curve.append({"seen": 0, **eval_fn(readout.weight.detach())})
    for epoch in range(epochs):
        cross_entropy_epoch(readout, lambda idx: features[idx], labels, seed=seed, epoch=epoch, batch_size=batch,
                            optimizer=optimizer, after_step=after_step)
        seen_before += len(labels)
    if eval_fn is not None and curve[-1]["seen"] != seen_before:
        curve.append({"seen": seen_before, **eval_fn(readout.weight.detach())})
    return readout.weight.detach().clone(), curve
