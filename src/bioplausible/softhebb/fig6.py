"""Fig. 6 (sh_fig6a/b): SoftHebb with K = 100 against K-means and PCA features, each with a linear read-out.

Paper: Moraitis et al., "SoftHebb" (Neuromorph. Comput. Eng. 2022), Sec. 3.5, Fig. 6; catalog
``shared/papers/softhebb.catalog.md`` A.12 (baselines), A.8-2 (read-out), A.13 (robustness). "We used 100
neurons, principal components, or centroids respectively"; clean MNIST accuracies: SoftHebb 91.06 %, K-means
+ ReLU 90.61 %, PCA + ReLU 82.74 %, and with a softmax "as in SoftHebb" K-means 53.64 %, PCA 28.55 %.

Models (config ``softhebb.baselines``; K = ``baselines.K``, all on MNIST, first configured seed):

- SH100: the default SoftHebb variant (``softhebb.wta.default_variant``) with ``experiment.wta_config`` --
  Table 1's 100-epoch column at the scale's epochs -- and only K replaced (rule ``sh_train_wta_k``, the
  shared training script). Features = its softmax posteriors y.
- KM100 / PCA100: ``baselines.kmeans`` (Lloyd, ``kmeans_max_iter`` iterations at most) and ``baselines.pca``
  fitted once on the L2-normalised training images (rule ``sh_fit_projection``), then h = act(W x*) with
  act = ReLU (main result) or softmax(ln b W x*) with b = ``softmax_base`` (control), rule
  ``sh_train_projection``.
- Every model gets the shared linear read-out ``softhebb.readout`` (Adam, cross-entropy) with
  ``baselines.readout_epochs`` epochs.

File names (``results/models/softhebb/{dataset}/<name>.pt``): ``wta_{variant}_k{K}_s{seed}``,
``{method}{K}_s{seed}`` (the fitted W of method ``kmeans`` or ``pca``), ``{method}{K}_{activation}_s{seed}``
(features + read-out). Robustness results (rule ``sh_robustness``) are keyed by the same names.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import torch

from ..paths import rel_model
from . import experiment as ex
from .baselines import kmeans, l2_normalise, pca
from .robustness import curve

DATASET = "mnist"  # Fig. 6 reports MNIST only (catalog, inferred)
METHODS = ("kmeans", "pca")
ACTIVATIONS = ("relu", "softmax")
# the five models of Sec. 3.5's table: key -> (features, activation, the paper's clean accuracy in %)
PAPER_CLEAN = {
    "sh100": ("SoftHebb", "softmax", 91.06),
    "kmeans_softmax": ("K-means", "softmax", 53.64),
    "pca_softmax": ("PCA", "softmax", 28.55),
    "kmeans_relu": ("K-means", "ReLU", 90.61),
    "pca_relu": ("PCA", "ReLU", 82.74),
}
ATTACKED = ("sh100", "kmeans_relu", "pca_relu")  # the curves of Fig. 6 (ReLU baselines)
COLORS = {"sh100": "#9467bd", "kmeans_relu": "#ff7f0e", "pca_relu": "#2ca02c"}


# --- names and paths (arguments may be Snakemake wildcard placeholders such as "{K}") -------------------
def sh_name(variant: str, K: int | str, seed: int | str) -> str:
    return f"wta_{variant}_k{K}_s{seed}"


def projection_name(method: str, K: int | str, activation: str, seed: int | str) -> str:
    return f"{method}{K}_{activation}_s{seed}"


def sh_model(dataset: str, variant: str, K: int | str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/{sh_name(variant, K, seed)}")


def projection_fit(dataset: str, method: str, K: int | str, seed: int | str) -> str:
    """The fitted weights W (centroids or principal axes), shared by the ReLU and softmax models."""
    return rel_model("softhebb", f"{dataset}/{method}{K}_s{seed}")


def projection_model(dataset: str, method: str, K: int | str, activation: str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/{projection_name(method, K, activation, seed)}")


def model_names(sh: Mapping[str, Any]) -> dict[str, str]:
    """key of ``PAPER_CLEAN`` -> model name at this scale (first configured seed)."""
    K, seed = sh["baselines"]["K"], sh["seeds"][0]
    out = {"sh100": sh_name(sh["wta"]["default_variant"], K, seed)}
    for m in METHODS:
        for a in ACTIVATIONS:
            out[f"{m}_{a}"] = projection_name(m, K, a, seed)
    return out


def artifact_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Inputs of sh_fig6a/b: the five trained models and the robustness results of the three attacked ones."""
    names = model_names(config["softhebb"])
    out = {f"{key}__model": rel_model("softhebb", f"{DATASET}/{name}") for key, name in names.items()}
    out.update({f"{key}__robustness": ex.robustness_result(DATASET, names[key]) for key in ATTACKED})
    return out


# --- rule params ----------------------------------------------------------------------------------------
def readout(sh: Mapping[str, Any]) -> dict[str, Any]:
    """The shared read-out (``softhebb.readout``) with Fig. 6's number of epochs (``baselines.readout_epochs``)."""
    return {**dict(sh["readout"]), "epochs": sh["baselines"]["readout_epochs"]}


def sh_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_train_wta_k (read by workflow/scripts/softhebb_train.py, kind 'wta')."""
    run = ex.wta_config(sh, wildcards.dataset, wildcards.variant, int(wildcards.seed), K=int(wildcards.K))
    return {"wta_config": run.to_dict(), "readout": readout(sh), "n_train": sh["n_train"], "n_test": sh["n_test"]}


def fit_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_fit_projection."""
    b = sh["baselines"]
    p = {"method": wildcards.method, "K": int(wildcards.K), "seed": int(wildcards.seed), "n_train": sh["n_train"]}
    p.update({"max_iter": b["kmeans_max_iter"]} if wildcards.method == "kmeans" else {"sign": b["pca_sign"]})
    return p


def projection_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_train_projection (softhebb_train.py, kind 'projection')."""
    base = float(sh["baselines"]["softmax_base"]) if wildcards.activation == "softmax" else None
    return {"activation": wildcards.activation, "base": base, "readout": readout(sh), "n_train": sh["n_train"],
            "n_test": sh["n_test"]}


# --- fitting ---------------------------------------------------------------------------------------------
@torch.no_grad()
def fit_projection(images: torch.Tensor, method: str, K: int, *, seed: int, max_iter: int | None = None,
                   sign: str | None = None, device: str | torch.device = "cpu") -> tuple[torch.Tensor, dict[str, Any]]:
    """W (K, D) of K-means centroids or principal axes of x* = x / ||x||_2 (images uint8 or [0, 1] floats).

    Returns W (float32, CPU) and fit info: K-means ``iterations``, ``converged``, ``changed_last``,
    ``inertia`` (sum of squared distances to the nearest centroid); PCA ``explained_variance_ratio`` of the
    K axes (of the centred x*, as sklearn's).
    """
    x = images.to(device)
    x = l2_normalise(x.float().div(255) if x.dtype == torch.uint8 else x.float())  # (N, D)
    if method == "kmeans":
        if max_iter is None:
            raise ValueError("kmeans needs max_iter (config softhebb.baselines.kmeans_max_iter)")
        history: list[dict[str, int]] = []
        W = kmeans(x, K, iters=max_iter, seed=seed, history=history)
        nearest = (torch.cdist(x, W) ** 2).amin(1)  # (N,)
        info = {"iterations": len(history), "converged": bool(history) and history[-1]["changed"] == 0,
                "changed_last": history[-1]["changed"] if history else None, "history": history,
                "inertia": float(nearest.double().sum())}
    elif method == "pca":
        if sign is None:
            raise ValueError("pca needs sign (config softhebb.baselines.pca_sign)")
        W = pca(x, K, sign=sign)
        xc = x.double() - x.double().mean(0)
        total = float((xc * xc).sum())
        info = {"explained_variance_ratio": float(((xc @ W.double().T) ** 2).sum()) / total}
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return W.float().cpu(), info


# --- metrics of the notebooks ----------------------------------------------------------------------------
def clean_accuracy(payload: Mapping[str, Any]) -> float:
    """Full-test-set clean accuracy (%) of a trained model payload (SoftHebb 2-layer or projection + read-out)."""
    m = payload["metrics"]
    if payload["kind"] == "wta":
        return 100 * m["two_layer_acc"]
    if payload["kind"] == "projection":
        return 100 * m["test_acc"]
    raise ValueError(f"not a Fig. 6 model kind: {payload['kind']!r}")


def clean_metrics(payloads: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Clean accuracies of the five models (keys of ``PAPER_CLEAN``) and the differences the claims check."""
    out: dict[str, Any] = {f"{k}_clean_acc": clean_accuracy(payloads[k]) for k in PAPER_CLEAN}
    sh = payloads["sh100"]
    K = sh["wta_config"]["K"]
    out.update({"K": K, "sh100_one_layer_acc": 100 * sh["metrics"]["one_layer_acc"],
                "sh100_distinct_winners": sh["metrics"]["distinct_winners_train"],
                "sh100_winning_fraction": sh["metrics"]["distinct_winners_train"] / K})
    for k in ("kmeans_softmax", "pca_softmax"):
        out[f"sh100_minus_{k}_clean_acc"] = out["sh100_clean_acc"] - out[f"{k}_clean_acc"]
    out["kmeans_relu_minus_pca_relu_clean_acc"] = out["kmeans_relu_clean_acc"] - out["pca_relu_clean_acc"]
    return out


def clean_table(payloads: Mapping[str, Mapping[str, Any]]):
    """Sec. 3.5's table: features, activation, measured and paper clean accuracy (%)."""
    import pandas as pd

    rows = [{"features": f, "activation": a, "K": payloads[k]["n_features"] if k != "sh100"
             else payloads[k]["wta_config"]["K"], "clean_acc": round(clean_accuracy(payloads[k]), 2),
             "paper_clean_acc": paper} for k, (f, a, paper) in PAPER_CLEAN.items()]
    return pd.DataFrame(rows)


def robustness_metrics(results: Mapping[str, Mapping[str, Any]], kind: str) -> dict[str, Any]:
    """Curves of SH100, KM100-ReLU, PCA100-ReLU (``ATTACKED``) and SH100's smallest lead over each baseline.

    noise: ``min_gap_vs_{kmeans,pca}_sigma_ge_0p2`` = min over sigma >= 0.2 of SH100 - baseline (points);
    pgd: ``min_gap_vs_{kmeans,pca}_eps_ge_8`` over eps >= 8/255, and each model's zero-gradient fraction.
    """
    curves = {k: curve(results[k], kind) for k in ATTACKED}
    x = curves["sh100"][0]
    for k, (xk, _) in curves.items():
        if not np.array_equal(x, xk):
            raise ValueError(f"{k} was attacked on another {kind} grid than sh100: {xk} vs {x}")
    out: dict[str, Any] = {"n_test_attacked": results["sh100"]["n_test"]}
    tag = "sigma" if kind == "noise" else "eps"
    for k, (_, acc) in curves.items():
        out[f"{k}_attacked_clean_acc"] = 100 * results[k]["clean_accuracy"]
        for xi, a in zip(x, acc):
            label = f"{xi:g}".replace(".", "p") if kind == "noise" else f"{xi:g}"
            out[f"{tag}{label}_{k}"] = float(a)
    lo, suffix = (0.2, "sigma_ge_0p2") if kind == "noise" else (8, "eps_ge_8")
    for base in ("kmeans", "pca"):
        gap = curves["sh100"][1] - curves[f"{base}_relu"][1]
        out[f"min_gap_vs_{base}_{suffix}"] = float(gap[x >= lo - 1e-9].min())
    if kind == "pgd":
        for k in ATTACKED:
            out[f"{k}_zero_gradient_fraction"] = results[k]["zero_gradient_images"] / results[k]["n_test"]
    return out


def plot_curves(ax, results: Mapping[str, Mapping[str, Any]], kind: str, K: int) -> None:
    """One line per attacked model (Fig. 6)."""
    labels = {"sh100": f"SoftHebb (K={K})", "kmeans_relu": f"K-means {K} + ReLU", "pca_relu": f"PCA {K} + ReLU"}
    for k in ATTACKED:
        x, a = curve(results[k], kind)
        ax.plot(x, a, marker="." if kind == "pgd" else None, color=COLORS[k], label=labels[k])
    ax.set_xlabel(r"noise $\sigma$" if kind == "noise" else r"$\epsilon$ (x 1/255)")
    ax.set_ylabel("test accuracy (%)" if kind == "noise" else "accuracy under PGD (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=6)
