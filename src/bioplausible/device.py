"""Device selection: ``device: auto|cpu|cuda`` from config. ``cuda`` without a GPU is an error."""

from __future__ import annotations

import torch


class DeviceError(RuntimeError):
    pass


def resolve_device(requested: str) -> torch.device:
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                "config key 'device' is 'cuda' but torch.cuda.is_available() is False "
                f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); "
                "set device: cpu or auto, or run on a machine with a GPU"
            )
        return torch.device("cuda")
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    raise DeviceError(f"config key 'device': {requested!r} is not one of auto, cpu, cuda")


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
