"""Compute rule amit_train: train one of Amit's CIFAR runs ({net}_{regime}_{conn}_{tying} on {dataset}), cache it.

The payload holds the run's parameters, final weights (W, B and masks), the per-epoch log (running train error with
dropout on, validation error) and the final metrics (test error, eval-mode train error). A checkpoint beside the
output (``.ckpt``) lets a long paper-scale run resume after an interruption; it is removed once the run is saved.
"""

from pathlib import Path

import torch

from bioplausible import io
from bioplausible.amit import deep_experiment as ex
from bioplausible.data import load_split
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=p["seed"])

train_split = load_split(p["dataset"], "train", cache_root="results/data", **smk.params.data)
test_split = load_split(p["dataset"], "test", cache_root="results/data", **smk.params.data)
data = ex.split_data(train_split.images, train_split.targets, test_split.images, test_split.targets, p)
tied = torch.load(smk.input.tied, map_location="cpu", weights_only=False) if "tied" in smk.input.keys() else None

checkpoint = Path(step.outputs["result"]).with_suffix(".ckpt")
label = f"{p['dataset']}/{ex.run_name(p['net'], p['regime'], p['conn'], p['tying'])}"
payload = ex.run(p, data, device=device, checkpoint_path=checkpoint, config_hash=io.params_hash(p),
                 tied_payload=tied, label=label)
print(f"{label}: {payload['metrics']}")
step.save_torch(payload)
checkpoint.unlink(missing_ok=True)
step.finish(extra={"metrics": payload["metrics"]})
