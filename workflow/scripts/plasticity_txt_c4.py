"""Compute rule pr_txt_c4_result: Appendix C.4's alternative update schemes on T = 1 networks (catalog pr_txt_c4).

For each input-weight setting (A ~ N(0, 1) and A = 1, catalog Amb. 13), one graph (|V| = n, cap k) and one pass
in one seeded order over the MNIST training subset, perceptron output rule [[-1, 1], [1, -1]]:
(a) misclassified-only, default edges; (b) misclassified-only, all edges (S2); (c) every example, all edges
(S1+S2), by rule-based training and, as a check, by the closed form; (d) the MSE-optimal rule r* (Thm 2) fitted on
the training features, S1+S2 (closed form, which equals training: order-independent). (e) (a) and (d) on the
generated tasks (l = 2). Test accuracy on the full test split."""

import time

import numpy as np
import torch

from bioplausible.plasticity_rules import closed_form as cf
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, rules, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
c4 = p["txt_c4"]
eta = p["network"]["eta"]
device = step.torch_device(smk, seed=c4["seed"])
PERCEPTRON = rules.perceptron_output_rule(1).to(torch.float64)   # Table 1's [[-1, 1], [1, -1]]


def features_of(graph, x):
    drive = network.input_drive(graph, x)
    h, codes = network.rounds(graph, None, drive)
    return drive, h, codes.to(h.dtype)


def acc(U, h, y):
    return float(((h @ U.T).argmax(-1) == y).double().mean()) * 100


def run(dataset, x, y, xt, yt, init, variants):
    """Test accuracies (%) of the requested variants on one graph, and r*."""
    graph = ex.build_graph(p["network"], n=c4["n"], k=c4["k"], T=1, d=x.shape[1], n_classes=ex.n_classes_of(dataset),
                           seed=c4["seed"], input_init=init)
    l = graph.n_classes
    drive, h, chi = features_of(graph, x)
    _, ht, _ = features_of(graph, xt)
    orders = training.shuffled_orders(len(y), epochs=c4["epochs"], seeds=[c4["seed"]])
    out = {}
    schemes = {"a": ("misclassified", "default"), "b": ("misclassified", "all"), "c": ("all", "all")}
    for v in variants:
        if v in schemes:
            scheme, edges = schemes[v]
            res = training.train_with_rules(graph, None, PERCEPTRON, drive, y, orders, eta=eta, scheme=scheme,
                                            edges=edges)
            out[v] = acc(res.U[0], ht, yt)
            out[f"{v}_mistakes"] = int(res.n_mistakes[0])
            if v == "c":
                U_cf = cf.weights_from_rule(cf.class_sums(chi, y, l), PERCEPTRON, eta) * c4["epochs"]
                out["c_closed_form"] = acc(U_cf, ht, yt)
                out["c_closed_form_max_abs_diff"] = float((U_cf - res.U[0]).abs().max())
    r_star, system, S = cf.optimal_rule(h, y, l, eta, chi=chi)
    out["d"] = acc(cf.weights_from_rule(S, r_star, eta) * c4["epochs"], ht, yt)
    out["r_star"] = r_star.numpy()
    out["cond"] = system.condition_number()
    return out


arrays = {"input_inits": np.array(c4["input_inits"]), "tasks": np.array(c4["tasks"]),
          "mnist_variants": np.array(["a", "b", "c", "d"])}
x, y = ex.load_task("mnist", "train", data_cfg=smk.params.data, n=c4["n_train"])
xt, yt = ex.load_task("mnist", "test", data_cfg=smk.params.data)
print(f"MNIST: {len(y)} training, {len(yt)} test images")
task_data = {t: (ex.load_task(t, "train", task_file=smk.input[t]), ex.load_task(t, "test", task_file=smk.input[t]))
             for t in c4["tasks"]}
mnist_acc, mnist_r, mnist_cond, mnist_check, mnist_mistakes = [], [], [], [], []
task_acc, task_r = [], []
timings = {}
for init in c4["input_inits"]:
    t0 = time.time()
    o = run("mnist", x, y, xt, yt, init, ("a", "b", "c"))
    timings[f"mnist_{init}"] = time.time() - t0
    print(f"MNIST, A {init}: {o}")
    mnist_acc.append([o["a"], o["b"], o["c"], o["d"]])
    mnist_mistakes.append([o["a_mistakes"], o["b_mistakes"], o["c_mistakes"]])
    mnist_check.append([o["c_closed_form"], o["c_closed_form_max_abs_diff"]])
    mnist_r.append(o["r_star"])
    mnist_cond.append(o["cond"])
    accs, rs = [], []
    for t in c4["tasks"]:
        (xs, ys), (xts, yts) = task_data[t]
        t0 = time.time()
        o = run(t, xs, ys, xts, yts, init, ("a",))
        timings[f"{t}_{init}"] = time.time() - t0
        print(f"{t}, A {init}: {o}")
        accs.append([o["a"], o["d"]])
        rs.append(o["r_star"])
    task_acc.append(accs)
    task_r.append(rs)
arrays.update(mnist_acc=np.array(mnist_acc), mnist_r_star=np.array(mnist_r), mnist_cond=np.array(mnist_cond),
              mnist_c_check=np.array(mnist_check), mnist_mistakes=np.array(mnist_mistakes),
              task_acc=np.array(task_acc), task_r_star=np.array(task_r),
              task_majority=np.array([100 * max(float(d[1][1].double().mean()), 1 - float(d[1][1].double().mean()))
                                      for d in task_data.values()]),
              n_train_mnist=np.array(len(y)))
step.save_npz(arrays)
step.finish({"seconds": timings})
