"""Compute rules oja_rnn_train / oja_rnn_search: online vanilla RNNs on delayed MNIST (Fig. 7, catalog A6).

oja_rnn_train: every configured seed of one method (BPTT or BPTT+Oja) in one vectorised call (runs dimension R =
seeds; each network sees its own sequence per update). oja_rnn_search: the theta_1 x theta_2 x search-seed grid
(catalog A9) in one vectorised call, scored by the mean validation accuracy over the last checkpoints; writes the
selection beside the curves (results/sims/oja/rnn/search_selected.yaml) to be committed into oja.rnn.theta.
"""

import numpy as np
import torch
import yaml

from bioplausible.data import load_split
from bioplausible.oja import experiment_rnn as ex
from bioplausible.oja import rnn
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
# One thread (the rule's): the online loop is a long chain of small ops; two such jobs share the 2 cores.
device = step.torch_device(smk, seed=0)
dtype = {"float32": torch.float32, "float64": torch.float64}[p["dtype"]]


def load(split: str):
    data = load_split("mnist", split, cache_root="results/data", **smk.params.data)
    return data.images.reshape(len(data.images), -1).to(dtype) / 255.0, data.targets


train_x, train_y = load("train")
val_x, val_y = load("test")
if p["n_val"] > len(val_x):
    raise ValueError(f"oja.rnn.n_val={p['n_val']} exceeds the {len(val_x)} MNIST test images")
val_x, val_y = val_x[: p["n_val"]], val_y[: p["n_val"]]   # validation set: the first n_val test images

res = rnn.train(p["seeds"], p["theta_1"], p["theta_2"], train_x, train_y, val_x, val_y, hidden=p["hidden"],
                n_train=p["n_train"], eval_every=p["eval_every"], steps=p["steps"], n_stim=p["n_stim"],
                activation=p["activation"], dtype=dtype, device=device, log=print)
arrays = {"steps": np.asarray(res.steps), "val_acc": res.val_acc.numpy(), "seeds": np.asarray(p["seeds"]),
          "theta_1": np.asarray(p["theta_1"]), "theta_2": np.asarray(p["theta_2"]),
          "diverged": res.diverged.numpy(), "train_seconds": np.asarray(res.seconds)}
if smk.rule == "oja_rnn_search":
    sel = ex.select_thetas(arrays["theta_1"], arrays["theta_2"], arrays["val_acc"], p["last_checkpoints"])
    sel["grid"] = p["grid"]
    sel["criterion"] = (f"mean validation accuracy (%) over the last {p['last_checkpoints']} checkpoints, averaged "
                        f"over the search seeds; {p['n_train']} sequences, {p['n_val']} validation images, "
                        f"eval every {p['eval_every']} (catalog A9)")
    sel["scale"] = step.scale
    with open(smk.output.selected, "w", encoding="utf-8") as fh:
        yaml.safe_dump(sel, fh, sort_keys=False)
    print(yaml.safe_dump({k: sel[k] for k in ("bptt", "bptt_oja")}, sort_keys=False))
    metrics = {"bptt": sel["bptt"], "bptt_oja": sel["bptt_oja"]}
else:
    arrays["train_loss"] = res.train_loss.numpy()
    final = res.val_acc[:, -1]
    metrics = {"final_val_acc_mean": float(final.mean()), "final_val_acc": final.tolist(),
               "diverged": int(res.diverged.sum())}
metrics["train_seconds"] = res.seconds
print(f"{smk.rule} {dict(smk.wildcards)}: {metrics}")
step.save_npz(arrays)
step.finish(extra={"metrics": metrics})
