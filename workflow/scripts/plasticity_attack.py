"""Compute rule pr_attack: the targeted raw-gradient L2 attack (catalog A7) on one Table 2 / Fig. 4 network.

On ``n_images`` seeded test images (the same for every net of a dataset): the attack over the whole epsilon grid
(nested radii: an image fooled at a radius is fooled at every larger one; the first fooling radius and its
adversarial image are kept for Fig. 5); where configured, the double-softmax attack loss (Amb. 7), the step-size
sweep (Amb. 15) and the foolbox diagnostics (targeted L2 PGD over all 9 targets; L2 Carlini-Wagner), each beside
the clean accuracy of the model on the same images, measured in the dtype the attacks run in."""

import time

import torch

from bioplausible.attacks import AttackConfig, robust_accuracy
from bioplausible.attacks_l2 import foolbox_all_targets, targeted_l2_attack
from bioplausible.plasticity_rules import experiment as ex
from bioplausible.plasticity_rules.network import DTYPES
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
seed = int(smk.wildcards.seed)
device = step.torch_device(smk, seed=seed)
dtype = DTYPES[p["dtype"]]
model, payload = ex.load_net(smk.input.net, device, dtype)
model64, _ = ex.load_net(smk.input.net, device, torch.float64)
x, y, idx = ex.attacked_images(p["dataset"], p["n_images"], p["image_seed"], smk.params.data)
images = x.to(device=device, dtype=dtype)
bs = p["batch_size"]
n_classes = model.n_classes
seconds = {}


def attack(images, labels, **kw):
    t0 = time.time()
    out = targeted_l2_attack(model, images, labels, n_classes=n_classes, device=device, batch_size=bs, **kw)
    return out, time.time() - t0


with torch.no_grad():
    clean64 = (model64(x.to(device)).argmax(-1).cpu() == y)
main, seconds["main"] = attack(images, y, epsilons=p["epsilons"], alpha=p["alpha"], steps=p["steps"], loss=p["loss"])
print(f"main ({p['loss']}): clean {main['clean_accuracy']:.3f} ({p['dtype']}; float64 {clean64.float().mean():.3f}), "
      f"robust {[round(a, 3) for a in main['robust_accuracy']]}, {seconds['main']:.1f} s")
result = {"params": p, "image_indices": idx, "images": x.float(), "labels": y, "clean_correct_float64": clean64,
          "main": main, "net_metrics": payload["metrics"], "dtype": p["dtype"]}

if p["probs"] is not None:  # the double-softmax attack loss of the authors' code (catalog Amb. 7)
    q = p["probs"]
    m = q["n_images"]
    result["probs"], seconds["probs"] = attack(images[:m], y[:m], epsilons=q["epsilons"], alpha=p["alpha"],
                                               steps=p["steps"], loss="probs")
    print(f"probs: robust {result['probs']['robust_accuracy']} on {m} images, {seconds['probs']:.1f} s")

if p["alpha_sweep"] is not None:  # step-size sensitivity at one radius, each alpha an independent run (Amb. 15)
    q = p["alpha_sweep"]
    t0 = time.time()
    result["alpha_sweep"] = {
        a: targeted_l2_attack(model, images, y, epsilons=[q["epsilon"]], alpha=a, steps=p["steps"], loss=p["loss"],
                              n_classes=n_classes, device=device, batch_size=bs)["robust_accuracy"][0]
        for a in q["alphas"]}
    seconds["alpha_sweep"] = time.time() - t0
    print(f"alpha sweep at eps {q['epsilon']}: {result['alpha_sweep']}, {seconds['alpha_sweep']:.1f} s")

if p["diag"] is not None:  # foolbox diagnostics on the first diag.n_images images (catalog A7 "diag")
    q = p["diag"]
    m = q["n_images"]
    di, dy = images[:m], y[:m]
    pgd_cfg = AttackConfig.from_mapping({"name": "l2_pgd", "epsilons": q["epsilons"], "steps": q["pgd_steps"],
                                         "rel_stepsize": q["pgd_rel_stepsize"], "random_start": True})
    t0 = time.time()
    pgd = foolbox_all_targets(model, di, dy, pgd_cfg, n_classes=n_classes, device=device, batch_size=bs,
                              seed=q["seed"])
    seconds["diag_pgd"] = time.time() - t0
    cw_cfg = AttackConfig.from_mapping({"name": "l2_cw", "epsilons": q["epsilons"], "steps": q["cw_steps"],
                                        "cw_binary_search_steps": q["cw_binary_search_steps"]})
    t0 = time.time()
    cw = robust_accuracy(model, di, dy, cw_cfg, device=device, batch_size=bs, seed=q["seed"])
    seconds["diag_cw"] = time.time() - t0
    result["diag"] = {"n_images": m, "epsilons": list(q["epsilons"]), "clean_accuracy": pgd["clean_accuracy"],
                      "pgd": {k: pgd[k] for k in ("robust", "robust_accuracy", "target_hit")},
                      "cw": {k: cw[k] for k in ("robust", "robust_accuracy")}}
    print(f"diag on {m} images: clean {pgd['clean_accuracy']:.3f}, foolbox L2 PGD {pgd['robust_accuracy']} "
          f"({seconds['diag_pgd']:.1f} s), CW {cw['robust_accuracy']} ({seconds['diag_cw']:.1f} s)")

result["seconds"] = seconds
step.save_torch(result)
step.finish({"clean_accuracy": main["clean_accuracy"], "robust_accuracy": main["robust_accuracy"],
             "seconds": seconds})
