"""Supervised read-outs on frozen features: the greedy linear classifier and the delta rule.

Paper: Moraitis et al., "SoftHebb: Bayesian inference in unsupervised Hebbian soft winner-take-all
networks" (Neuromorph. Comput. Eng. 2022), Sec. 2.9, 3.2, 3.4; catalog ``shared/papers/softhebb.catalog.md``
A.8 (read-outs), A.9 (post-hoc cross-entropy), A.12 (classifier on K-means/PCA features), A.13 (models
under attack).

- ``FeatureClassifier``: ``logits = classifier(features(x))`` on raw [0, 1] images, every normalisation
  inside ``features`` (A.13). This is the model handed to attacks. ``features`` is frozen: it stays in
  eval mode whatever ``.train()`` is called with (plasticity must be OFF, A.13) and its parameters get
  ``requires_grad = False``.
- ``train_linear_readout``: the greedy "two-layer" read-out (A.8-2): linear K -> 10 with bias, Adam,
  cross-entropy, the frozen features computed once for the whole training set.
- ``delta_rule_step``: the simultaneous single-epoch classifier update (A.8-3)

      dV = eta2 (t - softmax(V y + c)) y^T,   dc = eta2 (t - softmax(V y + c))

  which is one SGD step of size eta2 on the cross-entropy -ln softmax(V y + c)[label] (its gradient with
  respect to the logits is softmax - t). For a batch of rows the deltas are summed over the rows (= SGD on
  the summed cross-entropy); the paper's protocol uses one example per step.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import torch
from torch import nn

from ..training.loops import adam, cross_entropy_epoch
from ..training.evaluate import as_device, as_float01, check_unit_range, eval_mode

# Cache the training-set features in float16 above this many elements (K * N): 2**28 float32 = 1 GiB.
# SH2000 on MNIST (2000 x 60000 = 1.2e8) stays float32 (480 MB). float16 keeps ~3 significant digits and
# flushes values below ~6e-8 to zero, harmless for a linear read-out of softmax/ReLU features in [0, ~1].
FLOAT16_ABOVE = 2**28


class FeatureClassifier(nn.Module):
    """``logits = classifier(features(x))``; ``features`` maps raw [0, 1] images (N, ...) to (N, K) and is frozen."""

    def __init__(self, features: nn.Module, n_features: int, n_classes: int = 10, input_scale: float = 1.0) -> None:
        super().__init__()
        self.features = features
        # logits = classifier(input_scale * h): the same linear model for any scale; the scale only sets the size
        # of the weights Adam must reach (see ``readout_input_scale``). Saved with the state dict.
        self.register_buffer("input_scale", torch.tensor(float(input_scale)))
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.classifier = nn.Linear(n_features, n_classes)
        self.features.eval()

    def train(self, mode: bool = True) -> "FeatureClassifier":
        # The frozen feature module never goes back to training mode (no plasticity in forward, A.13).
        super().train(mode)
        self.features.eval()
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (batch, K)
        assert h.dim() == 2 and h.shape[1] == self.classifier.in_features, (
            f"features must return (batch, {self.classifier.in_features}), got {tuple(h.shape)}"
        )
        return self.classifier(h.to(self.classifier.weight.dtype) * self.input_scale)  # (batch, n_classes)


def _state_snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _check_unchanged(module: nn.Module, before: dict[str, torch.Tensor]) -> None:
    after = module.state_dict()
    changed = [k for k, v in before.items() if not torch.equal(v, after[k])]
    if changed or set(after) != set(before):
        raise RuntimeError(
            f"the frozen feature module changed while computing features (entries {changed or sorted(set(after) ^ set(before))}); "
            "its forward must not update parameters or buffers (plasticity off, catalog A.13)"
        )


@torch.no_grad()
def compute_features(features: nn.Module, images: torch.Tensor, *, device: str | torch.device,
                     batch_size: int, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Frozen features of every image, (N, K) on ``device``; uint8 images become float in [0, 1] per batch.

    ``dtype=None`` picks float32, or float16 when K * N > ``FLOAT16_ABOVE``. Raises if the module changed
    any parameter or buffer during the pass.
    """
    dev = as_device(device)
    check_unit_range(images)
    if len(images) == 0:
        raise ValueError("no images to compute features of")
    before = _state_snapshot(features)
    out: torch.Tensor | None = None
    with eval_mode(features):
        for start in range(0, len(images), batch_size):
            h = features(as_float01(images[start:start + batch_size], dev))  # (batch, K)
            if h.dim() != 2:
                raise ValueError(f"features must return (batch, K), got {tuple(h.shape)}")
            if out is None:
                k = h.shape[1]
                if dtype is None:
                    dtype = torch.float16 if k * len(images) > FLOAT16_ABOVE else torch.float32
                out = torch.empty(len(images), k, dtype=dtype, device=dev)
            out[start:start + len(h)] = h.to(dtype)
    _check_unchanged(features, before)
    assert out is not None
    return out


MEAN_MAX = "inverse_mean_max"


def readout_input_scale(readout_cfg: Any, softmax_features: bool) -> float | str:
    """The read-out's input scale: ``"inverse_mean_max"`` for softmax features when
    ``softhebb.readout.scale_softmax_features``, else 1.

    ``"inverse_mean_max"`` = 1 / (mean over the training set of max_k h_k(x)): the winning neuron's feature is 1
    on average. Soft-WTA posteriors sum to 1 over K units and are spread (the quick default MNIST layer: mean
    max_k y_k = 0.014), so a linear read-out on them needs large weights and Adam moves weights by ~lr per step:
    with the catalog's lr 0.001 that read-out was still at 92.9 % after 100 epochs; rescaled, 96.3 % after 20
    (README). Hard-WTA features are one-hot, so their scale is exactly 1. The model class (V y + c) is unchanged.
    """
    return MEAN_MAX if softmax_features and readout_cfg["scale_softmax_features"] else 1.0


def train_linear_readout(features: nn.Module, images_uint8: torch.Tensor, labels: torch.Tensor, *,
                         epochs: int, lr: float = 1e-3, batch_size: int = 64, seed: int = 0,
                         device: str | torch.device = "auto", progress: bool = True,
                         feature_batch_size: int = 1000, n_classes: int = 10,
                         feature_dtype: torch.dtype | None = None,
                         input_scale: float | str = 1.0) -> tuple[FeatureClassifier, list[dict[str, Any]]]:
    """Greedy 2-layer read-out (catalog A.8-2): Adam + cross-entropy on a linear layer over frozen features.

    ``features`` must already be on ``device``; it is not trained and must not change (checked). The
    features of the whole training set are computed once (no_grad, batches of ``feature_batch_size``;
    float32, or float16 above ``FLOAT16_ABOVE`` elements) and kept on ``device``; each epoch shuffles them
    with a generator seeded by (seed, epoch). The classifier sees ``input_scale * features``
    (``readout_input_scale``; a number, or ``"inverse_mean_max"`` computed from the training features and logged
    in entry 0 as ``input_scale``). The linear layer's init is seeded by ``seed`` (PyTorch default nn.Linear init,
    A.5) without touching the global RNG.

    Returns the ``FeatureClassifier`` (on ``device``) and one log entry per epoch:
    ``{"epoch", "loss" (mean training cross-entropy over the epoch), "train_acc" (running accuracy during
    the epoch), "seconds"}``; entry 0 (epoch 0) holds ``feature_seconds``, the time of the feature pass.
    """
    if len(images_uint8) != len(labels):
        raise ValueError(f"images and labels differ in length: {len(images_uint8)} vs {len(labels)}")
    if epochs < 0 or batch_size < 1:
        raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
    dev = as_device(device)
    t0 = time.perf_counter()
    feats = compute_features(features, images_uint8, device=dev, batch_size=feature_batch_size,
                             dtype=feature_dtype)  # (N, K)
    log: list[dict[str, Any]] = [{"epoch": 0, "feature_seconds": time.perf_counter() - t0,
                                  "feature_dtype": str(feats.dtype).replace("torch.", "")}]
    if input_scale == MEAN_MAX:
        input_scale = 1.0 / float(feats.max(dim=1).values.float().mean())
    elif isinstance(input_scale, str) or not input_scale > 0:
        raise ValueError(f"input_scale must be a positive number or {MEAN_MAX!r}, got {input_scale!r}")
    input_scale = float(input_scale)
    log[0]["input_scale"] = input_scale
    y = labels.to(dev).long()  # (N,)
    n, k = feats.shape
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = FeatureClassifier(features, k, n_classes, input_scale)
    model.classifier.to(dev)
    model.input_scale = model.input_scale.to(dev)
    opt = adam(model.classifier.parameters(), lr, dev)
    model.train()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        stats = cross_entropy_epoch(model.classifier, lambda idx: feats[idx].float() * input_scale, y, seed=seed, epoch=epoch,
                                    batch_size=batch_size, optimizer=opt)
        entry = {"epoch": epoch, **stats, "seconds": time.perf_counter() - t0}
        log.append(entry)
        if progress:
            print(f"readout epoch {epoch}/{epochs}: loss {entry['loss']:.4f} train_acc {entry['train_acc']:.4f} "
                  f"({entry['seconds']:.1f} s)", file=sys.stderr, flush=True)
    model.eval()
    return model, log


def delta_rule_step(V: torch.Tensor, c: torch.Tensor, y: torch.Tensor, target_onehot: torch.Tensor,
                    lr: float) -> tuple[torch.Tensor, torch.Tensor]:
    """One delta-rule update (A.8-3); returns new ``(V, c)``, the inputs are not modified.

    Shapes: V (n_classes, K), c (n_classes,), y (K,) or (batch, K), target_onehot (n_classes,) or
    (batch, n_classes). dV = lr (t - softmax(V y + c)) y^T, dc = lr (t - softmax(V y + c)), summed over a batch.
    """
    assert V.dim() == 2 and c.shape == (V.shape[0],), f"V (C, K) and c (C,), got {tuple(V.shape)}, {tuple(c.shape)}"
    single = y.dim() == 1
    yb = y.unsqueeze(0) if single else y  # (batch, K)
    tb = target_onehot.unsqueeze(0) if single else target_onehot  # (batch, C)
    assert yb.shape[1] == V.shape[1] and tb.shape == (yb.shape[0], V.shape[0]), (
        f"y (batch, {V.shape[1]}) and target (batch, {V.shape[0]}), got {tuple(y.shape)}, {tuple(target_onehot.shape)}"
    )
    err = tb.to(V.dtype) - torch.softmax(yb.to(V.dtype) @ V.T + c, dim=1)  # (batch, C)
    return V + lr * err.T @ yb.to(V.dtype), c + lr * err.sum(0)
