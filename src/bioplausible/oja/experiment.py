"""Config -> runs, and the paths of the cached online-MLP results of the Oja paper (built by paths.py)."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from ..paths import rel_data_cache, rel_sim
from .online import OnlineConfig

PAPER = "oja"
RUNS = ("R5X", "R10X", "R5N", "R5FA")   # catalog "Shared training runs"
METHODS = ("plain", "oja")             # BP or FA alone; the same plus Oja's rule


def online_run(run: str) -> str:
    """One shared run (R5X, R10X, R5N, R5FA): both methods, every seed, every log the figures read."""
    return rel_sim(PAPER, f"online/{run}")


def grid_search(run: str) -> str:
    """The θ grid search of one run configuration (an optional target; its choice is committed to the config)."""
    return rel_sim(PAPER, f"grid/{run}")


def mnist_inputs() -> dict[str, str]:
    return {"train": rel_data_cache("mnist", "train"), "test": rel_data_cache("mnist", "test")}


def online_config(online: Mapping[str, Any], run: str) -> OnlineConfig:
    spec = online["runs"][run]
    return OnlineConfig(widths=tuple(spec["widths"]), init=spec["init"], naive_std=online["naive_std"],
                        feedback=spec["feedback"], beta=online["beta"], oja_output=online["oja_output"])


def run_params(online: Mapping[str, Any], run: str) -> dict[str, Any]:
    """What one run job depends on."""
    keys = ("n_train", "n_val", "eval_every", "seeds", "beta", "naive_std", "oja_output", "dtype", "val_seed")
    return {"run": run, **{k: online[k] for k in keys}, "spec": dict(online["runs"][run]),
            "thetas": {m: list(online["thetas"][run][m]) for m in METHODS}}


def grid_params(online: Mapping[str, Any], run: str) -> dict[str, Any]:
    keys = ("eval_every", "beta", "naive_std", "oja_output", "dtype", "val_seed")
    return {"run": run, **{k: online[k] for k in keys}, "spec": dict(online["runs"][run]), "grid": dict(online["grid"])}


def mnist_arrays(data_cfg: Mapping[str, Any] | None, n_val: int, val_seed: int, dtype: torch.dtype
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The MNIST training pool (60 000, 784) and a seeded validation subset of the test set, pixel/255 (no other
    normalisation; catalog Amb. 25)."""
    from ..data import load_split
    from ..paths import results_dir

    root = results_dir() / "data"   # absolute: notebooks run from notebooks/oja/
    train = load_split("mnist", "train", cache_root=root, **(data_cfg or {}))
    test = load_split("mnist", "test", cache_root=root, **(data_cfg or {}))
    x = train.images.reshape(len(train.images), -1).to(dtype) / 255
    xt = test.images.reshape(len(test.images), -1).to(dtype) / 255
    if not 1 <= n_val <= len(xt):
        raise ValueError(f"oja.online.n_val={n_val} must be in [1, {len(xt)}] (the MNIST test set)")
    keep = torch.randperm(len(xt), generator=torch.Generator().manual_seed(val_seed))[:n_val]
    return x, train.targets.long(), xt[keep], test.targets.long()[keep]
