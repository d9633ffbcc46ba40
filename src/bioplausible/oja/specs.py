"""Artifacts of the Oja's-rule paper: what each notebook reads (cached results) and writes."""

from ..specs import ArtifactSpec

SPECS: list[ArtifactSpec] = []

# --- Xavier runs R5X / R10X (oja_fig1a, oja_fig1b, oja_fig2, oja_fig3, oja_fig4, oja_fig6ab, oja_fig6ef) -----------

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

# --- meta-learned local rule (oja_fig8) -----------------------------------------------------------------------------
