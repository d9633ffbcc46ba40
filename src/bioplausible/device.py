"""Device selection and GPU binding.

``device: auto|cpu|cuda`` (scale config) is the device of the rules that declare ``resources: gpu``; every other
rule runs on the CPU. ``cuda`` without a GPU is an error, never a CPU fallback.

Snakemake counts GPUs (``resources: gpu=1`` per job, a global ``gpu`` limit) but does not say WHICH GPU a job gets.
On a machine with several GPUs, :func:`bind_job_gpu` gives each running job its own: it locks one GPU slot
(``fcntl.flock`` on a file per GPU, released by the OS when the job's process ends, even after ``kill -9``) and sets
``CUDA_VISIBLE_DEVICES`` to that GPU before CUDA starts. A job that already sees one GPU only (SLURM's ``--gpus=1``
sets ``CUDA_VISIBLE_DEVICES`` to the GPU it allocated) is left alone; a local run inside a several-GPU allocation
(``salloc --gpus=4``) is bound like any multi-GPU machine.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch


class DeviceError(RuntimeError):
    pass


DEVICES = ("auto", "cpu", "cuda")
# Lock files of the GPU slots: one folder per user and machine, so two workflows of one user share the GPUs too
# (another user's files would not be writable; set the variable to a shared folder to coordinate users).
GPU_LOCK_DIR_ENV = "BIOPLAUSIBLE_GPU_LOCK_DIR"
_held_slot: Any = None  # the open lock file of this process's GPU (kept open for the process's life)


def _checked(requested: str) -> str:
    if requested not in DEVICES:
        raise DeviceError(f"config key 'device': {requested!r} is not one of {', '.join(DEVICES)}")
    return requested


def resolve_device(requested: str) -> torch.device:
    if _checked(requested) == "cpu":
        return torch.device("cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                "config key 'device' is 'cuda' but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); "
                "set device: cpu or auto, or run on a machine with a GPU"
            )
        return torch.device("cuda")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")  # auto


def gpus_present() -> int:
    """GPUs this process may use (after any CUDA_VISIBLE_DEVICES restriction)."""
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def gpu_per_job(requested: str, present: int | None = None) -> int:
    """GPUs each GPU rule's job asks for: 1 for ``cuda``, 1 for ``auto`` when the planning machine has a GPU, else 0.

    A cluster's login node often has no GPU: cluster profiles say ``device: cuda`` explicitly."""
    if _checked(requested) == "cpu":
        return 0
    if requested == "cuda":
        return 1
    return 1 if (gpus_present() if present is None else present) > 0 else 0


def check_gpu_limit(requested: str, per_job: int, limit: int | None, present: int) -> int:
    """The number of GPU jobs a local run may run at once: ``limit`` (``--resources gpu=N``), else the GPUs present.

    Raises when ``device: cuda`` finds no GPU, or when the limit exceeds the GPUs present (jobs would share a GPU)."""
    if not per_job:
        return limit if limit is not None else present
    if present == 0:
        raise DeviceError(
            f"config key 'device' is {requested!r} but this machine has no GPU (torch.cuda.device_count() == 0); "
            "set --config device=cpu, or run on a machine with a GPU"
        )
    if limit is None:
        return present
    if limit > present:
        raise DeviceError(
            f"--resources gpu={limit} allows {limit} GPU jobs at once but this machine has {present} GPU(s); "
            f"use --resources gpu={present} (or fewer) so that each job has a GPU of its own"
        )
    return limit


def _lock_dir() -> Path:
    return Path(os.environ.get(GPU_LOCK_DIR_ENV) or
                Path(tempfile.gettempdir()) / f"bioplausible-gpu-locks-{os.getuid()}")


def _visible_gpu_ids() -> list[str]:
    """The GPU ids this job may choose from, without starting CUDA in this process."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [v.strip() for v in visible.split(",") if v.strip()]
    # a child process counts them, so that CUDA_VISIBLE_DEVICES can still be set here before CUDA starts
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.device_count())"],
                         capture_output=True, text=True, check=True)
    return [str(i) for i in range(int(out.stdout.strip() or 0))]


def bind_job_gpu(gpu_ids: list[str] | None = None) -> str | None:
    """Give this job one GPU of its own: lock a free slot and set ``CUDA_VISIBLE_DEVICES`` to it.

    Returns the GPU id bound (None when there is nothing to choose: the job sees one GPU at most, e.g. SLURM's
    ``--gpus=1`` already bound it). Call before anything starts CUDA in this process."""
    global _held_slot
    ids = _visible_gpu_ids() if gpu_ids is None else list(gpu_ids)
    if len(ids) <= 1:
        return None
    lock_dir = _lock_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    for gpu in ids:
        fh = open(lock_dir / f"gpu-{gpu}.lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            continue
        _held_slot = fh
        os.environ["CUDA_VISIBLE_DEVICES"] = gpu
        return gpu
    raise DeviceError(
        f"all {len(ids)} GPUs ({', '.join(ids)}) are held by other jobs (locks in {lock_dir}); "
        "the workflow's --resources gpu=N must not exceed the GPUs present"
    )


def release_job_gpu() -> None:
    """Release this process's GPU slot (the OS does it at exit; tests call this)."""
    global _held_slot
    if _held_slot is not None:
        _held_slot.close()
        _held_slot = None


def seed_everything(seed: int) -> torch.Generator:
    """Seed torch and numpy globally and return a dedicated torch Generator; deterministic kernels on."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen
