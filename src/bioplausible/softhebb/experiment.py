"""From the scale config to the runs: the one place that turns Table 1 + the variants into training configs.

Every SoftHebb / hard-WTA / MLP training rule calls these functions with its config section, so the
hyperparameters of Table 1 (``softhebb.table1``, also rendered as sh_tab1) are the ones the runs use;
departures (the named variants, the scale's epochs and sizes) are explicit config values.

Model names (the ``{model}`` part of ``results/models/softhebb/{model}.pt``):
``wta_{dataset}_{variant}_s{seed}`` (variant = a key of ``softhebb.wta.variants`` or ``hard_wta``) and
``mlp_{dataset}_{activation}_s{seed}`` (activation ``relu`` or ``softmax``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import torch

from ..paths import rel_attack, rel_model
from .baselines import ProjectionFeatures
from .mlp import MLP
from .readout import FeatureClassifier
from .wta import SoftWTA, WTAConfig

HARD_WTA = "hard_wta"


def wta_config(sh: Mapping[str, Any], dataset: str, variant: str, seed: int, K: int | None = None) -> WTAConfig:
    """The WTAConfig of one 100-epoch-protocol run (Table 1's 100-epoch column + scale sizes + variant).

    Fashion-MNIST uses Table 1's footnote lr0 for the WTA networks; CIFAR-10 (sh_txt37) the MNIST values
    [catalog] with its own number of epochs (``softhebb.txt37.cifar10_epochs``).
    ``K`` (optional) replaces the number of neurons ``softhebb.wta.K`` and nothing else (Fig. 6's SH100).
    """
    wta = sh["wta"]
    column = sh["table1"]["epochs_100"]["hard_wta" if variant == HARD_WTA else "soft_wta"]
    lr0 = sh["table1"]["fashion_mnist_wta_lr0"] if dataset == "fashion_mnist" else column["lr0"]
    fields: dict[str, Any] = {
        "K": wta["K"], "lr0": lr0, "schedule": column["lr_decay"], "batch_size": column["batch_size"],
        "epochs": sh["txt37"]["cifar10_epochs"] if dataset == "cifar10" else wta["epochs"], "init": wta["init"], "init_radius": wta["init_radius"],
        "prior_lr_factor": wta["prior_lr_factor"], "seed": seed,
    }
    if variant == HARD_WTA:
        # SoftHebb with an infinite base (A.4): no prior; same initialisation as the default variant
        default = dict(wta["variants"][wta["default_variant"]])
        fields.update({k: default[k] for k in ("init", "init_radius") if k in default})
        fields.update(base=math.inf, learn_prior=False, variant="paper_literal")
    else:
        if variant not in wta["variants"]:
            raise KeyError(f"unknown SoftHebb variant {variant!r}; config softhebb.wta.variants has "
                           f"{sorted(wta['variants'])} (and {HARD_WTA!r})")
        overrides = dict(wta["variants"][variant])
        # a config variant names the rule variant it runs (WTAConfig.variant); by default its own name
        fields.update(base=column["softmax_base"], variant=overrides.pop("rule", variant))
        fields.update(overrides)
    if K is not None:
        fields["K"] = int(K)
    return WTAConfig.from_mapping(fields)


def mlp_kwargs(sh: Mapping[str, Any], activation: str, seed: int) -> dict[str, Any]:
    """Keyword arguments of ``train_mlp`` for the 100-epoch back-propagation baseline (Table 1)."""
    column = sh["table1"]["epochs_100"]["backprop"]
    return {"hidden": sh["mlp"]["hidden"], "activation": activation, "optimizer": column["optimizer"],
            "lr": column["lr0"], "batch_size": column["batch_size"], "epochs": sh["mlp"]["epochs"], "seed": seed}


def wta_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_train_wta: the resolved run config, so Snakemake reruns exactly what changed."""
    run = wta_config(sh, wildcards.dataset, wildcards.variant, int(wildcards.seed))
    return {"wta_config": run.to_dict(), "readout": dict(sh["readout"]), "n_train": sh["n_train"],
            "n_test": sh["n_test"]}


def mlp_rule_params(sh: Mapping[str, Any], wildcards: Any) -> dict[str, Any]:
    """``params.cfg`` of rule sh_train_mlp."""
    return {"mlp_kwargs": mlp_kwargs(sh, wildcards.activation, int(wildcards.seed)), "n_train": sh["n_train"],
            "n_test": sh["n_test"]}


def model_variants(sh: Mapping[str, Any]) -> list[str]:
    return [*sh["wta"]["variants"], HARD_WTA]


# --- cached results each artifact reads (paths.py builds the paths; specs.py names them) -------------
# (arguments may be Snakemake wildcard placeholders such as "{dataset}": rules and specs share these names)
def wta_model(dataset: str, variant: str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/wta_{variant}_s{seed}")


def mlp_model(dataset: str, activation: str, seed: int | str) -> str:
    return rel_model("softhebb", f"{dataset}/mlp_{activation}_s{seed}")


def robustness_result(dataset: str, model_name: str) -> str:
    return rel_attack("softhebb", f"{dataset}/{model_name}")


def attacked_test_images(dataset: str, n_test: int | None, data_cfg: Mapping[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``n_test`` test images and labels of ``dataset`` (all when None): the images every attack rule
    (sh_robustness, sh_pgd_sweeps) attacks, so their curves are on the same images."""
    from ..data import load_split

    data = load_split(dataset, "test", cache_root="results/data", **data_cfg)
    n = min(n_test or len(data.images), len(data.images))
    return data.images[:n], data.targets[:n]


def load_model(path: str, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, dict[str, Any]]:
    """Rebuild a trained classifier (SoftHebb/hard-WTA, K-means/PCA features + read-out, or MLP) from its payload."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    kind = payload["kind"]
    if kind == "wta":
        cfg = WTAConfig.from_mapping(payload["wta_config"])
        layer = SoftWTA(payload["n_in"], cfg.K, cfg.base)
        model = FeatureClassifier(layer, cfg.K, payload["n_classes"])
    elif kind == "projection":
        # K-means / PCA features (Fig. 6); the weight buffer W comes back with the state dict
        features = ProjectionFeatures(torch.zeros(payload["n_features"], payload["n_in"]), payload["activation"],
                                      payload["base"])
        model = FeatureClassifier(features, payload["n_features"], payload["n_classes"])
    elif kind == "mlp":
        model = MLP(hidden=payload["hidden"], activation=payload["activation"], n_in=payload["n_in"],
                    n_classes=payload["n_classes"])
    else:
        raise ValueError(f"{path}: unknown model kind {kind!r}")
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), payload
