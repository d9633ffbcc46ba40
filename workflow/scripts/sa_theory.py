"""Compute rules of the self-assembly theory checks (catalog A10), one ``kind`` per rule:

- ``lemma1``: SAL in float64 on an MNIST subset, log‖V_k − V̄_kᵀ‖ and cos(V_k, V̄_kᵀ) after every step, for the exact
  setting (η_V = η_V̄, post-activation V̄) and the two negative controls (pre-activation V̄; η_V = factor · η_V̄).
- ``sal_run``: one default SAL run on MNIST (the train section's protocol) with the Theorem 1 probe after every epoch;
  the weights at the start and the end are kept (the modulation check reuses the trained net).
- ``modulation``: the short-term modulation of Sec. 2.3 on test images with the trained net of ``sal_run``.
"""

import numpy as np
import torch

from bioplausible.self_assembly import experiment as ex
from bioplausible.self_assembly import theory as th
from bioplausible.self_assembly.circuit import Circuit, CircuitConfig
from bioplausible.self_assembly.data import load_arrays
from bioplausible.self_assembly.training import build_algorithm
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
kind = smk.params.kind
data_cfg = smk.params.data

if kind == "lemma1":
    device = step.torch_device(smk, seed=p["seed"])
    data = load_arrays(p["dataset"], data_cfg, n_train=p["n_train"], n_test=1)
    x, y = data.x_train.double(), data.y_train
    widths = (data.n_inputs, *p["hidden"], data.n_classes)
    eta_gamma = float(p["rates"]["V"]) * float(p["gamma"])
    cases = {
        "exact": {},
        "pre_activation": {"vbar_post": False},                                        # control (i): Alg. 1 line 21
        "unequal_rates": {"rates": {**p["rates"], "V": p["rates"]["Vbar"] * p["control_rate_factor"]}},   # (ii)
    }
    arrays = {}
    for name, change in cases.items():
        cfg = CircuitConfig(**{"widths": widths, "down_widths": tuple(p["hidden"]), "rates": dict(p["rates"]),
                               "gamma": float(p["gamma"]), "vbar_post": True, **change})
        circuit = Circuit(cfg, torch.Generator().manual_seed(p["seed"]), dtype=torch.float64)
        traj = th.lemma1_trajectory(circuit, x, y, steps=p["steps"], batch_size=p["batch_size"],
                                    generator=torch.Generator().manual_seed(p["seed"] + 1))
        arrays[f"{name}__log_d"], arrays[f"{name}__cos"] = traj["log_d"], traj["cos"]
        dev = th.lemma1_max_deviation(traj["log_d"], eta_gamma, floor=p["floor"])
        print(f"{name}: max |log‖D_t‖/‖D_0‖ − t log(1 − ηγ)| = {dev:.3e}; final cos {traj['cos'][-1]}")
    arrays["eta_gamma"] = np.array(eta_gamma)
    arrays["data_verified"] = np.array(bool(data.verified))
    step.save_npz(arrays)
    step.finish(extra={"data_verified": bool(data.verified)})

elif kind == "sal_run":
    device = step.torch_device(smk, seed=p["seeds"][0])
    data = load_arrays(p["dataset"], data_cfg, n_train=p["n_train"], n_test=p["n_test"], device=device)
    n_probe = min(int(p["n_probe"]), len(data.y_train))
    probe_x, probe_y = data.x_train[:n_probe].double().cpu(), data.y_train[:n_probe].cpu()   # fixed probe: the first training images
    probes = []

    def probe(epoch, algo):
        c = th.circuit_from_weights(algo.cfg, algo.matrices(), dtype=torch.float64)
        probes.append({"epoch": epoch, **th.alignment_diagnostics(c, probe_x, probe_y)})
        print(f"epoch {epoch}: cos(G_SAL, G_BP) per layer {np.round(probes[-1]['cos_sal_bp'], 3).tolist()}")

    run = ex.train_run(p, data, int(p["seeds"][0]), device=device, label="theory sal mnist", on_epoch=probe)
    widths = run["widths"]
    algo = build_algorithm("sal", widths, torch.Generator().manual_seed(0), p["algorithms"], loss=p["loss"])
    start = th.circuit_from_weights(algo.cfg, run["weights_start"], dtype=torch.float64)
    probes.insert(0, {"epoch": 0, **th.alignment_diagnostics(start, probe_x, probe_y)})   # before training
    run["probe"] = probes
    run["n_probe"] = n_probe
    run["params"] = dict(p)
    step.save_torch(run)
    step.finish(extra={"metrics": run["metrics"]})

elif kind == "modulation":
    device = step.torch_device(smk, seed=0)
    run = torch.load(smk.input.run, map_location="cpu", weights_only=False)
    rp = run["params"]
    if run["metrics"]["diverged"]:
        raise RuntimeError(f"{smk.input.run}: the SAL run diverged; no trained net for the modulation check")
    data = load_arrays(rp["dataset"], data_cfg, n_train=rp["n_train"], n_test=p["n_test"])
    algo = build_algorithm("sal", run["widths"], torch.Generator().manual_seed(0), rp["algorithms"], loss=rp["loss"])
    circuit = th.circuit_from_weights(algo.cfg, run["weights_end"], dtype=torch.float64)
    summary = th.summarise_modulation(circuit, data.x_test.double(), data.y_test, p["taus"])
    for key, value in summary.items():
        print(f"{key}: {value}")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in summary.items()}
    arrays["n_test"] = np.array(len(data.y_test))
    arrays["test_acc"] = np.array(run["metrics"]["final_test_acc"])
    arrays["data_verified"] = np.array(bool(data.verified))
    step.save_npz(arrays)
    step.finish(extra={"data_verified": bool(data.verified)})

else:
    raise ValueError(f"sa_theory: unknown kind {kind!r} (lemma1, sal_run, modulation)")
