"""Compute rules of the self-assembly paper (sa_train and the figures' sweeps): train every seed of one run, cache it.

The payload holds the run's parameters, the per-epoch log (test metrics, weight norms), the final and best metrics,
whether it diverged, and (``keep_weights``) the matrices before and after training.
"""

from bioplausible.self_assembly import experiment as ex
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=p["seeds"][0])
label = f"{p['dataset']}/{p['algorithm']}"
payload = ex.train_seeds(p, smk.params.data, device=device, label=label)
for run in payload["runs"]:
    print(f"{label} seed {run['seed']}: {run['metrics']}")
step.save_torch(payload)
step.finish(extra={"metrics": [run["metrics"] for run in payload["runs"]]})
