"""Compute rule pr_fig3_transfer: Fig. 3 on one dataset, the four models re-trained with the fixed learned rules
(catalog pr_fig3).

Each model (FF-small, FF-large: T = 1 with R1's output table; RNN-small, RNN-large: T = 3 with R2's RNN and
output tables) gets one graph per input dimension: its ``graph_seed`` fixes M_G for every dataset, and Ã is
drawn for this d (catalog Amb. 26). The ``runs`` re-trainings share that graph and differ in the order of the
examples (order seeds 0..runs-1, Amb. 22); they advance together in one ``train_with_rules`` call (the run
dimension). One pass, misclassified-only, η from the network block; W = 0, U = 0 at the start. Test accuracy on
the (seeded subset of the) test set, train accuracy on the training examples, each dataset's majority-class
rate, and per run max |W| and the fraction of units firing in each round on the test set (Amb. 25)."""

import numpy as np

from bioplausible.plasticity_rules import curves
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
dataset = p["dataset"]
device = step.torch_device(smk, seed=p["graph_seed"])
task_file = smk.input.get("task")
n_classes = ex.n_classes_of(dataset)
x, y = ex.load_task(dataset, "train", data_cfg=smk.params.data, task_file=task_file, n=p["n_train"],
                    subset_seed=p["subset_seed"])
x_test, y_test = ex.load_task(dataset, "test", data_cfg=smk.params.data, task_file=task_file, n=p["n_test"],
                              subset_seed=p["subset_seed"])
x, y, x_test, y_test = x.to(device), y.to(device), x_test.to(device), y_test.to(device)
orders = training.shuffled_orders(len(y), epochs=1, seeds=list(range(p["runs"]))).to(device)
rules = {name: ex.load_rule(getattr(smk.input, name)) for name in sorted({m["rule"] for m in p["models"].values()})}
arrays: dict = {"models": np.array(curves.FIG3_MODELS), "n_train": len(y), "n_test": len(y_test),
                "majority_train": curves.majority_rate(y.cpu(), n_classes),
                "majority_test": curves.majority_rate(y_test.cpu(), n_classes)}
rows = {k: [] for k in ("test_acc", "train_acc", "firing", "n_updates", "max_abs_W", "max_abs_U", "seconds")}
T_max = max(m["T"] for m in p["models"].values())
for model in curves.FIG3_MODELS:
    m = p["models"][model]
    rule = rules[m["rule"]]
    if rule["T"] != m["T"]:
        raise ValueError(f"fig3 model {model}: T = {m['T']} but rule {m['rule']} was learned for T = {rule['T']} "
                         f"(config plasticity_rules.fig3.models.{model})")
    graph = ex.build_graph(p["network"], n=m["n"], k=m["k"], T=m["T"], d=x.shape[1], n_classes=n_classes,
                           seed=p["graph_seed"]).to(device)
    drive, drive_test = network.input_drive(graph, x), network.input_drive(graph, x_test)
    rnn = rule["rnn"].to(device=device, dtype=graph.dtype) if m["T"] >= 2 else None
    res = training.train_with_rules(graph, rnn, rule["output"].to(device=device, dtype=graph.dtype), drive, y, orders,
                                    eta=p["network"]["eta"])
    W = res.W if m["T"] >= 2 else None
    test_acc, firing = curves.accuracy_and_firing(graph, W, res.U, drive_test, y_test)
    rows["test_acc"].append(test_acc.cpu().numpy())
    rows["firing"].append(np.pad(firing.cpu().numpy(), ((0, 0), (0, T_max - m["T"])), constant_values=np.nan))
    rows["train_acc"].append(network.accuracy(graph, W, res.U, drive, y).cpu().numpy())
    rows["n_updates"].append(res.n_updates.cpu().numpy())
    rows["max_abs_W"].append(res.W.abs().amax((-1, -2)).cpu().numpy())
    rows["max_abs_U"].append(res.U.abs().amax((-1, -2)).cpu().numpy())
    rows["seconds"].append(np.full(p["runs"], res.seconds))
    print(f"{model} on {dataset}: test {rows['test_acc'][-1].round(4).tolist()}, "
          f"train {rows['train_acc'][-1].round(4).tolist()}, firing per round {rows['firing'][-1].round(3).tolist()}, "
          f"updates {rows['n_updates'][-1].tolist()}, "
          f"{res.seconds:.1f} s", flush=True)
arrays.update({k: np.stack(v) for k, v in rows.items()})
step.save_npz(arrays)
step.finish({"dataset": dataset, "majority_test": arrays["majority_test"],
             **{f"{m}_test_acc_mean": float(arrays["test_acc"][i].mean()) for i, m in enumerate(curves.FIG3_MODELS)},
             **{f"{m}_seconds": float(arrays["seconds"][i, 0]) for i, m in enumerate(curves.FIG3_MODELS)}})
