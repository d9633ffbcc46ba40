"""Artifacts of the SoftHebb paper implemented so far: what each notebook reads and writes."""

from ..specs import ArtifactSpec

SPECS = [
    ArtifactSpec("sh_fig2", "softhebb.fig2", description="Fig. 2: the soft winner-take-all model (schematic)"),
    ArtifactSpec("sh_fig3", "softhebb.fig3", description="Fig. 3: causal graphs of the data (schematic)"),
    ArtifactSpec("sh_tab1", "softhebb.table1", products=("table",),
                 description="Table 1: training hyperparameters, rendered from the config the runs read"),
]
