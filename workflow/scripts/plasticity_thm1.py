"""Compute rule pr_thm1_result: GD on the additive T = 1 output rule from random initial rules (Thm 1; catalog A8).

Per dataset (Halfspace, ReLU1, MNIST digits 0 vs 1 relabelled 0/1): one graph (|V| = n, cap k, p), and for each
of ``inits`` initial rules R_o ~ N(0, 1) (seed init_seed + i, which also seeds the batch order) the rule is learned
as ``meta.learn_rule`` would (batches of 100 trained misclassified-only from W = U = 0, CE on the batch, Adam with
coupled weight decay), all inits at once (``meta.learn_output_rules``). The table is logged every ``log_every``
Adam steps."""

import time

import numpy as np
import torch

from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import meta, network
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
t1 = p["thm1"]
device = step.torch_device(smk, seed=t1["seed"])


def load(dataset):
    if dataset == "mnist01":
        digits = t1["mnist_digits"]
        x, y = ex.load_task("mnist", "train", data_cfg=smk.params.data)
        keep = (y == digits[0]) | (y == digits[1])
        x, y = x[keep], (y[keep] == digits[1]).long()       # first digit -> class 0, second -> class 1
    else:
        x, y = ex.load_task(dataset, "train", task_file=smk.input[dataset])
    if len(y) < t1["batch"]:
        raise ValueError(f"thm1 on {dataset}: {len(y)} training examples, fewer than thm1.batch = {t1['batch']}")
    return x, y


arrays = {"datasets": np.array(list(t1["steps"]))}
timings = {}
for dataset, steps in t1["steps"].items():
    x, y = load(dataset)
    graph = ex.build_graph(p["network"], n=t1["n"], k=t1["k"], T=1, d=x.shape[1], n_classes=2, seed=t1["seed"])
    drive = network.input_drive(graph, x)
    seeds = [t1["init_seed"] + i for i in range(t1["inits"])]
    init_tables = torch.stack([torch.randn(2, 2, generator=torch.Generator().manual_seed(s), dtype=graph.dtype)
                               for s in seeds])
    t0 = time.time()
    # the inits advance together (meta.learn_output_rules); each run is exactly learn_rule(..., seed=seeds[i])
    final_tables, logs = meta.learn_output_rules(graph, drive, y, initial_tables=init_tables, seeds=seeds,
                                                 eta=p["network"]["eta"], steps=steps, batch=t1["batch"], lr=t1["lr"],
                                                 weight_decay=t1["weight_decay"], log_every=t1["log_every"],
                                                 log_tables=True)
    inits, finals = init_tables.numpy(), final_tables.numpy()
    tables = [[e["output_table"] for e in log] for log in logs]
    losses = [[e["loss"] for e in log] for log in logs]
    accs = [[e["batch_acc"] for e in log] for log in logs]
    log = logs[0]
    for i, seed in enumerate(seeds):
        print(f"{dataset} init {i} (seed {seed}): {inits[i].tolist()} -> {finals[i].tolist()}, "
              f"final batch loss {losses[i][-1]:.4f}")
    timings[dataset] = time.time() - t0
    arrays.update({f"{dataset}__init": np.array(inits), f"{dataset}__final": np.array(finals),
                   f"{dataset}__steps": np.array([e["step"] + 1 for e in log]),   # Adam steps taken at each entry
                   f"{dataset}__tables": np.array(tables), f"{dataset}__loss": np.array(losses),
                   f"{dataset}__batch_acc": np.array(accs), f"{dataset}__n_train": np.array(len(y))})
step.save_npz(arrays)
step.finish({"seconds": timings})
