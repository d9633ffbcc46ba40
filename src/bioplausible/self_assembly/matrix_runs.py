"""The runs behind Fig. 3 (learned matrices) and Fig. 4 (plasticity ablation) of Liao et al. 2024 (catalog sa_fig3a/b/c,
sa_fig4, A9), and the deep linear network that Fig. 4 calls "Linear".

    results/models/self_assembly/fig3/matrices.pt   one SAL run (8 hidden × 60, keep_weights) + per-epoch diagnostics
    results/models/self_assembly/fig4/ablation.pt   the 8 plastic subsets of {V, W̄, V̄} (W always), Linear, SGD

Every SAL and SGD run goes through ``experiment.train_run`` with ``run_params`` overrides, so the figures share the data,
initialisation, batches and evaluation of Table 1. The deep linear network uses the same ``train`` loop, the same seeds
and the same W(0) draw (the generator order of ``Circuit``/``FeedbackMLP``) scaled to N(0, 1/d_in) (variance-preserving
without a ReLU), SGD's rate and decay.
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import torch

from .. import paths
from .circuit import output_error
from .data import load_arrays
from .experiment import run_params, train_run
from .matrices import site_stats
from .training import train

__all__ = ["FIG3_MODEL", "FIG4_MODEL", "SUBSETS", "CURVE_LABELS", "DeepLinearSGD", "fig3_params", "fig4_params",
           "run_fig3", "run_fig4", "linear_run", "fig3_metrics", "fig4_metrics"]

FIG3_MODEL = paths.rel_model("self_assembly", "fig3/matrices")
FIG4_MODEL = paths.rel_model("self_assembly", "fig4/ablation")

# Fig. 4 (A9): which of V, W̄, V̄ are plastic (W always is); key = metric-safe label
SUBSETS: dict[str, list[str]] = {
    "W": [],
    "W_V": ["V"],
    "W_Wbar": ["Wbar"],
    "W_Vbar": ["Vbar"],
    "W_V_Wbar": ["V", "Wbar"],
    "W_V_Vbar": ["V", "Vbar"],
    "W_Wbar_Vbar": ["Wbar", "Vbar"],
    "W_V_Wbar_Vbar": ["V", "Wbar", "Vbar"],
}
CURVE_LABELS: dict[str, str] = {
    "W": "W", "W_V": "W, V", "W_Wbar": "W, W̄", "W_Vbar": "W, V̄", "W_V_Wbar": "W, V, W̄", "W_V_Vbar": "W, V, V̄",
    "W_Wbar_Vbar": "W, W̄, V̄", "W_V_Wbar_Vbar": "W, V, W̄, V̄ (all)", "linear": "Linear (SGD)", "sgd": "SGD (backprop)",
}


class DeepLinearSGD:
    """Fig. 4's "Linear": the same bias-free layers with identity activations, trained by back-propagation/SGD:
    δ_{L-1} = ε, δ_j = W_jᵀ δ_{j+1} (no gate), W_i += η ( ⟨δ_{i+1} h_iᵀ⟩ − γ W_i )."""

    def __init__(self, widths, generator: torch.Generator, *, lr: float, gamma: float, loss: str = "ce",
                 dtype=torch.float32, device="cpu") -> None:
        d = list(widths)
        if len(d) < 2:
            raise ValueError(f"DeepLinearSGD: widths {d}: need at least input and output")
        self.lr, self.gamma, self.loss = float(lr), float(gamma), loss
        # the circuit's Kaiming draw (same generator order) scaled by 1/√2, i.e. N(0, 1/d_in): without the ReLU that
        # halves the variance, Kaiming's gain would multiply the logits' variance by 2 per layer
        self.W = [(torch.randn(d[i + 1], d[i], generator=generator, dtype=torch.float64) * math.sqrt(1.0 / d[i]))
                  .to(dtype).to(device) for i in range(len(d) - 1)]

    def matrices(self) -> dict[str, list[torch.Tensor]]:
        return {"W": self.W}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        hs = [x]
        for w in self.W:
            hs.append(hs[-1] @ w.t())
        return hs

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)[-1]

    @torch.no_grad()
    def step(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        hs = self.forward(x)
        L = len(hs)
        delta: list = [None] * L
        delta[L - 1] = output_error(hs[-1], targets, self.loss)
        for j in range(L - 2, 0, -1):
            delta[j] = delta[j + 1] @ self.W[j]                                   # (batch, d_j)
        n = x.shape[0]
        grads = [delta[i + 1].t() @ hs[i] / n for i in range(L - 1)]
        for w, g in zip(self.W, grads):
            w.add_(g - self.gamma * w, alpha=self.lr)
        return hs[-1]


def linear_run(p: Mapping[str, Any], data, seed: int, *, device="cpu", label: str = "") -> dict[str, Any]:
    """One seed of the deep linear net with SGD's rate and decay (``p["algorithms"]["sgd"]``), seeds as ``train_run``."""
    widths = (data.n_inputs, *p["hidden"], data.n_classes)
    b = p["algorithms"]["sgd"]
    algo = DeepLinearSGD(widths, torch.Generator().manual_seed(seed), lr=b["lr"], gamma=b["gamma"], loss=p["loss"],
                         device=device)
    t0 = time.time()
    out = train(algo, (data.x_train, data.y_train), (data.x_test, data.y_test), epochs=int(p["epochs"]),
                batch_size=int(p["batch_size"]), generator=torch.Generator().manual_seed(seed + 10_000),
                multilabel=data.multilabel, label=label)
    finished = [r for r in out["log"] if not r.get("diverged")]
    metrics = {"diverged": out["diverged"], "epochs_done": len(finished), "train_seconds": time.time() - t0,
               "data_verified": data.verified, "n_train": len(data.y_train), "n_test": len(data.y_test),
               "final_test_acc": finished[-1]["test_acc"] if finished and not out["diverged"] else float("nan"),
               "best_test_acc": max((r["test_acc"] for r in finished), default=float("nan"))}
    return {"seed": seed, "widths": list(widths), "log": out["log"], "metrics": metrics}


def _sal_override(f: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``sal_rates`` of a figure's config: null = Table 1's rates for the dataset; [η_W, η_V, η_W̄, η_V̄] replaces them
    (a list, so that every scale config has the same key set)."""
    rates = f.get("sal_rates")
    if rates is None:
        return {}
    if len(rates) != 4:
        raise ValueError(f"self_assembly.{key}.sal_rates: expected 4 rates [W, V, Wbar, Vbar], got {rates}")
    return {"rates": {k: float(v) for k, v in zip(("W", "V", "Wbar", "Vbar"), rates)}}


# --- Fig. 3 --------------------------------------------------------------------------------------------------------
def fig3_params(sa: Mapping[str, Any]) -> dict[str, Any]:
    """The Fig. 3 run from config ``self_assembly.fig3``: SAL, ``hidden`` (upstream = downstream widths), ``epochs``,
    one ``seed``, weights kept; the dataset's rates and the shared protocol from ``self_assembly.train``."""
    f = sa["fig3"]
    p = run_params(sa, f["dataset"], "sal", {"hidden": list(f["hidden"]), "epochs": int(f["epochs"]),
                                            "seeds": [int(f["seed"])], "keep_weights": True,
                                            "algorithms": {"sal": {"down_widths": None, **_sal_override(f, "fig3")}}})
    p["layer"] = int(f["layer"])
    if not 0 <= p["layer"] < len(p["hidden"]):
        raise ValueError(f"self_assembly.fig3.layer {p['layer']}: must index a hidden site (0 … {len(p['hidden']) - 1})")
    return p


def run_fig3(p: Mapping[str, Any], data_cfg: Mapping[str, Any], *, device="cpu") -> dict[str, Any]:
    """Train the Fig. 3 run; add ``per_epoch`` = site statistics (ρ(H), ρ(WWᵀ), erank W/W̄, cos(V, V̄ᵀ)) at epoch 0 and
    after every finished epoch, and ``weights_after`` / ``after_epoch``: the matrices at the end, or, if the run
    diverged, at its last finite epoch (``train`` stops a run whose weights stop being finite)."""
    data = load_arrays(p["dataset"], data_cfg, n_train=p["n_train"], n_test=p["n_test"], device=device)
    per_epoch: list[dict[str, Any]] = []
    last: dict[str, Any] = {}

    def hook(epoch: int, algo) -> None:
        mats = algo.matrices()
        per_epoch.append({"epoch": epoch, **site_stats(mats)})
        last.update(epoch=epoch, weights={k: [m.detach().cpu().clone() for m in v] for k, v in mats.items()})

    seed = int(p["seeds"][0])
    run = train_run(p, data, seed, device=device, label=f"fig3 {p['dataset']}", on_epoch=hook)
    run["per_epoch"] = [{"epoch": 0, **site_stats(run["weights_start"])}] + per_epoch
    run["after_epoch"] = last.get("epoch", 0)
    run["weights_after"] = last.get("weights", run["weights_start"])
    return {"params": dict(p), "runs": [run]}


# --- Fig. 4 --------------------------------------------------------------------------------------------------------
def fig4_params(sa: Mapping[str, Any]) -> dict[str, Any]:
    """Every Fig. 4 curve's run parameters from ``self_assembly.fig4`` (dataset, epochs, seeds) over the shared protocol:
    the 8 SAL subsets, the deep linear net (SGD's rate) and the SGD reference."""
    f = sa["fig4"]
    common = {"epochs": int(f["epochs"]), "seeds": [int(s) for s in f["seeds"]]}
    runs = {k: run_params(sa, f["dataset"], "sal", {**common, "algorithms": {"sal": {"plastic": list(v), **_sal_override(f, "fig4")}}})
            for k, v in SUBSETS.items()}
    runs["linear"] = run_params(sa, f["dataset"], "sgd", {**common, "architecture": "deep_linear"})
    runs["sgd"] = run_params(sa, f["dataset"], "sgd", common)
    return {"dataset": f["dataset"], **common, "runs": runs}


def run_fig4(cfg: Mapping[str, Any], data_cfg: Mapping[str, Any], *, device="cpu") -> dict[str, Any]:
    """All curves on data loaded once: {"params", "curves": {key: {"params", "runs": [payload per seed]}}}."""
    first = next(iter(cfg["runs"].values()))
    data = load_arrays(cfg["dataset"], data_cfg, n_train=first["n_train"], n_test=first["n_test"], device=device)
    curves = {}
    for key, p in cfg["runs"].items():
        runner = linear_run if p.get("architecture") == "deep_linear" else train_run
        runs = [runner(p, data, int(s), device=device, label=f"fig4 {key} seed {s}") for s in p["seeds"]]
        curves[key] = {"params": dict(p), "runs": runs}
    return {"params": dict(cfg), "curves": curves}


# --- metrics the notebooks report ----------------------------------------------------------------------------------
def _frac(values) -> float:
    values = list(values)
    return sum(1 for v in values if v) / len(values)


def fig3_metrics(run: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Before (init) vs after (end, or the last finite epoch) at the shown site ``params["layer"]`` and over all hidden
    sites: ρ(H), ρ(WWᵀ) (ratios after/before; fraction of sites with ratio ≥ 2), erank(W), erank(W̄) (ratios; fraction
    ≤ 0.8), cos(V, V̄ᵀ) (shown site, median, fraction of sites where it rose), and Lemma 1's decay factor (1 − η_V γ)^t
    for the steps done (exact only when η_V = η_V̄)."""
    k = int(params["layer"])
    before, after = site_stats(run["weights_start"]), site_stats(run["weights_after"])
    m: dict[str, Any] = {"layer": k, "diverged": bool(run["metrics"]["diverged"]),
                         "epochs_done": int(run["metrics"]["epochs_done"]), "after_epoch": int(run["after_epoch"]),
                         "best_test_acc": run["metrics"].get("best_test_acc"),
                         "final_test_acc": run["metrics"].get("final_test_acc")}
    for key in ("rho_H", "rho_WWt", "erank_W", "erank_Wbar"):
        ratios = [a / b for a, b in zip(after[key], before[key])]
        m.update({f"{key}_before": before[key][k], f"{key}_after": after[key][k], f"{key}_ratio": ratios[k],
                  f"{key}_ratios": ratios})
        if key.startswith("rho"):
            m[f"{key}_frac_sites_ratio_ge2"] = _frac(r >= 2 for r in ratios)
        else:
            m[f"{key}_frac_sites_ratio_le08"] = _frac(r <= 0.8 for r in ratios)
    cb, ca = before["cos_V_Vbar"], after["cos_V_Vbar"]
    m.update({"cos_V_Vbar_before": cb[k], "cos_V_Vbar_after": ca[k], "cos_V_Vbar_sites_before": cb,
              "cos_V_Vbar_sites_after": ca, "cos_V_Vbar_max_abs_before": max(abs(c) for c in cb),
              "cos_V_Vbar_median_after": float(torch.tensor(ca).median()),
              "cos_V_Vbar_frac_sites_rise": _frac(a > b for a, b in zip(ca, cb))})
    sal = params["algorithms"]["sal"]
    n_train = int(run["metrics"]["n_train"])
    steps = m["after_epoch"] * math.ceil(n_train / int(params["batch_size"]))
    eta_v, gamma = float(sal["rates"]["V"]), float(sal["gamma"])
    plastic_vv = "V" in sal["plastic"] and "Vbar" in sal["plastic"]
    m.update({"steps": steps, "eta_V": eta_v, "eta_Vbar": float(sal["rates"]["Vbar"]), "gamma": gamma,
              "lemma1_decay_factor": (1 - eta_v * gamma) ** steps if plastic_vv else 1.0})
    return m


def fig4_metrics(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Final-epoch test accuracy per curve (mean over seeds; NaN if a seed diverged), the number of diverged seeds, and
    the differences behind the catalog's orderings (i)-(iii)."""
    m: dict[str, Any] = {}
    n_div = 0
    for key, c in payload["curves"].items():
        finals = [float(r["metrics"]["final_test_acc"]) for r in c["runs"]]
        n_div += sum(bool(r["metrics"]["diverged"]) for r in c["runs"])
        m[f"final_acc_{key}"] = sum(finals) / len(finals)
        m[f"best_acc_{key}"] = sum(float(r["metrics"]["best_test_acc"]) for r in c["runs"]) / len(c["runs"])
    m["n_diverged"] = n_div
    a = {k[len("final_acc_"):]: v for k, v in m.items() if k.startswith("final_acc_")}
    m.update({"wonly_linear_abs_diff": abs(a["W"] - a["linear"]),
              "vbar_minus_wonly": a["W_Vbar"] - a["W"],
              "vbar_minus_best_other_single": a["W_Vbar"] - max(a["W_V"], a["W_Wbar"]),
              "all_minus_vbar": a["W_V_Wbar_Vbar"] - a["W_Vbar"],
              "all_sgd_abs_diff": abs(a["W_V_Wbar_Vbar"] - a["sgd"])})
    return m
