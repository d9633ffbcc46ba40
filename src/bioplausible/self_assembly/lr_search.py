"""Learning-rate search for Table 1 on a validation split (catalog A6, Ambiguity 9 and 29; rule ``sa_lr_search``).

The paper gives no rates: "We empirically search over 64 combinations of the learning rates and use the best one"
and "fix the ratio between the four learning rates, while tuning the overall factor". Here, per dataset, on the
first ``n_train`` training images (the same subset and standardisation as ``sa_train``) with the LAST ``n_val``
training images as validation (MedMNIST: its official ``val`` split), never the test set:

- every baseline (SGD, FA, WM, KP): lr in ``baseline_lr`` at weight decay ``gamma``;
- SAL: the overall factor η_W in ``sal_eta_w`` times every ratio triple (η_V, η_W̄, η_V̄)/η_W in ``sal_ratios``³.

A run that diverges (weights stop being finite) is a failed point (score −inf) and is reported as such. The
selection is the point with the highest final-epoch validation accuracy (Ambiguity 19: the final epoch is what Table 1
reports). The selected values are copied by hand into ``self_assembly.train.algorithms`` of the scale configs, with
their scores in comments; the search itself is not part of any artifact's DAG.

    results/models/self_assembly/lr_search/{dataset}.pt    {"params", "rows": [one per grid point], "selected"}
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterator, Mapping

from .. import paths
from ..data import load_split
from .data import MEDMNIST, Arrays, load_arrays
from .experiment import run_params, train_run
from .training import ALGORITHMS

__all__ = ["BASELINES", "result", "rule_inputs", "grid_points", "validation_arrays", "run_point", "select", "summary", "search"]

BASELINES = ("sgd", "fa", "wm", "kp")
_GRID_KEYS = ("datasets", "n_train", "n_val", "epochs", "seed", "gamma", "baseline_lr", "sal_eta_w", "sal_ratios")


def result(dataset: str) -> str:
    """The search's cached result for one dataset."""
    return paths.rel_model("self_assembly", f"lr_search/{dataset}")


def rule_inputs(wildcards) -> dict[str, str]:
    """Inputs of rule sa_lr_search: the training cache (and MedMNIST's official val split)."""
    d = wildcards.sa_dataset
    out = {"train": paths.rel_data_cache(d, "train")}
    if d in MEDMNIST:
        out["val"] = paths.rel_data_cache(d, "val")
    return out


def _check_grid(grid: Mapping[str, Any]) -> None:
    missing = [k for k in _GRID_KEYS if k not in grid]
    if missing:
        raise KeyError(f"self_assembly.tab1.lr_search: missing key(s) {missing} (need {list(_GRID_KEYS)})")


def grid_points(grid: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, float]]]:
    """(algorithm, overrides of ``self_assembly.train.algorithms``, the point's coordinates) for every grid point:
    the baselines' lr first, then SAL's η_W × ratio triples (η_V, η_W̄, η_V̄)/η_W."""
    _check_grid(grid)
    gamma = float(grid["gamma"])
    for algo in BASELINES:
        for lr in grid["baseline_lr"]:
            yield algo, {algo: {"lr": float(lr), "gamma": gamma}}, {"lr": float(lr)}
    for eta_w in grid["sal_eta_w"]:
        for rv, rwb, rvb in itertools.product(grid["sal_ratios"], repeat=3):
            rates = {"W": float(eta_w), "V": float(eta_w) * rv, "Wbar": float(eta_w) * rwb, "Vbar": float(eta_w) * rvb}
            yield "sal", {"sal": {"rates": rates, "gamma": gamma}}, {
                "eta_W": float(eta_w), "r_V": float(rv), "r_Wbar": float(rwb), "r_Vbar": float(rvb)}


def validation_arrays(dataset: str, data_cfg: Mapping[str, Any], *, n_train: int | None, n_val: int,
                      cache_root: str = "results/data") -> Arrays:
    """Training = the first ``n_train`` training images (None: all but the validation ones), validation = the last
    ``n_val`` training images (MedMNIST: the first ``n_val`` of its official val split), both standardised with the
    training subset's statistics (exactly as ``sa_train`` standardises its training subset). The test split is never
    read."""
    if dataset in MEDMNIST:
        return load_arrays(dataset, data_cfg, n_train=n_train, n_test=n_val, split_test="val", cache_root=cache_root)
    if n_train is None:
        n_train = len(load_split(dataset, "train", cache_root=cache_root, **data_cfg).targets) - int(n_val)
    d = load_arrays(dataset, data_cfg, n_train=n_train, n_test=None, split_test="train", cache_root=cache_root)
    n_total = len(d.y_test)
    if n_train + n_val > n_total:
        raise ValueError(f"lr_search on {dataset}: n_train {n_train} + n_val {n_val} > {n_total} training images "
                         "(the validation images must not overlap the training subset)")
    d.x_test, d.y_test = d.x_test[n_total - n_val:], d.y_test[n_total - n_val:]
    return d


def run_point(cfg_sa: Mapping[str, Any], grid: Mapping[str, Any], dataset: str, algorithm: str,
              overrides: Mapping[str, Any], data: Arrays, *, device="cpu") -> dict[str, Any]:
    """Train one grid point (one seed) and return its row: the validation score (final epoch), best epoch,
    whether it diverged and how long it took."""
    p = run_params(cfg_sa, dataset, algorithm, {
        "algorithms": overrides, "epochs": int(grid["epochs"]), "seeds": [int(grid["seed"])],
        "n_train": len(data.y_train), "n_test": len(data.y_test)})
    out = train_run(p, data, int(grid["seed"]), device=device, label=f"lr_search {dataset}/{algorithm}")
    m = out["metrics"]
    key = "test_auc" if data.multilabel else "test_acc"   # "test" here is the validation split
    final = m.get(f"final_{key}", float("nan"))
    return {"algorithm": algorithm, "val_final": float(final), "val_best": float(m.get(f"best_{key}", float("nan"))),
            "diverged": bool(m["diverged"]), "epochs_done": int(m["epochs_done"]),
            "seconds": float(m["train_seconds"]), "params": p["algorithms"][algorithm]}


def _score(row: Mapping[str, Any]) -> float:
    v = row["val_final"]
    return -math.inf if row["diverged"] or v is None or math.isnan(v) else float(v)


def select(rows: list[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per algorithm: the row with the highest final validation score (diverged = −inf; ties: the first in grid
    order), with the number of points tried and of diverged points."""
    out: dict[str, dict[str, Any]] = {}
    for algo in ALGORITHMS:
        mine = [r for r in rows if r["algorithm"] == algo]
        if not mine:
            continue
        best = max(mine, key=_score)            # max keeps the first of equal scores
        out[algo] = {**dict(best), "n_points": len(mine), "n_diverged": sum(bool(r["diverged"]) for r in mine),
                     "all_diverged": all(bool(r["diverged"]) for r in mine)}
    return out


def search(cfg_sa: Mapping[str, Any], grid: Mapping[str, Any], dataset: str, data_cfg: Mapping[str, Any], *,
           device="cpu") -> dict[str, Any]:
    """Every grid point on one dataset: {"rows", "selected"}."""
    _check_grid(grid)
    n_train = None if grid["n_train"] is None else int(grid["n_train"])
    data = validation_arrays(dataset, data_cfg, n_train=n_train, n_val=int(grid["n_val"]))
    rows = []
    for algo, overrides, coords in grid_points(grid):
        row = {**run_point(cfg_sa, grid, dataset, algo, overrides, data, device=device), **coords}
        print(f"lr_search {dataset} {algo} {coords}: val {row['val_final']:.2f}"
              + (" DIVERGED" if row["diverged"] else ""), flush=True)
        rows.append(row)
    return {"rows": rows, "selected": select(rows)}


def summary(payload: Mapping[str, Any], top: int = 5) -> str:
    """Readable lines: the selection per algorithm and SAL's best points (for the config comments)."""
    lines = []
    for algo, s in payload["selected"].items():
        lines.append(f"{algo}: val {s['val_final']:.2f} (best epoch {s['val_best']:.2f}) with {s['params']}; "
                     f"{s['n_diverged']}/{s['n_points']} points diverged")
    sal = sorted((r for r in payload["rows"] if r["algorithm"] == "sal"), key=_score, reverse=True)
    for r in sal[:top]:
        lines.append(f"  sal eta_W {r['eta_W']} ratios V {r['r_V']} Wbar {r['r_Wbar']} Vbar {r['r_Vbar']}: "
                     f"val {r['val_final']:.2f}" + (" diverged" if r["diverged"] else ""))
    return "\n".join(lines)
