"""Atomic writes, deterministic JSON/npz, provenance records."""

import json
import os

import numpy as np
import pytest

from bioplausible import io, provenance


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_json_is_deterministic_and_strict(tmp_path):
    a = {"b": np.float64(0.1), "a": [np.int64(3), float("inf")], "c": np.array([1.5, 2.5])}
    io.write_json(tmp_path / "1.json", a)
    io.write_json(tmp_path / "2.json", dict(reversed(list(a.items()))))
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "2.json").read_bytes()
    assert json.loads((tmp_path / "1.json").read_text())["a"] == [3, "inf"]


def test_npz_is_byte_deterministic_and_loadable(tmp_path):
    arrays = {"loss": np.linspace(0, 1, 7), "w": np.eye(3)}
    io.save_npz(tmp_path / "a.npz", **arrays)
    os.utime(tmp_path / "a.npz", (0, 0))
    io.save_npz(tmp_path / "b.npz", **arrays)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    back = io.load_npz(tmp_path / "b.npz")
    np.testing.assert_array_equal(back["w"], np.eye(3))


def test_params_hash_ignores_key_order():
    assert io.params_hash({"a": 1, "b": [1, 2]}) == io.params_hash({"b": [1, 2], "a": 1})
    assert io.params_hash({"a": 1}) != io.params_hash({"a": 2})


def test_provenance_path_scheme():
    assert provenance.provenance_path_of("results/sims/amit/x.npz") == "results/provenance/sims/amit/x.npz.json"
    assert provenance.provenance_path_of("results/data/mnist/train.pt") == "results/data/mnist/train.json"
    with pytest.raises(ValueError):
        provenance.provenance_path_of("figures/amit/amit_fig4.pdf")


def test_record_has_every_field_and_carries_data_verification(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOPLAUSIBLE_ROOT", str(tmp_path))
    (tmp_path / "results/data/mnist").mkdir(parents=True)
    io.write_json(tmp_path / "results/data/mnist/train.json",
                  {"dataset": "mnist", "split": "train", "source": "mirror", "verified": False, "fixture": False,
                   "files": [{"name": "train-images-idx3-ubyte", "sha256": "ab", "md5": "cd", "verified": False}]})
    (tmp_path / "results/data/mnist/train.pt").write_bytes(b"tensor")
    rec = provenance.build_record(kind="compute", name="train", scale="quick", params={"lr": 0.1},
                                  inputs=["results/data/mnist/train.pt"], seeds=[0], started=0.0)
    for key in ("git", "params", "params_hash", "seeds", "data", "inputs_sha256", "packages", "device",
                "started_utc", "wall_time_s"):
        assert key in rec, key
    assert rec["data_verified"] is False
    assert rec["inputs_sha256"]["results/data/mnist/train.pt"] == io.sha256_file(tmp_path / "results/data/mnist/train.pt")
    assert {"torch", "torchvision", "numpy", "foolbox", "snakemake", "python"} <= set(rec["packages"])
    # a downstream record inherits the data entry (and the unverified flag) through the upstream record
    provenance.write_record(tmp_path / "results/provenance/models/amit/m.pt.json", rec)
    (tmp_path / "results/models/amit").mkdir(parents=True)
    (tmp_path / "results/models/amit/m.pt").write_bytes(b"model")
    down = provenance.build_record(kind="artifact", name="fig", scale="quick", params={},
                                   inputs=["results/models/amit/m.pt"], started=0.0)
    assert down["data_verified"] is False and down["data"][0]["dataset"] == "mnist"
