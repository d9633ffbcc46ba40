"""Datasets as whole-split uint8 tensors, verified against published checksums and cached.

    from bioplausible.data import load_split, DATASETS, ChecksumError
    split = load_split("mnist", "train", cache_root="results/data", mirror=None, download=False,
                       allow_unverified=False, fixtures=False)
    split.images, split.targets, split.classes, split.meta, split.extras

Modules: :mod:`.formats` (one parser per on-disk format, on bytes), :mod:`.registry` (layout, URLs,
published and fixture md5s, splits), :mod:`.sources` (mirror / download look-up and md5 checks),
:mod:`.fixtures` (smoke fixtures in the real formats), :mod:`.cache` (the cache under
``results/data``). ``python -m bioplausible.data verify --mirror DIR`` checks a mirror.
"""

from .cache import DataSplit, build_cache, cache_files, load_split, read_cache, rel_data_manifest
from .errors import (
    ChecksumError,
    DataNotFoundError,
    FormatError,
    UnknownChoiceError,
    UnverifiedCacheError,
    UnverifiedDataWarning,
)
from .fixtures import write_fixtures
from .registry import DATASETS, SPLITS, DatasetSpec, get_spec

__all__ = [
    "DATASETS",
    "SPLITS",
    "ChecksumError",
    "DataNotFoundError",
    "DataSplit",
    "DatasetSpec",
    "FormatError",
    "UnknownChoiceError",
    "UnverifiedCacheError",
    "UnverifiedDataWarning",
    "build_cache",
    "cache_files",
    "get_spec",
    "load_split",
    "read_cache",
    "rel_data_manifest",
    "write_fixtures",
]
