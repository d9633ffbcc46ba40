"""Compute rule sh_synthetic: Fig. 8's synthetic objects and the deflection rates of one dataset.

Rows: for each class the first test image SoftHebb classifies correctly (A.14). Untargeted L-inf PGD on
SoftHebb and on the MLP at every Fig. 8 epsilon, the highest-loss restart kept per image. The proxy CNN labels
every adversarial; deflection rate = among a model's successful adversarials, the fraction the proxy labels as
the model does (A.13, proposed). The same is measured on the first ``deflection.n_images`` test images.
"""


from bioplausible.attacks import AttackConfig
from bioplausible.data import load_split
from bioplausible.softhebb.experiment import load_model
from bioplausible.softhebb.synthetic import deflection, fig8_rows, load_proxy, pgd_adversarials, predict_images
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
device = step.torch_device(smk)
models = {m: load_model(smk.input[m], device)[0] for m in ("softhebb", "mlp")}
proxy, proxy_payload = load_proxy(smk.input.proxy, device)
test = load_split(smk.params.dataset, "test", cache_root="results/data", **smk.params.data)
images, labels = test.images, test.targets.long()

clean_pred = {m: predict_images(net, images, device=device) for m, net in models.items()}
proxy_clean = predict_images(proxy, images, device=device)
result = {
    "dataset": smk.params.dataset, "n_test": len(labels),
    "clean_accuracy": {m: (pr == labels).float().mean().item() for m, pr in clean_pred.items()},
    "proxy_accuracy": (proxy_clean == labels).float().mean().item(), "proxy_train_metrics": proxy_payload["metrics"],
}


def attack(eps_255, x, y):
    cfg = AttackConfig.from_mapping({"name": "linf_pgd", "epsilons": [e / 255 for e in eps_255],
                                     "steps": p["pgd"]["steps"], "rel_stepsize": p["pgd"]["rel_stepsize"],
                                     "restarts": p["pgd"]["restarts"], "random_start": True})
    out = {}
    for m, net in models.items():
        adv = pgd_adversarials(net, x, y, cfg, device=device, batch_size=p["batch_size"], seed=p["pgd"]["seed"])
        proxy_pred = predict_images(proxy, adv["adversarial"], device=device)  # (n_eps, N)
        out[m] = {**adv, "proxy_prediction": proxy_pred, "deflection": deflection(adv["prediction"], proxy_pred, y)}
    return out


selection = fig8_rows(labels, clean_pred["softhebb"])
if selection["incorrect_classes"] or selection["absent_classes"]:
    print(f"WARNING: SoftHebb classifies no test image of class(es) {selection['incorrect_classes']} correctly (their "
          f"row shows the first image of the class); class(es) {selection['absent_classes']} absent from the test set")
rows = selection["indices"]
fig8 = attack(p["fig8"]["epsilons_255"], images[rows], labels[rows])
result["fig8"] = {**selection, "labels": labels[rows].tolist(), "epsilons_255": list(p["fig8"]["epsilons_255"]),
                  "image": images[rows], **fig8}
n_def = min(p["deflection"]["n_images"], len(labels))
subset = attack(p["deflection"]["epsilons_255"], images[:n_def], labels[:n_def])
for m in subset:  # predictions only: the images are not plotted
    for k in ("adversarial", "prediction_per_restart"):
        subset[m].pop(k)
result["deflection_subset"] = {"n_images": n_def, "epsilons_255": list(p["deflection"]["epsilons_255"]), **subset}
for part in ("fig8", "deflection_subset"):
    for m in models:
        print(f"{part} {m}: deflection {result[part][m]['deflection']}")
print({k: v for k, v in result.items() if k not in ("fig8", "deflection_subset")})
step.save_torch(result)
step.finish(extra={"clean_accuracy": result["clean_accuracy"], "proxy_accuracy": result["proxy_accuracy"]})
