"""Device selection never falls back silently; compute steps write result + provenance atomically."""

import pytest
import torch

from bioplausible import io
from bioplausible.device import DeviceError, resolve_device
from bioplausible.step import Step


def test_cpu_and_auto():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_cuda_without_gpu_is_an_error():
    with pytest.raises(DeviceError, match="'device' is 'cuda'"):
        resolve_device("cuda")


def test_unknown_device():
    with pytest.raises(DeviceError, match="auto, cpu, cuda"):
        resolve_device("tpu")


def test_step_writes_result_and_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOPLAUSIBLE_ROOT", str(tmp_path))
    out = {"result": str(tmp_path / "results/sims/amit/x.npz"),
           "provenance": str(tmp_path / "results/provenance/sims/amit/x.npz.json")}
    step = Step("amit_sim_x", params={"seeds": [0, 1], "eta": 0.1}, scale="smoke", inputs={}, outputs=out)
    step.save_npz({"a": [1.0, 2.0]})
    step.finish()
    rec = io.read_json(out["provenance"])
    assert rec["seeds"] == [0, 1] and rec["params"]["eta"] == 0.1 and rec["scale"] == "smoke"
    assert rec["outputs_sha256"][out["result"]] == io.sha256_file(out["result"])


def test_step_requires_named_outputs():
    with pytest.raises(KeyError, match="provenance"):
        Step("s", params={}, scale="smoke", inputs={}, outputs={"result": "x"})
