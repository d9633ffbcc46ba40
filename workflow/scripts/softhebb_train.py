"""Compute rules sh_train_wta / sh_train_wta_k / sh_train_mlp / sh_train_projection: train one model, cache it.

A WTA payload holds the SoftHebb (or hard-WTA) layer and its linear read-out (the 2-layer model handed to
attacks), the 1-layer label-assignment accuracy, the number of neurons that ever win, and the logs. A projection
payload (Fig. 6) holds fixed K-means / PCA weights (fitted by sh_fit_projection), the activation and the read-out.
"""

import time

import torch

from bioplausible.data import load_split
from bioplausible.softhebb.baselines import ProjectionFeatures
from bioplausible.softhebb.mlp import train_mlp
from bioplausible.softhebb.readout import readout_input_scale, train_linear_readout
from bioplausible.softhebb.wta import WTAConfig, label_assignment_accuracy, n_distinct_winners, train_wta
from bioplausible.step import Step
from bioplausible.training import accuracy

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = int(smk.wildcards.seed)
device = step.torch_device(smk, seed=seed)


def load(split: str):
    data = load_split(smk.wildcards.dataset, split, cache_root="results/data", **smk.params.data)
    limit = p["n_train"] if split == "train" else p["n_test"]
    n = min(limit or len(data.images), len(data.images))  # null = the whole split
    return data.images[:n], data.targets[:n]


train_x, train_y = load("train")
test_x, test_y = load("test")
n_in = int(train_x[0].numel())
t0 = time.time()
if smk.params.kind == "wta":
    cfg = WTAConfig.from_mapping(p["wta_config"])
    layer, log = train_wta(train_x, cfg, device=device, progress=False)
    train_seconds = time.time() - t0
    one_layer = label_assignment_accuracy(layer, train_x, train_y, test_x, test_y)
    winners_train = n_distinct_winners(layer, train_x)
    winners_test = n_distinct_winners(layer, test_x)
    ro = p["readout"]
    model, ro_log = train_linear_readout(layer, train_x, train_y, epochs=ro["epochs"], lr=ro["lr"],
                                         batch_size=ro["batch_size"], seed=seed, device=device, progress=False,
                                         input_scale=readout_input_scale(ro, softmax_features=True))
    two_layer = accuracy(model, test_x, test_y, device=device, batch_size=1000)
    metrics = {"one_layer_acc": one_layer, "two_layer_acc": two_layer, "distinct_winners_train": winners_train,
               "distinct_winners_test": winners_test, "wta_train_seconds": train_seconds,
               "final_norm_mean": log[-1]["norm_mean"], "final_r1": log[-1]["r1"]}
    payload = {"kind": "wta", "wta_config": cfg.to_dict(), "n_in": n_in, "n_classes": 10,
               "state_dict": model.state_dict(), "metrics": metrics, "wta_log": log, "readout_log": ro_log}
elif smk.params.kind == "projection":
    # Fig. 6 baselines: fixed K-means / PCA weights (rule sh_fit_projection) + activation + linear read-out
    fit = torch.load(smk.input.projection, map_location="cpu", weights_only=False)
    features = ProjectionFeatures(fit["W"], p["activation"], p["base"]).to(device)
    ro = p["readout"]
    scale = readout_input_scale(ro, softmax_features=p["activation"] == "softmax")
    model, ro_log = train_linear_readout(features, train_x, train_y, epochs=ro["epochs"], lr=ro["lr"],
                                         batch_size=ro["batch_size"], seed=seed, device=device, progress=False,
                                         input_scale=scale)
    metrics = {"test_acc": accuracy(model, test_x, test_y, device=device, batch_size=1000),
               "readout_seconds": time.time() - t0}
    payload = {"kind": "projection", "method": fit["method"], "fit_info": fit["info"], "n_in": n_in,
               "n_features": features.n_features, "n_classes": 10, "activation": p["activation"], "base": p["base"],
               "state_dict": model.state_dict(), "metrics": metrics, "readout_log": ro_log}
else:
    kwargs = dict(p["mlp_kwargs"])
    model, log = train_mlp(train_x, train_y, device=device, progress=False, **kwargs)
    acc = accuracy(model, test_x, test_y, device=device, batch_size=1000)
    metrics = {"test_acc": acc, "train_seconds": time.time() - t0}
    payload = {"kind": "mlp", "n_in": n_in, "n_classes": 10, "hidden": kwargs["hidden"],
               "activation": kwargs["activation"], "mlp_kwargs": kwargs, "state_dict": model.state_dict(),
               "metrics": metrics, "log": log}
print(f"{smk.rule} {dict(smk.wildcards)}: {metrics}")
step.save_torch(payload)
step.finish(extra={"metrics": metrics})
