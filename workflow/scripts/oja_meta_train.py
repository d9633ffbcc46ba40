"""Compute rule oja_meta_train: meta-train one method (bp | local | local_no_oja) for one meta-seed (catalog A7).

Writes the per-episode arrays of bioplausible.oja.meta.meta_train (float64 .npz): meta_acc, meta_ce, meta_loss,
theta (episodes, 6; the Theta each episode used, THETA_NAMES order, the paper's Eq. 9 signs), theta_final,
grad_norm (pre-clip), nan (step skipped); plus widths, n_classes and theta_names.
"""

import numpy as np

from bioplausible.data import load_split
from bioplausible.oja import meta
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=p["seed"])

data = load_split(p["dataset"], p["pool_split"], cache_root="results/data", **smk.params.data)
n_classes = len(data.classes)
pool = meta.EpisodePool.from_uint8(data.images, data.targets, n_classes)
cfg = meta.config_from_params(p, pool.images.shape[1], n_classes)
print(f"pool {p['dataset']}/{p['pool_split']}: {len(pool.labels)} images, {n_classes} classes; widths {cfg.widths}")
out = meta.meta_train(cfg, pool, p["method"], p["seed"], device=device, log=print)
out.update(widths=np.array(cfg.widths), n_classes=np.array(n_classes), theta_names=np.array(meta.THETA_NAMES))
print(f"{p['method']} seed {p['seed']}: mean meta-accuracy {out['meta_acc'].mean():.3f}, "
      f"{int(out['nan'].sum())} skipped (non-finite) steps, final Theta {dict(zip(meta.THETA_NAMES, out['theta_final']))}")
seconds = out.pop("seconds")   # timings go to the provenance record, so the .npz bytes are deterministic
step.save_npz(out)
step.finish({"seconds_per_episode": float(np.mean(seconds)), "n_nan": int(out["nan"].sum())})
