"""Learning curves and cross-task transfer (Figs. 2, 3 and 6; catalog pr_fig2, pr_fig3, pr_fig6).

The compute rules (workflow/rules/plasticity_rules_experiments.smk) train and evaluate; this module holds
what they and the notebooks share: the parameters each rule depends on, a fast accuracy for T = 1 nets on
precomputed features, and the reductions the claims read (samples to reach a level, the curve at a sample
count, the largest gap of two curves, Fig. 3's model comparisons and a rule table's sign pattern).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .network import Graph, rounds

FIG3_MODELS = ("ff_small", "ff_large", "rnn_small", "rnn_large")   # Fig. 3's bars, in the paper's order
NONLINEAR_TASKS = ("relu1", "relu2", "rnn")                        # claim (c): "the more nonlinear datasets"


# --- the parameters each compute rule sees (everything it depends on, so Snakemake reruns on change) ----------
def fig2_params(pr: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict(pr["fig2"]), "network": dict(pr["network"])}


def fig3_params(pr: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    f = pr["fig3"]
    return {"dataset": dataset, "models": {m: dict(f["models"][m]) for m in FIG3_MODELS}, "runs": f["runs"],
            "n_train": f["n_train"], "n_test": f["n_test"], "subset_seed": f["subset_seed"],
            "graph_seed": f["graph_seed"], "network": dict(pr["network"])}


def fig6_params(pr: Mapping[str, Any]) -> dict[str, Any]:
    return {**dict(pr["fig6"]), "network": dict(pr["network"]), "output_rule_T3": pr["output_rule_T3"]}


def fig3_rules(pr: Mapping[str, Any]) -> list[str]:
    """The learned rules Fig. 3's models use (R1 and R2 in the paper)."""
    return sorted({pr["fig3"]["models"][m]["rule"] for m in FIG3_MODELS})


def fig3_inputs(pr: Mapping[str, Any], dataset: str) -> dict[str, str]:
    """The cached inputs of one Fig. 3 job: the generated task (or the image data caches) and the learned rules."""
    from ..paths import rel_data_cache
    from . import experiment as ex

    if dataset in ex.SYNTHETIC_TASKS:
        out = {"task": ex.task_data(dataset)}
    elif dataset in ex.IMAGE_TASKS:
        out = {"train": rel_data_cache(dataset, "train"), "test": rel_data_cache(dataset, "test")}
    else:
        raise ValueError(f"fig3: unknown dataset {dataset!r}; choose one of {', '.join(ex.TASKS)}")
    out.update({r: ex.learned_rule(r) for r in fig3_rules(pr)})
    return out


# --- evaluation -------------------------------------------------------------------------------------------------
@torch.no_grad()
def feature_accuracy(features: torch.Tensor, U: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Accuracy of the read-out U on fixed features h (a T = 1 net: h does not depend on W).

    ``features`` (N, n), ``U`` (l, n) or (R, l, n); returns a scalar or (R,). Ties -> lowest class (torch)."""
    pred = (features @ U.transpose(-1, -2)).argmax(-1)
    return (pred == labels).to(torch.float64).mean(-1)


@torch.no_grad()
def accuracy_and_firing(graph: Graph, W: torch.Tensor | None, U: torch.Tensor, drive: torch.Tensor,
                        labels: torch.Tensor, chunk: int = 2048) -> tuple[torch.Tensor, torch.Tensor]:
    """Accuracy and, per round t, the fraction of units that fire (Amb. 25's view of a T = 3 net's health).

    ``W``/``U`` may carry a run dimension R; returns accuracy () or (R,) and firing fractions (T,) or (R, T).
    A recurrent net whose W silences round t shows a fraction near 0 there (and then acts as a shallower net)."""
    n_examples, T = drive.shape[0], graph.T
    if n_examples == 0:
        raise ValueError("accuracy_and_firing of an empty set")
    shifts = torch.arange(T - 1, -1, -1, device=drive.device)
    correct = fired = 0
    for i in range(0, n_examples, chunk):
        h, codes = rounds(graph, W, drive[i:i + chunk])                      # (..., B, n)
        correct = correct + ((h @ U.transpose(-1, -2)).argmax(-1) == labels[i:i + chunk]).sum(-1)
        bits = (codes[..., None] >> shifts) & 1                              # (..., B, n, T)
        fired = fired + bits.sum((-3, -2))
    acc = correct.to(torch.float64) / n_examples
    frac = fired.to(torch.float64) / (n_examples * graph.n)
    return acc, frac.expand(*acc.shape, T)


def majority_rate(labels: torch.Tensor | np.ndarray, n_classes: int) -> float:
    """Fraction of the most frequent class (the accuracy of always guessing it)."""
    y = np.asarray(labels, dtype=np.int64)
    if y.size == 0:
        raise ValueError("majority_rate of an empty label set")
    return float(np.bincount(y, minlength=n_classes).max() / y.size)


# --- curve reductions -------------------------------------------------------------------------------------------
def samples_to_reach(seen: Sequence[float], acc: Sequence[float], level: float) -> float:
    """The first sample count at which the curve is at or above ``level`` (inf if it never is)."""
    seen, acc = np.asarray(seen, dtype=float), np.asarray(acc, dtype=float)
    if seen.shape != acc.shape:
        raise ValueError(f"curve has {seen.size} sample counts but {acc.size} accuracies")
    hit = np.nonzero(acc >= level)[0]
    return float(seen[hit[0]]) if hit.size else math.inf


def value_at(seen: Sequence[float], acc: Sequence[float], at: float) -> float:
    """The curve's value at the evaluation point ``at`` (which must be one of its points)."""
    seen, acc = np.asarray(seen, dtype=float), np.asarray(acc, dtype=float)
    hit = np.nonzero(seen == at)[0]
    if not hit.size:
        raise ValueError(f"the curve has no evaluation point at {at} samples (points: {seen.tolist()}); "
                         f"choose eval_every so that it divides {at}")
    return float(acc[hit[0]])


def max_gap_from(seen_a: Sequence[float], acc_a: Sequence[float], seen_b: Sequence[float],
                 acc_b: Sequence[float], start: float) -> float:
    """max |a - b| over the evaluation points the two curves share at or after ``start`` (error if none)."""
    a = dict(zip(np.asarray(seen_a, dtype=float).tolist(), np.asarray(acc_a, dtype=float).tolist()))
    b = dict(zip(np.asarray(seen_b, dtype=float).tolist(), np.asarray(acc_b, dtype=float).tolist()))
    common = sorted(s for s in a.keys() & b.keys() if s >= start)
    if not common:
        raise ValueError(f"the two curves share no evaluation point at or after {start} samples")
    return max(abs(a[s] - b[s]) for s in common)


# --- Fig. 3 comparisons (claims (a)-(d)) -------------------------------------------------------------------------
def transfer_metrics(test_acc: Mapping[str, Mapping[str, float]], majority: Mapping[str, float], *,
                     margin: float = 10.0, balanced_up_to: float = 80.0, tie: float = 1.0) -> dict[str, Any]:
    """The catalog's Fig. 3 comparisons from mean test accuracies (percent) ``test_acc[model][dataset]`` and
    each dataset's majority-class rate (percent).

    (a) every model beats the majority rate: by >= ``margin`` points where that rate is <= ``balanced_up_to``,
        strictly otherwise; ``a_worst_excess`` = min over cells of (acc - majority - required margin), > 0 or
        = 0 with a margin means the cell passes (``a_all_beat_majority``).
    (b) RNN-large >= max(other three) - ``tie`` on every dataset, and strictly best on >= 4 of them.
    (c) RNN-small > FF-small on ReLU1, ReLU2 and RNN data (min gap over those present).
    (d) RNN-small > FF-large on >= 1 dataset (count)."""
    missing = [m for m in FIG3_MODELS if m not in test_acc]
    if missing:
        raise ValueError(f"transfer_metrics: no accuracies for model(s) {missing}")
    datasets = list(majority)
    out: dict[str, Any] = {}
    excess, passed, worst = [], True, ""
    for d in datasets:
        need = margin if majority[d] <= balanced_up_to else 0.0
        for m in FIG3_MODELS:
            e = test_acc[m][d] - majority[d] - need
            ok = e >= 0 if need > 0 else e > 0
            passed &= ok
            if not excess or e < min(excess):
                worst = f"{m} on {d}"
            excess.append(e)
    out["a_all_beat_majority"] = bool(passed)
    out["a_worst_excess"] = float(min(excess))
    out["a_worst_cell"] = worst
    gaps = {d: test_acc["rnn_large"][d] - max(test_acc[m][d] for m in FIG3_MODELS if m != "rnn_large")
            for d in datasets}
    out["b_rnn_large_min_gap"] = float(min(gaps.values()))
    out["b_rnn_large_n_best"] = int(sum(g > 0 for g in gaps.values()))
    out["b_rnn_large_within_tie_everywhere"] = bool(all(g >= -tie for g in gaps.values()))
    nonlinear = [d for d in NONLINEAR_TASKS if d in datasets]
    if nonlinear:
        out["c_rnn_small_minus_ff_small_min"] = float(min(test_acc["rnn_small"][d] - test_acc["ff_small"][d]
                                                          for d in nonlinear))
    out["d_rnn_small_beats_ff_large_count"] = int(sum(test_acc["rnn_small"][d] > test_acc["ff_large"][d]
                                                      for d in datasets))
    return out


def sign_pattern(table: torch.Tensor | np.ndarray) -> str:
    """The sign pattern of a rule table, rows ';'-separated: e.g. '[-,+;+,-]' (0 -> '0')."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2:
        raise ValueError(f"a rule table is 2-D, got shape {t.shape}")
    sym = lambda v: "+" if v > 0 else "-" if v < 0 else "0"  # noqa: E731
    return "[" + ";".join(",".join(sym(v) for v in row) for row in t) + "]"
