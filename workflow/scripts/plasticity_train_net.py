"""Compute rule pr_train_net: one Table 2 / Fig. 4 network on MNIST or Fashion-MNIST.

T3: the learned RNN rule R3 + the perceptron-style output rule; T1: Table 1's perceptron output rule; T1star:
the same with every input weight equal to 1 (mask kept); all trained by rules only, misclassified-only, for
``epochs`` passes (catalog A4). GD: a T = 1 network of the same graph whose output weights are trained by Adam
(catalog A6). The graph seed is the run seed, so the four nets of one seed share G, M_A and A (Fig. 4's "same
network")."""

import time


from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = int(smk.wildcards.seed)
device = step.torch_device(smk, seed=seed)
dataset = smk.wildcards.dataset
T = p.get("T", 1)
graph, drive, y, drive_test, y_test = ex.network_on(p["network"], dataset, n=p["n"], k=p["k"], T=T, seed=seed,
                                                    device=device, data_cfg=smk.params.data, n_train=p["n_train"],
                                                    input_init=p.get("input_init", "normal"))
t0 = time.time()
log = []
if p["net"] == "GD":
    features, _ = network.rounds(graph.with_rounds(1), None, drive)
    g = p["gd"]
    U, _ = training.train_output_by_gd(features, y, n_classes=10, lr=g["lr"], batch=g["batch"], epochs=g["epochs"],
                                       seed=seed)
    W, kind = None, "gd"
else:
    rnn_rule = None
    if T >= 2:
        rule = ex.load_rule(smk.input.rule)
        rnn_rule = rule["rnn"].to(device=device, dtype=graph.dtype)
    out_rule = ex.output_rule_for(T, p["output_rule_T3"]).to(device=device, dtype=graph.dtype)
    orders = training.shuffled_orders(len(y), epochs=p["epochs"], seeds=[seed])
    state = None
    for epoch in range(p["epochs"]):
        res = training.train_with_rules(graph, rnn_rule, out_rule, drive, y, orders[:, epoch * len(y):(epoch + 1) * len(y)],
                                        eta=p["network"]["eta"], init=state)
        state = (res.W, res.U)
        log.append({"epoch": epoch + 1, "mistakes": int(res.n_mistakes[0]), "updates": int(res.n_updates[0]),
                    "seconds": res.seconds, "max_abs_W": float(res.W.abs().max()), "max_abs_U": float(res.U.abs().max())})
        print(f"epoch {epoch + 1}: {log[-1]}")
    W = state[0][0] if T >= 2 else None
    U, kind = state[1][0], "plasticity"
train_seconds = time.time() - t0
h_test, _ = network.rounds(graph, W, drive_test[:1000])
metrics = {"test_acc": float(network.accuracy(graph, W, U, drive_test, y_test)),
           "train_acc": float(network.accuracy(graph, W, U, drive[:10000], y[:10000])),
           "train_seconds": train_seconds, "n_train": len(y), "max_abs_h_test": float(h_test.abs().max()),
           "max_abs_W": 0.0 if W is None else float(W.abs().max()), "max_abs_U": float(U.abs().max())}
print(f"{p['net']} on {dataset} (seed {seed}): {metrics}")
step.save_torch(ex.save_net(graph, W, U, kind=kind, metrics=metrics, log=log, extra={"dataset": dataset, "net": p["net"],
                                                                                     "seed": seed, "params": p}))
step.finish(metrics)
