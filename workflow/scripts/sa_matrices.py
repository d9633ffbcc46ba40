"""Compute rules of Fig. 3 and Fig. 4 of the self-assembly paper (rules sa_fig3_run, sa_fig4_runs).

sa_fig3_run: one SAL run with its matrices before/after and per-epoch site statistics (rho, erank, cos(V, Vbar^T));
sa_fig4_runs: every curve of the plasticity ablation (8 subsets, the deep linear net, SGD), every seed.
"""

from bioplausible.self_assembly import matrix_runs as mr
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=p["seeds"][0])
if smk.rule == "sa_fig3_run":
    payload = mr.run_fig3(p, smk.params.data, device=device)
    metrics = [payload["runs"][0]["metrics"]]
else:
    payload = mr.run_fig4(p, smk.params.data, device=device)
    metrics = {k: [r["metrics"] for r in c["runs"]] for k, c in payload["curves"].items()}
print(f"{smk.rule}: {metrics}")
step.save_torch(payload)
step.finish(extra={"metrics": metrics})
