"""Compute rule pr_learn_rule: learn R1 / R2 / R3 by GD through the unrolled inner loop (catalog A5).

The payload holds the rule tables (the RNN table materialised from the rule network), the network's weights,
the loss curve, and a sanity check: a fresh network of the same graph trained with the learned rule for one
pass over the rule's training set, and its test accuracy."""

import torch

from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import meta, network, rules, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
m = p["meta"]
device = step.torch_device(smk, seed=m["seed"])
task_file = smk.input.get("task")
x, y = ex.load_task(p["task"], "train", data_cfg=smk.params.data, task_file=task_file, n=p["n_train"])
x_test, y_test = ex.load_task(p["task"], "test", data_cfg=smk.params.data, task_file=task_file)
graph = ex.build_graph(p["network"], n=p["n"], k=p["k"], T=p["T"], d=x.shape[1], n_classes=ex.n_classes_of(p["task"]),
                       seed=m["graph_seed"]).to(device)
dtype = graph.dtype
x, y, x_test, y_test = x.to(device), y.to(device), x_test.to(device), y_test.to(device)
drive = network.input_drive(graph, x)
learn = p["learn"]
if p["T"] == 1 and learn != "output":
    raise ValueError(f"rule {p['rule']}: T = 1 has no RNN rule; config key plasticity_rules.rules.{p['rule']}.learn "
                     f"must be 'output', not {learn!r}")
torch.manual_seed(m["seed"])
rnn_rule = rules.NetworkRule(p["T"], m["rule_hidden"], dtype=dtype).to(device) if learn in ("rnn", "both") else None
output_rule = (rules.TableRule(p["T"], "output", dtype=dtype).to(device) if learn in ("output", "both")
               else ex.output_rule_for(p["T"], p["output_rule_T3"]).to(device=device, dtype=dtype))
log = meta.learn_rule(graph, drive, y, rnn_rule=rnn_rule, output_rule=output_rule, eta=p["network"]["eta"],
                      steps=m["steps"], batch=m["batch"], lr=m["lr"], weight_decay=m["weight_decay"], seed=m["seed"],
                      progress=print)
rnn_table = rules.rule_table(rnn_rule).detach() if rnn_rule is not None else None
out_table = rules.rule_table(output_rule).detach()
check = training.train_with_rules(graph, rnn_table, out_table, drive, y, training.shuffled_orders(len(y), epochs=1,
                                  seeds=[m["seed"]]), eta=p["network"]["eta"])
W = check.W[0] if p["T"] >= 2 else None
test_acc = float(network.accuracy(graph, W, check.U[0], network.input_drive(graph, x_test), y_test))
train_acc = float(network.accuracy(graph, W, check.U[0], drive, y))
print(f"rule {p['rule']}: final loss {log[-1]['loss']:.4f}; one pass with the rule: train {train_acc:.4f}, "
      f"test {test_acc:.4f}; output table {out_table.tolist()}")
step.save_torch({"kind": "learned_rule", "rule": p["rule"], "T": p["T"], "learn": learn,
                 "rnn": None if rnn_table is None else rnn_table.cpu(), "output": out_table.cpu(), "rnn_state": None if rnn_rule is None else rnn_rule.state_dict(),
                 "log": log, "params": p,
                 "metrics": {"final_loss": log[-1]["loss"], "check_train_acc": train_acc, "check_test_acc": test_acc,
                             "seconds": log[-1]["seconds"]}})
step.finish({"final_loss": log[-1]["loss"], "check_test_acc": test_acc})
