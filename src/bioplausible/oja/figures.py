"""Small analysis helpers of the Xavier-run figures of the Oja paper (oja_fig1a, 1b, 2, 3, 4, 6ab, 6ef; catalog A8):
final accuracies, trend checks, chained linear reconstructions (Fig. 3), PCA component counts (Fig. 4) and the
activation-norm spread across layers (Fig. 6). Everything here is seconds-scale work on the cached runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch


def final_mean(values: np.ndarray, last: int) -> np.ndarray:
    """Per run: the mean of the last ``last`` checkpoints of ``values`` (runs, checkpoints)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values must be (runs, checkpoints), got shape {values.shape}")
    if not 1 <= last <= values.shape[1]:
        raise ValueError(f"last={last} must be in [1, {values.shape[1]}] (the number of checkpoints)")
    return values[:, -last:].mean(axis=1)


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when either sequence is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"need two 1-d sequences of the same length >= 2, got {x.shape} and {y.shape}")

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="mergesort")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=np.float64)
        for val in np.unique(v):                       # average rank of tied values
            tie = v == val
            r[tie] = r[tie].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    den = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / den) if den > 0 else 0.0


def chained_reconstruction(W: Sequence[torch.Tensor], y: torch.Tensor, layer: int) -> torch.Tensor:
    """x̂ = W_1ᵀ W_2ᵀ ⋯ W_lᵀ y_l (catalog A8, Amb. 13: the linear decoders of paper Eq. 2 chained down to the input).

    ``W``: the forward weights W_1..W_L of one network, W_l of shape (d_l, d_{l-1}); ``y``: (N, d_l) activations of
    layer ``layer`` (1-based). Returns (N, d_0)."""
    if not 1 <= layer <= len(W):
        raise ValueError(f"layer={layer} must be in [1, {len(W)}]")
    if y.shape[-1] != W[layer - 1].shape[0]:
        raise ValueError(f"y has width {y.shape[-1]} but W_{layer} has {W[layer - 1].shape[0]} rows")
    rec = y
    for l in range(layer, 0, -1):                      # (W_1ᵀ ⋯ W_lᵀ y)ᵀ = yᵀ W_l ⋯ W_1
        rec = rec @ W[l - 1]
    return rec


def minmax(x: torch.Tensor) -> torch.Tensor:
    """Per-row min-max scaling to [0, 1] (the display scaling of Fig. 3); constant rows become 0."""
    lo = x.min(dim=-1, keepdim=True).values
    span = x.max(dim=-1, keepdim=True).values - lo
    return torch.where(span > 0, (x - lo) / span.clamp_min(torch.finfo(x.dtype).tiny), torch.zeros_like(x))


def reconstruction_mse(x: torch.Tensor, x_hat: torch.Tensor) -> float:
    """Fig. 3's quantitative proxy: mean squared error between min-max-scaled x̂ and min-max-scaled x, over pixels and
    images."""
    if x.shape != x_hat.shape:
        raise ValueError(f"x {tuple(x.shape)} and x_hat {tuple(x_hat.shape)} differ in shape")
    return float(((minmax(x_hat) - minmax(x)) ** 2).mean())


def explained_variance_ratio(acts: torch.Tensor) -> np.ndarray:
    """PCA of activations (N, d): the explained-variance ratios of the centred data, largest first (catalog A8)."""
    if acts.ndim != 2 or acts.shape[0] < 2:
        raise ValueError(f"activations must be (N >= 2, d), got {tuple(acts.shape)}")
    a = acts.double()
    a = a - a.mean(0, keepdim=True)
    ev = torch.linalg.eigvalsh(a.T @ a / (a.shape[0] - 1)).flip(0).clamp_min(0)
    total = ev.sum()
    if total <= 0:
        raise ValueError("activations have zero variance: no principal components")
    return (ev / total).numpy()


def n_components(ratio: np.ndarray, fraction: float) -> int:
    """The smallest k whose first k components explain at least ``fraction`` of the variance."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction={fraction} must be in (0, 1]")
    cum = np.cumsum(np.asarray(ratio, dtype=np.float64))
    return int(np.searchsorted(cum, fraction - 1e-12) + 1)


def layer_spread(norms: np.ndarray) -> np.ndarray:
    """max over layers / min over layers of the activation norms (..., layers) (Fig. 6's spread, catalog)."""
    norms = np.asarray(norms, dtype=np.float64)
    if np.any(norms <= 0):
        raise ValueError("activation norms must be positive to take their ratio")
    return norms.max(axis=-1) / norms.min(axis=-1)


def drift(norms_t: np.ndarray) -> np.ndarray:
    """Per layer: max over checkpoints / min over checkpoints of a norm trajectory (checkpoints, layers)."""
    norms_t = np.asarray(norms_t, dtype=np.float64)
    if norms_t.ndim != 2:
        raise ValueError(f"norms must be (checkpoints, layers), got shape {norms_t.shape}")
    if np.any(norms_t <= 0):
        raise ValueError("activation norms must be positive to take their ratio")
    return norms_t.max(axis=0) / norms_t.min(axis=0)


def cached_data_cfg(cache_path: str | Path) -> dict[str, bool]:
    """The data options that read a data cache back as it was built (``fixtures`` for generated smoke data,
    ``allow_unverified`` only when its manifest says it is unverified), from the manifest beside ``cache_path``
    (results/data/<dataset>/<split>.json). The artifact's provenance records whether the data was verified."""
    manifest = Path(cache_path).with_suffix(".json")
    if not manifest.is_file():
        raise FileNotFoundError(f"data cache manifest {manifest} is missing; build {cache_path} first")
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    for key in ("fixture", "verified"):
        if key not in meta:
            raise ValueError(f"data cache manifest {manifest} has no key {key!r}")
    return {"fixtures": bool(meta["fixture"]), "allow_unverified": not bool(meta["verified"])}


def validation_set(test_cache: str | Path, online: dict, dtype: torch.dtype = torch.float32
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The runs' own validation subset (images (n_val, 784) in [0, 1], labels) through the lead's
    ``experiment.mnist_arrays``, read from the data cache ``test_cache`` as it was built."""
    from .. import paths
    from .experiment import mnist_arrays

    cfg = cached_data_cfg(paths.absolute(str(test_cache)))
    _, _, x_val, y_val = mnist_arrays(cfg, online["n_val"], online["val_seed"], dtype)
    return x_val, y_val
