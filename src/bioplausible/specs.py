"""What each notebook artifact reads and writes: one spec per artifact, shared by Snakemake and notebooks.

``workflow/rules/notebooks.smk`` generates one rule per spec (named after the artifact), and a
notebook run by hand uses the same spec to find its default inputs and outputs, so the two cannot
drift. A paper registers its specs in ``bioplausible.<paper>.specs`` and lists the module in
``SPEC_MODULES``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

from . import paths, provenance

PRODUCTS = ("figure", "table")

# Paper modules that define ``SPECS: list[ArtifactSpec]``.
SPEC_MODULES = (
    "bioplausible.amit.specs",
    "bioplausible.softhebb.specs",
    "bioplausible.plasticity_rules.specs",
    "bioplausible.oja.specs",
    "bioplausible.self_assembly.specs",
)


@dataclass(frozen=True)
class ArtifactSpec:
    artifact: str
    config_key: str                      # dotted key of its parameters in the scale config
    # name -> path of a cached result; or a function of the scale config returning that mapping, for
    # artifacts whose inputs depend on the scale (e.g. one trained model per configured seed)
    inputs: Union[dict[str, str], Callable[[Mapping[str, Any]], dict[str, str]]] = field(default_factory=dict)
    products: tuple[str, ...] = ("figure",)
    threads: int = 1
    description: str = ""

    def __post_init__(self) -> None:
        paths.paper_of(self.artifact)
        bad = [p for p in self.products if p not in PRODUCTS]
        if bad or not self.products:
            raise ValueError(f"{self.artifact}: products must be a non-empty subset of {PRODUCTS}, got {self.products}")

    @property
    def paper(self) -> str:
        return paths.paper_of(self.artifact)

    def resolved_inputs(self, config: Mapping[str, Any]) -> dict[str, str]:
        """The input paths at one scale (``config`` is the validated scale config)."""
        return dict(self.inputs(config)) if callable(self.inputs) else dict(self.inputs)

    def outputs(self) -> dict[str, str]:
        """Every file the artifact's rule writes, by name (relative paths)."""
        a = self.artifact
        out: dict[str, str] = {}
        if "figure" in self.products:
            out["figure_pdf"] = paths.rel_figure(a, "pdf")
            out["figure_png"] = paths.rel_figure(a, "png")
        if "table" in self.products:
            out["table_csv"] = paths.rel_table(a, "csv")
            out["table_md"] = paths.rel_table(a, "md")
        out["metrics"] = paths.rel_metrics(a)
        out["provenance"] = paths.rel_provenance(self.paper, a)
        out["notebook"] = paths.rel_executed_notebook(a, "ipynb")
        return out


def compute_outputs(result: str) -> dict[str, str]:
    """Outputs of a compute rule: the result and its provenance record."""
    return {"result": result, "provenance": provenance.provenance_path_of(result)}


def all_specs() -> dict[str, ArtifactSpec]:
    specs: dict[str, ArtifactSpec] = {}
    for mod in SPEC_MODULES:
        for spec in importlib.import_module(mod).SPECS:
            if spec.artifact in specs:
                raise ValueError(f"artifact {spec.artifact!r} has two specs")
            specs[spec.artifact] = spec
    return specs


def spec_of(artifact: str) -> ArtifactSpec:
    specs = all_specs()
    if artifact not in specs:
        raise KeyError(f"no notebook spec for artifact {artifact!r}; known: {', '.join(sorted(specs))}")
    return specs[artifact]
