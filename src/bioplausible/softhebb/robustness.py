"""Robustness curves of cached results (rule sh_robustness) -> the metrics and plots of Figs 5 and 7.

A result (``results/attacks/softhebb/{dataset}/{model}.pt``) holds the model's clean accuracy, its accuracy
under Gaussian noise per sigma and under PGD per epsilon, the numbers of attacked images with an exactly
zero input gradient, and the training metrics (e.g. how many SoftHebb neurons ever win).

PGD runs with two losses on the same images and grid: foolbox's cross-entropy (``pgd_ce_accuracy``) and the
margin max_{j != y} z_j - z_y (``pgd_margin_accuracy``). The headline ``pgd_accuracy`` is the worst case per
image (robust only if neither attack fools it): cross-entropy alone can be masked by a saturated softmax.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

CURVES = {"noise": ("noise_sigmas", "noise_accuracy"), "pgd": ("pgd_epsilons_255", "pgd_accuracy"),
          "pgd_ce": ("pgd_epsilons_255", "pgd_ce_accuracy"), "pgd_margin": ("pgd_epsilons_255", "pgd_margin_accuracy")}
PGD_KINDS = {"pgd": "worst case of both losses", "pgd_ce": "cross-entropy (foolbox)", "pgd_margin": "margin loss"}


def curve(result: Mapping[str, Any], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(x, accuracy in %) of one result; kind 'noise' (x = sigma) or a PGD kind (x = epsilon * 255): 'pgd'
    (worst case of the two losses, the headline), 'pgd_ce' or 'pgd_margin'."""
    xs, ys = CURVES[kind]
    return np.asarray(result[xs], dtype=float), 100 * np.asarray(result[ys], dtype=float)


def comparison_metrics(dataset: str, softhebb: Mapping[str, Any], other: Mapping[str, Any], other_name: str,
                       kind: str) -> dict[str, Any]:
    """SoftHebb vs another model on one dataset: clean accuracies, the curves and the gaps the claims use.

    Keys are prefixed with the dataset; ``{other_name}`` names the comparison model (``mlp``, ``smlp``).
    noise: ``min_gap_sigma_ge_0p3``, ``gap_at_max_sigma``, ``softhebb_acc_at_0p5``;
    pgd (all on the worst case of the two losses unless named): ``{model}_acc_{16,32,64}``, ``gap_{16,32}``,
    ``min_gap_eps_ge_{8,16}``, ``first_eps_softhebb_stays_above`` (inf if never); per model the curves of
    each loss (``eps{e}_{model}_ce``, ``eps{e}_{model}_margin``, ``{model}_{ce,margin}_acc_{16,32,64}``), how
    far cross-entropy alone overstated robustness (``{model}_ce_overstatement_{16,32}`` and ``_max``: CE
    accuracy minus worst-case accuracy, points) and the gap CE alone would show (``gap_ce_{16,32}``); the
    zero-gradient counts/fractions at the clean images for cross-entropy (``zero_gradient_*``), margin
    (``zero_gradient_*_margin``) and both (``masked_*``: only these can still hide robustness from the worst
    case).
    """
    x, a_s = curve(softhebb, kind)
    x2, a_o = curve(other, kind)
    if not np.array_equal(x, x2):
        raise ValueError(f"{dataset}: the two results were computed on different {kind} grids: {x} vs {x2}")
    d, o = dataset, other_name
    out: dict[str, Any] = {
        f"{d}_softhebb_clean_acc": 100 * softhebb["clean_accuracy"], f"{d}_{o}_clean_acc": 100 * other["clean_accuracy"],
        f"{d}_softhebb_distinct_winners": softhebb["train_metrics"]["distinct_winners_train"],
        f"{d}_n_test": softhebb["n_test"],
    }
    tag = "sigma" if kind == "noise" else "eps"
    for xi, s_i, o_i in zip(x, a_s, a_o):
        label = f"{xi:g}".replace(".", "p") if kind == "noise" else f"{int(xi)}"
        out[f"{d}_{tag}{label}_softhebb"] = float(s_i)
        out[f"{d}_{tag}{label}_{o}"] = float(o_i)
    gap = a_s - a_o
    if kind == "noise":
        out[f"{d}_min_gap_sigma_ge_0p3"] = float(gap[x >= 0.3].min())
        out[f"{d}_gap_at_max_sigma"] = float(gap[-1])
        out[f"{d}_softhebb_acc_at_0p5"] = float(np.interp(0.5, x, a_s))
        return out
    for e in (16, 32, 64):
        out[f"{d}_{o}_acc_{e}"] = float(np.interp(e, x, a_o))
        out[f"{d}_softhebb_acc_{e}"] = float(np.interp(e, x, a_s))
    for e in (16, 32):
        out[f"{d}_gap_{e}"] = out[f"{d}_softhebb_acc_{e}"] - out[f"{d}_{o}_acc_{e}"]
    for e in (8, 16):
        out[f"{d}_min_gap_eps_ge_{e}"] = float(gap[x >= e].min())
    for name, r in (("softhebb", softhebb), (o, other)):
        worst = curve(r, "pgd")[1]
        for loss in ("ce", "margin"):
            acc = curve(r, f"pgd_{loss}")[1]
            for xi, a in zip(x, acc):
                out[f"{d}_eps{int(xi)}_{name}_{loss}"] = float(a)
            for e in (16, 32, 64):
                out[f"{d}_{name}_{loss}_acc_{e}"] = float(np.interp(e, x, acc))
        over = curve(r, "pgd_ce")[1] - worst  # >= 0 per epsilon: the worst case is never above CE alone
        for e in (16, 32):
            out[f"{d}_{name}_ce_overstatement_{e}"] = float(np.interp(e, x, over))
        out[f"{d}_{name}_ce_overstatement_max"] = float(over.max())
        for suffix, key in (("", "zero_gradient_images"), ("_margin", "zero_gradient_images_margin")):
            out[f"{d}_{name}_zero_gradient_images{suffix}"] = r[key]
            out[f"{d}_{name}_zero_gradient_fraction{suffix}"] = r[key] / r["n_test"]
        out[f"{d}_{name}_masked_images"] = r["zero_gradient_images_both"]
        out[f"{d}_{name}_masked_fraction"] = r["zero_gradient_images_both"] / r["n_test"]
    for e in (16, 32):
        out[f"{d}_gap_ce_{e}"] = out[f"{d}_softhebb_ce_acc_{e}"] - out[f"{d}_{o}_ce_acc_{e}"]
    above = [e for e in x if e > 0 and np.all(gap[x >= e] > 0)]
    out[f"{d}_first_eps_softhebb_stays_above"] = float(min(above)) if above else float("inf")
    return out


def plot_comparison(ax, results: Mapping[tuple[str, str], Mapping[str, Any]], datasets, models, kind: str,
                    colors: Mapping[str, str], labels: Mapping[str, str]) -> None:
    """One line per (dataset, model): solid for the first dataset, dashed for the second (as in Fig. 5)."""
    for d, ls in zip(datasets, ("-", "--", ":")):
        for m in models:
            x, a = curve(results[d, m], kind)
            ax.plot(x, a, ls=ls, marker="." if kind in PGD_KINDS else None, color=colors[m], label=f"{labels[m]}, {d}")
    ax.set_xlabel(r"noise $\sigma$" if kind == "noise" else r"$\epsilon$ (x 1/255)")
    ax.set_ylabel("test accuracy (%)" if kind == "noise" else "accuracy under PGD (%)")
    if kind in PGD_KINDS:
        ax.set_title(f"PGD, {PGD_KINDS[kind]}", fontsize=7)
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=6)
