"""Artifacts of the SoftHebb paper implemented so far: what each notebook reads and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import experiment as ex
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

    # --- sh_fig6a, sh_fig6b (unsupervised baselines) ---

    # --- sh_fig9a, sh_fig9b, sh_fig9c (attack sweeps) ---

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

]
