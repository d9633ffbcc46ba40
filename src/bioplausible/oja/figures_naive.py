"""Small metrics of the naive-init and feedback-alignment figures (oja_fig5, oja_fig6cd, oja_fig6gh, oja_figS1), computed
in the notebooks from the cached runs R5N / R5FA (rule oja_online_run). Additive helpers of the `naive` artifacts; the
online MLP itself is `online.py`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .figures import drift as layer_drift
from .figures import layer_spread
from .online import forward


def moving_average(x: np.ndarray, window: int, axis: int = -1) -> np.ndarray:
    """Trailing moving average along ``axis`` ('valid' mode: output length n - window + 1; entry j is the mean of
    x[j .. j + window - 1]). Used to smooth the per-step update norms of Fig. S1 [catalog: 50 steps]."""
    x = np.asarray(x, dtype=np.float64)
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window={window!r} must be a positive integer")
    n = x.shape[axis]
    if window > n:
        raise ValueError(f"window={window} is longer than the series ({n} steps)")
    c = np.cumsum(np.moveaxis(x, axis, -1), axis=-1)
    c = np.concatenate([np.zeros(c.shape[:-1] + (1,)), c], axis=-1)
    out = (c[..., window:] - c[..., :-window]) / window
    return np.moveaxis(out, -1, axis)


def spread(norms: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spread of per-layer norms across layers: max_l n_l / min_l n_l along ``axis`` (catalog oja_fig6ab metric;
    :func:`figures.layer_spread`). 1 means identical norms in every layer; a non-finite or non-positive norm is an
    error (the ratio would be meaningless)."""
    norms = np.asarray(norms, dtype=np.float64)
    if np.any(~np.isfinite(norms)):
        raise ValueError("spread needs finite, positive norms")
    return layer_spread(np.moveaxis(norms, axis, -1))


def drift(curves: np.ndarray) -> float:
    """Largest change of any layer's norm over training: max over layers of max_t n_l(t) / min_t n_l(t)
    (:func:`figures.drift`, per layer). ``curves``: (checkpoints, layers). "Bounded" in the catalog = no layer
    drifts by more than 10x."""
    return float(np.max(layer_drift(curves)))


def validation_images(cache_path: str | Path, n_val: int, val_seed: int, dtype: torch.dtype = torch.float32
                      ) -> torch.Tensor:
    """The seeded validation subset of the MNIST test split the online runs are evaluated on (the same draw as
    `experiment.mnist_arrays`: randperm(val_seed)[:n_val]), flattened and scaled to [0, 1]."""
    obj = torch.load(cache_path, weights_only=True)
    images = obj["images"]
    if not 1 <= n_val <= len(images):
        raise ValueError(f"oja.online.n_val={n_val} must be in [1, {len(images)}] ({cache_path})")
    keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(val_seed))[:n_val]
    return images[keep].reshape(n_val, -1).to(dtype) / 255


@torch.no_grad()
def signal_norms(W: list[torch.Tensor], x: torch.Tensor, beta: float) -> np.ndarray:
    """Input-dependent part of each layer's activity: sqrt(sum_i Var_inputs(y_l,i)) for the hidden layers and the
    same for z_L last, per run: (R, L). Unlike the mean norm ‖y_l‖ it ignores the input-independent offset
    softplus(0) = log 2 / beta that every unit keeps when the weights are tiny (catalog oja_fig6cd: "or better, the
    across-input standard deviation of y_l")."""
    ys, z = forward(W, x, beta)
    acts = list(ys[1:]) + [z]
    return torch.stack([a.double().var(dim=-2, unbiased=False).sum(-1).sqrt() for a in acts], dim=-1).numpy()
