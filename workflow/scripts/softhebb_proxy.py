"""Compute rule sh_proxy_cnn: the "human-proxy" CNN of the deflection metric (catalog A.13, proposed).

A small back-propagation CNN trained on clean training images of one dataset; it judges whether a successful
adversarial of SoftHebb or the MLP really looks like the class the attacked model now outputs.
"""

import time


from bioplausible.data import load_split
from bioplausible.softhebb.synthetic import train_proxy
from bioplausible.step import Step
from bioplausible.training import accuracy

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = int(smk.wildcards.seed)
device = step.torch_device(smk, seed=seed)

train = load_split(smk.wildcards.dataset, "train", cache_root="results/data", **smk.params.data)
test = load_split(smk.wildcards.dataset, "test", cache_root="results/data", **smk.params.data)
n = min(p["n_train"] or len(train.images), len(train.images))  # null = the whole split
t0 = time.time()
model, log = train_proxy(train.images[:n], train.targets[:n], channels=p["channels"], epochs=p["epochs"], lr=p["lr"],
                         batch_size=p["batch_size"], seed=seed, device=device)
acc = accuracy(model, test.images, test.targets, device=device, batch_size=1000)
metrics = {"test_acc": acc, "n_train": n, "n_test": len(test.targets), "train_seconds": time.time() - t0}
print(f"{smk.rule} {dict(smk.wildcards)}: {metrics}")
step.save_torch({"kind": "proxy_cnn", "side": int(train.images.shape[-1]), "channels": list(p["channels"]),
                 "n_classes": 10, "state_dict": model.state_dict(), "metrics": metrics, "log": log,
                 "config": dict(p)})
step.finish(extra={"metrics": metrics})
