"""Config -> runs, and the paths of every cached result of the plasticity-rules paper (built by paths.py)."""

from __future__ import annotations

from ..paths import rel_model, rel_sim

PAPER = "plasticity_rules"
SYNTHETIC_TASKS = ("halfspace", "relu1", "relu2", "rnn")
IMAGE_TASKS = ("mnist", "fashion_mnist")
TASKS = SYNTHETIC_TASKS + IMAGE_TASKS
RULES = ("R1", "R2", "R3")
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
