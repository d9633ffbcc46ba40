"""The seven datasets of Table 1 as flat float tensors for the MLPs (catalog, Datasets; Ambiguity 28).

Images are scaled to [0, 1], standardised per channel with the training split's mean and std (MedMNIST: mean 0.5,
std 0.5, as its documentation does), and flattened; no augmentation, no resizing (STL-10 stays 96×96: 27 648 inputs).
ChestMNIST is multi-label (14 binary targets); every other dataset has integer class targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import torch

from ..data import load_split

__all__ = ["DATASETS", "MULTILABEL", "Arrays", "load_arrays"]

DATASETS = ("cifar10", "mnist", "fashion_mnist", "chestmnist", "pathmnist", "svhn", "stl10")
MULTILABEL = ("chestmnist",)
MEDMNIST = ("chestmnist", "pathmnist")


@dataclass
class Arrays:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int
    multilabel: bool
    verified: bool

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])


def _channels_first(images: torch.Tensor) -> torch.Tensor:
    """(N, H, W) grey → (N, 1, H, W); (N, C, H, W) stays."""
    return images.unsqueeze(1) if images.dim() == 3 else images


def _first(x: torch.Tensor, y: torch.Tensor, n: int | None):
    n = len(y) if n is None else min(int(n), len(y))
    return x[:n], y[:n]


def load_arrays(dataset: str, data_cfg: Mapping[str, Any], *, n_train: int | None, n_test: int | None,
                split_test: str = "test", device="cpu", cache_root: str = "results/data") -> Arrays:
    """Train and test (or ``split_test="val"`` for MedMNIST tuning) as standardised flat tensors."""
    if dataset not in DATASETS:
        raise ValueError(f"dataset {dataset!r} is not one of the paper's {DATASETS}")
    tr = load_split(dataset, "train", cache_root=cache_root, **data_cfg)
    te = load_split(dataset, split_test, cache_root=cache_root, **data_cfg)
    xtr, ytr = _first(_channels_first(tr.images), tr.targets, n_train)
    xte, yte = _first(_channels_first(te.images), te.targets, n_test)
    xtr, xte = xtr.float().div_(255.0), xte.float().div_(255.0)
    if dataset in MEDMNIST:
        mean, std = torch.full((xtr.shape[1],), 0.5), torch.full((xtr.shape[1],), 0.5)
    else:
        mean, std = xtr.mean(dim=(0, 2, 3)), xtr.std(dim=(0, 2, 3))
    shape = (1, -1, 1, 1)
    xtr = ((xtr - mean.view(shape)) / std.view(shape)).flatten(1)
    xte = ((xte - mean.view(shape)) / std.view(shape)).flatten(1)
    multilabel = dataset in MULTILABEL
    ytr, yte = (ytr.float(), yte.float()) if multilabel else (ytr.long(), yte.long())
    verified = bool(tr.meta.get("verified", False)) and bool(te.meta.get("verified", False))
    return Arrays(xtr.to(device), ytr.to(device), xte.to(device), yte.to(device), len(tr.classes), multilabel, verified)
