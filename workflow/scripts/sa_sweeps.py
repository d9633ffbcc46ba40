"""Compute rules sa_fig2_sweep and sa_fig5_sweep: train every point of one sweep job (several sweep points, every seed,
data loaded once), cache it.

The job's parameters (``params.cfg``) hold every point's fully resolved run parameters (``experiment.run_params``
with the figure's overrides), so Snakemake reruns a job whenever any point's protocol changes. The payload holds, per
point, one ``train_run`` payload per seed: the per-epoch log, the final and best accuracy, whether it diverged.
"""

from bioplausible.self_assembly import sweeps
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
job = step.params
device = step.torch_device(smk, seed=job["seeds"][0])
run = {"fig2": sweeps.run_fig2_job, "fig5": sweeps.run_fig5_job}[job["figure"]]
payload = run(job, smk.params.data, device=device)
summary = [{**{k: v for k, v in pt.items() if k != "params" and k != "runs"},
            "metrics": [r["metrics"] for r in pt["runs"]]} for pt in payload["points"]]
for pt in summary:
    print(pt)
step.save_torch(payload)
step.finish(extra={"points": summary})
