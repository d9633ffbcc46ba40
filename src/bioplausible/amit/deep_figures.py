"""Amit's Figs 5 and 6 (catalog amit_fig5a, amit_fig5b, amit_fig6; Ambiguities 20, 21): metrics computed from the
trained runs of Tables 1-2 (``deep_experiment.run`` payloads). Nothing here trains.

Fig. 5, "Evolution of error rates ... as function of epochs": per regime, the per-epoch training error (running,
dropout on: the tables' "train error", Ambiguity 12) and validation error of the payload's ``log``. Metrics:
end-points, the fraction of epochs after a burn-in on which one validation curve lies strictly above another
(FRFB above URFB), and end-point differences (URFB minus BP Hinge).

Fig. 6, "Corresponding filters extracted from the sparse connectivity matrix at 4 different locations": the untied
(locally connected) layer of the URFB simpnet, weight shape (H·W, C_out, C_in·k·k), location l = row·W + col, and
the filter entries ordered (channel, row, col) as ``conv.weight.reshape(C_out, -1)`` (``feedback.feedback_local``).
The quantitative companion (catalog, [inferred]), on the interior locations (the k×k patch not padded):

- same feature: for feature f, the mean cosine similarity between its filters at two different interior locations,
  mean over all pairs l != l'; the figure's statistic is the median over features;
- baseline: the same statistic between filters of two *different* features, over all pairs of interior locations
  (same or different location): for feature f, the mean over g != f and over (l, l') of cos(W[l, f], W[l', g]).
  Reported too: the same-location variant (mean over g != f and l of cos(W[l, f], W[l, g]));
- movement: the LC layer starts spatially homogeneous (every location = the pre-phase's conv kernel, so the
  similarity starts at 1), and that kernel is not stored. Reported: ||W_l - R|| / ||R|| (Frobenius over the whole
  C_out × C_in·k·k bank of location l), mean over interior locations, for two references R: the mean bank over
  interior locations (a proxy for the common start: it sees only location-specific change, not a drift shared by
  every location), and the seed's conv kernel before the 1-epoch tied pre-phase (exact, rebuilt from the seed; it
  also contains the pre-phase's change, one epoch at step .01).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .deep_experiment import ROW_LABELS, SIX_ROWS, build_structure, load_net
from .feedback import Conv2dMap, LocalMap

# Short names of the six regimes (metric keys): (regime, conn) -> key.
ROW_KEYS = {("bp_softmax", "full"): "bp_softmax", ("bp_hinge", "full"): "bp_hinge", ("urfb", "full"): "urfb",
            ("frfb", "full"): "frfb", ("urfb", "p50"): "urfb50", ("frfb", "p50"): "frfb50"}
LOG_KEYS = ("epoch", "train_error", "val_error")


# --- Fig. 5 ---------------------------------------------------------------------------------------------------------
def curves(payload: Mapping[str, Any], label: str = "run") -> dict[str, np.ndarray]:
    """The per-epoch curves of one run: epoch (1..E), train (running, dropout on) and val error."""
    log = payload.get("log")
    if not log:
        raise ValueError(f"{label}: the payload has no per-epoch 'log' rows")
    for i, row in enumerate(log):
        missing = [k for k in LOG_KEYS if k not in row]
        if missing:
            raise KeyError(f"{label}: log row {i} lacks {missing} (has {sorted(row)})")
    epoch = np.array([int(r["epoch"]) for r in log])
    if not np.array_equal(epoch, np.arange(1, len(log) + 1)):
        raise ValueError(f"{label}: log epochs are {epoch.tolist()}, expected 1..{len(log)}")
    return {"epoch": epoch, "train": np.array([float(r["train_error"]) for r in log]),
            "val": np.array([float(r["val_error"]) for r in log])}


def frac_above(upper: Sequence[float], lower: Sequence[float], burn_in: int) -> float:
    """Fraction of the epochs e > ``burn_in`` (epochs numbered from 1) on which ``upper`` > ``lower`` strictly
    (a tie is not "above")."""
    upper, lower = np.asarray(upper, float), np.asarray(lower, float)
    if upper.shape != lower.shape or upper.ndim != 1:
        raise ValueError(f"frac_above: curves of shapes {upper.shape} and {lower.shape}; need two equal 1-d curves")
    if not 0 <= burn_in < len(upper):
        raise ValueError(f"frac_above: burn_in = {burn_in} leaves no epoch of a {len(upper)}-epoch curve "
                         f"(need 0 <= burn_in < {len(upper)})")
    return float(np.mean(upper[burn_in:] > lower[burn_in:]))


def regime_curves(payloads: Mapping[tuple[str, str], Mapping[str, Any]], label: str) -> dict[str, dict[str, np.ndarray]]:
    """The six regimes' curves keyed by ROW_KEYS; every regime must be present with the same number of epochs."""
    missing = [ROW_LABELS[r] for r in SIX_ROWS if r not in payloads]
    if missing:
        raise KeyError(f"{label}: no run for {missing}")
    out = {ROW_KEYS[r]: curves(payloads[r], f"{label} {ROW_LABELS[r]}") for r in SIX_ROWS}
    lengths = {k: len(c["epoch"]) for k, c in out.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{label}: the regimes ran different numbers of epochs: {lengths}")
    return out


def fig5_metrics(payloads: Mapping[tuple[str, str], Mapping[str, Any]], prefix: str, burn_in: int) -> dict[str, Any]:
    """Fig. 5's metrics for one panel (six regimes of one net on one dataset), keys prefixed ``{prefix}_``:

    - ``{row}_final_train`` / ``{row}_final_val``: the curves' last points; ``{row}_test``: the run's test error;
    - ``frfb_above_urfb_val_frac``, ``frfb50_above_urfb50_val_frac``: fraction of epochs after ``burn_in`` with the
      FRFB validation curve strictly above URFB's (full and 50% connectivity), and ``frfb50_above_urfb_val_frac``
      (FRFB 50% above full-connectivity URFB, the catalog's Fig. 5b wording); the same for the train curves;
    - ``urfb_minus_bp_hinge_final_val``: URFB's final validation error minus BP Hinge's;
    - ``n_epochs``, ``burn_in``.
    """
    c = regime_curves(payloads, prefix)
    m: dict[str, Any] = {}
    for r in SIX_ROWS:
        k = ROW_KEYS[r]
        m[f"{prefix}_{k}_final_train"] = float(c[k]["train"][-1])
        m[f"{prefix}_{k}_final_val"] = float(c[k]["val"][-1])
        m[f"{prefix}_{k}_test"] = float(payloads[r]["metrics"]["test_error"])
    for hi, lo in (("frfb", "urfb"), ("frfb50", "urfb50"), ("frfb50", "urfb")):
        for split in ("val", "train"):
            m[f"{prefix}_{hi}_above_{lo}_{split}_frac"] = frac_above(c[hi][split], c[lo][split], burn_in)
    m[f"{prefix}_urfb_minus_bp_hinge_final_val"] = float(c["urfb"]["val"][-1] - c["bp_hinge"]["val"][-1])
    m[f"{prefix}_n_epochs"] = int(len(c["urfb"]["epoch"]))
    m[f"{prefix}_burn_in"] = int(burn_in)
    return m


# --- Fig. 6 ---------------------------------------------------------------------------------------------------------
def local_layer(payload: Mapping[str, Any], layer: str = "conv1") -> dict[str, Any]:
    """The untied layer of a run: weight (H·W, C_out, C_in·k·k) as float64, and height, width, kernel size, C_in."""
    units = load_net(payload).units()
    if layer not in units:
        raise KeyError(f"no layer {layer!r} in the run's network; its layers are {list(units)}")
    lc = units[layer].layer
    if not isinstance(lc.linear_map, LocalMap):
        raise TypeError(f"layer {layer!r} is {type(lc.linear_map).__name__}, not an untied (locally connected) layer")
    lm = lc.linear_map
    w = lc.weight.detach().double()
    k = lm.kernel_size
    return {"weight": w, "height": lm.height, "width": lm.width, "kernel": k, "c_in": w.shape[2] // (k * k)}


def seed_kernel(payload: Mapping[str, Any], layer: str = "conv1") -> torch.Tensor:
    """The run's conv kernel as drawn from its seed, before any training (before the tied pre-phase),
    flattened like the LC filters: (C_out, C_in·k·k), float64."""
    net, _ = build_structure(payload["params"])
    conv = net.units()[layer].layer
    if not isinstance(conv.linear_map, Conv2dMap):
        raise TypeError(f"layer {layer!r} of the seed's network is {type(conv.linear_map).__name__}, not a convolution")
    return conv.weight.detach().double().reshape(conv.weight.shape[0], -1)


def interior_locations(height: int, width: int, kernel: int) -> torch.Tensor:
    """Indices l = row·width + col of the locations whose k×k patch needs no padding ('same' padding, odd k):
    k//2 <= row <= height-1-k//2, the same for col (2 <= row, col <= 29 for 5×5 on 32×32)."""
    if kernel % 2 != 1:
        raise ValueError(f"interior_locations: kernel size {kernel} is even; 'same' padding is symmetric only for odd k")
    p = kernel // 2
    if height <= 2 * p or width <= 2 * p:
        raise ValueError(f"interior_locations: a {height}x{width} grid has no interior for a {kernel}x{kernel} kernel")
    rows = torch.arange(p, height - p)
    cols = torch.arange(p, width - p)
    return (rows[:, None] * width + cols[None, :]).reshape(-1)


def _unit(w: torch.Tensor) -> torch.Tensor:
    norms = w.norm(dim=-1, keepdim=True)
    if bool((norms == 0).any()):
        bad = (norms[..., 0] == 0).nonzero()[0].tolist()
        raise ValueError(f"cosine similarity undefined: the filter at (location, feature) index {bad} is all zero")
    return w / norms


def same_feature_similarity(weight: torch.Tensor, locations: torch.Tensor) -> torch.Tensor:
    """(C_out,): for each feature, the mean cosine similarity between its filters at two different locations of
    ``locations`` (mean over all pairs l != l'). ``weight``: (L, C_out, D)."""
    u = _unit(weight[locations].double())                  # (n, F, D)
    n = u.shape[0]
    if n < 2:
        raise ValueError(f"same_feature_similarity: {n} location(s); need at least 2")
    s = u.sum(0)                                            # (F, D)
    return ((s * s).sum(-1) - n) / (n * (n - 1))           # sum over l != l' of u_l . u_l' = |sum u|^2 - n


def cross_feature_similarity(weight: torch.Tensor, locations: torch.Tensor) -> torch.Tensor:
    """(C_out,): for each feature f, the mean cosine similarity between a filter of f and a filter of another
    feature g != f, over g and over all pairs of locations (l, l') (same or different)."""
    u = _unit(weight[locations].double())
    f = u.shape[1]
    if f < 2:
        raise ValueError(f"cross_feature_similarity: {f} feature(s); need at least 2")
    m = u.mean(0)                                           # (F, D): mean_{l,l'} u_lf . u_l'g = m_f . m_g
    g = m @ m.t()
    return (g.sum(1) - g.diagonal()) / (f - 1)


def cross_feature_same_location_similarity(weight: torch.Tensor, locations: torch.Tensor) -> torch.Tensor:
    """(C_out,): for each feature f, the mean cosine similarity between its filter and another feature's filter at
    the same location, over g != f and over the locations."""
    u = _unit(weight[locations].double())
    f = u.shape[1]
    if f < 2:
        raise ValueError(f"cross_feature_same_location_similarity: {f} feature(s); need at least 2")
    g = torch.einsum("lfd,lgd->lfg", u, u).mean(0)          # (F, F)
    return (g.sum(1) - g.diagonal()) / (f - 1)


def relative_change(weight: torch.Tensor, locations: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean over ``locations`` of ||W_l - R||_F / ||R||_F, W_l the (C_out, D) bank at location l, R (C_out, D)."""
    w = weight[locations].double()
    ref = reference.double()
    if ref.shape != w.shape[1:]:
        raise ValueError(f"relative_change: reference shape {tuple(ref.shape)} != filter bank shape {tuple(w.shape[1:])}")
    norm = ref.norm()
    if norm == 0:
        raise ValueError("relative_change: the reference bank is all zero")
    return float(((w - ref).flatten(1).norm(dim=1) / norm).mean())


def check_picks(features: Sequence[int], picks: Sequence[Sequence[int]], c_out: int, height: int, width: int,
                channel: int, c_in: int) -> None:
    """Clear errors for Fig. 6 picks that do not exist in the layer (e.g. feature 4 of a 4-channel smoke net)."""
    bad_f = [f for f in features if not 0 <= int(f) < c_out]
    if bad_f:
        raise ValueError(f"amit.fig6.features {list(features)}: {bad_f} not in 0..{c_out - 1} (the layer has {c_out} "
                         f"output features)")
    bad_l = [list(rc) for rc in picks if len(rc) != 2 or not (0 <= rc[0] < height and 0 <= rc[1] < width)]
    if bad_l:
        raise ValueError(f"amit.fig6.locations: {bad_l} not (row, col) on the {height}x{width} grid")
    if not 0 <= channel < c_in:
        raise ValueError(f"amit.fig6.channel = {channel} not in 0..{c_in - 1}")


def filter_grid(weight: torch.Tensor, width: int, kernel: int, features: Sequence[int],
                picks: Sequence[Sequence[int]]) -> np.ndarray:
    """(n_features, n_locations, C_in, k, k): the filters of ``features`` at the (row, col) ``picks``."""
    c_in = weight.shape[2] // (kernel * kernel)
    out = np.empty((len(features), len(picks), c_in, kernel, kernel))
    for i, f in enumerate(features):
        for j, (r, c) in enumerate(picks):
            out[i, j] = weight[int(r) * width + int(c), int(f)].reshape(c_in, kernel, kernel).cpu().numpy()
    return out


def fig6_metrics(weight: torch.Tensor, height: int, width: int, kernel: int,
                 init_kernel: torch.Tensor | None = None) -> dict[str, Any]:
    """Fig. 6's quantitative companion (see the module docstring) on the interior locations."""
    loc = interior_locations(height, width, kernel)
    same = same_feature_similarity(weight, loc)
    cross = cross_feature_similarity(weight, loc)
    cross_here = cross_feature_same_location_similarity(weight, loc)
    m = {"median_same_feature_similarity": float(same.median()),
         "min_same_feature_similarity": float(same.min()),
         "max_same_feature_similarity": float(same.max()),
         "median_cross_feature_similarity": float(cross.median()),
         "median_cross_feature_same_location_similarity": float(cross_here.median()),
         "n_interior_locations": int(len(loc)), "n_features": int(weight.shape[1])}
    m["same_minus_cross_feature_similarity"] = m["median_same_feature_similarity"] - m["median_cross_feature_similarity"]
    m["rel_change_from_mean_filter"] = relative_change(weight, loc, weight[loc].double().mean(0))
    if init_kernel is not None:
        m["rel_change_from_seed_kernel"] = relative_change(weight, loc, init_kernel)
    return m


# One colour per regime in Fig. 5 (train solid, validation dotted); BP / URFB / FRFB as elsewhere in the project.
ROW_COLORS = {"bp_softmax": "#17becf", "bp_hinge": "#1f77b4", "urfb": "#2ca02c", "frfb": "#d62728",
              "urfb50": "#bcbd22", "frfb50": "#ff7f0e"}
