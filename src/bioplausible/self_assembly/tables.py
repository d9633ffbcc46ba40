"""Table 1 (benchmark accuracy) and Table 2 (connectivity/plasticity) of Liao et al. 2024.

Table 1: the paper's values are transcribed once (``PAPER_TAB1``, the catalog's transcription of the source file);
``cell_stats`` / ``render_tab1`` / ``tab1_metrics`` turn the cached ``sa_train`` payloads (``{"params", "runs":
[per-seed payloads]}``) into mean ± std over seeds (ddof = 0, Ambiguity 18), the rendered table (bold = best,
italics = runner-up of the measured means, the paper's value beside) and the flat metrics of the claims (catalog R1,
R2, R3). ChestMNIST (Ambiguity 20): the paper's "Acc." 73.26 is compared with AUC × 100; ACC (mean per-label accuracy)
and exact match are reported too. A seed that diverged has no final accuracy: its cell's mean is NaN (a failure,
never dropped silently).

Table 2: ``TAB2`` says, per method, how each of the four synapse types is realised (Sec. 4). The same description
renders the paper's table and builds the special-case circuits (``circuit_config`` / ``build_circuit``): SAL with
V = V̄ = I frozen and D_d = eq. 4 is KP (W̄ plastic), FA (W̄ fixed random) or SGD (W̄ = Wᵀ, which stays Wᵀ).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd
import torch

from .circuit import Circuit, CircuitConfig
from .data import DATASETS, MULTILABEL
from .training import ALGORITHMS

__all__ = ["PAPER_TAB1", "DATASET_LABELS", "ALGORITHM_LABELS", "BIO", "cell_stats", "cell_table", "render_tab1",
           "tab1_metrics", "load_payloads", "datasets_of", "run_summary", "Method", "TAB2", "CONNECTIONS", "tab2_cells", "render_tab2", "circuit_config",
           "build_circuit", "PAPER_TAB2"]

# --- Table 1 -----------------------------------------------------------------------------------------------------

DATASET_LABELS = {"cifar10": "CIFAR10", "mnist": "MNIST", "fashion_mnist": "Fashion MNIST",
                  "chestmnist": "ChestMNIST", "pathmnist": "PathMNIST", "svhn": "SVHN", "stl10": "STL10"}
ALGORITHM_LABELS = {"sgd": "SGD", "fa": "FA", "wm": "WM", "kp": "KP Algorithm", "sal": "SAL (ours)"}
ROW_ORDER = ("sgd", "fa", "wm", "kp", "sal")          # the paper's row order
BIO = ("fa", "wm", "kp")                              # the existing bio-plausible baselines of R2

# Table 1 as printed (mean, std over five runs); columns in the paper's order (= DATASETS). Source file lines 171-175.
PAPER_TAB1: dict[str, dict[str, tuple[float, float]]] = {
    "sgd": {"cifar10": (50.36, 0.16), "mnist": (98.44, 0.09), "fashion_mnist": (96.80, 0.05),
            "chestmnist": (73.26, 0.14), "pathmnist": (70.11, 0.10), "svhn": (78.20, 0.13), "stl10": (41.00, 0.07)},
    "fa": {"cifar10": (47.85, 0.20), "mnist": (97.80, 0.19), "fashion_mnist": (95.75, 0.20),
           "chestmnist": (70.44, 0.27), "pathmnist": (69.90, 0.10), "svhn": (78.03, 0.15), "stl10": (39.29, 0.23)},
    "wm": {"cifar10": (49.35, 0.13), "mnist": (98.40, 0.23), "fashion_mnist": (96.00, 0.25),
           "chestmnist": (70.14, 0.08), "pathmnist": (70.00, 0.15), "svhn": (78.08, 0.15), "stl10": (39.48, 0.19)},
    "kp": {"cifar10": (48.16, 0.09), "mnist": (98.45, 0.09), "fashion_mnist": (96.13, 0.07),
           "chestmnist": (71.03, 0.10), "pathmnist": (69.51, 0.05), "svhn": (78.20, 0.05), "stl10": (40.32, 0.11)},
    "sal": {"cifar10": (51.91, 0.21), "mnist": (98.85, 0.10), "fashion_mnist": (97.23, 0.08),
            "chestmnist": (73.21, 0.11), "pathmnist": (70.23, 0.15), "svhn": (78.50, 0.07), "stl10": (41.50, 0.10)},
}


def _key(dataset: str, algorithm: str) -> str:
    return f"{dataset}__{algorithm}"


def _runs(payload: Mapping[str, Any], where: str) -> list[Mapping[str, Any]]:
    if "runs" not in payload:
        raise KeyError(f"sa_tab1 cell {where}: payload has no 'runs' (keys {sorted(payload)})")
    runs = payload["runs"]
    if not runs:
        raise ValueError(f"sa_tab1 cell {where}: 'runs' is empty")
    return runs


def _final(run: Mapping[str, Any], metric: str, where: str) -> float:
    m = run.get("metrics")
    if m is None:
        raise KeyError(f"sa_tab1 cell {where}: a run has no 'metrics'")
    if m.get("diverged"):
        return float("nan")
    key = f"final_test_{metric}"
    if key not in m:
        raise KeyError(f"sa_tab1 cell {where}: metric {key!r} missing (has {sorted(m)})")
    return float(m[key])


def primary_metric(dataset: str) -> str:
    """The metric compared with the paper's "Acc.": top-1 accuracy; ChestMNIST AUC (Ambiguity 20)."""
    return "auc" if dataset in MULTILABEL else "acc"


def cell_stats(payload: Mapping[str, Any], metric: str = "acc", where: str = "?") -> dict[str, Any]:
    """Mean and std (ddof = 0) over seeds of the final-epoch test ``metric``; NaN if any seed diverged."""
    runs = _runs(payload, where)
    vals = [_final(r, metric, where) for r in runs]
    n_div = sum(bool(r["metrics"].get("diverged")) for r in runs)
    if n_div:
        mean = std = float("nan")
    else:
        mean = sum(vals) / len(vals)
        std = math.sqrt(sum((v - mean) ** 2 for v in vals) / len(vals))
    return {"mean": mean, "std": std, "n_seeds": len(runs), "n_diverged": n_div, "values": vals}


def cell_table(payloads: Mapping[str, Mapping[str, Any]], datasets=DATASETS) -> dict[tuple[str, str], dict]:
    """(dataset, algorithm) -> cell_stats of the primary metric; ChestMNIST cells also carry ``acc`` and
    ``exact_match`` stats."""
    out = {}
    for d in datasets:
        for a in ALGORITHMS:
            k = _key(d, a)
            if k not in payloads:
                raise KeyError(f"sa_tab1: no payload for cell {k!r} (have {sorted(payloads)[:6]}...)")
            st = cell_stats(payloads[k], primary_metric(d), k)
            if d in MULTILABEL:
                st["acc"] = cell_stats(payloads[k], "acc", k)
                st["exact_match"] = cell_stats(payloads[k], "exact_match", k)
            out[(d, a)] = st
    return out


def load_payloads(names, path_of) -> dict[str, dict[str, Any]]:
    """Every cell's payload: ``names`` are the spec's input names (``{dataset}__{algorithm}``), ``path_of(name)`` its
    file (in a notebook, ``run.path``)."""
    return {k: torch.load(path_of(k), map_location="cpu", weights_only=False) for k in names}


def datasets_of(payloads: Mapping[str, Any]) -> tuple[str, ...]:
    """The datasets of the loaded cells, in the paper's column order."""
    have = {k.split("__")[0] for k in payloads}
    unknown = have - set(DATASETS)
    if unknown:
        raise KeyError(f"sa_tab1: cells of unknown datasets {sorted(unknown)} (expected keys dataset__algorithm)")
    return tuple(d for d in DATASETS if d in have)


def run_summary(payloads: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per cell: seeds, epochs, training images, diverged seeds, training seconds, verified data."""
    rows = []
    for k, pl in payloads.items():
        d, a = k.split("__")
        ms = [r["metrics"] for r in _runs(pl, k)]
        rows.append({"dataset": d, "algorithm": a, "seeds": len(ms), "epochs": pl["params"].get("epochs"),
                     "n_train": ms[0].get("n_train"), "n_test": ms[0].get("n_test"),
                     "diverged_seeds": sum(bool(m["diverged"]) for m in ms),
                     "train_seconds": sum(float(m.get("train_seconds", 0.0)) for m in ms),
                     "data_verified": all(bool(m.get("data_verified")) for m in ms)})
    return pd.DataFrame(rows)


def _rank_marks(means: Mapping[str, float]) -> dict[str, str]:
    """Bold (best) and italics (runner-up) of the measured means in one column; NaN cells get no mark. Ties share
    the mark (the paper italicises both SGD and KP at 78.20 on SVHN)."""
    valid = sorted({v for v in means.values() if not math.isnan(v)}, reverse=True)
    marks = {}
    for a, v in means.items():
        if math.isnan(v) or not valid:
            marks[a] = ""
        elif v == valid[0]:
            marks[a] = "**"
        elif len(valid) > 1 and v == valid[1]:
            marks[a] = "*"
        else:
            marks[a] = ""
    return marks


def _fmt_cell(st: Mapping[str, Any]) -> str:
    if st["n_diverged"]:
        return f"diverged ({st['n_diverged']}/{st['n_seeds']} seeds)"
    return f"{st['mean']:.2f} ± {st['std']:.2f}"


def render_tab1(payloads: Mapping[str, Mapping[str, Any]], datasets=DATASETS) -> pd.DataFrame:
    """The paper's layout (rows = methods, columns = datasets): the measured mean ± std with bold best and italic
    runner-up (markdown), and the paper's value in brackets beside it. ChestMNIST: AUC × 100 (then ACC and exact
    match in the extra columns)."""
    cells = cell_table(payloads, datasets)
    rows = []
    marks = {d: _rank_marks({a: cells[(d, a)]["mean"] for a in ALGORITHMS}) for d in datasets}
    for a in ROW_ORDER:
        row = {"Method": ALGORITHM_LABELS[a]}
        for d in datasets:
            st = cells[(d, a)]
            m = marks[d][a]
            pm, ps = PAPER_TAB1[a][d]
            label = DATASET_LABELS[d] + (" (AUC×100)" if d in MULTILABEL else "")
            row[label] = f"{m}{_fmt_cell(st)}{m} [paper {pm:.2f} ± {ps:.2f}]"
        for d in datasets:
            if d in MULTILABEL:
                row[f"{DATASET_LABELS[d]} ACC"] = _fmt_cell(cells[(d, a)]["acc"])
                row[f"{DATASET_LABELS[d]} exact match"] = _fmt_cell(cells[(d, a)]["exact_match"])
        rows.append(row)
    return pd.DataFrame(rows)


def _nanmax(vals) -> float:
    vals = list(vals)
    return float("nan") if any(math.isnan(v) for v in vals) else max(vals)


def tab1_metrics(payloads: Mapping[str, Mapping[str, Any]], datasets=DATASETS) -> dict[str, Any]:
    """Flat metrics of the claims: every cell (``mean_{d}_{a}``, ``std_{d}_{a}``, ``diverged_{d}_{a}``), the
    relative gaps (``{d}_{a}_minus_sgd``), R1 (``sal_minus_sgd_{d}``, ``abs_sal_minus_sgd_{d}``, counts), R2
    (``sal_minus_best_bio_{d}``, counts, ``sal_minus_fa_cifar10``), and ChestMNIST's ACC / exact match. A NaN (a
    diverged cell) never counts as satisfying a condition."""
    cells = cell_table(payloads, datasets)
    out: dict[str, Any] = {"datasets": list(datasets), "n_datasets": len(datasets)}
    for (d, a), st in cells.items():
        out[f"mean_{d}_{a}"] = st["mean"]
        out[f"std_{d}_{a}"] = st["std"]
        out[f"diverged_{d}_{a}"] = st["n_diverged"]
        if d in MULTILABEL:
            out[f"auc_{d}_{a}"] = st["mean"]
            out[f"acc_{d}_{a}"] = st["acc"]["mean"]
            out[f"exact_match_{d}_{a}"] = st["exact_match"]["mean"]
    out["n_seeds"] = max(st["n_seeds"] for st in cells.values())
    out["n_cells_diverged"] = sum(st["n_diverged"] > 0 for st in cells.values())
    r1 = r2 = sal_gt_sgd = 0
    abs_gaps = []
    for d in datasets:
        sgd, sal = cells[(d, "sgd")]["mean"], cells[(d, "sal")]["mean"]
        for a in ALGORITHMS:
            if a != "sgd":
                out[f"{d}_{a}_minus_sgd"] = cells[(d, a)]["mean"] - sgd
        best_bio = _nanmax(cells[(d, a)]["mean"] for a in BIO)
        out[f"best_bio_{d}"] = best_bio
        out[f"sal_minus_sgd_{d}"] = sal - sgd
        out[f"abs_sal_minus_sgd_{d}"] = abs(sal - sgd)
        out[f"sal_minus_best_bio_{d}"] = sal - best_bio
        abs_gaps.append(abs(sal - sgd))
        r1 += abs(sal - sgd) <= 2.0                      # NaN comparisons are False
        r2 += (sal - best_bio) >= -0.3
        sal_gt_sgd += sal > sgd
    out["r1_n_datasets_within_2"] = int(r1)
    out["r1_max_abs_sal_minus_sgd"] = _nanmax(abs_gaps)
    out["r2_n_datasets_sal_ge_best_bio_minus_0p3"] = int(r2)
    out["n_datasets_sal_gt_sgd"] = int(sal_gt_sgd)
    if "cifar10" in datasets:
        out["sal_minus_fa_cifar10"] = cells[("cifar10", "sal")]["mean"] - cells[("cifar10", "fa")]["mean"]
    return out


# --- Table 2 -----------------------------------------------------------------------------------------------------

CONNECTIONS = ("u->u", "d->d", "u->d", "d->u")
SYNAPSE_OF = {"u->u": "W", "d->d": "Wbar", "u->d": "V", "d->u": "Vbar"}     # catalog sa_tab2 mapping
# How a synapse type is realised: its own plastic matrix (random init), its own fixed random matrix, the transpose of
# W (weight transport: no connection of its own), or the identity (no connection of its own, Table 2's ✗).
REALISATIONS = ("plastic", "fixed", "transpose", "identity")


@dataclass(frozen=True)
class Method:
    label: str                   # the paper's row name
    baseline: str                # the Table 1 algorithm that trains it (build_algorithm name)
    synapses: Mapping[str, str]  # W / Wbar / V / Vbar -> one of REALISATIONS (Sec. 4)
    in_paper: bool = True        # KP is not a row of Table 2 (the text puts it with WM)

    def connectivity(self, conn: str) -> bool:
        return self.synapses[SYNAPSE_OF[conn]] in ("plastic", "fixed")

    def plasticity(self, conn: str) -> bool:
        return self.synapses[SYNAPSE_OF[conn]] == "plastic"


# Sec. 4: "SGD ... V = V̄ = I, and W̄ = Wᵀ, and only W is plastic"; "feedback alignment has V̄ = V = I, and W̄ is
# random and nonplastic"; "weight mirroring (and KP) ... fixed V and V̄ (equal to identity), and a plastic W̄".
TAB2: dict[str, Method] = {
    "sgd": Method("SGD", "sgd", {"W": "plastic", "Wbar": "transpose", "V": "identity", "Vbar": "identity"}),
    "fa": Method("Feedback Alignment", "fa", {"W": "plastic", "Wbar": "fixed", "V": "identity", "Vbar": "identity"}),
    "wm": Method("Weight Mirroring", "wm", {"W": "plastic", "Wbar": "plastic", "V": "identity", "Vbar": "identity"}),
    "kp": Method("KP Algorithm", "kp", {"W": "plastic", "Wbar": "plastic", "V": "identity", "Vbar": "identity"},
                 in_paper=False),
    "sal": Method("SAL", "sal", {"W": "plastic", "Wbar": "plastic", "V": "plastic", "Vbar": "plastic"}),
}

# Table 2 as printed (source file lines 230-236): connectivity then plasticity, columns u→u, d→d, u→d, d→u.
PAPER_TAB2: dict[str, dict[str, list[bool]]] = {
    "SGD": {"connectivity": [True, False, False, False], "plasticity": [True, False, False, False]},
    "Feedback Alignment": {"connectivity": [True, True, False, False], "plasticity": [True, False, False, False]},
    "Weight Mirroring": {"connectivity": [True, True, False, False], "plasticity": [True, True, False, False]},
    "SAL": {"connectivity": [True, True, True, True], "plasticity": [True, True, True, True]},
}


def tab2_cells(methods: Mapping[str, Method] = TAB2, paper_rows_only: bool = True) -> dict[str, dict[str, list[bool]]]:
    """{row label: {"connectivity": [u→u, d→d, u→d, d→u], "plasticity": [...]}} derived from the method specs."""
    return {m.label: {"connectivity": [m.connectivity(c) for c in CONNECTIONS],
                      "plasticity": [m.plasticity(c) for c in CONNECTIONS]}
            for m in methods.values() if m.in_paper or not paper_rows_only}


def render_tab2(methods: Mapping[str, Method] = TAB2, paper_rows_only: bool = True) -> pd.DataFrame:
    rows = []
    for label, c in tab2_cells(methods, paper_rows_only).items():
        row = {"Method": label}
        for kind, name in (("connectivity", "Conn."), ("plasticity", "Plast.")):
            for conn, v in zip(CONNECTIONS, c[kind]):
                row[f"{name} {conn.replace('->', '→')}"] = "✓" if v else "✗"
        rows.append(row)
    return pd.DataFrame(rows)


def circuit_config(method: str, widths, *, eta: float, gamma: float, loss: str = "ce") -> CircuitConfig:
    """The CircuitConfig of a method's special case of SAL (catalog A8). For SAL itself: every synapse plastic at
    rate ``eta`` (D_d = I). For the others: V = V̄ = I frozen (``build_circuit`` sets them), D_d = eq. 4 (the gate
    1[V h > 0] is then ReLU'), η_W̄ = η_W, W̄ plastic for KP and for SGD (W̄ = Wᵀ at the start stays Wᵀ), frozen
    for FA. WM's d→d plasticity is the weight-mirror rule, which SAL's rules do not contain: an error."""
    if method not in TAB2:
        raise ValueError(f"table 2 method {method!r}: expected one of {tuple(TAB2)}")
    syn = TAB2[method].synapses
    rates = {s: float(eta) for s in ("W", "V", "Wbar", "Vbar")}
    if all(syn[s] == "plastic" for s in ("V", "Wbar", "Vbar")):
        return CircuitConfig(widths=tuple(widths), dd="identity", plastic=("V", "Wbar", "Vbar"), rates=rates,
                             gamma=gamma, loss=loss)
    if method == "wm":
        raise ValueError("table 2 method 'wm': its d->d plasticity is the weight-mirror rule, not a special case of "
                         "SAL's rules; it is trained by FeedbackMLP(kind='wm')")
    if syn["V"] != "identity" or syn["Vbar"] != "identity":
        raise ValueError(f"table 2 method {method!r}: only V = Vbar = I special cases are circuits ({syn})")
    plastic = ("Wbar",) if syn["Wbar"] in ("plastic", "transpose") else ()
    return CircuitConfig(widths=tuple(widths), dd="relu_jacobian_V", plastic=plastic, rates=rates, gamma=gamma,
                         loss=loss)


def build_circuit(method: str, widths, generator: torch.Generator, *, eta: float, gamma: float, loss: str = "ce",
                  feedback: list[torch.Tensor] | None = None, dtype=torch.float32, device="cpu") -> Circuit:
    """The circuit of ``circuit_config`` with the special-case matrices: V = V̄ = I where Table 2 has the identity,
    W̄ = Wᵀ where it has the transpose, and W̄ = ``feedback`` (e.g. a baseline's B, to compare runs) if given."""
    cfg = circuit_config(method, widths, eta=eta, gamma=gamma, loss=loss)
    c = Circuit(cfg, generator, dtype=dtype, device=device)
    syn = TAB2[method].synapses
    if syn["V"] == "identity":
        c.V = [torch.eye(v.shape[0], v.shape[1], dtype=dtype, device=device) for v in c.V]
    if syn["Vbar"] == "identity":
        c.Vbar = [torch.eye(v.shape[0], v.shape[1], dtype=dtype, device=device) for v in c.Vbar]
    if syn["Wbar"] == "transpose":
        c.Wbar = [w.t().clone() for w in c.W[1:]]
    elif feedback is not None:
        c.Wbar = [b.clone() for b in feedback]
    return c
