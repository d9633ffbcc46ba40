"""Compute rule sh_robustness: Gaussian-noise and untargeted L-inf PGD accuracy of one trained model.

Cached per model and attack setting (the rule's params). PGD runs twice on the same images, epsilon grid,
steps, step size, restarts and seed: foolbox's LinfPGD, which ascends the cross-entropy, and the plain-torch
loop with foolbox's update ascending the margin max_{j != y} z_j - z_y (bioplausible.attacks.linf_pgd).
Cross-entropy PGD can be masked by a saturated softmax (its input gradient underflows to exactly 0 in
float32, so the image never moves); the margin loss does not saturate. The headline ``pgd_accuracy`` is
the worst case per image: robust only if robust under both attacks. Beside every curve: the model's clean
accuracy and the number of test images whose input gradient is exactly zero at the clean image, per loss.
"""

import time


from bioplausible.attacks import (AttackConfig, gaussian_noise_accuracy, linf_pgd, robust_accuracy,
                                  zero_input_gradient)
from bioplausible.softhebb.experiment import attacked_test_images, load_model
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk)
model, payload = load_model(smk.input.model, device)
images, labels = attacked_test_images(smk.params.dataset, p["n_test"], smk.params.data)
n = len(images)
bs = p["batch_size"]

noise = gaussian_noise_accuracy(model, images, labels, p["noise_sigmas"], seed=p["noise_seed"], device=device,
                                batch_size=bs)
pgd = p["pgd"]
eps = [e / 255 for e in pgd["epsilons_255"]]
pgd_cfg = AttackConfig.from_mapping({"name": "linf_pgd", "epsilons": eps, "steps": pgd["steps"],
                                     "rel_stepsize": pgd["rel_stepsize"], "restarts": pgd["restarts"],
                                     "random_start": True})
t0 = time.time()
ce = robust_accuracy(model, images, labels, pgd_cfg, device=device, batch_size=bs, seed=pgd["seed"])
t1 = time.time()
margin = linf_pgd(model, images, labels, epsilons=eps, steps=pgd["steps"], rel_stepsize=pgd["rel_stepsize"],
                  loss="margin", restarts=pgd["restarts"], random_start=True, seed=pgd["seed"], device=device,
                  batch_size=bs)
t2 = time.time()
print(f"PGD: foolbox cross-entropy {t1 - t0:.1f} s, torch margin {t2 - t1:.1f} s")
robust_margin = margin["robust"][0]  # (n_eps, N) at the final step
robust_worst = ce["robust"] & robust_margin  # robust only if neither attack fools the image

zero = {loss: zero_input_gradient(model, images, labels, loss=loss, device=device, batch_size=bs)
        for loss in ("crossentropy", "margin")}

result = {
    "model": payload["kind"], "n_test": n, "clean_accuracy": ce["clean_accuracy"],
    "noise_sigmas": list(p["noise_sigmas"]), "noise_accuracy": noise["accuracy"],
    "pgd_epsilons_255": list(pgd["epsilons_255"]),
    "pgd_accuracy": robust_worst.float().mean(dim=1).tolist(),  # worst case of the two attacks
    "pgd_ce_accuracy": ce["robust_accuracy"], "pgd_margin_accuracy": margin["robust_accuracy"][0],
    "pgd_robust": robust_worst, "pgd_ce_robust": ce["robust"], "pgd_margin_robust": robust_margin,
    # images whose input gradient is exactly 0 at the clean image: cross-entropy (the key other figures
    # read), margin, and both (only these can still mask the worst case)
    "zero_gradient_images": int(zero["crossentropy"].sum()),
    "zero_gradient_images_margin": int(zero["margin"].sum()),
    "zero_gradient_images_both": int((zero["crossentropy"] & zero["margin"]).sum()),
    # per epsilon: images the margin attack never moved (gradient 0 at every step of every restart)
    "pgd_margin_never_moved": margin["zero_gradient"].sum(dim=1).tolist(),
    "pgd_seconds": {"crossentropy": t1 - t0, "margin": t2 - t1},
    "train_metrics": payload["metrics"],
}
print({k: v for k, v in result.items() if not k.endswith("_robust") and k != "pgd_robust"})
step.save_torch(result)
step.finish(extra={"clean_accuracy": result["clean_accuracy"], "zero_gradient_images": result["zero_gradient_images"],
                   "zero_gradient_images_margin": result["zero_gradient_images_margin"]})
