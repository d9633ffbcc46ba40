"""From the scale config (``oja.rnn``) to the RNN runs of Fig. 7 and their cached results.

    results/sims/oja/rnn/{method}.npz        validation curves of every configured seed (method bptt | bptt_oja)
    results/sims/oja/rnn/search.npz          the optional theta grid search (rule oja_rnn_search)
    results/sims/oja/rnn/search_selected.yaml   the values it selects (copy them into oja.rnn.theta by hand)
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..paths import rel_sim

METHODS = ("bptt", "bptt_oja")
LABELS = {"bptt": "BPTT", "bptt_oja": "BPTT+Oja"}


def run_result(method: str) -> str:
    """The cached curves of one method (``method`` may be the wildcard ``{method}``)."""
    return rel_sim("oja", f"rnn/{method}")


def search_result() -> str:
    return rel_sim("oja", "rnn/search")


def search_selected() -> str:
    return search_result()[: -len(".npz")] + "_selected.yaml"


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise KeyError(f"unknown RNN method {method!r}; known: {METHODS}")


def model_kwargs(rnn_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``rnn.train`` shared by the reporting runs and the search."""
    return {k: rnn_cfg[k] for k in ("hidden", "steps", "n_stim", "activation")}


def run_params(rnn_cfg: Mapping[str, Any], method: str) -> dict[str, Any]:
    """``params.cfg`` of rule oja_rnn_train: the resolved settings of one method's runs (every seed)."""
    _check_method(method)
    theta = rnn_cfg["theta"][method]
    if method == "bptt" and theta["theta_2"] != 0:
        raise ValueError(f"oja.rnn.theta.bptt.theta_2 must be 0 (plain BPTT), got {theta['theta_2']}")
    if method == "bptt_oja" and theta["theta_2"] <= 0:
        raise ValueError(f"oja.rnn.theta.bptt_oja.theta_2 must be > 0, got {theta['theta_2']}")
    n = len(rnn_cfg["seeds"])
    return {"method": method, "seeds": list(rnn_cfg["seeds"]), "theta_1": [theta["theta_1"]] * n,
            "theta_2": [theta["theta_2"]] * n, "n_train": rnn_cfg["n_train"], "n_val": rnn_cfg["n_val"],
            "eval_every": rnn_cfg["eval_every"], "dtype": rnn_cfg["dtype"], **model_kwargs(rnn_cfg)}


def search_grid(rnn_cfg: Mapping[str, Any]) -> list[tuple[float, float, int]]:
    """Every (theta_1, theta_2, seed) of the search (catalog A9): theta_1 x theta_2 x search seeds."""
    s = rnn_cfg["search"]
    overlap = set(s["seeds"]) & set(rnn_cfg["seeds"])
    if overlap:
        raise ValueError(f"oja.rnn.search.seeds must differ from the reporting seeds oja.rnn.seeds; both have "
                         f"{sorted(overlap)}")
    if 0 not in s["theta_2"]:
        raise ValueError("oja.rnn.search.theta_2 must contain 0 (the BPTT baseline's own theta_1 search)")
    return [(t1, t2, seed) for t1 in s["theta_1"] for t2 in s["theta_2"] for seed in s["seeds"]]


def search_params(rnn_cfg: Mapping[str, Any]) -> dict[str, Any]:
    """``params.cfg`` of rule oja_rnn_search."""
    grid = search_grid(rnn_cfg)
    s = rnn_cfg["search"]
    return {"seeds": [g[2] for g in grid], "theta_1": [g[0] for g in grid], "theta_2": [g[1] for g in grid],
            "n_train": rnn_cfg["n_train"], "n_val": rnn_cfg["n_val"], "eval_every": rnn_cfg["eval_every"],
            "dtype": rnn_cfg["dtype"], "last_checkpoints": s["last_checkpoints"],
            "grid": {"theta_1": list(s["theta_1"]), "theta_2": list(s["theta_2"]), "seeds": list(s["seeds"])},
            **model_kwargs(rnn_cfg)}


def select_thetas(theta_1: np.ndarray, theta_2: np.ndarray, val_acc: np.ndarray, last: int) -> dict[str, Any]:
    """Catalog A9 criterion: mean validation accuracy over the last ``last`` checkpoints, averaged over the search
    seeds; BPTT = the best theta_1 with theta_2 = 0, BPTT+Oja = the best (theta_1, theta_2 > 0). Ties: the first
    in grid order. Returns the selection and the score of every grid point."""
    theta_1, theta_2 = np.asarray(theta_1, float), np.asarray(theta_2, float)
    score_run = np.asarray(val_acc, float)[:, -last:].mean(axis=1)
    score_run = np.where(np.isfinite(score_run), score_run, -np.inf)
    points: dict[tuple[float, float], list[float]] = {}
    for t1, t2, sc in zip(theta_1, theta_2, score_run):
        points.setdefault((float(t1), float(t2)), []).append(float(sc))
    table = [{"theta_1": k[0], "theta_2": k[1], "score": float(np.mean(v))} for k, v in points.items()]
    bptt = max((r for r in table if r["theta_2"] == 0), key=lambda r: r["score"])
    oja = max((r for r in table if r["theta_2"] > 0), key=lambda r: r["score"])
    return {"bptt": {"theta_1": bptt["theta_1"], "theta_2": 0.0, "score": bptt["score"]},
            "bptt_oja": {"theta_1": oja["theta_1"], "theta_2": oja["theta_2"], "score": oja["score"]},
            "table": table}


def steps_to_reach(steps: np.ndarray, curve: np.ndarray, target: float) -> float:
    """The first checkpoint (training sequences) at which ``curve`` >= ``target``; inf if never."""
    hit = np.nonzero(np.asarray(curve) >= target)[0]
    return float(np.asarray(steps)[hit[0]]) if hit.size else float("inf")
