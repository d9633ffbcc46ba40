"""Compute rule sh_robustness: Gaussian-noise and untargeted L-inf PGD accuracy of one trained model.

Cached per model and attack setting (the rule's params). Beside every curve it stores the model's clean
accuracy, and for PGD the number of test images whose input gradient of the cross-entropy is exactly zero
in float32 (a saturated softmax masks gradient attacks: such images look robust without being so).
"""

import torch

from bioplausible.attacks import AttackConfig, gaussian_noise_accuracy, robust_accuracy
from bioplausible.data import load_split
from bioplausible.device import resolve_device
from bioplausible.softhebb.experiment import load_model
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = resolve_device(smk.params.device)
torch.set_num_threads(max(1, smk.threads))
model, payload = load_model(smk.input.model, device)
data = load_split(smk.params.dataset, "test", cache_root="results/data", **smk.params.data)
n = min(p["n_test"] or len(data.images), len(data.images))
images, labels = data.images[:n], data.targets[:n]

noise = gaussian_noise_accuracy(model, images, labels, p["noise_sigmas"], seed=p["noise_seed"], device=device,
                                batch_size=p["batch_size"])
pgd_cfg = AttackConfig.from_mapping({"name": "linf_pgd", "epsilons": [e / 255 for e in p["pgd"]["epsilons_255"]],
                                     "steps": p["pgd"]["steps"], "rel_stepsize": p["pgd"]["rel_stepsize"],
                                     "restarts": p["pgd"]["restarts"], "random_start": True})
pgd = robust_accuracy(model, images, labels, pgd_cfg, device=device, batch_size=p["batch_size"], seed=p["pgd"]["seed"])

# images whose cross-entropy input gradient is exactly zero at the clean point (gradient masking)
x = images.to(device).float().div(255).requires_grad_(True)
loss = torch.nn.functional.cross_entropy(model(x), labels.to(device), reduction="sum")
(grad,) = torch.autograd.grad(loss, x)
zero_grad = int((grad.reshape(len(grad), -1).abs().amax(dim=1) == 0).sum())

result = {
    "model": payload["kind"], "n_test": n, "clean_accuracy": pgd["clean_accuracy"],
    "noise_sigmas": list(p["noise_sigmas"]), "noise_accuracy": noise["accuracy"],
    "pgd_epsilons_255": list(p["pgd"]["epsilons_255"]), "pgd_accuracy": pgd["robust_accuracy"],
    "pgd_robust": pgd["robust"], "zero_gradient_images": zero_grad, "train_metrics": payload["metrics"],
}
print({k: v for k, v in result.items() if k != "pgd_robust"})
step.save_torch(result)
step.finish(extra={"clean_accuracy": result["clean_accuracy"], "zero_gradient_images": zero_grad})
