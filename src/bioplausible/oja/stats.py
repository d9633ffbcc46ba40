"""Run statistics of the Oja paper's curves (Fig. 1 caption; catalog A8): the across-run mean and a percentile
bootstrap confidence band ("98% confidence intervals ... bootstrapping across trials with 500 bootstrapped samples")."""

from __future__ import annotations

import numpy as np


def bootstrap_band(values: np.ndarray, *, n_boot: int = 500, level: float = 0.98,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over runs and the percentile bootstrap band of that mean, per checkpoint.

    ``values``: (runs, checkpoints). Resample the runs with replacement ``n_boot`` times, take each resample's mean,
    and return (mean, lower, upper) with lower/upper the (1 - level)/2 and (1 + level)/2 quantiles (the 1st and 99th
    percentiles for 98 %)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 1:
        raise ValueError(f"values must be (runs, checkpoints), got shape {values.shape}")
    if not 0 < level < 1:
        raise ValueError(f"level={level} must be in (0, 1)")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.shape[0], size=(n_boot, values.shape[0]))
    means = values[idx].mean(axis=1)                       # (n_boot, checkpoints)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return values.mean(axis=0), lo, hi


def bands_overlap(a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray],
                  where: np.ndarray | slice = slice(None)) -> bool:
    """Whether two (mean, lower, upper) bands overlap anywhere in ``where``."""
    _, alo, ahi = (np.asarray(x)[where] for x in a)
    _, blo, bhi = (np.asarray(x)[where] for x in b)
    return bool(np.any((alo <= bhi) & (blo <= ahi)))
