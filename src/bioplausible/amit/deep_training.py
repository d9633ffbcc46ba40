"""Training Amit's CIFAR networks: the losses, the regimes, the SGD step on W and B, and the epoch loop.

Losses (catalog A2), on the linear output fields h (batch × C), label y:

    hinge:   C = mean_b ( [1 − h_{b,y}]_+ + μ Σ_{c≠y} [1 + h_{b,c}]_+ ),   μ = 1/(C−1) by default (Ambiguity 2)
    softmax: the usual cross-entropy (the "BP Softmax" rows; back-propagation only).

The hinge loss's gradient at the output is the local, field-gated perceptron rule of eq. 4-5.

One SGD step (A4, A6): after one backward pass with the pre-update weights, every trainable layer does

    W ← W − η ∂W,        B ← B − η ε_R ∂W         (then W ← W ⊙ M_W, B ← B ⊙ M_B when masked)

with ε_R = 1 for URFB, 0 for FRFB; for BP the layers are tied (B ≡ W). Plain SGD: no momentum, no weight decay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from ..training import eval_mode
from .deep_nets import FeedbackNet

__all__ = [
    "REGIMES",
    "Regime",
    "evaluate",
    "hinge_loss",
    "loss_fn",
    "sgd_step",
    "train_epochs",
]


@dataclass(frozen=True)
class Regime:
    """One row of the paper's tables (without the "50%" connectivity, a separate switch)."""

    name: str
    loss: str               # "hinge" | "softmax"
    tied: bool              # back-propagation: B ≡ W
    feedback_factor: float  # ε_R: B's step is ε_R·η·∂W (ignored when tied)


REGIMES = {
    "bp_softmax": Regime("bp_softmax", "softmax", True, 0.0),
    "bp_hinge": Regime("bp_hinge", "hinge", True, 0.0),
    "urfb": Regime("urfb", "hinge", False, 1.0),
    "frfb": Regime("frfb", "hinge", False, 0.0),
}


def hinge_loss(fields: torch.Tensor, targets: torch.Tensor, mu: float) -> torch.Tensor:
    """Eq. 3, averaged over the batch: [1 − h_y]_+ + μ Σ_{c≠y} [1 + h_c]_+."""
    correct = F.one_hot(targets, fields.shape[1]).to(fields.dtype)
    per_unit = correct * F.relu(1.0 - fields) + mu * (1.0 - correct) * F.relu(1.0 + fields)
    return per_unit.sum(dim=1).mean()


def loss_fn(kind: str, n_classes: int, mu: float | None = None) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss of a regime; ``mu=None`` means the catalog's 1/(C−1)."""
    if kind == "softmax":
        return F.cross_entropy
    if kind == "hinge":
        m = 1.0 / (n_classes - 1) if mu is None else float(mu)
        return lambda fields, targets: hinge_loss(fields, targets, m)
    raise ValueError(f"loss {kind!r}: expected 'hinge' or 'softmax'")


@torch.no_grad()
def sgd_step(net: FeedbackNet, lr: float, feedback_factor: float) -> None:
    """W ← W − η ∂W and, for untied layers, B ← B − η ε_R ∂W; masks re-applied; gradients cleared."""
    for layer in net.feedback_layers():
        grad = layer.weight.grad
        if grad is None:
            continue
        layer.weight.sub_(grad, alpha=lr)
        if not layer.tied and feedback_factor:
            layer.feedback.sub_(grad, alpha=lr * feedback_factor)
        if layer.weight_mask is not None:
            layer.weight.mul_(layer.weight_mask)
        if layer.feedback_mask is not None:
            layer.feedback.mul_(layer.feedback_mask)
        layer.weight.grad = None


def _float_images(images: torch.Tensor, net: FeedbackNet) -> torch.Tensor:
    """uint8 N×3×32×32 (or N×32×32×3) → the net's float dtype and device, in [0, 1]: pixels/255, nothing else
    (Ambiguity 31)."""
    weight = next(net.parameters())
    x = images.to(weight.device)
    if x.shape[-1] == 3 and x.shape[1] != 3:
        x = x.permute(0, 3, 1, 2)
    return x.to(weight.dtype).div_(255.0) if x.dtype == torch.uint8 else x.to(weight.dtype)


@torch.no_grad()
def evaluate(net: FeedbackNet, images: torch.Tensor, targets: torch.Tensor, loss, *, batch_size: int = 1000,
             device: torch.device | str = "cpu") -> dict[str, float]:
    """Eval-mode (no dropout) error rate and mean loss."""
    wrong, total_loss, n = 0, 0.0, len(targets)
    with eval_mode(net):
        for i in range(0, n, batch_size):
            x = _float_images(images[i:i + batch_size], net)
            y = targets[i:i + batch_size].to(device)
            h = net(x)
            wrong += int((h.argmax(1) != y).sum())
            total_loss += float(loss(h, y)) * len(y)
    return {"error": wrong / max(n, 1), "loss": total_loss / max(n, 1)}


def train_epochs(net: FeedbackNet, train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor],
                 *, regime: Regime, epochs: int, lr: float, batch_size: int, n_classes: int,
                 generator: torch.Generator, mu: float | None = None, device: torch.device | str = "cpu",
                 start_epoch: int = 0, on_epoch: Callable[[int, list[dict]], None] | None = None,
                 log: list[dict] | None = None, label: str = "") -> list[dict]:
    """Train for ``epochs`` epochs (reshuffled each epoch with ``generator``); one log row per epoch:
    the running dropout-on train error and loss over the epoch (the tables' "train error", Ambiguity 12), and the
    eval-mode validation error and loss. ``on_epoch(epoch, log)`` is called after each (checkpointing)."""
    loss = loss_fn(regime.loss, n_classes, mu)
    x_train, y_train = train
    log = list(log or [])
    n = len(y_train)
    net.train()
    for epoch in range(start_epoch, epochs):
        t0 = time.time()
        order = torch.randperm(n, generator=generator)
        wrong, total_loss = 0, 0.0
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            x = _float_images(x_train[idx], net)
            y = y_train[idx].to(device)
            h = net(x)
            batch_loss = loss(h, y)
            batch_loss.backward()
            sgd_step(net, lr, regime.feedback_factor)
            with torch.no_grad():
                wrong += int((h.argmax(1) != y).sum())
                total_loss += float(batch_loss) * len(y)
        if not torch.isfinite(torch.tensor(total_loss)):
            raise FloatingPointError(f"{label}: the training loss became {total_loss} at epoch {epoch + 1}")
        val_metrics = evaluate(net, val[0], val[1], loss, device=device)
        row = {"epoch": epoch + 1, "train_error": wrong / n, "train_loss": total_loss / n,
               "val_error": val_metrics["error"], "val_loss": val_metrics["loss"], "seconds": time.time() - t0}
        log.append(row)
        print(f"{label} epoch {epoch + 1}/{epochs}: train err {row['train_error']:.3f} loss {row['train_loss']:.3f}"
              f" | val err {row['val_error']:.3f} | {row['seconds']:.1f}s", flush=True)
        if on_epoch is not None:
            on_epoch(epoch + 1, log)
    return log
