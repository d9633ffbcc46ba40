"""Cached simulation results of the linear-theory slice: one naming scheme for writing and reading.

Arrays of a matrix-dynamics run are stored as ``s<seed>__<method>__loss``, ``...__diverged``,
``...__W<i>`` (final weights). ``runs_from_arrays`` rebuilds the :class:`LinearRun` objects that the
metrics functions take (final weights as the last snapshot; the feedback is not stored).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .linear_dynamics import LinearRun


def run_to_arrays(prefix: str, run: LinearRun) -> dict[str, np.ndarray]:
    arrays = {f"{prefix}__loss": run.loss, f"{prefix}__diverged": np.array(run.diverged),
              f"{prefix}__eta": np.array(run.eta), f"{prefix}__eps": np.array(run.eps), f"{prefix}__tied": np.array(run.tied)}
    for i, w in enumerate(run.weights, start=1):
        arrays[f"{prefix}__W{i}"] = w
    return arrays


def run_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> LinearRun:
    if f"{prefix}__loss" not in arrays:
        raise KeyError(f"no run {prefix!r} in the cached simulation; runs: "
                       + ", ".join(sorted({k.rsplit('__', 1)[0] for k in arrays if k.endswith('__loss')})))
    loss = np.asarray(arrays[f"{prefix}__loss"])
    weights = []
    i = 1
    while f"{prefix}__W{i}" in arrays:
        weights.append(np.asarray(arrays[f"{prefix}__W{i}"]))
        i += 1
    n_iter = len(loss) - 1
    return LinearRun(loss=loss, snapshots={n_iter: weights}, weights=weights, feedback=[],
                     eta=float(arrays[f"{prefix}__eta"]), eps=float(arrays[f"{prefix}__eps"]),
                     tied=bool(arrays[f"{prefix}__tied"]), diverged=bool(arrays[f"{prefix}__diverged"]), label=prefix)


def runs_from_arrays(arrays: Mapping[str, np.ndarray], seeds: Sequence[int], methods: Sequence[str],
                     group: str = "") -> list[dict[str, LinearRun]]:
    """One ``{method: LinearRun}`` per seed (the layout the metrics functions take)."""
    g = f"{group}__" if group else ""
    return [{m: run_from_arrays(arrays, f"{g}s{seed}__{m}") for m in methods} for seed in seeds]
