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
        self.device_used: str | None = None   # set by torch_device; recorded in provenance
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
        """The job's torch device, intra-op threads = the rule's ``threads``, every RNG seeded when ``seed`` is given.

        A rule that declares ``resources: gpu`` (and was granted one) runs on ``params.device`` (``cuda`` without a
        GPU is an error, never a CPU fallback), on a GPU of its own (:func:`bioplausible.device.bind_job_gpu`);
        every other rule runs on the CPU."""
        import os

        import torch

        from .device import bind_job_gpu, resolve_device, seed_everything

        granted = int(smk.resources.get("gpu", 0) or 0)
        requested = smk.params.device if granted else "cpu"
        if requested != "cpu":
            bind_job_gpu()   # its choice is in CUDA_VISIBLE_DEVICES, which provenance records
            # cuBLAS needs this workspace setting for the deterministic kernels seed_everything asks for
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        device = resolve_device(requested)
        self.device_used = str(device)
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
            device_used=self.device_used,
        )
        provenance.write_record(self.outputs["provenance"], record)
        print(f"{self.name}: done in {record['wall_time_s']:.1f} s -> {self.outputs['result']}")
