"""Smoke fixtures: small files in each dataset's REAL on-disk format, generated deterministically.

``write_fixtures(dataset, root)`` lays them under ``root`` in torchvision's layout with the real file
names, so the loader reads them through the same mirror code path as real data, verified against
the fixture md5s declared in :mod:`.registry` beside the published ones. Same bytes every time:
a fixed seed per dataset, gzip with mtime 0 and stored deflate blocks, zip members with a fixed
timestamp, MAT and pickle files written element by element (see :mod:`.formats`).

Images are a per-class random prototype plus noise, so a smoke-scale model has something to learn.
Labels cover every class in every split.
"""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

import numpy as np

from ..io import atomic_write_bytes, save_npz
from . import formats
from .registry import CIFAR100_COARSE, DatasetSpec, emnist_member, get_spec

PROTOTYPE_WEIGHT = 0.6  # share of the class prototype in each image (the rest is noise)


def _rng(dataset: str, split: str) -> np.random.Generator:
    # a seed from the names (not Python's salted hash()), so every split of every dataset differs
    return np.random.default_rng(zlib.crc32(f"bioplausible-fixture/{dataset}/{split}".encode()))


def _labels(rng: np.random.Generator, n: int, n_classes: int) -> np.ndarray:
    """Every class at least once (n >= n_classes), in random order."""
    return rng.permutation(np.arange(n) % n_classes).astype(np.int64)


def _images(rng: np.random.Generator, labels: np.ndarray, shape: tuple[int, ...], n_classes: int) -> np.ndarray:
    proto = rng.integers(0, 256, size=(n_classes, *shape)).astype(np.float64)
    noise = rng.integers(0, 256, size=(len(labels), *shape)).astype(np.float64)
    img = PROTOTYPE_WEIGHT * proto[labels] + (1 - PROTOTYPE_WEIGHT) * noise
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def fixture_arrays(dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    """The arrays the fixture of ``dataset``/``split`` encodes, in the cache's layout:
    images (N, *image_shape) uint8 and targets (N,) int64 (ChestMNIST: (N, 14) binary)."""
    spec = get_spec(dataset)
    rng = _rng(spec.name, split)
    n, k = spec.fixture_sizes[split], len(spec.classes)
    if spec.multilabel:
        y = (rng.random((n, k)) < 0.2).astype(np.int64)
        y[np.arange(k), np.arange(k)] = 1  # every label positive at least once ...
        y[k : min(2 * k, n)] = 0  # ... and some rows with no finding at all, as in the real data
        return _images(rng, np.argmax(y, axis=1), spec.image_shape, k), y
    y = _labels(rng, n, k)
    return _images(rng, y, spec.image_shape, k), y


def _split_data(spec: DatasetSpec, split: str) -> tuple[np.ndarray, np.ndarray]:
    return fixture_arrays(spec.name, split)


# --- one writer per format: returns {relative path: bytes} ----------------------------------------
def _idx_files(spec: DatasetSpec) -> dict[str, bytes]:
    out = {}
    for split, files in spec.splits.items():
        x, y = _split_data(spec, split)
        arrays = {"images": x, "labels": y.astype(np.uint8)}
        for f in files:
            out[f.fixture_candidate().path] = formats.encode_gzip_stored(formats.encode_idx(arrays[f.role]))
    return out


def _emnist_files(spec: DatasetSpec) -> dict[str, bytes]:
    members = {}
    for split in spec.splits:
        x, y = _split_data(spec, split)
        # the raw EMNIST files hold each image transposed; store them that way so the parser's
        # transpose gives back the upright images
        members[emnist_member(split, "images")] = formats.encode_gzip_stored(
            formats.encode_idx(np.ascontiguousarray(x.transpose(0, 2, 1)))
        )
        members[emnist_member(split, "labels")] = formats.encode_gzip_stored(formats.encode_idx(y.astype(np.uint8)))
    (zip_file,) = {f for files in spec.splits.values() for f in files}
    return {zip_file.fixture_candidate().path: formats.encode_zip_stored(members)}


def _cifar_files(spec: DatasetSpec) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    cifar100 = spec.name == "cifar100"
    for split, files in spec.splits.items():
        x, y = _split_data(spec, split)
        batches = [f for f in files if f.role != "meta"]
        for f, idx in zip(batches, np.array_split(np.arange(len(y)), len(batches))):
            entry: dict = {"batch_label": f"fixture {f.role}"}
            if cifar100:
                entry["fine_labels"] = y[idx].tolist()
                entry["coarse_labels"] = (y[idx] // 5).tolist()  # a fixed fine -> coarse map (5 per coarse)
            else:
                entry["labels"] = y[idx].tolist()
            entry["data"] = x[idx].reshape(len(idx), -1)
            entry["filenames"] = [f"fixture_{i}.png" for i in idx]
            out[f.fixture_candidate().path] = formats.encode_cifar_pickle(entry)
        meta_file = [f for f in files if f.role == "meta"][0]
        if cifar100:
            meta = {"fine_label_names": list(spec.classes), "coarse_label_names": list(CIFAR100_COARSE)}
        else:
            meta = {"num_cases_per_batch": 10000, "label_names": list(spec.classes), "num_vis": 3072}
        out[meta_file.fixture_candidate().path] = formats.encode_cifar_pickle(meta)
    return out


def _svhn_files(spec: DatasetSpec) -> dict[str, bytes]:
    out = {}
    for split, (f,) in spec.splits.items():
        x, y = _split_data(spec, split)
        y_mat = np.where(y == 0, 10, y).astype(np.uint8).reshape(-1, 1)  # SVHN stores digit 0 as 10
        out[f.fixture_candidate().path] = formats.encode_mat5_uint8(
            {"X": np.transpose(x, (2, 3, 1, 0)), "y": y_mat}  # (N, C, H, W) -> (H, W, C, N)
        )
    return out


def _stl_files(spec: DatasetSpec) -> dict[str, bytes]:
    out = {}
    for split, files in spec.splits.items():
        x, y = _split_data(spec, split)
        enc = {"images": formats.encode_stl_images(x), "labels": formats.encode_stl_labels(y)}
        for f in files:
            out[f.fixture_candidate().path] = enc[f.role]
    return out


def _medmnist_files(spec: DatasetSpec) -> dict[str, bytes]:
    arrays = {}
    for split in spec.splits:
        x, y = _split_data(spec, split)
        if x.ndim == 4:  # MedMNIST stores colour as (N, H, W, C)
            x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        arrays[f"{split}_images"] = x
        arrays[f"{split}_labels"] = y.astype(np.uint8).reshape(len(y), -1)  # (N, 1) or (N, 14)
    (f,) = {f for files in spec.splits.values() for f in files}
    with tempfile.TemporaryDirectory() as tmp:  # io.save_npz writes a byte-deterministic npz to a path
        path = Path(tmp) / "fixture.npz"
        save_npz(path, **arrays)
        return {f.fixture_candidate().path: path.read_bytes()}


_WRITERS = {
    "idx": _idx_files,
    "emnist_zip": _emnist_files,
    "cifar": _cifar_files,
    "svhn": _svhn_files,
    "stl10": _stl_files,
    "medmnist": _medmnist_files,
}


def fixture_bytes(dataset: str) -> dict[str, bytes]:
    """Every fixture file of ``dataset``: {path relative to the dataset's fixture root: bytes}."""
    spec = get_spec(dataset)
    return _WRITERS[spec.format](spec)


def fixture_dir(fixture_root: str | Path, dataset: str) -> Path:
    """``<fixture_root>/<dataset>/``: the mirror root holding that dataset's fixtures."""
    return Path(fixture_root) / dataset


def write_fixtures(dataset: str, fixture_root: str | Path) -> Path:
    """Write the fixture files of ``dataset`` that are missing (atomically; parallel jobs write the
    same bytes) and return their mirror root. Existing files are left alone: they are checked
    against the declared fixture md5 like any mirror file, so a damaged fixture is an error."""
    root = fixture_dir(fixture_root, dataset)
    for rel, data in fixture_bytes(dataset).items():
        path = root / rel
        if not path.is_file():
            atomic_write_bytes(path, data)
    return root
