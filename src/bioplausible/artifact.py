"""The notebook side of an artifact: parameters in, figure/table + metrics + provenance out.

Every notebook follows the same pattern::

    # parameters cell (tagged "parameters"; papermill injects the rule's values after it)
    artifact = "amit_fig4"
    scale = "quick"      # which workflow/config/<scale>.yaml fills `params` when it is None
    params = None        # the artifact's config section; None = read it from that scale's config
    inputs = None        # name -> cached result path; None = the defaults of bioplausible.specs
    outputs = None       # name -> output path; None = the defaults of bioplausible.specs

    run = ArtifactRun(artifact, scale=scale, params=params, inputs=inputs, outputs=outputs)
    sim = run.load_npz("sim")
    ...                                  # plot from cached results only
    run.save_figure(fig)
    run.finish({"metric": value, ...})   # metrics JSON, provenance, and the artifact's verdicts

so a notebook runs by hand (in Jupyter, from ``notebooks/<paper>/``) with its defaults, and under
Snakemake with the rule's parameters.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping

from . import config as config_mod
from . import io, paths, plotting, provenance
from .specs import spec_of


class ArtifactRun:
    def __init__(self, artifact: str, *, scale: str = config_mod.DEFAULT_SCALE, params: Mapping[str, Any] | None = None,
                 inputs: Mapping[str, str] | None = None, outputs: Mapping[str, str] | None = None) -> None:
        self.started = time.time()
        self.artifact = artifact
        self.paper = paths.paper_of(artifact)
        self.spec = spec_of(artifact)
        self.scale = scale
        scale_config = None
        if params is None or inputs is None:
            scale_config = config_mod.load(scale)
        if params is None:
            params = config_mod.section(scale_config, self.spec.config_key)
        self.params = config_mod.thaw(params)
        self.inputs = dict(inputs) if inputs is not None else self.spec.resolved_inputs(scale_config)
        self.outputs = dict(outputs) if outputs is not None else self.spec.outputs()
        for name, rel in self.inputs.items():
            if not paths.absolute(rel).exists():
                raise FileNotFoundError(
                    f"{artifact}: input {name!r} ({rel}) does not exist; build it first with "
                    f"`snakemake --cores all {rel}` (or `snakemake --cores all {artifact}`)"
                )
        self.params_hash = io.params_hash(self.params)
        self.git = provenance.git_state()
        self._metrics_written = False
        plotting.use_style()

    # --- inputs ----------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if name not in self.inputs:
            raise KeyError(f"{self.artifact}: no input named {name!r}; inputs are {sorted(self.inputs)}")
        return paths.absolute(self.inputs[name])

    def load_npz(self, name: str) -> dict[str, Any]:
        return io.load_npz(self.path(name))

    def load_json(self, name: str) -> Any:
        return io.read_json(self.path(name))

    # --- outputs ---------------------------------------------------------------------------------
    def save_figure(self, fig, title: str | None = None) -> None:
        plotting.save_figure(
            fig, paths.absolute(self.outputs["figure_pdf"]), paths.absolute(self.outputs["figure_png"]),
            title=title or self.spec.description or self.artifact, commit=self.git["commit"], params_hash=self.params_hash,
        )

    def save_table(self, df, caption: str = "") -> None:
        """Write a pandas DataFrame as CSV and Markdown (caption, provenance line, table)."""
        io.atomic_write_text(paths.absolute(self.outputs["table_csv"]), df.to_csv(index=False, lineterminator="\n"))
        md = [f"**{self.artifact}**" + (f": {caption}" if caption else ""), "",
              df.to_markdown(index=False) if _has_tabulate() else df.to_string(index=False), "",
              f"<!-- commit {self.git['commit']}, params_hash {self.params_hash}, scale {self.scale} -->", ""]
        io.atomic_write_text(paths.absolute(self.outputs["table_md"]), "\n".join(md))

    def finish(self, metrics: Mapping[str, Any], print_verdicts: bool = True) -> dict[str, Any]:
        """Write the metrics JSON (deterministic: no times in it) and the provenance record."""
        if "_meta" in metrics:
            raise ValueError("metrics key '_meta' is reserved")
        data = provenance.data_records(self.inputs.values())
        payload = dict(metrics)
        payload["_meta"] = {
            "artifact": self.artifact, "scale": self.scale, "params_hash": self.params_hash,
            "data_verified": provenance.data_verified(data),
        }
        io.write_json(paths.absolute(self.outputs["metrics"]), payload)
        outs = [v for k, v in self.outputs.items() if k not in ("provenance", "notebook")]
        record = provenance.build_record(
            kind="artifact", name=self.artifact, scale=self.scale, params=self.params,
            inputs=list(self.inputs.values()), outputs=outs, seeds=_seeds(self.params), started=self.started,
            extra={"notebook": paths.rel_notebook_source(self.artifact)},
        )
        provenance.write_record(paths.absolute(self.outputs["provenance"]), record)
        self._metrics_written = True
        if print_verdicts:
            from .claims.__main__ import main as claims_main

            claims_main(["verdicts", "--artifact", self.artifact, "--scale", self.scale])
        return payload


def _seeds(params: Mapping[str, Any]) -> list[int]:
    if "seeds" in params:
        return list(params["seeds"])
    if "seed" in params:
        return [params["seed"]]
    return []


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False
