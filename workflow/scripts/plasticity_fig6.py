"""Compute rule pr_fig6_curves: Fig. 6, a T = 3 net on MNIST updated on misclassified examples only vs on every
example (scheme S1, default output edges; catalog pr_fig6, Amb. 17).

The RNN rule is R3 with the perceptron-style output rule (as the Table 2 T3 net); both runs share the graph and
the order of the examples (one seeded pass over a seeded training subset); test accuracy on a fixed seeded test
subset every ``eval_every`` examples. Under S1 a correctly classified example still updates W, while the
perceptron output update of row y cancels (catalog A4). The fraction of units firing in each round is kept
so that a net whose W silences a round (and so acts as a shallower net) is visible."""

import numpy as np

from bioplausible.plasticity_rules import curves
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, training
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = p["seed"]
device = step.torch_device(smk, seed=seed)
graph, drive, y, drive_eval, y_eval = ex.network_on(p["network"], "mnist", n=p["n"], k=p["k"], T=3, seed=seed,
                                                    device=device, data_cfg=smk.params.data, n_train=p["n_train"],
                                                    n_test=p["n_eval"], subset_seed=seed)
rnn = ex.load_rule(smk.input.rule)["rnn"].to(device=device, dtype=graph.dtype)
out_rule = ex.output_rule_for(3, p["output_rule_T3"]).to(device=device, dtype=graph.dtype)
orders = training.shuffled_orders(len(y), epochs=1, seeds=[seed]).to(device)
arrays: dict = {"n_train": len(y), "n_eval": len(y_eval)}
for scheme in ("misclassified", "all"):
    res = training.train_with_rules(graph, rnn, out_rule, drive, y, orders, eta=p["network"]["eta"], scheme=scheme,
                                    eval_every=p["eval_every"],
                                    eval_fn=lambda W, U: {"acc": float(network.accuracy(graph, W, U, drive_eval,
                                                                                         y_eval)[0])},
                                    progress=print)
    arrays[f"{scheme}_seen"] = np.array([c["seen"] for c in res.curve])
    arrays[f"{scheme}_acc"] = np.array([c["acc"] for c in res.curve])
    arrays[f"{scheme}_n_updates"] = int(res.n_updates[0])
    arrays[f"{scheme}_n_mistakes"] = int(res.n_mistakes[0])
    arrays[f"{scheme}_max_abs_W"] = float(res.W.abs().max())
    arrays[f"{scheme}_seconds"] = res.seconds
    _, firing = curves.accuracy_and_firing(graph, res.W, res.U, drive_eval, y_eval)
    arrays[f"{scheme}_firing"] = firing[0].cpu().numpy()       # fraction of units firing per round (eval subset)
    print(f"{scheme}: final {arrays[f'{scheme}_acc'][-1]:.4f}, {arrays[f'{scheme}_n_updates']} updates, "
          f"max|W| {arrays[f'{scheme}_max_abs_W']:.3g}, firing per round {arrays[f'{scheme}_firing'].round(3).tolist()}, "
          f"{res.seconds:.1f} s", flush=True)
step.save_npz({k: np.asarray(v) for k, v in arrays.items()})
step.finish({k: float(v) for k, v in arrays.items() if k.endswith(("_seconds", "_n_updates"))})
