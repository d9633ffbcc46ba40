"""Fig. 2 (downstream width × downstream activation) and Fig. 5 (the learning-rate sweep, App. C) of the self-assembly
paper: the sweep points, the runs (every point through ``experiment.run_params`` + ``train_run``, so the protocol is
Table 1's), and the metrics of the catalog's "Reproduced means".

    results/models/self_assembly/fig2/{dataset}/{dd}.pt     every width ratio r × every seed of one (dataset, D_d)
    results/models/self_assembly/fig5/eta_v_{ratio}.pt      every (η_W̄, η_V̄) of one η_V ratio, on a validation split

Fig. 2 (catalog sa_fig2; Ambiguities 23-24, 30): SAL with every hidden downstream site d̄_k = r·d_k (the top site stays
the K-dimensional error), D_d ∈ {identity, relu_jacobian_V, relu}, Table 1's rates. The x-axis is the width ratio r;
the downstream/upstream parameter-count ratio is recorded beside it.

Fig. 5 (catalog sa_fig5, A6(a); Ambiguity 27): the "four-layer MLP" (2 hidden layers of 200), rates
η_X = η_W · ratio_X for X ∈ {V, W̄, V̄}, every ratio from a grid (paper {1, .3, .1, .03}³ = 64). Selection is on a
validation split: the last ``n_val`` images of the training split are held out (never the test set, Ambiguity 29);
test accuracy of the final weights is kept beside it. A run whose weights stop being finite is recorded as diverged.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Iterable, Mapping, Sequence

import torch

from .. import paths
from .data import MEDMNIST, Arrays, load_arrays
from .experiment import run_params, train_run

__all__ = [
    "fig2_model", "fig5_model", "fig2_inputs", "fig5_inputs", "ratio_tag", "down_widths", "parameter_counts",
    "fig2_job", "fig5_job", "fig5_combos", "holdout_validation", "load_with_validation", "mlp_accuracy",
    "run_fig2_job", "run_fig5_job", "fig2_records", "fig5_records", "fig2_summary", "fig2_metrics", "fig5_metrics",
]

FIG2_DD = ("identity", "relu_jacobian_V", "relu", "tanh")
CHANNELS = {"cifar10": 3, "svhn": 3, "stl10": 3, "pathmnist": 3, "mnist": 1, "fashion_mnist": 1, "chestmnist": 1}


# --- paths and spec inputs --------------------------------------------------------------------------------------------
def ratio_tag(ratio: float) -> str:
    """A ratio as it appears in a file name: 0.5 -> "0.5", 1.0 -> "1", 0.03 -> "0.03"."""
    return f"{float(ratio):g}"


def fig2_model(dataset: str, dd: str) -> str:
    return paths.rel_model("self_assembly", f"fig2/{dataset}/{dd}")


def fig5_model(eta_v_ratio: float | str) -> str:
    tag = eta_v_ratio if isinstance(eta_v_ratio, str) else ratio_tag(eta_v_ratio)
    return paths.rel_model("self_assembly", f"fig5/eta_v_{tag}")


def _section(config: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    try:
        return config["self_assembly"][key]
    except KeyError as exc:
        raise KeyError(f"config key self_assembly.{key} is missing") from exc


def fig2_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Spec inputs of sa_fig2: one sweep file per (dataset, D_d), keyed ``{dataset}__{dd}``."""
    f = _section(config, "fig2")
    return {f"{d}__{dd}": fig2_model(d, dd) for d in f["datasets"] for dd in f["dd"]}


def fig5_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Spec inputs of sa_fig5: one sweep file per η_V ratio, keyed ``eta_v_{ratio}``."""
    f = _section(config, "fig5")
    return {f"eta_v_{ratio_tag(r)}": fig5_model(r) for r in f["ratios"]}


# --- Fig. 2 points ------------------------------------------------------------------------------------------------------
def down_widths(hidden: Sequence[int], ratio: float) -> list[int]:
    """Hidden downstream widths d̄_k = round(r · d_k), at least 1 (Ambiguity 24: every hidden site is widened)."""
    if not ratio > 0:
        raise ValueError(f"self_assembly.fig2.ratios: width ratio {ratio!r} must be > 0")
    return [max(1, int(round(ratio * h))) for h in hidden]


def parameter_counts(widths: Sequence[int], down: Sequence[int]) -> dict[str, float]:
    """Parameters of the two pathways (catalog A0 shapes; no biases): upstream = Σ W; downstream = W̄; inter-stream =
    V + V̄ (the top V̄ is the fixed identity and is not counted). Ratios: W̄/W and (W̄ + V + V̄)/W."""
    d = list(widths)
    if len(down) != len(d) - 2:
        raise ValueError(f"down widths {list(down)}: need one per hidden layer of {d}")
    dbar = [None, *down, d[-1]]                    # sites 1 … L-1; the top site is the K-dimensional error
    L = len(d)
    up = sum(d[i + 1] * d[i] for i in range(L - 1))
    wbar = sum(dbar[j] * dbar[j + 1] for j in range(1, L - 1))
    v = sum(dbar[j] * d[j] for j in range(1, L - 1))
    vbar = sum(d[i + 1] * dbar[i + 1] for i in range(L - 2))
    return {"upstream": up, "wbar": wbar, "v": v, "vbar": vbar,
            "ratio_wbar": wbar / up, "ratio_downstream_all": (wbar + v + vbar) / up}


def fig2_job(sa_cfg: Mapping[str, Any], dataset: str, dd: str) -> dict[str, Any]:
    """Every resolved run of one Fig. 2 job (one dataset, one D_d): {"dataset", "dd", "seeds", "points": [{"ratio",
    "down_widths", "params"}]}; a point's params are ``run_params(SA, dataset, "sal", overrides)``."""
    f = sa_cfg["fig2"]
    if dd not in FIG2_DD:
        raise ValueError(f"self_assembly.fig2.dd: {dd!r} is not one of {FIG2_DD}")
    if 1 not in [float(r) for r in f["ratios"]]:
        raise ValueError("self_assembly.fig2.ratios must contain 1 (the r = 1 reference of every Fig. 2 claim)")
    hidden = list(sa_cfg["train"]["hidden"])
    points = []
    for r in f["ratios"]:
        sal: dict[str, Any] = {"dd": dd, "down_widths": down_widths(hidden, r)}
        if f.get("rates") is not None:
            sal["rates"] = dict(f["rates"])
        over = {k: f[k] for k in ("epochs", "n_train", "n_test", "seeds")}
        over["algorithms"] = {"sal": sal}
        points.append({"ratio": float(r), "down_widths": sal["down_widths"],
                       "params": run_params(sa_cfg, dataset, "sal", over)})
    return {"figure": "fig2", "dataset": dataset, "dd": dd, "seeds": list(f["seeds"]), "points": points}


# --- Fig. 5 points ------------------------------------------------------------------------------------------------------
def fig5_combos(ratios: Sequence[float], eta_v: float | None = None) -> list[tuple[float, float, float]]:
    """(η_V, η_W̄, η_V̄)/η_W over the grid (all of it, or one η_V), in grid order."""
    grid = [float(r) for r in ratios]
    vs = grid if eta_v is None else [float(eta_v)]
    return [(v, wb, vb) for v in vs for wb, vb in itertools.product(grid, grid)]


def fig5_job(sa_cfg: Mapping[str, Any], eta_v: float) -> dict[str, Any]:
    """Every resolved run of one Fig. 5 job: one η_V ratio × every (η_W̄, η_V̄) ratio."""
    f = sa_cfg["fig5"]
    if float(eta_v) not in [float(r) for r in f["ratios"]]:
        raise ValueError(f"self_assembly.fig5.ratios {f['ratios']}: has no η_V ratio {eta_v!r}")
    eta_w = float(f["eta_W"])
    points = []
    for v, wb, vb in fig5_combos(f["ratios"], eta_v):
        sal = {"rates": {"W": eta_w, "V": eta_w * v, "Wbar": eta_w * wb, "Vbar": eta_w * vb},
               "gamma": float(f["gamma"]), "dd": f["dd"], "down_widths": None}
        over = {"hidden": list(f["hidden"]), "epochs": f["epochs"], "n_train": f["n_train"], "n_test": f["n_test"],
                "seeds": list(f["seeds"]), "algorithms": {"sal": sal}, "keep_weights": True}
        points.append({"eta_v": v, "eta_wbar": wb, "eta_vbar": vb,
                       "params": run_params(sa_cfg, f["dataset"], "sal", over)})
    return {"figure": "fig5", "dataset": f["dataset"], "eta_v": float(eta_v), "n_val": int(f["n_val"]),
            "seeds": list(f["seeds"]), "points": points}


# --- validation split ---------------------------------------------------------------------------------------------------
def holdout_validation(x: torch.Tensor, y: torch.Tensor, *, n_train: int | None, n_val: int,
                       channels: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, tuple]:
    """Hold out the LAST ``n_val`` training images as the validation set; train on the first ``n_train`` of the rest
    (None: all of it). ``x`` is (N, channels·H·W), already standardised by some per-channel affine map; both parts are
    re-standardised with the training part's per-channel mean and std, which equals standardising the raw images with
    statistics of the training part only (the held-out images never inform the preprocessing).
    Returns x_train, y_train, x_val, y_val and the (mean, std) applied."""
    n = len(y)
    if not 0 < n_val < n:
        raise ValueError(f"self_assembly.fig5.n_val = {n_val}: need 0 < n_val < {n} (the training split's size)")
    n_fit = n - n_val if n_train is None else int(n_train)
    if not 0 < n_fit <= n - n_val:
        raise ValueError(f"self_assembly.fig5.n_train = {n_train}: need 1 … {n - n_val} (training split {n} minus "
                         f"n_val {n_val})")
    if x.shape[1] % channels:
        raise ValueError(f"{x.shape[1]} inputs are not {channels} equal channel blocks")
    xtr, ytr = x[:n_fit], y[:n_fit]
    xva, yva = x[n - n_val:], y[n - n_val:]
    blocks = xtr.reshape(n_fit, channels, -1)
    mean, std = blocks.mean(dim=(0, 2)), blocks.std(dim=(0, 2))     # unbiased, as load_arrays

    def norm(a: torch.Tensor) -> torch.Tensor:
        return ((a.reshape(len(a), channels, -1) - mean.view(1, -1, 1)) / std.view(1, -1, 1)).reshape(len(a), -1)

    return norm(xtr).clone(), ytr.clone(), norm(xva).clone(), yva.clone(), (mean, std)


def load_with_validation(dataset: str, data_cfg: Mapping[str, Any], *, n_train: int | None, n_val: int,
                         n_test: int | None, device="cpu") -> tuple[Arrays, tuple[torch.Tensor, torch.Tensor]]:
    """Training part and validation part (as ``Arrays`` whose "test" tensors are the validation set, so ``train_run``
    logs validation accuracy every epoch) and the real test set (standardised like the training part)."""
    if dataset in MEDMNIST:
        raise ValueError(f"self_assembly.fig5.dataset {dataset!r}: MedMNIST has an official val split; hold-out "
                         "validation is for the datasets without one")
    full = load_arrays(dataset, data_cfg, n_train=None, n_test=n_test, device="cpu")   # the whole training split
    xtr, ytr, xva, yva, (mean, std) = holdout_validation(full.x_train, full.y_train, n_train=n_train, n_val=n_val,
                                                         channels=CHANNELS[dataset])
    c = CHANNELS[dataset]
    xte = ((full.x_test.reshape(len(full.x_test), c, -1) - mean.view(1, -1, 1)) / std.view(1, -1, 1))
    xte = xte.reshape(len(full.x_test), -1)
    arrays = Arrays(xtr.to(device), ytr.to(device), xva.to(device), yva.to(device), full.n_classes, full.multilabel,
                    full.verified)
    return arrays, (xte.to(device), full.y_test.to(device))


@torch.no_grad()
def mlp_accuracy(W: Sequence[torch.Tensor], x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096) -> float:
    """Top-1 accuracy (%) of the upstream network (ReLU hidden layers, linear output, no biases) with weights ``W``;
    NaN when a weight is not finite (a diverged run)."""
    if not all(bool(torch.isfinite(w).all()) for w in W):
        return float("nan")
    correct = 0
    for i in range(0, len(x), batch_size):
        h = x[i:i + batch_size]
        for k, w in enumerate(W):
            h = h @ w.t().to(h.dtype)
            if k < len(W) - 1:
                h = torch.relu(h)
        correct += int((h.argmax(1) == y[i:i + batch_size]).sum())
    return 100.0 * correct / len(y)


# --- running a job ------------------------------------------------------------------------------------------------------
def run_fig2_job(job: Mapping[str, Any], data_cfg: Mapping[str, Any], *, device="cpu") -> dict[str, Any]:
    """Train every point × seed of a Fig. 2 job on data loaded once. Payload: the job and, per point, its parameter
    counts and one ``train_run`` payload per seed."""
    first = job["points"][0]["params"]
    data = load_arrays(job["dataset"], data_cfg, n_train=first["n_train"], n_test=first["n_test"], device=device)
    points = []
    for pt in job["points"]:
        p = pt["params"]
        widths = (data.n_inputs, *p["hidden"], data.n_classes)
        runs = [train_run(p, data, int(s), device=device,
                          label=f"fig2 {job['dataset']}/{job['dd']} r={ratio_tag(pt['ratio'])} seed {s}")
                for s in p["seeds"]]
        points.append({**pt, "param_counts": parameter_counts(widths, pt["down_widths"]), "runs": runs})
    return {"job": dict(job), "points": points}


def run_fig5_job(job: Mapping[str, Any], data_cfg: Mapping[str, Any], *, device="cpu") -> dict[str, Any]:
    """Train every combo × seed of a Fig. 5 job: per-epoch accuracy on the held-out validation split, and the final
    weights' test accuracy (the weights themselves are not kept)."""
    first = job["points"][0]["params"]
    data, (x_test, y_test) = load_with_validation(job["dataset"], data_cfg, n_train=first["n_train"],
                                                  n_val=job["n_val"], n_test=first["n_test"], device=device)
    points = []
    for pt in job["points"]:
        p = pt["params"]
        runs = []
        for s in p["seeds"]:
            label = (f"fig5 eta_V/W={ratio_tag(pt['eta_v'])} eta_Wbar/W={ratio_tag(pt['eta_wbar'])} "
                     f"eta_Vbar/W={ratio_tag(pt['eta_vbar'])} seed {s}")
            run = train_run(p, data, int(s), device=device, label=label)
            w_end = run.pop("weights_end")["W"]
            run.pop("weights_start")
            for row in run["log"]:                   # train_run's "test" set is the validation split here
                if "test_acc" in row:
                    row["val_acc"] = row.pop("test_acc")
            m = run["metrics"]
            m["final_val_acc"], m["best_val_acc"] = m.pop("final_test_acc", float("nan")), m.pop("best_test_acc",
                                                                                                 float("nan"))
            m["n_val"] = m.pop("n_test")
            m["final_test_acc"] = float("nan") if m["diverged"] else mlp_accuracy(w_end, x_test, y_test)
            m["n_test"] = len(y_test)
            runs.append(run)
        points.append({**pt, "runs": runs})
    return {"job": dict(job), "points": points}


# --- tidy records from the cached payloads ------------------------------------------------------------------------------
def _acc(run: Mapping[str, Any], key: str) -> float:
    m = run["metrics"]
    return float("nan") if m["diverged"] else float(m.get(key, float("nan")))


def fig2_records(payloads: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (dataset, D_d, r, seed): final test accuracy (NaN if diverged), the epoch it stopped at, the
    parameter-count ratios."""
    rows = []
    for pl in payloads:
        job = pl["job"]
        for pt in pl["points"]:
            for run in pt["runs"]:
                rows.append({"dataset": job["dataset"], "dd": job["dd"], "ratio": float(pt["ratio"]),
                             "down_width": pt["down_widths"][0], "seed": run["seed"],
                             "acc": _acc(run, "final_test_acc"), "diverged": bool(run["metrics"]["diverged"]),
                             "epochs_done": run["metrics"]["epochs_done"],
                             "param_ratio_wbar": pt["param_counts"]["ratio_wbar"],
                             "param_ratio_all": pt["param_counts"]["ratio_downstream_all"],
                             "seconds": run["metrics"]["train_seconds"]})
    return rows


def fig5_records(payloads: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per (η_V, η_W̄, η_V̄) ratio combo and seed: final validation and test accuracy (NaN if diverged)."""
    rows = []
    for pl in payloads:
        for pt in pl["points"]:
            for run in pt["runs"]:
                rows.append({"eta_v": float(pt["eta_v"]), "eta_wbar": float(pt["eta_wbar"]),
                             "eta_vbar": float(pt["eta_vbar"]), "seed": run["seed"],
                             "val_acc": _acc(run, "final_val_acc"), "test_acc": _acc(run, "final_test_acc"),
                             "diverged": bool(run["metrics"]["diverged"]),
                             "epochs_done": run["metrics"]["epochs_done"],
                             "seconds": run["metrics"]["train_seconds"]})
    return rows


# --- metrics of the claims ----------------------------------------------------------------------------------------------
def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and std (ddof = 0, Ambiguity 18) over seeds; NaN if any seed is NaN (a point with a diverged seed)."""
    if not values or any(math.isnan(v) for v in values):
        return float("nan"), float("nan")
    m = sum(values) / len(values)
    return m, math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def fig2_summary(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, float], dict[str, float]]:
    """(dataset, dd, ratio) -> mean and std over seeds, number of seeds and of diverged seeds. A point with any
    diverged seed is a diverged point: mean and std are NaN."""
    groups: dict[tuple[str, str, float], list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["dd"], float(r["ratio"])), []).append(r)
    out = {}
    for key, rows in sorted(groups.items()):
        mean, std = _mean_std([float(r["acc"]) for r in rows])
        out[key] = {"mean": mean, "std": std, "n": len(rows), "n_diverged": sum(bool(r["diverged"]) for r in rows)}
    return out


def _finite(x: float | None) -> bool:
    return x is not None and not math.isnan(x)


def _none_if_nan(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _wide_gain(pts: Mapping[float, Mapping[str, float]], wide: tuple[float, float], min_gain: float,
               k_std: float) -> dict[str, Any]:
    """Criterion (i) on one curve (ratio -> seed mean/std) whose r = 1 point is finite: r* = the best finite r in
    ``wide``; gain = acc(r*) − acc(1); threshold = max(min_gain, k_std · max(std(r*), std(1))); margin = gain −
    threshold (−inf when every r in ``wide`` diverged; None when the grid has none)."""
    m1, s1 = pts[1.0]["mean"], pts[1.0]["std"]
    in_wide = [r for r in pts if wide[0] <= r <= wide[1]]
    fin = [r for r in in_wide if _finite(pts[r]["mean"])]
    if not fin:
        return {"best_ratio": None, "gain": None, "threshold": None,
                "margin": -math.inf if in_wide else None, "helps": False}
    r_best = max(fin, key=lambda r: (pts[r]["mean"], -r))
    gain = pts[r_best]["mean"] - m1
    thr = max(min_gain, k_std * max(pts[r_best]["std"], s1))
    return {"best_ratio": r_best, "gain": gain, "threshold": thr, "margin": gain - thr, "helps": bool(gain >= thr)}


def fig2_metrics(summary: Mapping[tuple[str, str, float], Mapping[str, float]], *,
                 datasets: Sequence[str] = ("cifar10", "svhn", "stl10"), min_gain: float = 0.5, k_std: float = 2.0,
                 wide: tuple[float, float] = (5.0, 10.0), max_spread: float = 3.0,
                 min_acc: float = 15.0) -> dict[str, Any]:
    """The catalog's Fig. 2 criteria per dataset (keys ``{dataset}_…``, for every dataset of ``datasets`` and of the
    summary; a dataset not run has None values), on the seed means of ``fig2_summary``:

    (i)   wide_gain = acc(r*) − acc(1) for D_d = identity, r* the best finite r in [5, 10]; wide_threshold =
          max(min_gain, k_std · max(std(r*), std(1))); wide_margin = gain − threshold (≥ 0: wider helps);
          −inf when r = 1 is finite but every r in [5, 10] diverged. n_datasets_wide_helps counts the datasets.
          Reported for every D_d as well: ``{dataset}_{dd}_wide_gain`` / ``_wide_margin``.
    (ii)  r05_minus_r1 = acc(.5) − acc(1) (identity); r05_noise = k_std · max(std(.5), std(1)); r05_excess =
          difference − noise (≤ 0: r = .5 is not better than r = 1 beyond seed noise); −inf if r = .5 diverged.
    (iii) dd_spread_max = the largest (max − min over D_d) of the seed means at any r ≥ 1 where some D_d is finite;
          +inf when one D_d diverged where another did not (not robust to the choice).
    (iv)  r1_identity_acc (the Table 1 anchor; the paper's value lives in the claims registry).
    None marks what cannot be measured (r = 1 diverged, a ratio not in the grid, a dataset not run); the claims'
    precondition ``{dataset}_measurable`` says r = 1, identity is finite and at least ``min_acc`` (it learned)."""
    run = sorted({k[0] for k in summary})
    out: dict[str, Any] = {}
    helps = 0
    for ds in [*datasets, *[d for d in run if d not in datasets]]:
        dds = sorted({k[1] for k in summary if k[0] == ds})
        ratios = sorted({k[2] for k in summary if k[0] == ds})
        keys = ("r1_identity_acc", "wide_best_ratio", "wide_gain", "wide_threshold", "wide_margin", "best_ratio_identity",
                "r05_minus_r1", "r05_noise", "r05_excess", "dd_spread_max", "dd_spread_max_at_ratio")
        out.update({f"{ds}_{k}": None for k in keys})
        out.update({f"{ds}_measurable": False, f"{ds}_wide_helps": False, f"{ds}_n_diverged_points": 0,
                    f"{ds}_n_points": 0})
        if ds not in run:
            continue
        if 1.0 not in ratios:
            raise ValueError(f"fig2 metrics: dataset {ds!r} has no r = 1 point (self_assembly.fig2.ratios)")
        ident = {r: summary[(ds, "identity", r)] for r in ratios if (ds, "identity", r) in summary}
        if 1.0 not in ident:
            raise ValueError(f"fig2 metrics: dataset {ds!r} has no identity D_d point at r = 1 (self_assembly.fig2.dd)")
        m1, s1 = ident[1.0]["mean"], ident[1.0]["std"]
        out[f"{ds}_r1_identity_acc"] = _none_if_nan(m1)
        out[f"{ds}_measurable"] = bool(_finite(m1) and m1 >= min_acc)
        out[f"{ds}_n_diverged_points"] = sum(1 for k, v in summary.items() if k[0] == ds and v["n_diverged"])
        out[f"{ds}_n_points"] = sum(1 for k in summary if k[0] == ds)
        fin = [r for r in ident if _finite(ident[r]["mean"])]
        out[f"{ds}_best_ratio_identity"] = max(fin, key=lambda r: (ident[r]["mean"], -r)) if fin else None
        for dd in dds:              # (i) for every D_d too (reported; the catalog's criterion is D_d = identity)
            pts = {r: summary[(ds, dd, r)] for r in ratios if (ds, dd, r) in summary}
            if 1.0 in pts and _finite(pts[1.0]["mean"]):
                w = _wide_gain(pts, wide, min_gain, k_std)
                out[f"{ds}_{dd}_wide_gain"], out[f"{ds}_{dd}_wide_margin"] = w["gain"], w["margin"]
            else:
                out[f"{ds}_{dd}_wide_gain"] = out[f"{ds}_{dd}_wide_margin"] = None
        if not _finite(m1):
            continue
        # (i)
        w = _wide_gain(ident, wide, min_gain, k_std)
        out.update({f"{ds}_wide_{k}": v for k, v in w.items()})
        helps += int(w["helps"])
        # (ii)
        if 0.5 in ident:
            half = ident[0.5]
            if _finite(half["mean"]):
                diff, noise = half["mean"] - m1, k_std * max(half["std"], s1)
                out.update({f"{ds}_r05_minus_r1": diff, f"{ds}_r05_noise": noise, f"{ds}_r05_excess": diff - noise})
            else:                                       # r = .5 diverged, r = 1 did not: not better
                out[f"{ds}_r05_excess"] = -math.inf
        # (iii)
        spreads = {}
        for r in ratios:
            means = [summary[(ds, dd, r)]["mean"] for dd in dds if r >= 1.0 and (ds, dd, r) in summary]
            if any(_finite(m) for m in means):
                spreads[r] = max(means) - min(means) if all(_finite(m) for m in means) else math.inf
        if spreads and len(dds) > 1:
            worst = max(spreads, key=lambda r: (spreads[r], -r))
            out[f"{ds}_dd_spread_max"], out[f"{ds}_dd_spread_max_at_ratio"] = spreads[worst], worst
    out["n_datasets_run"] = len(run)
    out["n_datasets_wide_helps"] = helps
    out["n_diverged_points"] = sum(1 for v in summary.values() if v["n_diverged"])
    out["n_points"] = len(summary)
    return out


def fig5_metrics(records: Iterable[Mapping[str, Any]], *, n_classes: int, min_acc: float = 15.0) -> dict[str, Any]:
    """The catalog's two Fig. 5 criteria, selection on validation accuracy (seed means per combo):

    best_*: the combo with the highest validation accuracy among the finite ones (ties: the smaller η_V, then grid
    order), its test accuracy; best_uses_smallest_eta_v.
    mean_val_acc_by_eta_v: for every η_V in increasing order, the mean over the other two rates, a diverged combo
    counted at chance (100/K: a net with non-finite weights predicts nothing); mean_non_increasing_in_eta_v says
    whether that list never increases. Also the means over finite combos only, and the diverged count per η_V.
    either_criterion: the catalog's verdict (one of the two holds). ``measurable``: some combo reached ``min_acc``."""
    rows = list(records)
    if not rows:
        raise ValueError("fig5 metrics: no records (self_assembly.fig5.ratios is empty?)")
    chance = 100.0 / n_classes
    combos: dict[tuple[float, float, float], list[Mapping[str, Any]]] = {}
    for r in rows:
        combos.setdefault((float(r["eta_v"]), float(r["eta_wbar"]), float(r["eta_vbar"])), []).append(r)
    val = {k: _mean_std([float(r["val_acc"]) for r in v])[0] for k, v in combos.items()}
    test = {k: _mean_std([float(r["test_acc"]) for r in v])[0] for k, v in combos.items()}
    finite = {k: a for k, a in val.items() if _finite(a)}
    etas = sorted({k[0] for k in combos})
    out: dict[str, Any] = {"n_combos": len(combos), "n_diverged": sum(1 for a in val.values() if not _finite(a)),
                           "eta_v_values": etas, "chance_acc": chance}
    if finite:
        best = max(finite, key=lambda k: (finite[k], -k[0]))
        out.update({"best_eta_v": best[0], "best_eta_wbar": best[1], "best_eta_vbar": best[2],
                    "best_val_acc": finite[best], "best_test_acc": _none_if_nan(test[best]),
                    "best_uses_smallest_eta_v": bool(best[0] == etas[0]),
                    "measurable": bool(finite[best] >= min_acc)})
    else:
        out.update({"best_eta_v": None, "best_eta_wbar": None, "best_eta_vbar": None, "best_val_acc": None,
                    "best_test_acc": None, "best_uses_smallest_eta_v": False, "measurable": False})
    by_v, by_v_finite, div_v = [], [], []
    for v in etas:
        accs = [val[k] for k in combos if k[0] == v]
        by_v.append(sum(a if _finite(a) else chance for a in accs) / len(accs))
        fin = [a for a in accs if _finite(a)]
        by_v_finite.append(sum(fin) / len(fin) if fin else None)
        div_v.append(len(accs) - len(fin))
    out["mean_val_acc_by_eta_v"] = by_v
    out["mean_val_acc_by_eta_v_finite_only"] = by_v_finite
    out["n_diverged_by_eta_v"] = div_v
    out["mean_non_increasing_in_eta_v"] = bool(all(a >= b for a, b in zip(by_v, by_v[1:])))
    out["either_criterion"] = bool(out["best_uses_smallest_eta_v"] or out["mean_non_increasing_in_eta_v"])
    return out
