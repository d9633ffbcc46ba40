"""Metrics of the robustness artifacts (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b) from cached attack results.

Every accuracy is in percent. Robust accuracies are fractions of the attacked images (clean errors count as not
robust), beside the clean accuracy on the same images in the dtype the attack ran in."""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import torch

NET_LABELS = {"T3": "plasticity T = 3", "T1": "plasticity T = 1", "T1star": "plasticity T = 1* (A = 1)",
              "GD": "GD (output layer, T = 1)"}


def eps_tag(eps: float) -> str:
    """Metric-key form of a radius: 0.5 -> '0p5', 2.0 -> '2'."""
    return f"{float(eps):g}".replace(".", "p")


def load(path: Any) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=False)


def curve(result: Mapping[str, Any]) -> dict[str, Any]:
    """Clean accuracy and robust accuracy per radius (percent) of the main attack."""
    m = result["main"]
    return {"clean": 100 * m["clean_accuracy"], "epsilons": list(m["epsilons"]),
            "robust": [100 * a for a in m["robust_accuracy"]]}


def robust_at(result: Mapping[str, Any], eps: float) -> float:
    m = result["main"]
    eps_list = [float(e) for e in m["epsilons"]]
    if float(eps) not in eps_list:
        raise KeyError(f"radius {eps} is not in the attack's grid {eps_list}")
    return 100 * m["robust_accuracy"][eps_list.index(float(eps))]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    return float(t.mean()), float(t.std()) if len(t) > 1 else 0.0


def median_min_eps(result: Mapping[str, Any]) -> float:
    """Median over the attacked images of the smallest fooling radius on the grid (catalog pr_fig5a censoring:
    a clean error counts as 0, an image never fooled within the grid as +inf)."""
    v = sorted(float(e) for e in result["main"]["min_eps"])
    return v[(len(v) - 1) // 2]  # the lower median


def ratio(a: float, b: float) -> float:
    """a / b with the censored values: inf / finite = inf; x / 0 = inf (x > 0); 0 / 0 = nan."""
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


def as_metric(x: float) -> Any:
    """JSON-safe number: inf / nan as the strings the claims evaluator reads."""
    if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
        return "inf" if x == math.inf else ("-inf" if x == -math.inf else "nan")
    return x


def diag_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per radius of the diagnostics: clean accuracy and robust accuracy (percent) on the diagnostic images under
    the raw-gradient attack (restricted to those images), foolbox targeted L2 PGD and foolbox L2 CW."""
    d = result["diag"]
    n = d["n_images"]
    main = result["main"]
    main_eps = [float(e) for e in main["epsilons"]]
    rows = []
    for k, e in enumerate(d["epsilons"]):
        a7 = 100 * main["robust"][main_eps.index(float(e)), :n].float().mean().item() if float(e) in main_eps \
            else math.nan
        rows.append({"eps": float(e), "n_images": n, "clean": 100 * d["clean_accuracy"], "raw_gradient": a7,
                     "foolbox_pgd": 100 * d["pgd"]["robust_accuracy"][k],
                     "foolbox_cw": 100 * d["cw"]["robust_accuracy"][k]})
    return rows
