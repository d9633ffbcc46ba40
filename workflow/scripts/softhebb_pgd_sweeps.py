"""Compute rule sh_pgd_sweeps: the PGD iterations sweep (Fig. 9a/b) and step-size sweep (Fig. 9c) of one model.

Both through bioplausible.attacks.linf_pgd (foolbox 3.3.4's LinfPGD update in plain torch), per configured
loss (cross-entropy = the paper's attack; margin beside it where listed):
- iterations: every eps of the grid, ONE run to the largest step count, accuracy recorded after each count;
- step size: eps = epsilon_255/255, a fixed number of steps, one run per relative step size.
Same seed, restarts and images throughout; an image is robust only if it survives every restart.
"""

import time


from bioplausible.attacks import linf_pgd, zero_input_gradient
from bioplausible.softhebb.experiment import attacked_test_images, load_model
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk)
model, payload = load_model(smk.input.model, device)
images, labels = attacked_test_images(smk.params.dataset, p["n_test"], smk.params.data)
n = len(images)
common = {"restarts": p["restarts"], "seed": p["seed"], "device": device, "batch_size": p["batch_size"]}

it, st = p["iterations"], p["step_size"]
steps = sorted(it["steps"])
iterations = {"epsilons_255": list(it["epsilons_255"]), "steps": steps, "rel_stepsize": it["rel_stepsize"],
              "accuracy": {}, "never_moved": {}}
step_size = {"epsilon_255": st["epsilon_255"], "steps": st["steps"], "rel_stepsizes": list(st["rel_stepsizes"]),
             "accuracy": {}, "never_moved": {}}
seconds = {}
clean = None
for loss in p["losses"]:
    t0 = time.time()
    run = linf_pgd(model, images, labels, epsilons=[e / 255 for e in it["epsilons_255"]], steps=steps[-1],
                   rel_stepsize=it["rel_stepsize"], loss=loss, record_steps=steps, **common)
    clean = run["clean_accuracy"]
    iterations["accuracy"][loss] = run["robust_accuracy"]  # (n_steps, n_eps)
    iterations["never_moved"][loss] = run["zero_gradient"].sum(dim=1).tolist()  # per eps
    t1 = time.time()
    accs, never = [], []
    for rel in st["rel_stepsizes"]:
        r = linf_pgd(model, images, labels, epsilons=[st["epsilon_255"] / 255], steps=st["steps"], rel_stepsize=rel,
                     loss=loss, **common)
        accs.append(r["robust_accuracy"][0][0])
        never.append(int(r["zero_gradient"].sum()))
    step_size["accuracy"][loss] = accs
    step_size["never_moved"][loss] = never
    seconds[loss] = {"iterations": t1 - t0, "step_size": time.time() - t1}
    print(f"{loss}: iterations {iterations['accuracy'][loss]} ({t1 - t0:.1f} s); step size {accs} "
          f"({seconds[loss]['step_size']:.1f} s)")

zero = {loss: int(zero_input_gradient(model, images, labels, loss=loss, device=device,
                                      batch_size=p["batch_size"]).sum()) for loss in ("crossentropy", "margin")}
result = {
    "model": payload["kind"], "dataset": smk.params.dataset, "n_test": n, "clean_accuracy": clean,
    "losses": list(p["losses"]), "restarts": p["restarts"], "seed": p["seed"],
    "iterations": iterations, "step_size": step_size,
    "zero_gradient_images": zero["crossentropy"], "zero_gradient_images_margin": zero["margin"],
    "seconds": seconds, "train_metrics": payload["metrics"],
}
print(result)
step.save_torch(result)
step.finish(extra={"clean_accuracy": clean, "zero_gradient_images": zero["crossentropy"], "seconds": seconds})
