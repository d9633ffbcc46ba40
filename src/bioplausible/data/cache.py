"""Whole-split uint8 tensors, cached once under ``results/data/<dataset>/<split>.pt``.

The cache is a dict ``{images, targets, classes, meta, extras}`` saved atomically with
``torch.save``; beside it ``<split>.json`` (the manifest) holds ``meta`` plus the cache file's
sha256, and is written last, so a cache without a matching manifest is never used.

``meta``: dataset, split, format, source ("mirror" | "download" | "fixture"), verified, fixture,
allow_unverified, files (name, path, md5, expected_md5, expected_from, sha256, verified), n,
image_shape, targets_shape, n_classes, published_n, cache_format.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from .. import paths
from ..io import atomic_torch_save, dumps_json, read_json, sha256_file, write_json
from . import formats
from .errors import FormatError, UnverifiedCacheError, check_choice
from .fixtures import write_fixtures
from .registry import DatasetSpec, emnist_member, get_spec
from .sources import ResolvedFile, resolve_split_files

if TYPE_CHECKING:  # torch is imported when a split is built or read, not when the package is
    import torch  # imported (data.smk imports the registry while Snakemake parses the workflow)

log = logging.getLogger("bioplausible.data")

CACHE_FORMAT = 1  # bump when the cache layout changes; older caches are then rebuilt


class DataSplit(NamedTuple):
    images: torch.Tensor  # uint8, (N, H, W) grey or (N, C, H, W) colour
    targets: torch.Tensor  # int64, (N,) or (N, 14) for ChestMNIST
    classes: list[str]
    meta: dict[str, Any]
    extras: dict[str, Any]  # dataset-specific extras (CIFAR-100: coarse_targets, coarse_classes)


# --- paths -----------------------------------------------------------------------------------------
def rel_data_manifest(dataset: str, split: str) -> str:
    """The manifest beside :func:`bioplausible.paths.rel_data_cache`."""
    return str(Path(paths.rel_data_cache(dataset, split)).with_suffix(".json"))


def default_cache_root() -> Path:
    """``<project root>/results/data`` (the folder of ``paths.rel_data_cache``)."""
    return paths.absolute(str(Path(paths.rel_data_cache("d", "s")).parent.parent))


def cache_files(cache_root: str | os.PathLike, dataset: str, split: str) -> tuple[Path, Path]:
    base = Path(cache_root) / dataset / split
    return base.with_suffix(".pt"), base.with_suffix(".json")


def _defaults(cache_root, fixture_root, download_root) -> tuple[Path, Path, Path]:
    cache_root = Path(cache_root) if cache_root is not None else default_cache_root()
    # results/data -> results/fixtures (paths.rel_fixture_dir) and results/data/raw
    fixture_root = (
        Path(fixture_root) if fixture_root is not None else cache_root.parent / Path(paths.rel_fixture_dir()).name
    )
    download_root = Path(download_root) if download_root is not None else cache_root / "raw"
    return cache_root, fixture_root, download_root


def _check_names(dataset: str, split: str) -> DatasetSpec:
    spec = get_spec(dataset)
    check_choice(f"split for {dataset}", split, spec.splits)
    return spec


# --- parsing resolved files into arrays ------------------------------------------------------------
def _parse(spec: DatasetSpec, split: str, files: list[ResolvedFile]) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    import torch

    by_role = {r.spec.role: r.path for r in files}
    extras: dict[str, Any] = {}
    classes = list(spec.classes)

    def read(role: str) -> tuple[bytes, str]:
        return by_role[role].read_bytes(), str(by_role[role])

    if spec.format == "idx":
        x = formats.parse_idx_images(*read("images"))
        y = formats.parse_idx_labels(*read("labels"))
    elif spec.format == "emnist_zip":
        z = by_role["zip"]
        x = formats.parse_idx_images(
            formats.read_zip_member(z, emnist_member(split, "images"), str(z)), f"{z}:{split} images"
        )
        y = formats.parse_idx_labels(
            formats.read_zip_member(z, emnist_member(split, "labels"), str(z)), f"{z}:{split} labels"
        )
        x = x.transpose(0, 2, 1)  # stored transposed; make the characters upright
    elif spec.format == "cifar":
        batches = [formats.parse_cifar_batch(r.path.read_bytes(), str(r.path)) for r in files if r.spec.role != "meta"]
        names = formats.parse_cifar_meta(*read("meta"))
        x = np.concatenate([b["images"] for b in batches])
        if "fine_labels" in batches[0]:
            y = np.concatenate([b["fine_labels"] for b in batches])
            extras["coarse_targets"] = torch.from_numpy(np.concatenate([b["coarse_labels"] for b in batches]))
            classes = names.get("fine_label_names", classes)
            extras["coarse_classes"] = names.get("coarse_label_names", [])
        else:
            y = np.concatenate([b["labels"] for b in batches])
            classes = names.get("label_names", classes)
    elif spec.format == "svhn":
        x, y = formats.parse_svhn_mat(*read("mat"))
    elif spec.format == "stl10":
        x = formats.parse_stl_images(*read("images"))
        y = formats.parse_stl_labels(*read("labels"))
    elif spec.format == "medmnist":
        data, name = read("npz")
        x, y = formats.parse_medmnist_npz(data, split, name)
        if not spec.multilabel:
            if y.shape[1] != 1:
                raise FormatError(f"{by_role['npz']}: {split}_labels: expected shape (N, 1), got {y.shape}")
            y = y[:, 0]
    else:  # pragma: no cover - the registry only holds the formats above
        raise FormatError(f"no parser for format {spec.format!r}")
    _check_arrays(spec, split, x, y, classes)
    return x, y, [str(c) for c in classes], extras


def _check_arrays(spec: DatasetSpec, split: str, x: np.ndarray, y: np.ndarray, classes) -> None:
    where = f"{spec.name}/{split}"
    if x.shape[0] != y.shape[0]:
        raise FormatError(f"{where}: {x.shape[0]} images but {y.shape[0]} labels")
    if tuple(x.shape[1:]) != spec.image_shape:
        raise FormatError(f"{where}: expected images of shape {spec.image_shape}, got {tuple(x.shape[1:])}")
    k = len(classes)
    if spec.multilabel:
        if y.ndim != 2 or y.shape[1] != k or (y.size and not np.isin(y, (0, 1)).all()):
            raise FormatError(
                f"{where}: expected (N, {k}) binary labels, got shape {y.shape}, values {np.unique(y)[:5]}"
            )
    elif y.size and (y.min() < 0 or y.max() >= k):
        raise FormatError(f"{where}: expected labels in 0..{k - 1}, got range {y.min()}..{y.max()}")


def _tensor(a: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    import torch

    return torch.from_numpy(np.require(a, requirements=["C", "W"])).to(dtype)


# --- cache read/write ------------------------------------------------------------------------------
def build_cache(
    dataset: str,
    split: str,
    cache_root: str | os.PathLike | None = None,
    *,
    mirror: str | os.PathLike | None = None,
    download: bool = False,
    allow_unverified: bool = False,
    fixtures: bool = False,
    fixture_root: str | os.PathLike | None = None,
    download_root: str | os.PathLike | None = None,
) -> DataSplit:
    """Find, verify and parse the split's files, then write the cache and its manifest (atomically)."""
    import torch

    spec = _check_names(dataset, split)
    cache_root, fixture_root, download_root = _defaults(cache_root, fixture_root, download_root)
    if fixtures:
        root = write_fixtures(dataset, fixture_root)
        locations = [("fixture", root)]
        download_dir = None
    else:
        download_dir = download_root / dataset
        locations = ([("mirror", Path(mirror))] if mirror else []) + [("download", download_dir)]
    files = resolve_split_files(
        spec,
        split,
        locations=locations,
        fixture=fixtures,
        download_dir=download_dir,
        download=download and not fixtures,
        allow_unverified=allow_unverified,
    )
    x, y, classes, extras = _parse(spec, split, files)
    images = _tensor(x, torch.uint8)
    targets = _tensor(y, torch.int64)
    kinds = {r.location for r in files}
    meta = {
        "cache_format": CACHE_FORMAT,
        "dataset": dataset,
        "split": split,
        "format": spec.format,
        "source": "fixture" if fixtures else ("mirror" if kinds == {"mirror"} else "download"),
        "verified": all(r.verified for r in files),
        "fixture": bool(fixtures),
        "allow_unverified": bool(allow_unverified),
        "files": [r.record() for r in files],
        "n": int(images.shape[0]),
        "image_shape": list(images.shape[1:]),
        "targets_shape": list(targets.shape[1:]),
        "n_classes": len(classes),
        "published_n": spec.sizes[split],
    }
    if not fixtures and meta["n"] != spec.sizes[split]:
        log.warning("%s/%s has %d examples; the published split has %d", dataset, split, meta["n"], spec.sizes[split])
    cache_path, manifest_path = cache_files(cache_root, dataset, split)
    atomic_torch_save(
        {"images": images, "targets": targets, "classes": classes, "meta": meta, "extras": extras}, cache_path
    )
    write_json(manifest_path, {**meta, "cache": {"file": cache_path.name, "sha256": sha256_file(cache_path)}})
    log.info("cached %s/%s: %d examples, verified=%s -> %s", dataset, split, meta["n"], meta["verified"], cache_path)
    return DataSplit(images, targets, classes, meta, extras)


def read_cache(
    dataset: str,
    split: str,
    cache_root: str | os.PathLike | None = None,
    *,
    fixtures: bool = False,
    allow_unverified: bool = False,
) -> DataSplit | None:
    """The cached split, or None if it is missing, stale or damaged (the reason is logged).
    Raises :class:`UnverifiedCacheError` for a cache built from unverified files when
    ``allow_unverified`` is false."""
    _check_names(dataset, split)
    cache_root = Path(cache_root) if cache_root is not None else default_cache_root()
    cache_path, manifest_path = cache_files(cache_root, dataset, split)
    if not (cache_path.is_file() and manifest_path.is_file()):
        return None
    import torch

    manifest = read_json(manifest_path)
    stored = manifest.get("cache", {})
    if stored.get("sha256") != sha256_file(cache_path):
        log.warning("cache %s does not match the sha256 in its manifest %s; rebuilding", cache_path, manifest_path)
        return None
    obj = torch.load(cache_path, weights_only=True)
    meta = obj.get("meta", {})
    if dumps_json(meta) != dumps_json({k: v for k, v in manifest.items() if k != "cache"}):
        log.warning("cache %s and its manifest disagree; rebuilding", cache_path)
        return None
    if meta.get("cache_format") != CACHE_FORMAT or (meta.get("dataset"), meta.get("split")) != (dataset, split):
        log.info("cache %s has another format or names; rebuilding", cache_path)
        return None
    if meta.get("fixture") != bool(fixtures):
        log.info(
            "cache %s holds %s data but %s data was asked for; rebuilding",
            cache_path,
            "fixture" if meta.get("fixture") else "real",
            "fixture" if fixtures else "real",
        )
        return None
    if not meta.get("verified") and not allow_unverified:
        bad = [
            f"{f['path']} (expected md5 {f['expected_md5']}, actual {f['md5']})"
            for f in meta.get("files", [])
            if not f.get("verified")
        ]
        raise UnverifiedCacheError(
            f"cache {cache_path} was built from unverified files:\n  "
            + "\n  ".join(bad)
            + "\nand data.allow_unverified is false. Delete the cache (and its manifest "
            f"{manifest_path.name}) to rebuild it from verified files, or set `data.allow_unverified: true`."
        )
    return DataSplit(obj["images"], obj["targets"], list(obj["classes"]), meta, dict(obj.get("extras", {})))


def load_split(
    dataset: str,
    split: str,
    cache_root: str | os.PathLike | None = None,
    mirror: str | os.PathLike | None = None,
    download: bool = False,
    allow_unverified: bool = False,
    fixtures: bool = False,
    *,
    fixture_root: str | os.PathLike | None = None,
    download_root: str | os.PathLike | None = None,
) -> DataSplit:
    """The split as whole uint8/int64 tensors: from the cache if present and valid, else built from
    fixtures (``fixtures=True``), the mirror, earlier downloads or a download (``download=True``),
    every file checked against its md5. ``cache_root`` defaults to ``<project>/results/data``;
    fixtures go to its sibling ``fixtures/<dataset>/``; downloads to ``<cache_root>/raw/<dataset>/``."""
    _check_names(dataset, split)
    cached = read_cache(dataset, split, cache_root, fixtures=fixtures, allow_unverified=allow_unverified)
    if cached is not None:
        log.info("using cache for %s/%s (verified=%s)", dataset, split, cached.meta["verified"])
        return cached
    return build_cache(
        dataset,
        split,
        cache_root,
        mirror=mirror,
        download=download,
        allow_unverified=allow_unverified,
        fixtures=fixtures,
        fixture_root=fixture_root,
        download_root=download_root,
    )
