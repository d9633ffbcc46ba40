"""Amit's CIFAR experiments (Tables 1-3, Figs 5-6): which runs each table needs, where they live, what parameters a
run gets from the scale config, and the run itself (the tied and the untied protocols of Sec. 4.1, catalog A7).

A run is named ``{net}_{regime}_{conn}_{tying}`` (catalog) on a ``dataset``:

    results/models/amit/{dataset}/{net}_{regime}_{conn}_{tying}.pt      (+ .ckpt while it trains)

net ∈ simpnet, deepnet, deepernet, deepernet_s; regime ∈ bp_softmax, bp_hinge, urfb, frfb; conn ∈ full, p50
(50% connectivity); tying ∈ tied, untied. Every run of one net starts from the same W(0) and B(0) (one seed), so
the regimes are compared from one initialisation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from .. import paths
from ..training import Checkpointer
from .deep_nets import FeedbackNet, build_net, freeze, set_connectivity_masks, untie
from .deep_training import REGIMES, evaluate, loss_fn, train_epochs

DATASETS = ("cifar10", "cifar100")
N_CLASSES = {"cifar10": 10, "cifar100": 100}
NETS = ("simpnet", "deepnet", "deepernet", "deepernet_s")
CONNS = ("full", "p50")
TYINGS = ("tied", "untied")
# The paper's six rows: (regime, conn).
SIX_ROWS = (("bp_softmax", "full"), ("bp_hinge", "full"), ("urfb", "full"), ("frfb", "full"), ("urfb", "p50"),
            ("frfb", "p50"))
ROW_LABELS = {("bp_softmax", "full"): "BP Softmax", ("bp_hinge", "full"): "BP Hinge", ("urfb", "full"): "URFB",
              ("frfb", "full"): "FRFB", ("urfb", "p50"): "URFB 50%", ("frfb", "p50"): "FRFB 50%"}
UNTIED_NETS = ("simpnet", "deepernet_s")


def run_name(net: str, regime: str, conn: str, tying: str) -> str:
    return f"{net}_{regime}_{conn}_{tying}"


def model(dataset: str, net: str, regime: str, conn: str, tying: str) -> str:
    return paths.rel_model("amit", f"{dataset}/{run_name(net, regime, conn, tying)}")


# Each table's runs as (dataset, net, regime, conn, tying).
TABLE_RUNS: dict[str, tuple[tuple[str, str, str, str, str], ...]] = {
    "tab1": tuple(("cifar10", "simpnet", r, c, "tied") for r, c in SIX_ROWS)
    + tuple(("cifar10", "simpnet", r, c, "untied") for r, c in (("urfb", "full"), ("frfb", "full"), ("urfb", "p50")))
    + tuple(("cifar100", "simpnet", r, c, "tied") for r, c in SIX_ROWS),
    "tab2": tuple(("cifar100", n, r, c, "tied") for n in ("deepnet", "deepernet") for r, c in SIX_ROWS),
    "tab3": tuple(("cifar10", "deepernet_s", r, "full", "tied") for r in ("bp_softmax", "bp_hinge", "urfb", "frfb"))
    + tuple(("cifar10", "deepernet_s", r, "full", "untied") for r in ("urfb", "frfb")),
}


def run_key(dataset: str, net: str, regime: str, conn: str, tying: str) -> str:
    """The input name of a run in an artifact's spec (``{dataset}__{run name}``)."""
    return f"{dataset}__{run_name(net, regime, conn, tying)}"


def table_inputs(*tables: str) -> Callable[[Mapping[str, Any]], dict[str, str]]:
    """Spec inputs: every run of the named tables, keyed by ``run_key``."""
    def inputs(config: Mapping[str, Any]) -> dict[str, str]:
        return {run_key(*r): model(*r) for t in tables for r in TABLE_RUNS[t]}
    return inputs


def train_inputs(wildcards) -> dict[str, str]:
    """Inputs of rule amit_train: the dataset caches, and for an untied deepernet_s run its tied run."""
    w = wildcards
    inputs = {"train": paths.rel_data_cache(w.amit_dataset, "train"), "test": paths.rel_data_cache(w.amit_dataset, "test")}
    if w.amit_net == "deepernet_s" and w.amit_tying == "untied":
        inputs["tied"] = model(w.amit_dataset, w.amit_net, w.amit_regime, w.amit_conn, "tied")
    return inputs


def check_run(dataset: str, net: str, regime: str, conn: str, tying: str) -> None:
    """Refuse combinations the paper never runs, naming the part at fault."""
    for value, allowed, what in ((dataset, DATASETS, "dataset"), (net, NETS, "net"), (regime, tuple(REGIMES), "regime"),
                                 (conn, CONNS, "conn"), (tying, TYINGS, "tying")):
        if value not in allowed:
            raise ValueError(f"amit run: {what} {value!r} is not one of {list(allowed)}")
    if REGIMES[regime].tied and conn != "full":
        raise ValueError(f"amit run {run_name(net, regime, conn, tying)}: back-propagation is never run with 50% masks")
    if tying == "untied" and net not in UNTIED_NETS:
        raise ValueError(f"amit run {run_name(net, regime, conn, tying)}: only {list(UNTIED_NETS)} have untied phases")


def run_params(cfg: Mapping[str, Any], dataset: str, net: str, regime: str, conn: str, tying: str) -> dict[str, Any]:
    """Everything one run needs, from the scale's ``amit.deep`` section (its hash names the checkpoint)."""
    check_run(dataset, net, regime, conn, tying)
    arch = cfg["nets"][net]
    n_classes = N_CLASSES[dataset]
    p = {k: cfg[k] for k in ("lr", "batch_size", "seed", "sat_slope", "n_train", "n_val", "n_test",
                             "val_holdout", "checkpoint_every")}
    p.update(dataset=dataset, net=net, regime=regime, conn=conn, tying=tying, n_classes=n_classes,
             mu=cfg["off_class_factor"] / (n_classes - 1), conv=list(arch["conv"]), dense=arch["dense"],
             epochs=arch["epochs"], untie=dict(cfg["untie"][net]) if tying == "untied" else None)
    return p


def split_data(train_images, train_targets, test_images, test_targets, p: Mapping[str, Any]):
    """The catalog's split of the official training set: the last ``val_holdout`` images are validation, the rest
    training (45k / 5k at paper scale); then the first n_train / n_val / n_test of each (null = all)."""
    hold = int(p["val_holdout"])
    n_official = len(train_targets)
    if not 0 < hold < n_official:
        raise ValueError(f"amit.deep.val_holdout = {hold} must be between 1 and {n_official - 1} "
                         f"(the training split has {n_official} images)")

    def first(x, y, n):
        n = len(y) if n is None else min(int(n), len(y))
        return x[:n], y[:n]

    cut = n_official - hold
    return (first(train_images[:cut], train_targets[:cut], p["n_train"]),
            first(train_images[cut:], train_targets[cut:], p["n_val"]),
            first(test_images, test_targets, p["n_test"]))


def _fresh_net(p: Mapping[str, Any], seed: int, device) -> tuple[FeedbackNet, torch.Generator]:
    gen = torch.Generator().manual_seed(seed)
    net = build_net(p["net"], p["n_classes"], tied=REGIMES[p["regime"]].tied, generator=gen,
                    sat_slope=p["sat_slope"], conv=p["conv"], dense=p["dense"])
    return net.to(device), gen


def local_layers(p: Mapping[str, Any], net: FeedbackNet) -> list[str]:
    """The convolutions an untied run turns into locally connected layers."""
    convs = [n for n in net.units() if n.startswith("conv")]
    frozen = set(p["untie"].get("freeze", []))
    return [n for n in convs if n not in frozen]


def build_structure(p: Mapping[str, Any], device="cpu", *, tied_conv1: Mapping[str, torch.Tensor] | None = None):
    """The run's network as trained in its main phase, before any training: W, B and masks drawn from the seed.

    - tied: the net, with 50% masks if ``conn == p50``;
    - untied simpnet: masks on the dense layer (U1), the conv untied into a locally connected layer with fresh
      masks of its own (Ambiguity 17). The 1-epoch pre-phase is run by ``run`` between the two;
    - untied deepernet_s: a fresh net ("from scratch", seed + 1) whose first conv is the tied run's (frozen), every
      other conv untied, fresh masks on all but the output (Ambiguity 18).
    Returns (net, generator)."""
    if p["tying"] == "tied":
        net, gen = _fresh_net(p, p["seed"], device)
        if p["conn"] == "p50":
            set_connectivity_masks(net, gen)
        return net, gen
    if p["net"] == "simpnet":
        net, gen = _fresh_net(p, p["seed"], device)
        if p["conn"] == "p50":
            set_connectivity_masks(net, gen, only=["dense1"])
        return net, gen
    net, gen = _fresh_net(p, p["seed"] + 1, device)
    if tied_conv1 is not None:
        with torch.no_grad():
            layer = net.units()["conv1"].layer
            layer.weight.copy_(tied_conv1["weight"])
            layer.feedback.copy_(tied_conv1["feedback"])
    return net, gen


def _untie(p: Mapping[str, Any], net: FeedbackNet, gen: torch.Generator) -> None:
    names = local_layers(p, net)
    untie(net, names)
    freeze(net, p["untie"].get("freeze", []))
    if p["conn"] == "p50":
        set_connectivity_masks(net, gen, only=names + (["dense1"] if p["net"] == "deepernet_s" else []))


def load_net(payload: Mapping[str, Any], device="cpu") -> FeedbackNet:
    """Rebuild a trained run's network from its payload (structure from the params, then the saved tensors)."""
    p = payload["params"]
    net, gen = build_structure(p, device)
    if p["tying"] == "untied":
        _untie(p, net, gen)
    net.load_state_dict(payload["state_dict"])
    return net


def layer_tensor(payload: Mapping[str, Any], layer: str, which: str = "weight") -> torch.Tensor:
    """One layer's W (``weight``) or B (``feedback``) from a run payload, e.g. the untied filters of Fig. 6."""
    return getattr(load_net(payload).units()[layer].layer, which).detach()


def run(p: Mapping[str, Any], data, *, device, checkpoint_path, config_hash: str,
        tied_payload: Mapping[str, Any] | None = None, label: str = "") -> dict[str, Any]:
    """Train one run (resuming from ``checkpoint_path`` if it holds this config's checkpoint) and evaluate it.
    ``data`` = ((x_train, y_train), (x_val, y_val), (x_test, y_test)); ``tied_payload`` is the tied run a
    deepernet_s untied run takes its first convolution from."""
    train, val, test = data
    regime = REGIMES[p["regime"]]
    tied_conv1 = None
    if p["tying"] == "untied" and p["net"] == "deepernet_s":
        if tied_payload is None:
            raise ValueError(f"{label}: an untied deepernet_s run needs its tied run's payload")
        tied_net = load_net(tied_payload)
        tied_conv1 = {k: getattr(tied_net.units()["conv1"].layer, k).detach() for k in ("weight", "feedback")}
    net, gen = build_structure(p, device, tied_conv1=tied_conv1)
    ckpt = Checkpointer(Path(checkpoint_path), every_n_steps=int(p["checkpoint_every"]), config_hash=config_hash,
                        generators={"data": gen})
    resuming = Path(checkpoint_path).exists()
    pre_log: list[dict] = []
    if p["tying"] == "untied":
        u = p["untie"]
        if p["net"] == "simpnet" and not resuming:
            # Phase U1: the regular convolution for a short spell at a small step (Sec. 4.1).
            pre_log = train_epochs(net, train, val, regime=regime, epochs=int(u["pre_epochs"]), lr=float(u["pre_lr"]),
                                   batch_size=p["batch_size"], n_classes=p["n_classes"], generator=gen, mu=p["mu"],
                                   device=device, label=f"{label} [tied pre-phase]")
        _untie(p, net, gen)
    # resumed after every random draw of the set-up, so that the RNG states it restores continue the same stream
    resumed = ckpt.resume()
    epochs = int(p["untie"]["epochs"]) if p["tying"] == "untied" else int(p["epochs"])
    log: list[dict] = []
    start = 0
    if resumed is not None:
        start, state = resumed
        net.load_state_dict(state["net"])
        log, pre_log = list(state["log"]), list(state["pre_log"])
        print(f"{label}: resumed from {checkpoint_path} at epoch {start}", flush=True)

    def on_epoch(epoch: int, rows: list[dict]) -> None:
        ckpt.maybe_save(epoch, lambda: {"net": net.state_dict(), "log": rows, "pre_log": pre_log})

    log = train_epochs(net, train, val, regime=regime, epochs=epochs, lr=p["lr"], batch_size=p["batch_size"],
                       n_classes=p["n_classes"], generator=gen, mu=p["mu"], device=device, start_epoch=start,
                       on_epoch=on_epoch, log=log, label=label)
    loss = loss_fn(regime.loss, p["n_classes"], p["mu"])
    test_m = evaluate(net, test[0], test[1], loss, device=device)
    train_m = evaluate(net, train[0], train[1], loss, device=device)
    last = log[-1]
    metrics = {"test_error": test_m["error"], "test_loss": test_m["loss"],
               "train_error": last["train_error"],            # running, dropout on, last epoch (the tables')
               "train_error_eval": train_m["error"],          # eval mode, whole training subset
               "val_error": last["val_error"], "epochs": epochs,
               "n_train": len(train[1]), "n_val": len(val[1]), "n_test": len(test[1]),
               "train_seconds": sum(r["seconds"] for r in pre_log + log)}
    return {"params": dict(p), "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "log": log, "pre_log": pre_log, "metrics": metrics}
