"""oja_fig8's runs: the ``oja.meta`` config block -> one meta-training run per (method, meta-seed), and the paths of
their cached results (rule ``oja_meta_train`` in workflow/rules/oja_meta.smk writes them; the notebook reads them).

    results/sims/oja/meta/{method}_s{seed}.npz   per-episode meta-accuracy, meta-loss, Theta trajectory, ...
"""

from __future__ import annotations

from typing import Any, Mapping

from ..paths import rel_data_cache, rel_sim
from .meta import METHODS

# Keys of the config block that shape a run (the rest only shape the figure and the claims), so that
# editing e.g. ma_window does not rerun the meta-training.
RUN_KEYS = ("dataset", "pool_split", "hidden", "beta", "n_way", "k_shot", "q_query", "episodes", "meta_lr",
            "theta0_init", "l1", "clip", "images_with_replacement", "feedback_update")


def check(meta: Mapping[str, Any]) -> None:
    """Cross-key checks the schema cannot express; a clear error naming the key."""
    if meta["last_episodes"] > meta["episodes"]:
        raise ValueError(f"oja.meta.last_episodes={meta['last_episodes']} exceeds oja.meta.episodes={meta['episodes']}")
    if meta["ma_window"] > meta["episodes"]:
        raise ValueError(f"oja.meta.ma_window={meta['ma_window']} exceeds oja.meta.episodes={meta['episodes']}")
    unknown = [m for m in meta["methods"] if m not in METHODS]
    if unknown:
        raise ValueError(f"oja.meta.methods has unknown {unknown}; known: {sorted(METHODS)}")


def run_result(method: str, seed: int | str) -> str:
    """The cached result of one meta-training run (arguments may be Snakemake wildcard placeholders)."""
    return rel_sim("oja", f"meta/{method}_s{seed}")


def pool_cache(meta: Mapping[str, Any]) -> str:
    """The data cache of the episode pool."""
    return rel_data_cache(meta["dataset"], meta["pool_split"])


def rule_params(meta: Mapping[str, Any], method: str, seed: int | str) -> dict[str, Any]:
    """``params.cfg`` of rule oja_meta_train: only what shapes the run, plus the method and seed."""
    check(meta)
    return {**{k: meta[k] for k in RUN_KEYS}, "method": str(method), "seed": int(seed)}


def fig8_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Every configured method and meta-seed (the spec's inputs): name ``{method}_s{seed}``."""
    meta = config["oja"]["meta"]
    check(meta)
    return {f"{m}_s{s}": run_result(m, s) for m in meta["methods"] for s in meta["seeds"]}
