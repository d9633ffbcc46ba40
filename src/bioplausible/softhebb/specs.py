"""Artifacts of the SoftHebb paper implemented so far: what each notebook reads and writes."""

from typing import Any, Mapping

from ..specs import ArtifactSpec
from . import attack_sweeps
from . import experiment as ex


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
    ArtifactSpec("sh_fig9a", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(["mnist"]),
                 description="Fig. 9a: accuracy vs number of PGD iterations, SoftHebb and MLP, MNIST"),
    ArtifactSpec("sh_fig9b", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(["fashion_mnist"]),
                 description="Fig. 9b: accuracy vs number of PGD iterations, SoftHebb and MLP, Fashion-MNIST"),
    ArtifactSpec("sh_fig9c", "softhebb.attack_sweeps", attack_sweeps.sweep_inputs(),
                 description="Fig. 9c: accuracy vs PGD step size at eps = 32/255, MNIST and Fashion-MNIST"),

    # --- sh_fig8a, sh_fig8b, sh_fig1 (synthetic objects, Fig. 1) ---

    # --- sh_txt37 ---

]
