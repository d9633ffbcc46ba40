"""Compute rule pr_fig2_curves: Fig. 2, plasticity vs GD on MNIST with one T = 1 network (catalog pr_fig2).

One graph (|V|, k, seed from the config). The features h = c_k(ReLU(Ã x)) of a T = 1 net do not depend on W, so
every evaluation is a read-out on features computed once. Curves (test accuracy on a fixed seeded test subset,
every ``eval_every`` samples): (i) the learned output rule R1, misclassified-only, one pass; (iii) the
perceptron rule of Table 1, same order; (ii) GD (Adam) on U only for ``gd.epochs`` passes (catalog A6). The
final accuracies are on the full test set."""

import time

import numpy as np
import torch

from bioplausible.plasticity_rules import curves
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, rules, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = p["seed"]
device = step.torch_device(smk, seed=seed)
graph, drive, y, drive_test, y_test = ex.network_on(p["network"], "mnist", n=p["n"], k=p["k"], T=1, seed=seed,
                                                    device=device, data_cfg=smk.params.data, n_train=p["n_train"],
                                                    subset_seed=seed)
features, _ = network.rounds(graph, None, drive)
features_test, _ = network.rounds(graph, None, drive_test)
keep = torch.randperm(len(y_test), generator=torch.Generator().manual_seed(seed))[:p["n_eval"]].to(device)
h_eval, y_eval = features_test[keep], y_test[keep]
out: dict = {"n_train": len(y), "n_eval": len(y_eval), "n_test": len(y_test)}


def record(name: str, U: torch.Tensor, curve: list[dict], seconds: float, n_updates: int) -> None:
    out[f"{name}_seen"] = np.array([c["seen"] for c in curve])
    out[f"{name}_acc"] = np.array([c["acc"] for c in curve])
    out[f"{name}_final_acc"] = float(curves.feature_accuracy(features_test, U, y_test))
    out[f"{name}_train_acc"] = float(curves.feature_accuracy(features, U, y))
    out[f"{name}_n_updates"] = n_updates
    out[f"{name}_seconds"] = seconds
    print(f"{name}: final test {out[f'{name}_final_acc']:.4f}, train {out[f'{name}_train_acc']:.4f}, "
          f"{n_updates} updates, {seconds:.1f} s")


orders = training.shuffled_orders(len(y), epochs=1, seeds=[seed]).to(device)
tables = {"R1": ex.load_rule(smk.input.rule)["output"], "perceptron": torch.tensor(rules.PERCEPTRON_OUTPUT_RULE)}
for name, table in tables.items():
    res = training.train_with_rules(graph, None, table.to(device=device, dtype=graph.dtype), drive, y, orders,
                                    eta=p["network"]["eta"], eval_every=p["eval_every"],
                                    eval_fn=lambda W, U: {"acc": float(curves.feature_accuracy(h_eval, U[0], y_eval))})
    out[f"{name}_table"] = table.cpu().numpy()
    record(name, res.U[0], res.curve, res.seconds, int(res.n_updates[0]))

g = p["gd"]
t0 = time.time()
U, curve = training.train_output_by_gd(features, y, n_classes=10, lr=g["lr"], batch=g["batch"], epochs=g["epochs"],
                                       seed=seed, eval_every=p["eval_every"],
                                       eval_fn=lambda U: {"acc": float(curves.feature_accuracy(h_eval, U, y_eval))})
record("gd", U, curve, time.time() - t0, g["epochs"] * len(y) // g["batch"])
step.save_npz({k: np.asarray(v) for k, v in out.items()})
step.finish({k: v for k, v in out.items() if k.endswith(("_final_acc", "_seconds"))})
