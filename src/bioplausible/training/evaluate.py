"""Batched evaluation: accuracy and mean loss over a whole split held in memory.

The shape follows ``pytorch/examples`` ``mnist/main.py`` ``test()``: no_grad, eval mode, per-batch sums,
one division by N at the end (so a short last batch is weighted correctly). Whole-split tensors stay
uint8 in memory; each batch is moved to the device and converted to float in [0, 1] there.

The model is never moved: it must already be on ``device`` (a clear error says otherwise), and its
train/eval flags -- module by module -- are restored afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import torch
import torch.nn.functional as F
from torch import nn

from ..device import resolve_device

Transform = Callable[[torch.Tensor], torch.Tensor]
# loss_fn(outputs, labels) -> per-sample losses of shape (batch,)
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def as_device(device: str | torch.device) -> torch.device:
    """``auto``/``cpu``/``cuda`` go through :func:`resolve_device` (no silent fallback); else ``torch.device``."""
    if isinstance(device, str) and device in ("auto", "cpu", "cuda"):
        return resolve_device(device)
    return torch.device(device)


def check_model_device(model: nn.Module, device: torch.device) -> None:
    """Raise if the model's first parameter/buffer is not on ``device`` (models are not moved behind your back)."""
    tensors = list(model.parameters()) or list(model.buffers())
    if not tensors:
        return
    have = tensors[0].device
    if have.type != device.type or (device.index is not None and have.index != device.index):
        raise ValueError(f"model is on {have} but device is {device}; call model.to(device) before evaluating")


def as_float01(batch: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move a batch to ``device``; uint8 becomes float32 / 255 there, floating tensors keep their dtype."""
    batch = batch.to(device, non_blocking=True)
    if batch.dtype == torch.uint8:
        return batch.float().div_(255.0)
    if not batch.is_floating_point():
        raise TypeError(f"images must be uint8 or floating point, got {batch.dtype}")
    return batch


def check_unit_range(images: torch.Tensor) -> None:
    """Float images must lie in [0, 1] (uint8 always does once divided by 255)."""
    if images.dtype == torch.uint8 or images.numel() == 0:
        return
    lo, hi = images.min().item(), images.max().item()
    if lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"images must lie in [0, 1] (normalisation belongs inside the model); got min {lo:.4g}, max {hi:.4g}"
        )


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Put every submodule in eval mode; restore each one's own ``training`` flag on exit."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, was_training in flags:
            m.training = was_training


def check_batch_inputs(images: torch.Tensor, labels: torch.Tensor, batch_size: int, purpose: str = "evaluate") -> None:
    """Images and labels of equal, non-zero length and a positive batch size (``purpose`` names the caller)."""
    if len(images) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    if len(images) == 0:
        raise ValueError(f"no images to {purpose}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")


def _batches(n: int, batch_size: int) -> Iterator[slice]:
    for start in range(0, n, batch_size):
        yield slice(start, min(start + batch_size, n))


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, device: str | torch.device, batch_size: int,
            transform: Transform | None = None) -> torch.Tensor:
    """Arg-max class of every image, as an int64 CPU tensor of shape (N,)."""
    dev = as_device(device)
    check_model_device(model, dev)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    out = []
    with eval_mode(model):
        for sl in _batches(len(images), batch_size):
            x = as_float01(images[sl], dev)
            if transform is not None:
                x = transform(x)
            out.append(model(x).argmax(dim=-1).cpu())
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, device: str | torch.device,
             batch_size: int, transform: Transform | None = None) -> float:
    """Fraction of images whose arg-max output equals the label (count summed over batches, then / N)."""
    check_batch_inputs(images, labels, batch_size)
    pred = predict(model, images, device=device, batch_size=batch_size, transform=transform)
    return (pred == labels.cpu().long()).sum().item() / len(labels)


def _cross_entropy_per_sample(outputs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(outputs, labels, reduction="none")


@torch.no_grad()
def mean_loss(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, device: str | torch.device,
              batch_size: int, transform: Transform | None = None,
              loss_fn: LossFn = _cross_entropy_per_sample) -> float:
    """Mean of ``loss_fn`` over all N images: per-batch sums of per-sample losses, divided by N once.

    ``loss_fn(outputs, labels)`` must return one loss per sample, shape (batch,) -- a mean-reduced
    scalar would weight a short last batch wrongly, so it is rejected. Default: cross-entropy on logits.
    """
    check_batch_inputs(images, labels, batch_size)
    dev = as_device(device)
    check_model_device(model, dev)
    total = torch.zeros((), dtype=torch.float64, device=dev)
    with eval_mode(model):
        for sl in _batches(len(images), batch_size):
            x = as_float01(images[sl], dev)
            if transform is not None:
                x = transform(x)
            y = labels[sl].to(dev, non_blocking=True)
            losses = loss_fn(model(x), y)
            if losses.shape != (len(y),):
                raise ValueError(
                    f"loss_fn must return per-sample losses of shape ({len(y)},), got {tuple(losses.shape)} "
                    "(use reduction='none')"
                )
            total += losses.double().sum()
    return total.item() / len(labels)
