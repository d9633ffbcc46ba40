"""Artifacts of the Oja's-rule paper: what each notebook reads (cached results) and writes."""

from ..specs import ArtifactSpec

SPECS: list[ArtifactSpec] = []

# --- Xavier runs R5X / R10X (oja_fig1a, oja_fig1b, oja_fig2, oja_fig3, oja_fig4, oja_fig6ab, oja_fig6ef) -----------

# --- naive-init and feedback-alignment runs R5N / R5FA (oja_fig5, oja_fig6cd, oja_fig6gh, oja_figS1) ---------------

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
