"""Data layer on real files, from a mirror laid by shared/data/install_offline_data.sh.

Skipped unless BIOPLAUSIBLE_TEST_MIRROR names that mirror (MNIST and Fashion-MNIST originals, and a
lossy JPEG copy of CIFAR-10 whose md5 sums cannot match). Caches are written under tmp_path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

from bioplausible.data import ChecksumError, UnverifiedDataWarning, load_split
from bioplausible.io import md5_file

MIRROR = os.environ.get("BIOPLAUSIBLE_TEST_MIRROR")
pytestmark = pytest.mark.skipif(
    not MIRROR or not Path(MIRROR).is_dir(),
    reason="real-data tests need BIOPLAUSIBLE_TEST_MIRROR=<dir> laid by shared/data/install_offline_data.sh",
)


@pytest.mark.parametrize("dataset", ["mnist", "fashion_mnist"])
@pytest.mark.parametrize("split,n", [("train", 60000), ("test", 10000)])
def test_real_idx_datasets_load_verified(tmp_path, dataset, split, n):
    s = load_split(dataset, split, cache_root=tmp_path, mirror=MIRROR)
    assert tuple(s.images.shape) == (n, 28, 28) and s.images.dtype == torch.uint8
    assert tuple(s.targets.shape) == (n,) and sorted(s.targets.unique().tolist()) == list(range(10))
    assert s.meta["verified"] is True and s.meta["source"] == "mirror" and s.meta["fixture"] is False
    assert all(f["verified"] and f["expected_from"] == "published" for f in s.meta["files"])
    again = load_split(dataset, split, cache_root=tmp_path, mirror=None)  # from the cache now
    assert torch.equal(again.images, s.images) and again.meta == s.meta


def test_real_mnist_looks_like_mnist(tmp_path):
    s = load_split("mnist", "test", cache_root=tmp_path, mirror=MIRROR)
    assert s.targets[:5].tolist() == [7, 2, 1, 0, 4]  # the well-known first test labels
    assert 30 < s.images.float().mean().item() < 40  # mean pixel ~33.3 (0.1325 * 255)


def test_cifar10_jpeg_copy_refused_then_accepted_unverified(tmp_path):
    with pytest.raises(ChecksumError) as err:
        load_split("cifar10", "train", cache_root=tmp_path, mirror=MIRROR)
    msg = str(err.value)
    assert "data_batch_1" in msg and "c99cafc152244af753f735de768cd75f" in msg and "allow_unverified" in msg
    with pytest.warns(UnverifiedDataWarning):
        train = load_split("cifar10", "train", cache_root=tmp_path, mirror=MIRROR, allow_unverified=True)
    with pytest.warns(UnverifiedDataWarning):
        test = load_split("cifar10", "test", cache_root=tmp_path, mirror=MIRROR, allow_unverified=True)
    assert tuple(train.images.shape) == (50000, 3, 32, 32) and tuple(test.images.shape) == (10000, 3, 32, 32)
    assert train.meta["verified"] is False and test.meta["verified"] is False
    assert not any(f["verified"] for f in train.meta["files"])
    assert train.classes[0] == "airplane" and len(train.classes) == 10


def test_flipped_byte_in_real_mnist_names_file_and_sums(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(Path(MIRROR) / "MNIST", mirror / "MNIST")
    path = mirror / "MNIST/raw/t10k-labels-idx1-ubyte"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as err:
        load_split("mnist", "test", cache_root=tmp_path / "cache", mirror=mirror)
    msg = str(err.value)
    assert str(path) in msg and "27ae3e4e09519cfbb04c329615203637" in msg and md5_file(path) in msg


def test_fetch_keeps_a_verified_mirror_and_downloads_nothing(tmp_path, monkeypatch):
    from bioplausible.data import __main__ as cli
    from bioplausible.data import sources

    mirror = tmp_path / "mirror"
    shutil.copytree(Path(MIRROR) / "MNIST", mirror / "MNIST")
    monkeypatch.setattr(sources, "_fetch_any", lambda urls, dest: pytest.fail(f"downloaded {dest}"))
    assert cli.main(["fetch", "--mirror", str(mirror), "--dataset", "mnist"]) == 0
