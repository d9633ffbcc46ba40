"""Compute rules sh_online_wta / sh_online_mlp: the first-epoch online protocol of Figs. 4b-d.

sh_online_wta: one online pass (batch 1) of a SoftHebb variant or hard WTA with the simultaneous delta-rule
classifier (Fig. 4b dark bar), layer checkpoints (R1 counts, Fig. 4d), then the greedy classifier on the
final layer (Fig. 4b light bar) and the post-hoc cross-entropy of every checkpoint under it (Fig. 4c).
sh_online_mlp: MLP-1ep (Table 1's 1-epoch back-propagation column), its test accuracy (Fig. 4b line) and
its own test cross-entropy at the checkpoint example counts (Fig. 4c BP curve).
"""

import time


from bioplausible.data import load_split
from bioplausible.softhebb.mlp import train_mlp
from bioplausible.softhebb.online import (
    checkpoint_steps,
    linear_readout_model,
    posthoc_cross_entropy,
    train_online,
)
from bioplausible.softhebb.readout import readout_input_scale, train_linear_readout
from bioplausible.softhebb.wta import WTAConfig, label_assignment_accuracy, winners
from bioplausible.step import Step
from bioplausible.training import accuracy, mean_loss

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
# One thread (the rule's): the online loop is a long chain of small tensor ops; on a shared 2-core machine a
# second thread only adds contention (measured ~40x slower per step). Two such jobs run side by side instead.
seed = int(smk.wildcards.seed)
device = step.torch_device(smk, seed=seed)


def load(split: str, limit):
    data = load_split(smk.wildcards.dataset, split, cache_root="results/data", **smk.params.data)
    n = min(limit or len(data.images), len(data.images))  # null = the whole split
    return data.images[:n], data.targets[:n]


train_x, train_y = load("train", p["n_train"])
test_x, test_y = load("test", p["n_test"])
curve_x, curve_y = test_x[: p["n_test_curve"]], test_y[: p["n_test_curve"]]
steps = checkpoint_steps(p["checkpoints"], len(train_x))
t0 = time.time()
if smk.params.kind == "wta":
    cfg = WTAConfig.from_mapping(p["wta_config"])
    run = train_online(train_x, train_y, cfg, delta_lr=p["delta_lr"], checkpoints=steps, chunk=p["chunk"],
                       device=device)
    layer = run.layer.to(device)
    # Fig. 4b dark bar: the simultaneous (update-unlocked) delta-rule classifier on the final layer
    delta_model = linear_readout_model(layer, run.delta_weight.to(device), run.delta_bias.to(device))
    delta_acc = accuracy(delta_model, test_x, test_y, device=device, batch_size=1000)
    # Fig. 4b light bar: the greedy classifier trained afterwards on the frozen final layer (A.8-2)
    ro = p["readout"]
    t_ro = time.time()
    model, ro_log = train_linear_readout(layer, train_x, train_y, epochs=ro["epochs"], lr=ro["lr"],
                                         batch_size=ro["batch_size"], seed=seed, device=device, progress=False,
                                         input_scale=readout_input_scale(ro, softmax_features=True))
    readout_seconds = time.time() - t_ro
    greedy_acc = accuracy(model, test_x, test_y, device=device, batch_size=1000)
    one_layer = label_assignment_accuracy(layer, train_x, train_y, test_x, test_y)
    # Fig. 4c: post-hoc cross-entropy of every checkpoint under the fixed greedy classifier (A.9)
    ce = posthoc_cross_entropy(run, model.classifier, curve_x, curve_y, input_scale=float(model.input_scale))
    r1 = [e["r1"] for e in run.log]
    metrics = {"greedy_acc": greedy_acc, "delta_acc": delta_acc, "one_layer_acc": one_layer,
               "winners_online": int(run.winners.unique().numel()),
               "winners_test": int(winners(layer, test_x).unique().numel()),
               "final_r1": r1[-1], "final_norm_mean": run.log[-1]["norm_mean"], "online_seconds": run.seconds,
               "readout_seconds": readout_seconds, "final_ce": ce[-1], "initial_ce": ce[0]}
    payload = {"kind": "online_wta", "wta_config": cfg.to_dict(), "n_in": layer.n_in, "n_classes": 10,
               "layer": run.layer.state_dict(), "delta_weight": run.delta_weight, "delta_bias": run.delta_bias,
               "greedy_state_dict": model.state_dict(), "steps": run.steps, "r1": r1, "ce": ce,
               "checkpoint_log": run.log, "readout_log": ro_log, "metrics": metrics,
               "n_train": len(train_x), "n_test": len(test_x), "n_test_curve": len(curve_x)}
else:
    kwargs = dict(p["mlp_kwargs"])
    curve = {"steps": [], "ce": []}
    todo = list(steps)

    def log_test_ce(model, seen: int) -> None:
        """At the first optimizer step whose example count reaches the next checkpoint: test CE (A.11)."""
        if todo and seen >= todo[0]:
            while todo and seen >= todo[0]:
                todo.pop(0)
            curve["steps"].append(seen)
            curve["ce"].append(mean_loss(model, curve_x, curve_y, device=device, batch_size=1000))

    model, log = train_mlp(train_x, train_y, device=device, progress=False, after_step=log_test_ce, **kwargs)
    acc = accuracy(model, test_x, test_y, device=device, batch_size=1000)
    metrics = {"test_acc": acc, "final_ce": curve["ce"][-1], "initial_ce": curve["ce"][0],
               "train_seconds": time.time() - t0}
    payload = {"kind": "online_mlp", "n_in": int(train_x[0].numel()), "n_classes": 10, "mlp_kwargs": kwargs,
               "state_dict": model.state_dict(), "steps": curve["steps"], "ce": curve["ce"], "log": log,
               "metrics": metrics, "n_train": len(train_x), "n_test": len(test_x), "n_test_curve": len(curve_x)}
print(f"{smk.rule} {dict(smk.wildcards)}: {metrics}")
step.save_torch(payload)
step.finish(extra={"metrics": metrics})
