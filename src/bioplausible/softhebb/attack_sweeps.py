"""PGD attack-hyperparameter sweeps of Fig. 9 (Sec. 4.4): number of iterations and step size.

The paper: "we chose 5 random restarts. Then we found that 200 iterations are sufficient for both MNIST and
F-MNIST (Fig. 9a and b). Then, using 200 iterations, and different eps values, we searched for a
sufficiently good step size. We found that relative to eps a step size value of 0.01/0.3 eps ... is a good
value. An example curve for eps = 32/255 is shown in Fig. 9c for MNIST and F-MNIST."

Both sweeps use :func:`bioplausible.attacks.linf_pgd`, foolbox 3.3.4's LinfPGD update in plain torch (equal
to foolbox's own loop, tests/test_attacks_pgd.py), with the cross-entropy loss (the paper's attack) and, where
the config lists it, the margin loss beside it:

- iterations (9a/b): accuracy after n steps for every n in the grid, from ONE run to the largest n
  (``record_steps``; the step size ``rel_stepsize * eps`` does not depend on the number of steps, so the
  first n iterates of a long run are those of an n-step run);
- step size (9c): accuracy at eps = 32/255 after a fixed number of steps, per relative step size.

A result (``results/attacks/softhebb/pgd_sweeps/{dataset}/{model}.pt``, :func:`sweep_result`) holds the clean
accuracy, per loss the accuracy arrays below and the zero-gradient counts, and the model's training metrics.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

import re

from ..paths import rel_attack
from . import experiment as ex

MODELS = ("softhebb", "mlp")  # the Fig. 5 pair: the default SoftHebb variant and the ReLU MLP
DEFAULT_REL_STEPSIZE = 0.01 / 0.3  # foolbox LinfPGD's default; the paper's choice


def sweep_result(dataset: str, model_name: str) -> str:
    """Cached sweeps of one trained model (a folder of its own, so it never matches sh_robustness's pattern)."""
    return rel_attack("softhebb", f"pgd_sweeps/{dataset}/{model_name}")


def model_path(dataset: str, model_name: str) -> str:
    """The trained model a sweep attacks, named by experiment's path functions (``wta_{variant}_s{seed}`` or
    ``mlp_{activation}_s{seed}``)."""
    wta = re.fullmatch(r"wta_(.+)_s(\d+)", model_name)
    if wta:
        return ex.wta_model(dataset, wta.group(1), wta.group(2))
    mlp = re.fullmatch(r"mlp_(relu|softmax)_s(\d+)", model_name)
    if mlp:
        return ex.mlp_model(dataset, mlp.group(1), mlp.group(2))
    raise ValueError(f"model name {model_name!r} is neither wta_<variant>_s<seed> nor mlp_<relu|softmax>_s<seed>")


def model_names(sh: Mapping[str, Any]) -> dict[str, str]:
    """{'softhebb': 'wta_<default variant>_s<seed>', 'mlp': 'mlp_relu_s<seed>'} for the first configured seed."""
    seed = sh["seeds"][0]
    return {"softhebb": f"wta_{sh['wta']['default_variant']}_s{seed}", "mlp": f"mlp_relu_s{seed}"}


def sweep_inputs(datasets: Sequence[str] | None = None):
    """Spec inputs: the sweeps of both models on the given datasets (None = every configured dataset)."""

    def inputs(config: Mapping[str, Any]) -> dict[str, str]:
        sh = config["softhebb"]
        names = model_names(sh)
        out = {}
        for d in datasets or sh["datasets"]:
            if d not in sh["datasets"]:
                raise KeyError(f"attack sweeps need dataset {d!r} in config softhebb.datasets {sh['datasets']}")
            out.update({f"{d}__{m}": sweep_result(d, names[m]) for m in MODELS})
        return out

    return inputs


# --- metrics ------------------------------------------------------------------------------------------------
def iteration_curves(result: Mapping[str, Any], loss: str = "crossentropy") -> tuple[np.ndarray, np.ndarray,
                                                                                         np.ndarray]:
    """(steps (S,), epsilons*255 (E,), accuracy in % (S, E)) of the iterations sweep."""
    it = result["iterations"]
    if loss not in it["accuracy"]:
        raise KeyError(f"iterations sweep has no {loss!r} curves; it ran {sorted(it['accuracy'])}")
    return (np.asarray(it["steps"], dtype=int), np.asarray(it["epsilons_255"], dtype=float),
            100 * np.asarray(it["accuracy"][loss], dtype=float))


def step_size_curve(result: Mapping[str, Any], loss: str = "crossentropy") -> tuple[np.ndarray, np.ndarray]:
    """(relative step sizes (R,), accuracy in % (R,)) of the step-size sweep."""
    st = result["step_size"]
    if loss not in st["accuracy"]:
        raise KeyError(f"step-size sweep has no {loss!r} curve; it ran {sorted(st['accuracy'])}")
    return np.asarray(st["rel_stepsizes"], dtype=float), 100 * np.asarray(st["accuracy"][loss], dtype=float)


def _label(x: float) -> str:
    """Metric-name form of a number: 3 significant digits, '.' -> 'p' (0.0333333 -> '0p0333')."""
    return f"{x:.3g}".replace(".", "p")


def iteration_metrics(results: Mapping[str, Mapping[str, Any]], loss: str = "crossentropy") -> dict[str, Any]:
    """Metrics of Fig. 9a/b for one dataset; ``results`` maps model ('softhebb', 'mlp') -> sweep result.

    Per model and eps: ``{m}_eps{e}_steps{n}`` (accuracy, %). Over every curve (model x eps):
    ``max_rise`` -- the largest increase between consecutive step counts (a curve should not rise: more
    steps never weaken the attack beyond noise); ``max_drop_200_to_500`` -- the largest acc(200) - acc(500)
    (plateau by 200); ``max_drop_100_to_200`` -- the largest acc(100) - acc(200) (each None when the grid
    lacks one of the two counts); ``largest_steps``. Per model: clean accuracy and the fraction of images
    whose cross-entropy input gradient is exactly zero (``{m}_zero_gradient_fraction``).
    """
    out: dict[str, Any] = {}
    rises, drops = [], {(200, 500): [], (100, 200): []}
    for m, r in results.items():
        steps, eps, acc = iteration_curves(r, loss)
        out[f"{m}_clean_acc"] = 100 * r["clean_accuracy"]
        out[f"{m}_zero_gradient_fraction"] = r["zero_gradient_images"] / r["n_test"]
        for j, e in enumerate(eps):
            for i, s in enumerate(steps):
                out[f"{m}_eps{_label(e)}_steps{s}"] = float(acc[i, j])
            rises.append(float(np.max(np.diff(acc[:, j]))))
            for a, b in drops:
                if a in steps and b in steps:
                    drop = float(acc[list(steps).index(a), j] - acc[list(steps).index(b), j])
                    drops[a, b].append(drop)
                    out[f"{m}_eps{_label(e)}_drop_{a}_to_{b}"] = drop
        out["largest_steps"] = int(steps.max())
    out["max_rise"] = max(rises)
    for (a, b), values in drops.items():  # None: the grid lacks a or b (e.g. 500 below the paper scale)
        out[f"max_drop_{a}_to_{b}"] = max(values) if values else None
    return out


def step_size_metrics(results: Mapping[tuple[str, str], Mapping[str, Any]], loss: str = "crossentropy"
                      ) -> dict[str, Any]:
    """Metrics of Fig. 9c; ``results`` maps (dataset, model) -> sweep result.

    Per (dataset d, model m): ``{d}_{m}_rel{r}`` (accuracy, %), ``{d}_{m}_default_minus_min`` -- accuracy at
    the default step 0.01/0.3 minus the grid minimum (points; 0 = the default is the strongest step), and
    ``{d}_{m}_best_rel_stepsize``. Per dataset: ``{d}_max_default_minus_min`` over the models, the clean
    accuracies and zero-gradient fractions.
    """
    out: dict[str, Any] = {}
    for (d, m), r in results.items():
        rel, acc = step_size_curve(r, loss)
        default = np.flatnonzero(np.isclose(rel, DEFAULT_REL_STEPSIZE, rtol=1e-6))
        if len(default) != 1:
            raise ValueError(f"{d}/{m}: the step-size grid {rel.tolist()} must hold 0.01/0.3 once")
        for x, a in zip(rel, acc):
            out[f"{d}_{m}_rel{_label(x)}"] = float(a)
        out[f"{d}_{m}_default_minus_min"] = float(acc[default[0]] - acc.min())
        out[f"{d}_{m}_best_rel_stepsize"] = float(rel[int(np.argmin(acc))])
        out[f"{d}_{m}_clean_acc"] = 100 * r["clean_accuracy"]
        out[f"{d}_{m}_zero_gradient_fraction"] = r["zero_gradient_images"] / r["n_test"]
        key = f"{d}_max_default_minus_min"
        out[key] = max(out.get(key, -np.inf), out[f"{d}_{m}_default_minus_min"])
    return out


# --- plots --------------------------------------------------------------------------------------------------
def plot_iterations(ax, results: Mapping[str, Mapping[str, Any]], colors: Mapping[str, str],
                    labels: Mapping[str, str], loss: str = "crossentropy") -> None:
    """Accuracy vs PGD iterations (log x), one line per (model, eps): line style per eps, colour per model."""
    styles = ("-", "--", ":", "-.")
    for m, r in results.items():
        steps, eps, acc = iteration_curves(r, loss)
        for j, e in enumerate(eps):
            ax.plot(steps, acc[:, j], ls=styles[j % len(styles)], marker=".", color=colors[m],
                    label=f"{labels[m]}, $\\epsilon$={e:g}/255")
    ax.set_xscale("log")
    ax.set_xlabel("PGD iterations")
    ax.set_ylabel("accuracy under PGD (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=5)


def plot_step_size(ax, results: Mapping[tuple[str, str], Mapping[str, Any]], colors: Mapping[str, str],
                   labels: Mapping[str, str], loss: str = "crossentropy") -> None:
    """Accuracy vs relative step size (log x): colour per model, solid MNIST / dashed F-MNIST (as Fig. 5)."""
    datasets = list(dict.fromkeys(d for d, _ in results))
    for d, ls in zip(datasets, ("-", "--", ":")):
        for (dd, m), r in results.items():
            if dd != d:
                continue
            rel, acc = step_size_curve(r, loss)
            ax.plot(rel, acc, ls=ls, marker=".", color=colors[m], label=f"{labels[m]}, {d}")
    ax.axvline(DEFAULT_REL_STEPSIZE, color="0.6", lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel(r"step size / $\epsilon$")
    ax.set_ylabel("accuracy under PGD (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=6)
