"""The script side of a compute rule (simulation, training, attack): params in, cached result out.

    step = Step.from_snakemake(snakemake)       # in workflow/scripts/<name>.py
    arrays = simulate(**step.params)
    step.save_npz(arrays)                       # atomic write of output "result"
    step.finish()                               # provenance record (output "provenance")

Rules declare ``output: **compute_outputs(path)`` and ``params: cfg=..., scale=...``.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Mapping

from . import config as config_mod
from . import io, provenance


class Step:
    def __init__(self, name: str, *, params: Mapping[str, Any], scale: str, inputs: Mapping[str, str],
                 outputs: Mapping[str, str]) -> None:
        self.started = time.time()
        self.name = name
        self.params = config_mod.thaw(params)
        self.scale = scale
        self.inputs = dict(inputs)
        self.outputs = dict(outputs)
        for key in ("result", "provenance"):
            if key not in self.outputs:
                raise KeyError(f"compute step {name!r} needs an output named {key!r}; got {sorted(self.outputs)}")

    @classmethod
    def from_snakemake(cls, smk: Any) -> "Step":
        """Build the step from the ``snakemake`` object of a ``script:``; stdout/stderr go to its log."""
        if smk.log:
            log = open(smk.log[0], "w", buffering=1, encoding="utf-8")
            sys.stdout = sys.stderr = log
        step = cls(smk.rule, params=smk.params.cfg, scale=smk.params.scale,
                   inputs=dict(smk.input.items()), outputs=dict(smk.output.items()))
        print(f"{step.name} ({step.scale}): params {step.params}")
        return step

    def torch_device(self, smk: Any, *, seed: int | None = None) -> Any:
        """The job's torch device from ``params.device`` (``cuda`` without a GPU is an error, never a CPU
        fallback), intra-op threads = the rule's ``threads``, and every RNG seeded when ``seed`` is given."""
        import torch

        from .device import resolve_device, seed_everything

        device = resolve_device(smk.params.device)
        torch.set_num_threads(max(1, smk.threads))
        if seed is not None:
            seed_everything(seed)
        return device

    def save_npz(self, arrays: Mapping[str, Any]) -> None:
        io.save_npz(self.outputs["result"], **arrays)

    def save_torch(self, obj: Any) -> None:
        io.atomic_torch_save(obj, self.outputs["result"])

    def finish(self, extra: Mapping[str, Any] | None = None) -> None:
        seeds = self.params.get("seeds", [self.params["seed"]] if "seed" in self.params else [])
        record = provenance.build_record(
            kind="compute", name=self.name, scale=self.scale, params=self.params, inputs=list(self.inputs.values()),
            outputs=[self.outputs["result"]], seeds=seeds, started=self.started, extra=extra,
        )
        provenance.write_record(self.outputs["provenance"], record)
        print(f"{self.name}: done in {record['wall_time_s']:.1f} s -> {self.outputs['result']}")
