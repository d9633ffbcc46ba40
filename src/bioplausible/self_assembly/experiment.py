"""The self-assembly experiments: a run is one algorithm on one dataset (every configured seed), from the scale config.

    results/models/self_assembly/{dataset}/{algorithm}.pt     Table 1 (rule sa_train): every seed of one cell

Every figure's runs (width sweep, ablation, learning-rate sweep, the SVHN matrices) go through ``train_run`` too, with
their own overrides, so SAL and the baselines always share data, initialisation, batches and evaluation.
"""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Mapping

import torch

from .. import paths
from .data import DATASETS, MULTILABEL, load_arrays
from .training import ALGORITHMS, build_algorithm, train

__all__ = ["model", "run_params", "table_inputs", "train_run", "train_seeds"]


def model(dataset: str, algorithm: str) -> str:
    return paths.rel_model("self_assembly", f"{dataset}/{algorithm}")


def table_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Spec inputs of sa_tab1: every (dataset, algorithm) cell of the scale, keyed ``{dataset}__{algorithm}``."""
    datasets = config["self_assembly"]["train"]["datasets"]
    return {f"{d}__{a}": model(d, a) for d in datasets for a in ALGORITHMS}


def _merge(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in (override or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def run_params(cfg: Mapping[str, Any], dataset: str, algorithm: str,
               overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One run's parameters from the ``self_assembly.train`` section: the shared protocol, the algorithms' rates
    (with the dataset's entry of ``per_dataset`` on top), then ``overrides`` (a figure's changes)."""
    if dataset not in DATASETS:
        raise ValueError(f"self_assembly run: dataset {dataset!r} is not one of {DATASETS}")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"self_assembly run: algorithm {algorithm!r} is not one of {ALGORITHMS}")
    t = cfg["train"]
    p = {k: copy.deepcopy(t[k]) for k in ("hidden", "epochs", "batch_size", "n_train", "n_test", "seeds")}
    p["algorithms"] = _merge(t["algorithms"], (t.get("per_dataset") or {}).get(dataset))
    p.update(dataset=dataset, algorithm=algorithm, keep_weights=False,
             loss="bce" if dataset in MULTILABEL else t["loss"])
    return _merge(p, overrides)


def train_seeds(p: Mapping[str, Any], data_cfg: Mapping[str, Any], *, device="cpu", label: str = "") -> dict[str, Any]:
    """Every seed of ``p["seeds"]`` on data loaded once: {"params", "runs": [one ``train_run`` payload per seed]}."""
    data = load_arrays(p["dataset"], data_cfg, n_train=p["n_train"], n_test=p["n_test"], device=device)
    runs = [train_run(p, data, int(seed), device=device, label=f"{label} seed {seed}") for seed in p["seeds"]]
    return {"params": dict(p), "runs": runs}


def train_run(p: Mapping[str, Any], data, seed: int, *, device="cpu", label: str = "",
              on_epoch: Callable[[int, Any], None] | None = None) -> dict[str, Any]:
    """Train one seed on loaded ``data`` (``load_arrays``); the payload holds the seed, the per-epoch log, the final
    metrics and (``keep_weights``) the matrices at the start and at the end. ``on_epoch(epoch, algo)`` is called after
    every epoch's evaluation (a diagnostic hook, e.g. the Theorem 1 probe of sa_thm_gd_alignment)."""
    widths = (data.n_inputs, *p["hidden"], data.n_classes)
    init_gen = torch.Generator().manual_seed(seed)
    algo = build_algorithm(p["algorithm"], widths, init_gen, p["algorithms"], loss=p["loss"], device=device)

    def snapshot() -> dict[str, list[torch.Tensor]]:
        mats = algo.matrices() if hasattr(algo, "matrices") else {"W": algo.W, "B": algo.B}
        return {k: [m.detach().cpu().clone() for m in v] for k, v in mats.items()}

    start = snapshot() if p["keep_weights"] else None
    t0 = time.time()
    out = train(algo, (data.x_train, data.y_train), (data.x_test, data.y_test), epochs=int(p["epochs"]),
                batch_size=int(p["batch_size"]), generator=torch.Generator().manual_seed(seed + 10_000),
                multilabel=data.multilabel, label=label, on_epoch=on_epoch)
    log = out["log"]
    finished = [r for r in log if not r.get("diverged")]
    keys = [k for k in (finished[-1] if finished else {}) if k.startswith("test_")]
    metrics: dict[str, Any] = {"diverged": out["diverged"], "epochs_done": len(finished),
                               "train_seconds": time.time() - t0, "data_verified": data.verified,
                               "n_train": len(data.y_train), "n_test": len(data.y_test)}
    for k in keys:                                   # final epoch and best epoch (Ambiguity 19: final is reported)
        metrics[f"final_{k}"] = finished[-1][k] if not out["diverged"] else float("nan")
        metrics[f"best_{k}"] = max(r[k] for r in finished)
    payload = {"seed": seed, "widths": list(widths), "log": log, "metrics": metrics}
    if p["keep_weights"]:
        payload["weights_start"], payload["weights_end"] = start, snapshot()
    return payload
