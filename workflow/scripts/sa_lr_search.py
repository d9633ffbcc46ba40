"""Rule sa_lr_search: every grid point of the catalog A6 learning-rate search on one dataset's validation split.

The payload holds every point's row (validation score, diverged or not, time) and the selection per algorithm; the
log ends with a summary for the config comments.
"""

from bioplausible.self_assembly import lr_search as lrs
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=p["seed"])
out = lrs.search(p["self_assembly"], p["grid"], p["dataset"], smk.params.data, device=device)
payload = {"params": p, **out}
print(lrs.summary(payload))
step.save_torch(payload)
step.finish(extra={"selected": out["selected"]})
