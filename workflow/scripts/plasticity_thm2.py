"""Compute rule pr_thm2_result: the MSE-optimal output rule in closed form (Thm 2; catalog A8) on FF-large features.

Per dataset: a T = 1 graph (|V| = n, cap k, A ~ N(0, 1)), the features Y of the training set, the class sums
S_c^{a,b} of the 0/1 firing indicators, the 4 × 4 normal equations and r*. Checks: the gradient ratio
||∇L(r*)|| / ||∇L(0)||, the condition number; Adam (lr, steps) on L(r) from r ~ N(0, 1), in the paper's coordinates
and, as a diagnostic, in coordinates scaled by the RMS of each column of Φ (a Jacobi preconditioner that does not
use r*); the cross-entropy of the S1+S2 network along random lines (second differences); the test accuracy of the
r*-trained and of the perceptron-trained S1+S2 network."""

import time

import numpy as np
import torch

from bioplausible.plasticity_rules import closed_form as cf
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules import network, rules
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
t2 = p["thm2"]
eta = p["network"]["eta"]
device = step.torch_device(smk, seed=t2["seed"])
D = torch.float64
PERCEPTRON = rules.perceptron_output_rule(1).to(D)   # Table 1's [[-1, 1], [1, -1]]


def adam(system, start, scale, steps, lr, log_every):
    """Adam on L(ρ / scale) from ρ = start; returns the final r and the loss curve."""
    rho = start.clone().requires_grad_(True)
    opt = torch.optim.Adam([rho], lr=lr)
    curve = []
    for s in range(steps):
        opt.zero_grad()
        loss = system.loss(rho / scale)
        loss.backward()
        opt.step()
        if s % log_every == 0 or s == steps - 1:
            curve.append(float(loss.detach()))
    return (rho.detach() / scale).view(2, 2), curve


arrays = {"datasets": np.array(t2["datasets"])}
timings = {}
for dataset in t2["datasets"]:
    t0 = time.time()
    if dataset in ex.SYNTHETIC_TASKS:
        x, y = ex.load_task(dataset, "train", task_file=smk.input[dataset])
        xt, yt = ex.load_task(dataset, "test", task_file=smk.input[dataset])
    else:
        x, y = ex.load_task(dataset, "train", data_cfg=smk.params.data, n=t2["n_train"])
        xt, yt = ex.load_task(dataset, "test", data_cfg=smk.params.data)
    l = ex.n_classes_of(dataset)
    graph = ex.build_graph(p["network"], n=t2["n"], k=t2["k"], T=1, d=x.shape[1], n_classes=l, seed=t2["seed"])
    Y, codes = network.rounds(graph, None, network.input_drive(graph, x))
    Yt, _ = network.rounds(graph, None, network.input_drive(graph, xt))
    r_star, system, S = cf.optimal_rule(Y, y, l, eta, chi=codes)
    zero = torch.zeros(2, 2, dtype=D)
    grad_ratio = float(system.grad(r_star).norm() / system.grad(zero).norm())
    Phi = cf.design(Y, S, eta)
    gen = torch.Generator().manual_seed(t2["seed"])
    a = t2["adam"]
    start = torch.randn(4, generator=gen, dtype=D)
    r_adam, curve = adam(system, start, torch.ones(4, dtype=D), a["steps"], a["lr"], a["log_every"])
    col_scale = Phi.reshape(-1, 4).pow(2).mean(0).sqrt()
    r_adam_s, curve_s = adam(system, start, col_scale, a["steps"], a["lr"], a["log_every"])
    L_star = float(system.loss(r_star))

    def rel(r):
        return float((r - r_star).norm() / r_star.norm())

    # CE convexity along random lines through random rules, both at the scale of r* (logits of order 1)
    lines = t2["lines"]
    scale = float(r_star.norm())
    tgrid = torch.linspace(-1, 1, lines["points"], dtype=D)
    worst, curvatures = float("inf"), []
    for _ in range(lines["n"]):
        r0 = scale * torch.randn(4, generator=gen, dtype=D)
        d = scale * torch.randn(4, generator=gen, dtype=D)
        ce = cf.cross_entropy_along(Phi, y, r0[None] + lines["radius"] * tgrid[:, None] * d[None])
        second = ce[2:] - 2 * ce[1:-1] + ce[:-2]
        worst = min(worst, float(second.min()))
        curvatures.append(float(second.max()))
    U_star = cf.weights_from_rule(S, r_star, eta)
    U_perc = cf.weights_from_rule(S, PERCEPTRON, eta)
    out = {"r_star": r_star.numpy(), "cond": system.condition_number(), "grad_ratio": grad_ratio,
           "mse_star": L_star, "mse_perceptron": float(system.loss(PERCEPTRON)), "adam_start": start.view(2, 2).numpy(),
           "adam_final": r_adam.numpy(), "adam_rel_err": rel(r_adam),
           "adam_loss_excess": (float(system.loss(r_adam)) - L_star) / L_star, "adam_curve": np.array(curve),
           "adam_scaled_final": r_adam_s.numpy(), "adam_scaled_rel_err": rel(r_adam_s),
           "adam_scaled_loss_excess": (float(system.loss(r_adam_s)) - L_star) / L_star,
           "adam_scaled_curve": np.array(curve_s), "ce_min_second_diff": worst,
           "ce_max_second_diff": np.array(curvatures),
           "test_acc_star": 100 * float(((Yt @ U_star.T).argmax(-1) == yt).double().mean()),
           "train_acc_star": 100 * float(((Y @ U_star.T).argmax(-1) == y).double().mean()),
           "test_acc_perceptron_s1s2": 100 * float(((Yt @ U_perc.T).argmax(-1) == yt).double().mean()),
           "n_train": len(y)}
    timings[dataset] = time.time() - t0
    print(dataset, {k: v for k, v in out.items() if "curve" not in k}, f"({timings[dataset]:.1f} s)")
    arrays.update({f"{dataset}__{k}": np.asarray(v) for k, v in out.items()})
step.save_npz(arrays)
step.finish({"seconds": timings})
