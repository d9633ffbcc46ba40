"""Compute rule sh_fig1_example: the Fig. 1 test "4" and its panels (c)-(f) for SoftHebb and the MLP.

Selection (catalog sh_fig1): the first test "4" both models classify correctly, that the MLP misclassifies
and SoftHebb classifies correctly under Gaussian noise at some grid sigma (d) and under untargeted PGD at
16/255 (e). (f): targeted PGD 4 -> 0 on each model at its own epsilon, the smallest grid epsilon at which its
untargeted robust accuracy (rule sh_robustness, Fig. 5b) is <= 10 % (A.13). The proxy CNN labels the
targeted adversarials (does SoftHebb's look like a "0", the MLP's still like a "4"?).
"""

import torch

from bioplausible.attacks import AttackConfig, targeted_attack
from bioplausible.data import load_split
from bioplausible.softhebb.experiment import load_model
from bioplausible.softhebb.synthetic import load_proxy, predict_images, select_fig1_example, targeted_epsilon
from bioplausible.step import Step

smk = snakemake  # noqa: F821 (injected by Snakemake)
step = Step.from_snakemake(smk)
p = step.params
f1 = p["fig1"]
device = step.torch_device(smk)
models = {m: load_model(smk.input[m], device)[0] for m in ("softhebb", "mlp")}
proxy, _ = load_proxy(smk.input.proxy, device)
test = load_split("mnist", "test", cache_root="results/data", **smk.params.data)


def pgd(eps_255):
    return AttackConfig.from_mapping({"name": "linf_pgd", "epsilons": [e / 255 for e in eps_255],
                                      "steps": p["pgd"]["steps"], "rel_stepsize": p["pgd"]["rel_stepsize"],
                                      "restarts": p["pgd"]["restarts"], "random_start": True})


chosen = select_fig1_example(models, test.images, test.targets, digit=f1["digit"], sigmas=p["noise_sigmas"],
                             noise_seed=f1["noise_seed"], attack=pgd([f1["untargeted_eps_255"]]),
                             attack_seed=p["pgd"]["seed"], chunk_size=f1["chunk_size"], device=device)
result = {"selection": {k: v for k, v in chosen.items()}, "digit": f1["digit"], "target": f1["target"],
          "untargeted_eps_255": f1["untargeted_eps_255"]}
robustness = {m: torch.load(smk.input[f"{m}_robustness"], map_location="cpu", weights_only=False)
              for m in models}
result["targeted_eps_255"] = {m: targeted_epsilon(r["pgd_epsilons_255"], r["pgd_accuracy"],
                                                  max_accuracy=f1["max_robust_accuracy"], model=m)
                              for m, r in robustness.items()}
result["robustness_n_test"] = {m: r["n_test"] for m, r in robustness.items()}
result["clean_accuracy"] = {m: r["clean_accuracy"] for m, r in robustness.items()}  # on the attacked test images
if chosen["index"] is not None:
    x = chosen["image"].unsqueeze(0)  # (1, 28, 28) float in [0, 1]
    targeted = {}
    for m, net in models.items():
        out = targeted_attack(net, x, torch.tensor([f1["target"]]), pgd([result["targeted_eps_255"][m]]),
                              device=device, batch_size=1, seed=p["pgd"]["seed"])
        adv = out["adversarial"][0, 0]
        targeted[m] = {"adversarial": adv, "success": bool(out["success"][0, 0]),
                       "prediction": int(predict_images(net, adv.unsqueeze(0), device=device)[0]),
                       "proxy_prediction": int(predict_images(proxy, adv.unsqueeze(0), device=device)[0])}
    result["targeted"] = targeted
    result["untargeted_proxy_prediction"] = {
        m: int(predict_images(proxy, a["adversarial"].unsqueeze(0), device=device)[0])
        for m, a in chosen["untargeted"].items()}
print({k: v for k, v in result.items() if k not in ("selection", "targeted")})
print("selection:", {k: v for k, v in chosen.items() if not isinstance(v, (torch.Tensor, dict))})
if "targeted" in result:
    print("targeted:", {m: {k: v for k, v in t.items() if k != "adversarial"} for m, t in result["targeted"].items()})
step.save_torch(result)
step.finish(extra={"index": chosen["index"], "targeted_eps_255": result["targeted_eps_255"]})
