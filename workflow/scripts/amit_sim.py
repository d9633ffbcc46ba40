"""Compute rules of Amit's linear-theory slice: one cached simulation (float64 .npz) per rule.

Array names are ``<group>__<name>``; the notebooks read them back with bioplausible.io.load_npz.
"""

import numpy as np

from bioplausible.amit import decoupling, linear_dynamics, scalar_dynamics
from bioplausible.step import Step

step = Step.from_snakemake(snakemake)  # noqa: F821 (injected by Snakemake)
p = step.params
kind = snakemake.params.kind  # noqa: F821
arrays: dict[str, np.ndarray] = {}


def store_run(prefix: str, run: linear_dynamics.LinearRun) -> None:
    arrays[f"{prefix}__loss"] = run.loss
    arrays[f"{prefix}__diverged"] = np.array(run.diverged)
    for i, w in enumerate(run.weights, start=1):
        arrays[f"{prefix}__W{i}"] = w


if kind == "teacher_student":  # Fig. 3: BP, URFB, FRFB from the same W(0), per seed
    snaps = range(0, p["n_iter"] + 1, p["snapshot_every"])
    for seed in p["seeds"]:
        runs = linear_dynamics.run_teacher_student(seed, p["dims"], p["eta"], p["n_iter"], snapshot_iters=snaps)
        for method, run in runs.items():
            store_run(f"s{seed}__{method}", run)
        for other in ("urfb", "frfb"):
            iters, d = linear_dynamics.relative_difference_series(runs[other], runs["bp"])
            arrays[f"s{seed}__D_iters"] = iters
            arrays[f"s{seed}__D_{other}_bp"] = d
        print(f"seed {seed}: final L/L0 " + ", ".join(f"{m} {r.rel_loss[-1]:.2e}" for m, r in runs.items()))
    arrays["seeds"] = np.array(p["seeds"])
elif kind == "eps_sweep":  # Fig. 4: W(0) = 0, eps sweep, plus BP from random W(0)
    for seed in p["seeds"]:
        runs = linear_dynamics.run_eps_sweep(seed, p["dims"], p["eta"], p["n_iter"], epsilons=p["eps"],
                                             r_scale=p["r0_scale"])
        for key, run in runs.items():
            store_run(f"s{seed}__{key}", run)
    arrays["seeds"] = np.array(p["seeds"])
    arrays["eps"] = np.array(p["eps"], dtype=np.float64)
elif kind == "scalar_two_layer":  # Theorem 1: eq. 14 and eq. 22
    t = np.linspace(0.0, p["t_max"], p["n_points"])
    for i, lam_T in enumerate(p["lambda_T"]):
        sweep = scalar_dynamics.sweep_two_layer(lam_T, p["lambda_R"], p["eps"], t)
        for name in ("lam", "e2", "lam1_reduced"):
            arrays[f"T{i}__{name}"] = sweep[name]
    arrays["t"] = t
    arrays["lambda_T"] = np.array(p["lambda_T"], dtype=np.float64)
    arrays["eps"] = np.array(p["eps"], dtype=np.float64)
elif kind == "scalar_three_layer":  # Theorem 2: eq. 16, k = 3
    t = np.linspace(0.0, p["t_max"], p["n_points"])
    sweep = scalar_dynamics.sweep_k_layer(p["lambda_T"], p["lambda_R"], p["eps"], t)
    arrays.update(t=t, lam=sweep["lam"], e2=sweep["e2"], eps=np.array(p["eps"], dtype=np.float64))
elif kind == "decoupling":  # matrix ODE (11) vs scalar ODE (14)
    n_dir = p["dims"][-1]
    lam_T = np.linspace(p["lambda_T_min"], p["lambda_T_max"], n_dir)
    lam_Rs = np.full((len(p["dims"]) - 2, n_dir), p["lambda_R"])
    t = np.linspace(0.0, p["t_max"], p["n_points"])
    out = decoupling.run_decoupling(p["seed"], p["dims"], lam_T, lam_Rs, p["eps"], t)
    for name in ("t", "lam_matrix", "lam_scalar", "offdiag_rel", "outside_rel", "feedback_rel", "diag_abs_err"):
        arrays[name] = np.asarray(out[name])
    arrays["lambda_T"] = lam_T
else:
    raise ValueError(f"unknown simulation kind {kind!r}")

step.save_npz(arrays)
step.finish()
