"""Provenance records: where every figure, table, metrics file and cached result came from.

A record (``results/provenance/...json``, written next to nothing else and never read by the
computation) holds: git commit and dirty flag, scale, the resolved parameters and their hash, seeds,
the data used (sha256 per file and a ``verified`` flag, carried transitively from upstream records),
sha256 of every input file, package versions, the device, start time and wall time.

``provenance_path_of("results/sims/amit/x.npz")`` -> ``results/provenance/sims/amit/x.npz.json``;
artifacts (figure + table + metrics of one notebook) use ``results/provenance/<paper>/<artifact>.json``.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import io, paths

PACKAGES = ("python", "torch", "torchvision", "numpy", "scipy", "foolbox", "snakemake", "papermill", "matplotlib")


def provenance_path_of(rel_output: str) -> str:
    """Provenance file of a cached result under ``results/`` (data caches keep their own manifest)."""
    rel = str(rel_output)
    if rel.startswith("results/data/") and rel.endswith(".pt"):
        return rel[: -len(".pt")] + ".json"
    if not rel.startswith("results/"):
        raise ValueError(f"{rel!r} is not under results/; artifacts use paths.rel_provenance(paper, artifact)")
    return "results/provenance/" + rel[len("results/") :] + ".json"


def git_state(cwd: Path | None = None) -> dict[str, Any]:
    cwd = cwd or paths.root()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd, capture_output=True, text=True, check=True,
        ).stdout
        return {"commit": commit, "dirty": bool(status.strip())}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown (not a git checkout)", "dirty": None}


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES[1:]:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def device_info(used: str | None = None) -> dict[str, Any]:
    """The machine a record was made on: CPU, threads, and the GPU the job used (name, memory, which one)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info: dict[str, Any] = {"cpu": cpu, "cpu_count": os.cpu_count(), "platform": platform.platform()}
    try:
        import torch

        info["torch_threads"] = torch.get_num_threads()
        info["cuda_available"] = torch.cuda.is_available()
        info["cuda_version"] = torch.version.cuda
        if used is not None:
            info["used"] = used  # the job's torch device (None: the step chose none, e.g. a notebook)
        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info["gpu"] = props.name
            info["gpu_memory_mib"] = props.total_memory // 2**20
            info["gpu_capability"] = f"{props.major}.{props.minor}"
            info["gpu_count_visible"] = torch.cuda.device_count()
            info["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
            info["cudnn_version"] = torch.backends.cudnn.version()
        for key in ("SLURM_JOB_ID", "SLURM_JOB_GPUS", "SLURMD_NODENAME"):
            if os.environ.get(key):
                info[key.lower()] = os.environ[key]
    except ImportError:  # pragma: no cover
        pass
    return info


def data_records(input_paths: Iterable[str]) -> list[dict[str, Any]]:
    """Data used by these inputs: data-cache manifests directly, and the ``data`` of upstream records."""
    records: dict[str, dict[str, Any]] = {}
    for rel in input_paths:
        rel = str(rel)
        try:
            prov = provenance_path_of(rel)
        except ValueError:
            continue
        prov_abs = paths.absolute(prov) if not Path(prov).is_absolute() else Path(prov)
        if not prov_abs.exists():
            continue
        rec = io.read_json(prov_abs)
        if rel.startswith("results/data/"):
            entries = [{
                "dataset": rec.get("dataset"), "split": rec.get("split"), "source": rec.get("source"),
                "verified": bool(rec.get("verified")), "fixture": bool(rec.get("fixture")),
                "files": [{k: f.get(k) for k in ("name", "sha256", "md5", "verified")} for f in rec.get("files", [])],
            }]
        else:
            entries = rec.get("data", [])
        for entry in entries:
            records[f"{entry.get('dataset')}/{entry.get('split')}"] = entry
    return [records[k] for k in sorted(records)]


def data_verified(records: list[dict[str, Any]]) -> bool | None:
    """True if all data verified, False if any was accepted unverified, None if no data was used."""
    if not records:
        return None
    return all(r.get("verified", False) for r in records)


def build_record(
    *,
    kind: str,
    name: str,
    scale: str,
    params: Mapping[str, Any],
    inputs: Iterable[str] = (),
    outputs: Iterable[str] = (),
    seeds: Iterable[int] = (),
    started: float,
    extra: Mapping[str, Any] | None = None,
    device_used: str | None = None,
) -> dict[str, Any]:
    inputs = [str(p) for p in inputs]
    input_hashes = {}
    for p in inputs:
        ap = paths.absolute(p) if not Path(p).is_absolute() else Path(p)
        if ap.is_file():
            input_hashes[p] = io.sha256_file(ap)
    output_hashes = {}
    for p in outputs:
        ap = paths.absolute(str(p)) if not Path(p).is_absolute() else Path(p)
        if ap.is_file():
            output_hashes[str(p)] = io.sha256_file(ap)
    data = data_records(inputs)
    record = {
        "kind": kind,
        "name": name,
        "scale": scale,
        "git": git_state(),
        "params": params,
        "params_hash": io.params_hash(params),
        "seeds": list(seeds),
        "data": data,
        "data_verified": data_verified(data),
        "inputs_sha256": input_hashes,
        "outputs_sha256": output_hashes,
        "packages": package_versions(),
        "device": device_info(device_used),
        "started_utc": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": round(time.time() - started, 3),
    }
    if extra:
        record.update(extra)
    return record


def write_record(path: str | os.PathLike, record: Mapping[str, Any]) -> None:
    io.write_json(path, record)
