"""Artifacts of the SoftHebb paper implemented so far: what each notebook reads and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import attack_sweeps
from . import experiment as ex
from . import fig6, online
from . import synthetic as syn


def _fig4a_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """Every variant (and hard WTA) and the MLP on MNIST, every configured seed."""
    sh = config["softhebb"]
    out = {}
    for seed in sh["seeds"]:
        for v in ex.model_variants(sh):
            out[f"wta_{v}_s{seed}"] = ex.wta_model("mnist", v, seed)
        out[f"mlp_relu_s{seed}"] = ex.mlp_model("mnist", "relu", seed)
    return out


def _online_inputs(with_mlp: bool):
    """Every online model (SoftHebb variants, hard WTA) and, for Figs. 4b/4c, MLP-1ep, on MNIST, every seed."""

    def inputs(config: Mapping[str, Any]) -> dict[str, str]:
        sh = config["softhebb"]
        out = {}
        for seed in sh["seeds"]:
            for v in online.online_variants(sh):
                out[f"online_{v}_s{seed}"] = online.online_wta_result("mnist", v, seed)
            if with_mlp:
                out[f"online_mlp_s{seed}"] = online.online_mlp_result("mnist", seed)
        return out

    return inputs


def _robustness_inputs(other: str, activation: str):
    """Noise + PGD results of the default SoftHebb variant and an MLP, first seed, per dataset."""

    def inputs(config: Mapping[str, Any]) -> dict[str, str]:
        sh = config["softhebb"]
        seed = sh["seeds"][0]
        out = {}
        for d in sh["datasets"]:
            out[f"{d}__softhebb"] = ex.robustness_result(d, f"wta_{sh['wta']['default_variant']}_s{seed}")
            out[f"{d}__{other}"] = ex.robustness_result(d, f"mlp_{activation}_s{seed}")
        return out

    return inputs


def _txt37_inputs(config: Mapping[str, Any]) -> dict[str, str]:
    """SoftHebb (default variant) and hard WTA per Sec. 3.7 dataset and seed, and the F-MNIST ReLU MLP."""
    sh = config["softhebb"]
    out = {}
    for d in sh["txt37"]["datasets"]:
        for seed in sh["seeds"]:
            for v in (sh["wta"]["default_variant"], ex.HARD_WTA):
                out[f"{d}__wta_{v}_s{seed}"] = ex.wta_model(d, v, seed)
            if d == "fashion_mnist":
                out[f"{d}__mlp_relu_s{seed}"] = ex.mlp_model(d, "relu", seed)
    return out


SPECS = [
    ArtifactSpec("sh_fig2", "softhebb.fig2", description="Fig. 2: the soft winner-take-all model (schematic)"),
    ArtifactSpec("sh_fig3", "softhebb.fig3", description="Fig. 3: causal graphs of the data (schematic)"),
    ArtifactSpec("sh_tab1", "softhebb.table1", products=("table",),
                 description="Table 1: training hyperparameters, rendered from the config the runs read"),
    ArtifactSpec("sh_fig4a", "softhebb", _fig4a_inputs, products=("figure", "table"),
                 description="Fig. 4a: MNIST accuracy of SoftHebb (every variant) and hard WTA, 1- and 2-layer, "
                             "against the back-propagation MLP"),
    ArtifactSpec("sh_fig5a", "softhebb", _robustness_inputs("mlp", "relu"),
                 description="Fig. 5a: accuracy under Gaussian input noise, SoftHebb vs MLP, MNIST and F-MNIST"),
    ArtifactSpec("sh_fig5b", "softhebb", _robustness_inputs("mlp", "relu"),
                 description="Fig. 5b: accuracy under untargeted L-inf PGD, SoftHebb vs MLP, MNIST and F-MNIST"),
    ArtifactSpec("sh_fig7a", "softhebb", _robustness_inputs("smlp", "softmax"),
                 description="Fig. 7 (noise): SoftHebb vs the softmax-hidden MLP under Gaussian noise"),
    ArtifactSpec("sh_fig7b", "softhebb", _robustness_inputs("smlp", "softmax"),
                 description="Fig. 7 (PGD): SoftHebb vs the softmax-hidden MLP under untargeted L-inf PGD"),
    # --- sh_fig4b, sh_fig4c, sh_fig4d (online first-epoch protocol) ---
    ArtifactSpec("sh_fig4b", "softhebb", _online_inputs(True), products=("figure", "table"),
                 description="Fig. 4b: MNIST accuracy after one online epoch, greedy (light) and simultaneous "
                             "delta-rule (dark) classifiers, SoftHebb vs hard WTA, against 1-epoch back-propagation"),
    ArtifactSpec("sh_fig4c", "softhebb", _online_inputs(True),
                 description="Fig. 4c: post-hoc cross-entropy on the test set during the first online epoch, "
                             "SoftHebb vs hard WTA vs back-propagation"),
    ArtifactSpec("sh_fig4d", "softhebb", _online_inputs(False),
                 description="Fig. 4d: number of R1 features (| ||w_k|| - 1 | <= 0.01) during the first online epoch"),

    # --- sh_fig6a, sh_fig6b (unsupervised baselines) ---
    ArtifactSpec("sh_fig6a", "softhebb.baselines", fig6.artifact_inputs, products=("figure", "table"),
                 description="Fig. 6 (noise): SoftHebb K=100 vs K-means and PCA features (ReLU) under Gaussian noise, "
                             "and the clean accuracies of Sec. 3.5 (incl. the softmax controls)"),
    ArtifactSpec("sh_fig6b", "softhebb.baselines", fig6.artifact_inputs,
                 description="Fig. 6 (PGD): SoftHebb K=100 vs K-means and PCA features (ReLU) under untargeted L-inf PGD"),

    # --- sh_fig9a, sh_fig9b, sh_fig9c (attack sweeps) ---
    ArtifactSpec("sh_fig9a", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(["mnist"]),
                 description="Fig. 9a: accuracy vs number of PGD iterations, SoftHebb and MLP, MNIST"),
    ArtifactSpec("sh_fig9b", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(["fashion_mnist"]),
                 description="Fig. 9b: accuracy vs number of PGD iterations, SoftHebb and MLP, Fashion-MNIST"),
    ArtifactSpec("sh_fig9c", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(),
                 description="Fig. 9c: accuracy vs PGD step size at eps = 32/255, MNIST and Fashion-MNIST"),

    # --- sh_fig8a, sh_fig8b, sh_fig1 (synthetic objects, Fig. 1) ---
    ArtifactSpec("sh_fig8a", "softhebb.synthetic", {"synthetic": syn.synthetic_result("mnist")},
                 description="Fig. 8a: synthetic objects of the PGD attacker + SoftHebb pair (MNIST), MLP for contrast, "
                             "with the proxy-CNN deflection rates"),
    ArtifactSpec("sh_fig8b", "softhebb.synthetic", {"synthetic": syn.synthetic_result("fashion_mnist")},
                 description="Fig. 8b: synthetic objects of the PGD attacker + SoftHebb pair (Fashion-MNIST), MLP for "
                             "contrast, with the proxy-CNN deflection rates"),
    ArtifactSpec("sh_fig1", "softhebb.synthetic", {"fig1": syn.fig1_result()},
                 description="Fig. 1: SoftHebb vs back-propagation on one test '4': clean, Gaussian noise, untargeted "
                             "and targeted (4 -> 0) PGD"),

    # --- sh_txt37 ---
    ArtifactSpec("sh_txt37", "softhebb", _txt37_inputs, products=("table",),
                 description="Sec. 3.7: SoftHebb and hard WTA on Fashion-MNIST and CIFAR-10 (+ the F-MNIST MLP)"),

]
