"""Data layer on generated fixtures (bioplausible.data), after torchvision's DatasetTestCase.

One test class runs every check on all nine datasets; each on-disk format contributes only its
fixture writer (bioplausible.data.fixtures). Fixtures are checked against the md5s declared in the
registry, so the same verification code runs as on real data. Everything is written under tmp_path.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from bioplausible.data import (
    DATASETS,
    ChecksumError,
    DataNotFoundError,
    FormatError,
    UnknownChoiceError,
    UnverifiedCacheError,
    UnverifiedDataWarning,
    formats,
    load_split,
    read_cache,
    sources,
)
from bioplausible.data import fixtures as fx
from bioplausible.data.__main__ import main as cli_main
from bioplausible.io import md5_file, sha256_file

CASES = [(name, split) for name, spec in DATASETS.items() for split in spec.splits]


def _load(tmp_path: Path, dataset: str, split: str, **kw):
    kw.setdefault("fixtures", True)
    return load_split(dataset, split, cache_root=tmp_path / "results" / "data", **kw)


def _fixture_root(tmp_path: Path, dataset: str) -> Path:
    return tmp_path / "results" / "fixtures" / dataset


def _flip_one_byte(path: Path) -> None:
    """Flip a byte the format does not checksum itself (gzip mtime, zip local-header time, else the
    middle of the payload), so that only our md5 check can notice."""
    data = bytearray(path.read_bytes())
    at = 4 if data[:2] == formats.GZIP_MAGIC else 10 if data[:4] == formats.ZIP_MAGIC else len(data) // 2
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("dataset,split", CASES, ids=[f"{d}-{s}" for d, s in CASES])
class TestDataset:
    def test_fixture_loads_with_right_lengths_dtypes_shapes_labels(self, tmp_path, dataset, split):
        spec = DATASETS[dataset]
        s = _load(tmp_path, dataset, split)
        n = spec.fixture_sizes[split]
        assert s.images.dtype == torch.uint8 and s.targets.dtype == torch.int64
        assert tuple(s.images.shape) == (n, *spec.image_shape)
        assert len(s.classes) == len(spec.classes)
        if spec.multilabel:
            assert tuple(s.targets.shape) == (n, len(spec.classes))
            assert set(s.targets.unique().tolist()) == {0, 1}
            assert (s.targets.sum(0) > 0).all()  # every label occurs
        else:
            assert tuple(s.targets.shape) == (n,)
            assert sorted(s.targets.unique().tolist()) == list(range(len(spec.classes)))  # all classes
        # the parser returns exactly the arrays the writer encoded (every transpose/reshape undone)
        x, y = fx.fixture_arrays(dataset, split)
        assert torch.equal(s.images, torch.from_numpy(x)) and torch.equal(s.targets, torch.from_numpy(y))
        m = s.meta
        assert (m["dataset"], m["split"], m["source"], m["fixture"], m["verified"]) == (
            dataset,
            split,
            "fixture",
            True,
            True,
        )
        assert m["n"] == n and m["image_shape"] == list(spec.image_shape)
        for f in m["files"]:
            assert f["verified"] and f["md5"] == f["expected_md5"] == md5_file(f["path"])
            assert f["sha256"] == sha256_file(f["path"]) and f["expected_from"] == "fixture"

    def test_fixtures_are_byte_deterministic_and_match_declared_md5(self, tmp_path, dataset, split):
        a = fx.write_fixtures(dataset, tmp_path / "a")
        b = fx.write_fixtures(dataset, tmp_path / "b")
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        assert files and files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
        declared = {
            f.fixture_candidate().path: f.fixture_candidate().fixture_md5 for f in DATASETS[dataset].all_files()
        }
        assert sorted(map(str, files)) == sorted(declared)
        for rel in files:
            assert (a / rel).read_bytes() == (b / rel).read_bytes()
            assert md5_file(a / rel) == declared[str(rel)], f"fixture {rel} changed: update registry.py"

    def test_flipped_byte_raises_checksum_error_naming_file_and_sums(self, tmp_path, dataset, split):
        root = fx.write_fixtures(dataset, _fixture_root(tmp_path, dataset).parent)
        cand = DATASETS[dataset].split_files(split)[0].fixture_candidate()
        path = root / cand.path
        _flip_one_byte(path)
        with pytest.raises(ChecksumError) as err:
            _load(tmp_path, dataset, split)
        msg = str(err.value)
        assert str(path) in msg and cand.fixture_md5 in msg and md5_file(path) in msg
        assert "allow_unverified" in msg
        assert not (tmp_path / "results" / "data" / dataset / f"{split}.pt").exists()

    def test_allow_unverified_accepts_flags_and_cache_refuses_later(self, tmp_path, dataset, split):
        root = fx.write_fixtures(dataset, _fixture_root(tmp_path, dataset).parent)
        cand = DATASETS[dataset].split_files(split)[0].fixture_candidate()
        _flip_one_byte(root / cand.path)
        with pytest.warns(UnverifiedDataWarning, match="UNVERIFIED"):
            s = _load(tmp_path, dataset, split, allow_unverified=True)
        assert s.meta["verified"] is False
        flags = {f["name"]: f["verified"] for f in s.meta["files"]}
        assert flags[cand.path] is False
        manifest = json.loads((tmp_path / "results" / "data" / dataset / f"{split}.json").read_text())
        assert manifest["verified"] is False
        with pytest.raises(UnverifiedCacheError, match="allow_unverified"):
            _load(tmp_path, dataset, split, allow_unverified=False)
        assert _load(tmp_path, dataset, split, allow_unverified=True).meta["verified"] is False

    def test_cache_round_trips(self, tmp_path, dataset, split):
        built = _load(tmp_path, dataset, split)
        cache_root = tmp_path / "results" / "data"
        cached = read_cache(dataset, split, cache_root, fixtures=True)
        assert cached is not None
        assert torch.equal(cached.images, built.images) and torch.equal(cached.targets, built.targets)
        assert cached.classes == built.classes and cached.meta == built.meta
        assert cached.extras.keys() == built.extras.keys()
        manifest = json.loads((cache_root / dataset / f"{split}.json").read_text())
        assert manifest["cache"]["sha256"] == sha256_file(cache_root / dataset / f"{split}.pt")
        assert {k: v for k, v in manifest.items() if k != "cache"} == built.meta
        # a fixture cache is never handed out for real data: it is rebuilt, and here no files exist
        with pytest.raises(DataNotFoundError, match="looked for"):
            _load(tmp_path, dataset, split, fixtures=False)


# --- names -----------------------------------------------------------------------------------------
def test_unknown_dataset_lists_choices(tmp_path):
    with pytest.raises(UnknownChoiceError) as err:
        _load(tmp_path, "cifar", "train")
    assert all(name in str(err.value) for name in DATASETS)


def test_unknown_split_lists_choices(tmp_path):
    with pytest.raises(UnknownChoiceError, match="train, test"):
        _load(tmp_path, "svhn", "val")
    with pytest.raises(UnknownChoiceError, match="train, val, test"):
        _load(tmp_path, "chestmnist", "training")


def test_cifar100_keeps_coarse_labels(tmp_path):
    s = _load(tmp_path, "cifar100", "train")
    assert s.extras["coarse_targets"].dtype == torch.int64
    assert torch.equal(s.extras["coarse_targets"], s.targets // 5)  # the fixture's fine -> coarse map
    assert len(s.extras["coarse_classes"]) == 20


# --- parsers: magic numbers and layouts ------------------------------------------------------------
def test_idx_rejects_wrong_magic_naming_both():
    good = formats.encode_idx(np.zeros((2, 3, 3), np.uint8))
    with pytest.raises(FormatError, match=r"expected 0x00000803.*got 0x00000801"):
        formats.parse_idx_images(formats.encode_idx(np.zeros(4, np.uint8)), "x")
    bad = b"\x00\x00\x0d\x03" + good[4:]  # float32 type code
    with pytest.raises(FormatError, match=r"expected 0x00000803 \(uint8, 3 dims\), got 0x00000D03"):
        formats.parse_idx_images(bad)
    with pytest.raises(FormatError, match="need 18 bytes, file has 17"):
        formats.parse_idx_images(good[:-1])
    assert formats.parse_idx_images(gzip.compress(good)).shape == (2, 3, 3)  # gzip is detected


def test_cifar_rejects_non_pickle_and_foreign_globals():
    with pytest.raises(FormatError, match="expected 0x80 then protocol 2..5, got 4d41"):
        formats.parse_cifar_batch(b"MATLAB")
    import pickle

    with pytest.raises(FormatError, match="only numpy array reconstruction"):
        formats.parse_cifar_batch(pickle.dumps({"data": Path("x")}, protocol=2))


def test_cifar_reads_python3_pickles_with_bytes_keys():
    x = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(2, 3072)
    import pickle

    b = formats.parse_cifar_batch(pickle.dumps({b"data": x, b"labels": [3, 4]}, protocol=2))
    assert b["images"].shape == (2, 3, 32, 32) and b["labels"].tolist() == [3, 4]
    assert b["images"][1, 2, 31, 31] == x[1, -1]  # R, G, B planes, row-major


def test_svhn_mat_layout_and_label_ten(tmp_path):
    import scipy.io

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (32, 32, 3, 5), dtype=np.uint8)
    y = np.array([[10], [1], [2], [9], [10]], dtype=np.uint8)
    ours = formats.encode_mat5_uint8({"X": X, "y": y})
    scipy.io.savemat(tmp_path / "ref.mat", {"X": X, "y": y})  # scipy's writer as the reference
    for data in (ours, (tmp_path / "ref.mat").read_bytes()):
        images, labels = formats.parse_svhn_mat(data)
        assert labels.tolist() == [0, 1, 2, 9, 0]
        assert images[3, 2, 5, 7] == X[5, 7, 2, 3]  # (H, W, C, N) -> (N, C, H, W)
    with pytest.raises(FormatError, match=r"expected b'MATLAB 5.0 MAT-file', got b'PK"):
        formats.parse_svhn_mat(formats.ZIP_MAGIC + b"\x00" * 200)


def test_stl_is_column_major_and_labels_shift():
    raw = np.arange(3 * 96 * 96, dtype=np.int64).astype(np.uint8)
    images = formats.parse_stl_images(raw.tobytes())
    assert images.shape == (1, 3, 96, 96)
    assert images[0, 0, :, 0].tolist() == raw[:96].tolist()  # the first 96 bytes are column 0
    with pytest.raises(FormatError, match="multiple of 27648"):
        formats.parse_stl_images(b"\x00" * 100)
    assert formats.parse_stl_labels(bytes([1, 10])).tolist() == [0, 9]
    with pytest.raises(FormatError, match=r"expected values in 1..10, got range 0..3"):
        formats.parse_stl_labels(bytes([0, 3]))


def test_emnist_member_is_transposed_upright(tmp_path):
    upright = np.zeros((1, 28, 28), np.uint8)
    upright[0, 0, :] = 255  # a bar along the top row
    s = _load(tmp_path, "emnist_balanced", "train")
    stored = formats.encode_idx(np.ascontiguousarray(upright.transpose(0, 2, 1)))
    assert formats.parse_idx_images(stored)[0, :, 0].all()  # as stored: the bar is a column
    raw = formats.read_zip_member(
        _fixture_root(tmp_path, "emnist_balanced") / "EMNIST/raw/gzip.zip",
        "gzip/emnist-balanced-train-images-idx3-ubyte.gz",
    )
    assert torch.equal(s.images, torch.from_numpy(formats.parse_idx_images(raw).transpose(0, 2, 1).copy()))


def test_medmnist_and_zip_magic():
    with pytest.raises(FormatError, match=r"npz \(zip\) magic: expected b'PK\\x03\\x04', got b'\\x1f\\x8b"):
        formats.parse_medmnist_npz(gzip.compress(b"x"), "train")
    with pytest.raises(FormatError, match="zip magic"):
        formats.read_zip_member(b"nope", "a")
    buf = io.BytesIO()
    np.savez(buf, train_images=np.zeros((2, 28, 28, 3), np.uint8), train_labels=np.zeros((2, 1), np.uint8))
    x, y = formats.parse_medmnist_npz(buf.getvalue(), "train")
    assert x.shape == (2, 3, 28, 28) and y.shape == (2, 1) and y.dtype == np.int64
    with pytest.raises(FormatError, match=r"expected keys \['val_images', 'val_labels'\]"):
        formats.parse_medmnist_npz(buf.getvalue(), "val")


def test_gzip_and_zip_writers_are_valid_and_fixed():
    data = bytes(range(256)) * 600  # more than one stored block
    assert gzip.decompress(formats.encode_gzip_stored(data)) == data
    assert formats.encode_gzip_stored(data)[4:8] == b"\x00\x00\x00\x00"  # mtime 0
    z = formats.encode_zip_stored({"b": b"2", "a": b"1"})
    with zipfile.ZipFile(io.BytesIO(z)) as zf:
        assert zf.namelist() == ["a", "b"] and all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())


# --- mirror look-up, downloads, CLI ----------------------------------------------------------------
def test_mirror_prefers_a_verified_form_and_reports_missing_paths(tmp_path):
    # a mirror whose uncompressed MNIST file is damaged but whose .gz verifies: the .gz is used
    fixture_root = fx.write_fixtures("mnist", tmp_path / "fx")
    gz = fixture_root / "MNIST/raw/train-images-idx3-ubyte.gz"
    (fixture_root / "MNIST/raw/train-images-idx3-ubyte").write_bytes(b"junk")
    with pytest.raises(DataNotFoundError) as err:
        load_split("mnist", "train", cache_root=tmp_path / "c", mirror=tmp_path / "empty")
    assert "train-labels-idx1-ubyte.gz" in str(err.value) and str(tmp_path / "empty") in str(err.value)
    # against published sums the fixtures fail; the message lists the file and both sums
    with pytest.raises(ChecksumError) as err:
        load_split("mnist", "train", cache_root=tmp_path / "c", mirror=fixture_root)
    assert str(gz) in str(err.value) and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in str(err.value)


def test_download_is_verified_against_published_sums(tmp_path, monkeypatch):
    fixture_root = fx.write_fixtures("mnist", tmp_path / "fx")
    fetched = []

    def fake_fetch(url, dest):  # serve the fixtures as if they were the published files
        fetched.append(url)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((fixture_root / "MNIST/raw" / url.rsplit("/", 1)[1]).read_bytes())

    monkeypatch.setattr(sources, "FETCH", fake_fetch)
    with pytest.raises(DataNotFoundError):
        load_split("mnist", "test", cache_root=tmp_path / "c", download=False)
    with pytest.raises(ChecksumError, match="9fb629c4189551a2d022fa330f9573f3"):
        load_split("mnist", "test", cache_root=tmp_path / "c", download=True)
    assert fetched[0].startswith("https://ossci-datasets.s3.amazonaws.com/mnist/")
    assert (tmp_path / "c/raw/mnist/MNIST/raw/t10k-images-idx3-ubyte.gz").is_file()
    with pytest.warns(UnverifiedDataWarning):
        s = load_split("mnist", "test", cache_root=tmp_path / "c", allow_unverified=True)
    assert s.meta["source"] == "download" and s.meta["verified"] is False and s.images.shape == (32, 28, 28)


def test_archive_is_checked_then_extracted(tmp_path, monkeypatch):
    fixture_root = fx.write_fixtures("cifar10", tmp_path / "fx")
    tar_path = tmp_path / "cifar.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(fixture_root / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    monkeypatch.setattr(sources, "FETCH", lambda url, dest: dest.write_bytes(tar_path.read_bytes()))
    with pytest.raises(ChecksumError) as err:
        load_split("cifar10", "test", cache_root=tmp_path / "c", download=True)
    assert "cifar-10-python.tar.gz" in str(err.value) and "c58f30108f718f92721af3b95e74349a" in str(err.value)
    with pytest.warns(UnverifiedDataWarning):
        s = load_split("cifar10", "test", cache_root=tmp_path / "c2", download=True, allow_unverified=True)
    assert s.images.shape == (32, 3, 32, 32) and s.meta["verified"] is False
    assert (tmp_path / "c2/raw/cifar10/cifar-10-batches-py/test_batch").is_file()


def test_verify_cli(tmp_path, capsys):
    fx.write_fixtures("svhn", tmp_path / "fx")
    assert cli_main(["verify", "--mirror", str(tmp_path / "fx"), "--dataset", "svhn", "--fixtures"]) == 0
    assert capsys.readouterr().out.count("OK") == 2
    _flip_one_byte(tmp_path / "fx/svhn/test_32x32.mat")
    (tmp_path / "fx/svhn/train_32x32.mat").unlink()
    assert cli_main(["verify", "--mirror", str(tmp_path / "fx"), "--dataset", "svhn", "--fixtures"]) == 1
    out = capsys.readouterr().out
    assert "MISSING   svhn             train_32x32.mat" in out
    declared = DATASETS["svhn"].split_files("test")[0].fixture_candidate().fixture_md5
    actual = md5_file(tmp_path / "fx/svhn/test_32x32.mat")
    assert f"test_32x32.mat  expected {declared} actual {actual}" in out


def test_fetch_downloads_missing_files_into_the_mirror_and_checks_them(tmp_path, monkeypatch):
    """`python -m bioplausible.data fetch` (a mirror for offline compute nodes): every missing file is downloaded
    into the mirror's torchvision layout and md5-checked; a corrupt download stops with the file and both sums."""
    from bioplausible.data import ChecksumError
    from bioplausible.data import __main__ as cli
    from bioplausible.data import sources

    fetched = []

    def fake_fetch(urls, dest):
        fetched.append(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"not the published file")

    monkeypatch.setattr(sources, "_fetch_any", fake_fetch)
    mirror = tmp_path / "mirror"
    with pytest.raises(ChecksumError, match="expected"):
        cli.main(["fetch", "--mirror", str(mirror), "--dataset", "mnist"])
    assert fetched and all(mirror in p.parents for p in fetched)
