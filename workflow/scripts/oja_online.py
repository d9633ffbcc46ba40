"""Compute rules oja_online_run and oja_grid_search: online MLPs on MNIST (catalog A1-A5, A8, A9).

oja_online_run: both methods of one run configuration (plain = BP or FA; oja = the same + Oja's rule) for every
seed, as one vectorised batch of networks; run r of either method has the same initial weights and the same
stream of training points (paired). Saved per method: validation accuracy, reconstruction errors and activation
norms at every checkpoint, the update norms of every step, and the final weights.
oja_grid_search: every (θ_1, θ_2) of the grid on the search seeds; saves the criterion (mean validation accuracy
over the last 5 checkpoints) per grid point, and the selected values of both methods."""

import time

import numpy as np
import torch

from bioplausible.oja import experiment as ex
from bioplausible.oja import online
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk, seed=0)
dtype = {"float32": torch.float32, "float64": torch.float64}[p["dtype"]]
spec = p["spec"]
cfg = online.OnlineConfig(widths=tuple(spec["widths"]), init=spec["init"], naive_std=p["naive_std"],
                          feedback=spec["feedback"], beta=p["beta"], oja_output=p["oja_output"])


def train(seeds, theta1, theta2, n_train, n_val):
    x, y, x_val, y_val = ex.mnist_arrays(smk.params.data, n_val, p["val_seed"], dtype)
    W, B = online.init_weights(cfg, seeds, dtype)
    W = [w.to(device) for w in W]
    B = None if B is None else [b.to(device) for b in B]
    streams = online.training_streams(len(y), n_train, seeds).to(device)
    return W, online.train_online(cfg, W, B, x.to(device), y.to(device), streams,
                                  torch.tensor(theta1, dtype=dtype, device=device),
                                  torch.tensor(theta2, dtype=dtype, device=device),
                                  x_val=x_val.to(device), y_val=y_val.to(device), eval_every=p["eval_every"],
                                  progress=print)


t0 = time.time()
if smk.rule == "oja_online_run":
    seeds = list(p["seeds"])
    S = len(seeds)
    (t1_plain, t2_plain), (t1_oja, t2_oja) = p["thetas"]["plain"], p["thetas"]["oja"]
    # plain runs first, then Oja runs, with the same seeds: one batch of 2 S networks
    W, log = train(seeds + seeds, [t1_plain] * S + [t1_oja] * S, [t2_plain] * S + [t2_oja] * S, p["n_train"],
                   p["n_val"])
    arrays = {"seeds": np.array(seeds), "seen": np.array(log.seen), "widths": np.array(cfg.widths)}
    stacked = {"val_acc": torch.stack(log.val_acc, 1), "recon": torch.stack(log.recon, 1),
               "act_norm": torch.stack(log.act_norm, 1), "step_bp": torch.stack(log.step_bp, 1),
               "step_total": torch.stack(log.step_total, 1)}
    for m, rows in (("plain", slice(0, S)), ("oja", slice(S, 2 * S))):
        for name, value in stacked.items():
            arrays[f"{m}__{name}"] = value[rows].numpy()
        for l, w in enumerate(W):
            arrays[f"{m}__W{l + 1}"] = w[rows].cpu().numpy().astype(np.float32)
        print(f"{spec} {m}: final validation accuracy {arrays[f'{m}__val_acc'][:, -1].mean():.4f} "
              f"(mean of {S} runs)")
    arrays["thetas"] = np.array([[t1_plain, t2_plain], [t1_oja, t2_oja]])
    step.save_npz(arrays)
    step.finish({"seconds": time.time() - t0})
else:   # oja_grid_search
    g = p["grid"]
    grid = [(a, b) for a in g["theta1"] for b in g["theta2"]]
    seeds = [s for _ in grid for s in g["seeds"]]
    t1 = [a for a, _ in grid for _ in g["seeds"]]
    t2 = [b for _, b in grid for _ in g["seeds"]]
    _, log = train(seeds, t1, t2, g["n_train"], g["n_val"])
    acc = torch.stack(log.val_acc, 1).numpy()                          # (runs, checkpoints)
    crit = np.nan_to_num(acc[:, -5:].mean(1), nan=0.0).reshape(len(grid), len(g["seeds"])).mean(1)
    table = crit.reshape(len(g["theta1"]), len(g["theta2"]))
    best_plain = int(np.argmax(table[:, 0])) if g["theta2"][0] == 0 else None
    if best_plain is None:
        raise ValueError("oja.online.grid.theta2 must start with 0 (the plain BP / FA baseline's own search)")
    best = np.unravel_index(int(np.argmax(table[:, 1:])), table[:, 1:].shape)
    selected = {"plain": [g["theta1"][best_plain], 0.0],
                "oja": [g["theta1"][best[0]], g["theta2"][best[1] + 1]]}
    print(f"grid criterion (rows theta1 {g['theta1']}, columns theta2 {g['theta2']}):\n{np.round(table, 4)}")
    print(f"selected for {p['run']}: {selected} (criterion plain {table[best_plain, 0]:.4f}, "
          f"oja {table[best[0], best[1] + 1]:.4f})")
    step.save_npz({"criterion": table, "theta1": np.array(g["theta1"]), "theta2": np.array(g["theta2"]),
                   "selected_plain": np.array(selected["plain"]), "selected_oja": np.array(selected["oja"])})
    step.finish({"selected": selected, "seconds": time.time() - t0})
