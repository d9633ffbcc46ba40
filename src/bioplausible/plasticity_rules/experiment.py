"""Config -> runs, and the paths of every cached result of the plasticity-rules paper (built by paths.py)."""

from __future__ import annotations

from typing import Any, Mapping

import torch

from ..io import load_npz
from ..paths import rel_attack, rel_model, rel_sim
from .network import Graph, PlasticityNet, input_drive, sample_graph
from .rules import perceptron_output_rule

PAPER = "plasticity_rules"
SYNTHETIC_TASKS = ("halfspace", "relu1", "relu2", "rnn")
IMAGE_TASKS = ("mnist", "fashion_mnist")
TASKS = SYNTHETIC_TASKS + IMAGE_TASKS
RULES = ("R1", "R2", "R3")
CLOSED_FORM_RESULTS = ("txt_c4", "thm1", "thm2")   # the results of pr_txt_c4, pr_thm1, pr_thm2
NETS = ("T3", "T1", "T1star", "GD")   # Table 2 / Fig. 4 networks: rule-trained T = 3, T = 1, T = 1* (A = 1), GD


# --- cached results (arguments may be Snakemake wildcard placeholders such as "{task}") --------------------
def task_data(task: str) -> str:
    """A generated task: train/test inputs, labels and the labeller's weights."""
    return rel_sim(PAPER, f"tasks/{task}")


def learned_rule(rule: str) -> str:
    """A rule learned by GD (R1, R2, R3): its tables, the rule network and the loss curve."""
    return rel_model(PAPER, f"rules/{rule}")


def trained_net(dataset: str, net: str, seed: int | str) -> str:
    """A Table 2 / Fig. 4 network: graph, W, U, clean accuracies and logs."""
    return rel_model(PAPER, f"nets/{dataset}/{net}_s{seed}")


def closed_form_result(name: str) -> str:
    """A result of the alternative-scheme / closed-form artifacts (``txt_c4``, ``thm1``, ``thm2``)."""
    if name not in CLOSED_FORM_RESULTS:
        raise ValueError(f"closed-form result {name!r}: choose one of {CLOSED_FORM_RESULTS}")
    return rel_sim(PAPER, f"closed_forms/{name}")


def attack_result(dataset: str, net: str, seed: int | str) -> str:
    """The targeted raw-gradient L2 attack (catalog A7) on one Table 2 / Fig. 4 network, with its diagnostics."""
    return rel_attack(PAPER, f"l2/{dataset}/{net}_s{seed}")


# --- data ----------------------------------------------------------------------------------------------------
def load_task(task: str, split: str, *, data_cfg: Mapping[str, Any] | None = None, task_file: str | None = None,
              n: int | None = None, subset_seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs (N, d) float64 and labels (N,) int64 of one split: a generated task read from ``task_file``, or
    MNIST / Fashion-MNIST from the data cache as pixel/255, flattened to 784 (no other normalisation).

    ``n`` keeps a seeded random subset of that size (catalog Amb. 24: one subset shared by every model);
    None keeps the whole split."""
    if split not in ("train", "test"):
        raise ValueError(f"split {split!r}: choose train or test")
    if task in SYNTHETIC_TASKS:
        if task_file is None:
            raise ValueError(f"generated task {task!r} needs its cached file (rule pr_task)")
        arrays = load_npz(task_file)
        x = torch.from_numpy(arrays[f"x_{split}"]).double()
        y = torch.from_numpy(arrays[f"y_{split}"]).long()
    elif task in IMAGE_TASKS:
        from ..data import load_split

        data = load_split(task, split, cache_root="results/data", **(data_cfg or {}))
        x = data.images.reshape(len(data.images), -1).double() / 255.0
        y = data.targets.long()
    else:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASKS)}")
    if n is not None and n < len(y):
        keep = torch.randperm(len(y), generator=torch.Generator().manual_seed(subset_seed))[:n].sort().values
        x, y = x[keep], y[keep]
    return x, y


def n_classes_of(task: str) -> int:
    return 2 if task in SYNTHETIC_TASKS else 10


# --- networks and rules -----------------------------------------------------------------------------------------
def build_graph(network_cfg: Mapping[str, Any], *, n: int, k: int, T: int, d: int, n_classes: int, seed: int,
                input_init: str = "normal") -> Graph:
    """The simple RNN of ``network_cfg`` (config block plasticity_rules.network) with these sizes."""
    return sample_graph(n=n, d=d, n_classes=n_classes, T=T, k=k, p=network_cfg["p"], seed=seed,
                        input_init=input_init, recurrence=network_cfg["recurrence"], fired=network_cfg["fired"],
                        dtype=network_cfg["dtype"])


def network_on(network_cfg: Mapping[str, Any], task: str, *, n: int, k: int, T: int, seed: int,
               device: torch.device | str = "cpu", data_cfg: Mapping[str, Any] | None = None,
               task_file: str | None = None, n_train: int | None = None, n_test: int | None = None,
               subset_seed: int = 0, input_init: str = "normal"
               ) -> tuple[Graph, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A network of ``network_cfg`` with these sizes on ``task``, and its input drives: (graph, drive, labels,
    test drive, test labels), all on ``device``. ``n_train``/``n_test`` keep seeded subsets (:func:`load_task`)."""
    x, y = load_task(task, "train", data_cfg=data_cfg, task_file=task_file, n=n_train, subset_seed=subset_seed)
    x_test, y_test = load_task(task, "test", data_cfg=data_cfg, task_file=task_file, n=n_test,
                               subset_seed=subset_seed)
    graph = build_graph(network_cfg, n=n, k=k, T=T, d=x.shape[1], n_classes=n_classes_of(task), seed=seed,
                        input_init=input_init).to(device)
    return (graph, input_drive(graph, x.to(device)), y.to(device), input_drive(graph, x_test.to(device)),
            y_test.to(device))


def load_rule(path: str) -> dict[str, Any]:
    """A learned rule: ``T``, ``rnn`` (2^T × 2^T table or None), ``output`` (2^T × 2 table), ``log``."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if payload.get("kind") != "learned_rule":
        raise ValueError(f"{path}: not a learned rule (kind {payload.get('kind')!r})")
    return payload


def output_rule_for(T: int, fired_in: str) -> torch.Tensor:
    """The fixed perceptron(-style) output rule of Table 2 / Fig. 4: Table 1's for T = 1, Amb. 8's for T = 3."""
    return perceptron_output_rule(T, fired_in)


def save_net(graph: Graph, W: torch.Tensor | None, U: torch.Tensor, *, kind: str, metrics: Mapping[str, Any],
             log: Any = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The payload of a trained network (what :func:`load_net` rebuilds)."""
    state = {k: (v.cpu() if torch.is_tensor(v) else v) for k, v in graph.state().items()}
    return {"kind": kind, "graph": state, "W": None if W is None else W.cpu(), "U": U.cpu(),
            "metrics": dict(metrics), "log": log, **dict(extra or {})}


def load_net(path: str, device: str | torch.device = "cpu",
             dtype: torch.dtype | None = None) -> tuple[PlasticityNet, dict[str, Any]]:
    """A trained network as an ``nn.Module`` ([0, 1] images -> logits) and its payload."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if payload.get("kind") not in ("plasticity", "gd"):
        raise ValueError(f"{path}: not a trained network (kind {payload.get('kind')!r})")
    graph = Graph.from_state(payload["graph"])
    W, U = payload["W"], payload["U"]
    model = PlasticityNet(graph, W, U)
    return model.to(device=device, dtype=dtype or graph.dtype).eval(), payload


# --- the parameters each compute rule sees (everything it depends on, so Snakemake reruns on change) ------------
def task_params(pr: Mapping[str, Any], task: str) -> dict[str, Any]:
    t = pr["tasks"]
    return {"task": task, "seed": t["seeds"][task], "n_train": t["n_train"], "n_test": t["n_test"],
            "dim": t["dim"], "relu_width": t["relu_width"], "rnn_labeller": dict(t["rnn_labeller"]),
            "p": pr["network"]["p"]}


def rule_params(pr: Mapping[str, Any], rule: str) -> dict[str, Any]:
    return {"rule": rule, **dict(pr["rules"][rule]), "network": dict(pr["network"]), "meta": dict(pr["meta"]),
            "output_rule_T3": pr["output_rule_T3"]}


def task_inputs(task: str) -> dict[str, str]:
    """The cached inputs a job on ``task`` reads: the generated file, or the image data caches."""
    from ..paths import rel_data_cache

    if task in SYNTHETIC_TASKS:
        return {"task": task_data(task)}
    return {"train": rel_data_cache(task, "train"), "test": rel_data_cache(task, "test")}


def net_inputs(net: str, dataset: str) -> dict[str, str]:
    from ..paths import rel_data_cache

    out = {"train": rel_data_cache(dataset, "train"), "test": rel_data_cache(dataset, "test")}
    if net == "T3":
        out["rule"] = learned_rule("R3")
    return out


def net_params(pr: Mapping[str, Any], net: str) -> dict[str, Any]:
    nets = pr["nets"]
    out = {"net": net, "n": nets["n"], "k": nets["k"], "n_train": nets["n_train"], "network": dict(pr["network"])}
    if net == "GD":
        out["gd"] = dict(nets["gd"])
    else:
        out.update(epochs=nets["epochs"], T=3 if net == "T3" else 1,
                   input_init="ones" if net == "T1star" else "normal", output_rule_T3=pr["output_rule_T3"])
    return out


def closed_form_inputs(pr: Mapping[str, Any], name: str) -> dict[str, str]:
    """The generated tasks and image data caches the ``name`` job of pr_txt_c4 / pr_thm1 / pr_thm2 reads."""
    from ..paths import rel_data_cache

    block = pr[name]
    if name == "txt_c4":
        tasks, images = list(block["tasks"]), ["mnist"]
    elif name == "thm1":
        tasks = [d for d in block["steps"] if d in SYNTHETIC_TASKS]
        images = ["mnist"] if "mnist01" in block["steps"] else []
    elif name == "thm2":
        tasks = [d for d in block["datasets"] if d in SYNTHETIC_TASKS]
        images = [d for d in block["datasets"] if d in IMAGE_TASKS]
    else:
        raise ValueError(f"closed-form result {name!r}: choose one of {CLOSED_FORM_RESULTS}")
    out = {t: task_data(t) for t in tasks}
    for d in images:
        out[f"{d}_train"] = rel_data_cache(d, "train")
        out[f"{d}_test"] = rel_data_cache(d, "test")
    return out


def closed_form_params(pr: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {name: dict(pr[name]), "network": dict(pr["network"])}


# --- the robustness artifacts (pr_fig4, pr_tab2, pr_fig5a, pr_fig5b; config block plasticity_rules.attack) -------
def attack_params(pr: Mapping[str, Any], dataset: str, net: str) -> dict[str, Any]:
    """What one attack job depends on: the attack block, resolved for this (dataset, net)."""
    a = pr["attack"]
    return {"dataset": dataset, "net": net, "n_images": a["n_images"], "image_seed": a["image_seed"],
            "epsilons": list(a["epsilons"]), "alpha": a["alpha"], "steps": a["steps"], "loss": a["loss"],
            "dtype": a["dtype"], "batch_size": a["batch_size"],
            "probs": dict(a["probs"]) if dataset in a["probs"]["datasets"] and net in a["probs"]["nets"] else None,
            "alpha_sweep": dict(a["alpha_sweep"]) if dataset in a["alpha_sweep"]["datasets"] else None,
            "diag": dict(a["diag"]) if dataset in a["diag"]["datasets"] else None}


def attacked_images(dataset: str, n: int, seed: int, data_cfg: Mapping[str, Any] | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The ``n`` seeded test images every net of ``dataset`` is attacked on: (x float64 (n, 784), y, indices)."""
    x, y = load_task(dataset, "test", data_cfg=data_cfg)
    if not 1 <= n <= len(y):
        raise ValueError(f"attack.n_images={n} must be in [1, {len(y)}] (the {dataset} test set)")
    idx = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))[:n]
    return x[idx], y[idx], idx


# --- learning curves and transfer (pr_fig2, pr_fig3, pr_fig6; helper "curves") -------------------------------------
def fig2_curves() -> str:
    """Fig. 2: MNIST test-accuracy curves of plasticity (R1, perceptron) and GD on one T = 1 net."""
    return rel_sim(PAPER, "curves/fig2_mnist")


def fig3_transfer(dataset: str) -> str:
    """Fig. 3: test/train accuracies of the four models re-trained with the fixed rules on one dataset."""
    return rel_sim(PAPER, f"transfer/fig3_{dataset}")


def fig6_curves() -> str:
    """Fig. 6: MNIST test-accuracy curves of a T = 3 net, misclassified-only vs every example."""
    return rel_sim(PAPER, "curves/fig6_mnist")
