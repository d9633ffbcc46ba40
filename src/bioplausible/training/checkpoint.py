"""Resumable long trainings: atomic checkpoints that carry the config hash and every RNG state.

A checkpoint is one ``torch.save`` file written to a temporary name and renamed (``io.atomic_torch_save``),
so a run killed mid-write leaves either the previous checkpoint or none -- never a truncated one (nanoGPT
writes ``ckpt.pt`` in place). It holds:

    format, step, config_hash, state (model/optimizer state_dicts ...),
    rng: torch (CPU), cuda (all devices, if any), numpy (MT19937 state), python (``random``),
    generators: states of dedicated ``torch.Generator`` objects passed by name (e.g. the one
                ``device.seed_everything`` returns, used for data shuffling).

Resuming refuses a checkpoint written under another config hash (``CheckpointMismatch``): a run with
other parameters must never silently continue one. Loading uses ``torch.load(weights_only=True)``, so
``state`` should hold tensors and plain Python containers/numbers/strings (state_dicts do).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from .. import io

FORMAT = 1


class CheckpointMismatch(RuntimeError):
    """The checkpoint on disk was written under a different config hash than the current run's."""


def _rng_state() -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        # numpy's state as tensors/ints so torch.load(weights_only=True) accepts it
        "numpy": {"kind": kind, "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": random.getstate(),
    }


def _set_rng_state(rng: Mapping[str, Any]) -> None:
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        if len(rng["cuda"]) != torch.cuda.device_count():
            raise RuntimeError(
                f"checkpoint holds CUDA RNG states for {len(rng['cuda'])} devices, this machine has "
                f"{torch.cuda.device_count()}"
            )
        torch.cuda.set_rng_state_all(rng["cuda"])
    n = rng["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))


def save_checkpoint(path: str | os.PathLike, *, state: Mapping[str, Any], step: int, config_hash: str,
                    generators: Mapping[str, torch.Generator] | None = None) -> None:
    """Atomically write ``state`` at ``step`` with ``config_hash`` and the global (and named) RNG states."""
    if not isinstance(config_hash, str) or not config_hash:
        raise ValueError(f"config_hash must be a non-empty string, got {config_hash!r}")
    payload = {
        "format": FORMAT,
        "step": int(step),
        "config_hash": config_hash,
        "state": dict(state),
        "rng": _rng_state(),
        "generators": {name: g.get_state() for name, g in (generators or {}).items()},
    }
    io.atomic_torch_save(payload, path)


def load_checkpoint(path: str | os.PathLike, *, config_hash: str,
                    generators: Mapping[str, torch.Generator] | None = None,
                    map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint, check its config hash, restore the RNG states; return the payload.

    The payload has keys ``step``, ``config_hash``, ``state`` (as saved), ``rng``, ``generators``.
    Generators passed by name get their saved state back; a name missing from the file is an error.
    Raises ``CheckpointMismatch`` (naming both hashes) before anything is restored.
    """
    payload = torch.load(path, map_location=map_location, weights_only=True)
    if payload.get("format") != FORMAT:
        raise RuntimeError(f"checkpoint {path}: format {payload.get('format')!r}, expected {FORMAT}")
    stored = payload["config_hash"]
    if stored != config_hash:
        raise CheckpointMismatch(
            f"checkpoint {path} was written with config hash {stored} but this run's config hash is "
            f"{config_hash}; it belongs to other parameters and is not resumed (delete it to start afresh)"
        )
    missing = sorted(set(generators or {}) - set(payload["generators"]))
    if missing:
        raise KeyError(f"checkpoint {path} holds no state for generator(s) {missing}; "
                       f"it has {sorted(payload['generators'])}")
    _set_rng_state(payload["rng"])
    for name, g in (generators or {}).items():
        g.set_state(payload["generators"][name])
    return payload


StateArg = Mapping[str, Any] | Callable[[], Mapping[str, Any]]


@dataclass
class Checkpointer:
    """Save every ``every_n_steps`` steps to one file; resume from it if it exists.

        ckpt = Checkpointer(path, every_n_steps=500, config_hash=io.params_hash(params), generators={"data": gen})
        start, state = ckpt.resume() or (0, None)
        if state: model.load_state_dict(state["model"]); opt.load_state_dict(state["optimizer"])
        for step in range(start + 1, n_steps + 1):
            ...
            ckpt.maybe_save(step, lambda: {"model": model.state_dict(), "optimizer": opt.state_dict()})

    ``state`` may be a zero-argument callable, evaluated only when a checkpoint is actually written.
    """

    path: Path
    every_n_steps: int
    config_hash: str
    generators: Mapping[str, torch.Generator] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not isinstance(self.every_n_steps, int) or self.every_n_steps < 1:
            raise ValueError(f"every_n_steps must be an int >= 1, got {self.every_n_steps!r}")

    def save(self, step: int, state: StateArg) -> None:
        save_checkpoint(self.path, state=state() if callable(state) else state, step=step,
                        config_hash=self.config_hash, generators=self.generators)

    def maybe_save(self, step: int, state: StateArg) -> bool:
        """Save if ``step`` is a positive multiple of ``every_n_steps``; return whether it saved."""
        if step > 0 and step % self.every_n_steps == 0:
            self.save(step, state)
            return True
        return False

    def resume(self) -> tuple[int, dict[str, Any]] | None:
        """``(step, state)`` from the checkpoint (RNG states restored), or None if there is none."""
        if not self.path.exists():
            return None
        payload = load_checkpoint(self.path, config_hash=self.config_hash, generators=self.generators)
        return payload["step"], payload["state"]
