"""Compute rule sh_fit_projection: K-means centroids or PCA axes of the L2-normalised training images (Fig. 6).

Fitted once per (method, K, seed) and shared by the ReLU and the softmax-feature models (sh_train_projection).
"""


from bioplausible.data import load_split
from bioplausible.device import seed_everything
from bioplausible.softhebb.fig6 import fit_projection
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk)
seed_everything(p["seed"])

data = load_split(smk.wildcards.dataset, "train", cache_root="results/data", **smk.params.data)
n = min(p["n_train"] or len(data.images), len(data.images))  # null = the whole split
W, info = fit_projection(data.images[:n], p["method"], p["K"], seed=p["seed"], max_iter=p.get("max_iter"),
                         sign=p.get("sign"), device=device)
print(f"{smk.rule} {dict(smk.wildcards)}: {({k: v for k, v in info.items() if k != 'history'})}")
step.save_torch({"method": p["method"], "W": W, "info": info, "n_train": n})
step.finish(extra={k: v for k, v in info.items() if k != "history"})
