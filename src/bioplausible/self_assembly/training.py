"""One training loop for all five algorithms of Table 1 (SAL, SGD, FA, WM, KP): an algorithm is anything with
``step(x, targets) -> logits`` (its own update) and ``predict(x)``; the loop shuffles, batches, evaluates every epoch
and stops a run whose weights stop being finite (recorded as diverged, never silently continued)."""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Protocol

import torch

from .baselines import FeedbackMLP
from .circuit import Circuit, CircuitConfig

__all__ = ["ALGORITHMS", "Algorithm", "build_algorithm", "evaluate", "multilabel_metrics", "train"]

ALGORITHMS = ("sal", "sgd", "fa", "wm", "kp")


class Algorithm(Protocol):
    def step(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor: ...

    def predict(self, x: torch.Tensor) -> torch.Tensor: ...


def build_algorithm(name: str, widths, generator: torch.Generator, p: dict[str, Any], *, loss: str = "ce",
                    device="cpu", dtype=torch.float32) -> Algorithm:
    """SAL from ``p["sal"]`` (rates, gamma, dd, down_widths, plastic, vbar_post), a baseline from ``p[name]``
    (lr, gamma; WM also noise and mirror lr)."""
    if name not in ALGORITHMS:
        raise ValueError(f"algorithm {name!r}: expected one of {ALGORITHMS}")
    if name == "sal":
        s = p["sal"]
        cfg = CircuitConfig(widths=tuple(widths), down_widths=tuple(s["down_widths"]) if s.get("down_widths") else None,
                            dd=s.get("dd", "identity"), vbar_post=s.get("vbar_post", True),
                            plastic=tuple(s.get("plastic", ("V", "Wbar", "Vbar"))), rates=dict(s["rates"]),
                            gamma=float(s["gamma"]), loss=loss)
        return Circuit(cfg, generator, dtype=dtype, device=device)
    b = p[name]
    return FeedbackMLP(widths, name, generator, lr=b["lr"], gamma=b["gamma"], loss=loss,
                       wm_noise=b.get("noise", 0.1), wm_lr=b.get("mirror_lr", 0.01), dtype=dtype, device=device)


def _auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """ROC-AUC of one label from the rank-sum (Mann-Whitney) statistic; NaN if a class is absent."""
    pos, neg = int(labels.sum()), int((1 - labels).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores, dtype=torch.float64)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float64)
    sorted_scores = scores[order]          # average the ranks of tied scores
    _, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).to(torch.float64)
    mean_rank = ends - (counts.to(torch.float64) - 1) / 2
    ranks[order] = mean_rank[inverse]
    return float((ranks[labels.bool()].sum() - pos * (pos + 1) / 2) / (pos * neg))


def multilabel_metrics(logits: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """ChestMNIST (Ambiguity 20): ACC = mean per-label accuracy at σ(ŷ) > 0.5, AUC = mean per-label ROC-AUC,
    exact match = all labels right."""
    pred = (logits > 0).to(targets.dtype)
    aucs = [_auc(logits[:, k].double(), targets[:, k]) for k in range(targets.shape[1])]
    valid = [a for a in aucs if not math.isnan(a)]
    return {"acc": 100.0 * float((pred == targets).double().mean()),
            "auc": 100.0 * (sum(valid) / len(valid) if valid else float("nan")),
            "exact_match": 100.0 * float((pred == targets).all(1).double().mean())}


@torch.no_grad()
def evaluate(algo: Algorithm, x: torch.Tensor, y: torch.Tensor, *, multilabel: bool = False,
             batch_size: int = 4096) -> dict[str, float]:
    """Test metrics: top-1 accuracy in % (multi-class) or the three multi-label metrics."""
    logits = torch.cat([algo.predict(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    if multilabel:
        return multilabel_metrics(logits.float(), y)
    return {"acc": 100.0 * float((logits.argmax(1) == y).double().mean())}


def _norms(algo: Algorithm) -> dict[str, float]:
    mats = algo.matrices() if hasattr(algo, "matrices") else {"W": algo.W, "B": algo.B}
    return {f"norm_{k}": float(sum(float(m.norm()) ** 2 for m in v) ** 0.5) for k, v in mats.items() if v}


def train(algo: Algorithm, train_xy, test_xy, *, epochs: int, batch_size: int, generator: torch.Generator,
          multilabel: bool = False, label: str = "",
          on_epoch: Callable[[int, Algorithm], None] | None = None) -> dict[str, Any]:
    """Epochs of shuffled mini-batches; test metrics and weight norms after every epoch. Returns the log
    (one row per epoch) and whether the run diverged (weights or logits not finite: the run stops there)."""
    x, y = train_xy
    n = len(x)
    log: list[dict] = []
    diverged = False
    for epoch in range(1, epochs + 1):
        t0 = time.time()
        order = torch.randperm(n, generator=generator).to(x.device)
        correct = 0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            logits = algo.step(x[idx], y[idx])
            if not multilabel:
                correct += int((logits.argmax(1) == y[idx]).sum())
        norms = _norms(algo)
        if not all(math.isfinite(v) for v in norms.values()):
            diverged = True
            log.append({"epoch": epoch, "diverged": True, **norms})
            print(f"{label} epoch {epoch}: weights are no longer finite -- run stopped (diverged)", flush=True)
            break
        row = {"epoch": epoch, **{f"test_{k}": v for k, v in evaluate(algo, *test_xy, multilabel=multilabel).items()},
               **norms, "seconds": time.time() - t0}
        if not multilabel:
            row["train_acc_running"] = 100.0 * correct / n
        log.append(row)
        if on_epoch is not None:
            on_epoch(epoch, algo)
        main = "test_acc"
        print(f"{label} epoch {epoch}/{epochs}: test {row[main]:.2f} | {row['seconds']:.1f}s", flush=True)
    return {"log": log, "diverged": diverged}
