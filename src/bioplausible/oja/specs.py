"""Artifacts of the Oja's-rule paper: what each notebook reads (cached results) and writes."""

from ..specs import ArtifactSpec

SPECS: list[ArtifactSpec] = []

# --- Xavier runs R5X / R10X (oja_fig1a, oja_fig1b, oja_fig2, oja_fig3, oja_fig4, oja_fig6ab, oja_fig6ef) -----------
from . import experiment as ex  # noqa: E402

_R5X = {"R5X": ex.online_run("R5X")}
_R10X = {"R10X": ex.online_run("R10X")}
SPECS += [
    ArtifactSpec("oja_fig1a", "oja", _R5X,
                 description="Fig. 1a: 5-layer online learning on MNIST, validation accuracy of BP vs BP+Oja "
                             "(mean, 98% bootstrap band)"),
    ArtifactSpec("oja_fig1b", "oja", {**_R5X, **_R10X},
                 description="Fig. 1b: 10-layer online learning on MNIST, BP vs BP+Oja (mean, 98% bootstrap band); "
                             "the 5-layer BP curve for reference"),
    ArtifactSpec("oja_fig2", "oja", _R10X,
                 description="Fig. 2: per-layer reconstruction error (Eq. 2) of the 10-layer net, BP (left) vs "
                             "BP+Oja (right)"),
    ArtifactSpec("oja_fig3", "oja", {**_R5X, **_R10X, **ex.mnist_inputs()},
                 description="Fig. 3: inputs reconstructed from hidden layers through the chained transposed weights, "
                             "5- and 10-layer, BP vs BP+Oja (seed 0)"),
    ArtifactSpec("oja_fig4", "oja", {**_R10X, **ex.mnist_inputs()}, products=("figure", "table"),
                 description="Fig. 4: cumulative PCA explained variance of y1, y3, y7, y9 of the 10-layer net, "
                             "BP (blue) vs BP+Oja (orange)"),
    ArtifactSpec("oja_fig6ab", "oja", _R5X,
                 description="Fig. 6a-b: activation norms per layer over training, 5-layer Xavier, BP vs BP+Oja"),
    ArtifactSpec("oja_fig6ef", "oja", _R10X,
                 description="Fig. 6e-f: activation norms per layer over training, 10-layer Xavier, BP vs BP+Oja"),
]

# --- naive-init and feedback-alignment runs R5N / R5FA (oja_fig5, oja_fig6cd, oja_fig6gh, oja_figS1) ---------------
# config key "oja": the notebooks read oja.naive_figs and, from the lead's oja.online, beta and the validation draw
from ..paths import rel_data_cache  # noqa: E402
from . import experiment as _ex  # noqa: E402

_MNIST_TEST = rel_data_cache("mnist", "test")    # the validation images (oja.online's seeded subset), for the signal
SPECS += [
    ArtifactSpec("oja_fig5", "oja", {"R5N": _ex.online_run("R5N")}, products=("figure", "table"),
                 description="Fig. 5: naive N(0, 0.01) initialisation, 5-layer, BP vs BP+Oja validation accuracy"),
    ArtifactSpec("oja_fig6cd", "oja", {"R5N": _ex.online_run("R5N"), "mnist_test": _MNIST_TEST},
                 products=("figure", "table"),
                 description="Fig. 6c-d: activation norms per layer, 5-layer naive init, BP vs BP+Oja"),
    ArtifactSpec("oja_fig6gh", "oja", {"R5FA": _ex.online_run("R5FA"), "mnist_test": _MNIST_TEST},
                 products=("figure", "table"),
                 description="Fig. 6g-h: activation norms per layer, feedback alignment, FA vs FA+Oja"),
    ArtifactSpec("oja_figS1", "oja", {"R5N": _ex.online_run("R5N")}, products=("figure", "table"),
                 description="Fig. S1: weight-update norms per layer, naive init, BP vs BP+Oja (panels A-D)"),
]

# --- RNN on delayed MNIST (oja_fig7) --------------------------------------------------------------------------------
from . import experiment_rnn as _rnn_ex  # noqa: E402

SPECS.append(ArtifactSpec(
    "oja_fig7", "oja.rnn", {m: _rnn_ex.run_result(m) for m in _rnn_ex.METHODS},
    description="Fig. 7: validation accuracy of a vanilla RNN on delayed MNIST (image for 5 steps, readout at "
                "T = 50) trained online by BPTT vs BPTT+Oja (Oja on W_h), mean and 98 % bootstrap band over runs.",
))

# --- meta-learned local rule (oja_fig8) -----------------------------------------------------------------------------
from . import experiment_meta  # noqa: E402 (kept in this section: the file is shared by the helpers)

SPECS.append(ArtifactSpec(
    "oja_fig8", "oja.meta", experiment_meta.fig8_inputs, products=("figure", "table"),
    description="Fig. 8: meta-accuracy vs episode, meta-learned BP (black) vs the Eq. 9 local rule (blue); "
                "Theta trajectories"))
