"""Compute rules of Amit's linear-theory slice: one cached simulation (float64 .npz) per rule.

Array names are ``<group>__<name>``; the notebooks read them back with bioplausible.io.load_npz.
"""

import numpy as np

from bioplausible.amit import decoupling, linear_dynamics, scalar_dynamics
from bioplausible.amit.results import run_to_arrays
from bioplausible.step import Step

step = Step.from_snakemake(snakemake)  # noqa: F821 (injected by Snakemake)
p = step.params
kind = snakemake.params.kind  # noqa: F821
arrays: dict[str, np.ndarray] = {}


if kind == "teacher_student":  # Fig. 3: BP, URFB, FRFB from the same W(0), per seed
    snaps = range(0, p["n_iter"] + 1, p["snapshot_every"])
    for seed in p["seeds"]:
        runs = linear_dynamics.run_teacher_student(seed, p["dims"], p["eta"], p["n_iter"], snapshot_iters=snaps)
        for method, run in runs.items():
            arrays.update(run_to_arrays(f"s{seed}__{method}", run))
        for other in ("urfb", "frfb"):
            iters, d = linear_dynamics.relative_difference_series(runs[other], runs["bp"])
            arrays[f"s{seed}__D_iters"] = iters
            arrays[f"s{seed}__D_{other}_bp"] = d
        print(f"seed {seed}: final L/L0 " + ", ".join(f"{m} {r.rel_loss[-1]:.2e}" for m, r in runs.items()))
    arrays["seeds"] = np.array(p["seeds"])
elif kind == "eps_sweep":  # Fig. 4: W(0) = 0, eps sweep, plus BP from random W(0); per R(0) scale
    for j, r_scale in enumerate(p["r0_scales"]):
        for seed in p["seeds"]:
            runs = linear_dynamics.run_eps_sweep(seed, p["dims"], p["eta"], p["n_iter"], epsilons=p["eps"],
                                                 r_scale=r_scale)
            for key, run in runs.items():
                arrays.update(run_to_arrays(f"r{j}__s{seed}__{key}", run))
            n_eps = {k: int(np.argmax(r.rel_loss < p["threshold_rel_loss"])) for k, r in runs.items()}
            print(f"R(0) scale {r_scale}, seed {seed}: iterations to threshold {n_eps}")
    arrays["seeds"] = np.array(p["seeds"])
    arrays["eps"] = np.array(p["eps"], dtype=np.float64)
    arrays["r0_scales"] = np.array(p["r0_scales"], dtype=np.float64)
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
elif kind == "decoupling":  # matrix ODE (11) / (15) vs the scalar ODEs (14) / (16), per case and eps
    t = np.linspace(0.0, p["t_max"], p["n_points"])
    arrays["t"] = t
    for c, case in enumerate(p["cases"]):
        n_dir = case["dims"][-1]
        lam_T = np.linspace(p["lambda_T_min"], p["lambda_T_max"], n_dir)
        lam_Rs = np.repeat(np.array(case["lambda_R"], dtype=np.float64)[:, None], n_dir, axis=1)
        for e, eps in enumerate(case["eps"]):
            out = decoupling.run_decoupling(p["seed"], case["dims"], lam_T, lam_Rs, eps, t)
            for name in ("lam_matrix", "lam_scalar", "offdiag_rel", "outside_rel", "feedback_rel", "diag_abs_err"):
                arrays[f"c{c}__e{e}__{name}"] = np.asarray(out[name])
            print(f"case {c} (dims {case['dims']}), eps {eps}: max diag error {out['diag_abs_err'].max():.2e}")
        arrays[f"c{c}__lambda_T"] = lam_T
else:
    raise ValueError(f"unknown simulation kind {kind!r}")

step.save_npz(arrays)
step.finish()
