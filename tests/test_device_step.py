"""Device selection never falls back silently; compute steps write result + provenance atomically."""

import os

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


# --- GPUs: which jobs ask for one, how many run at once, which GPU each gets ---------------------------------

from types import SimpleNamespace  # noqa: E402

from bioplausible import device  # noqa: E402


@pytest.mark.parametrize("requested,present,per_job", [
    ("cpu", 4, 0), ("cuda", 0, 1), ("cuda", 2, 1), ("auto", 0, 0), ("auto", 3, 1),
])
def test_gpu_per_job(requested, present, per_job):
    assert device.gpu_per_job(requested, present=present) == per_job


def test_gpu_per_job_names_a_bad_device():
    with pytest.raises(DeviceError, match="'device': 'gpu'"):
        device.gpu_per_job("gpu", present=1)


def test_gpu_limit_defaults_to_the_gpus_present_and_never_exceeds_them():
    assert device.check_gpu_limit("auto", 1, None, 4) == 4          # one job per GPU
    assert device.check_gpu_limit("cuda", 1, 2, 4) == 2             # --resources gpu=2: fewer is allowed
    with pytest.raises(DeviceError, match="--resources gpu=5 .* 4 GPU"):
        device.check_gpu_limit("cuda", 1, 5, 4)                     # two jobs would share a GPU
    with pytest.raises(DeviceError, match="'device' is 'cuda' but this machine has no GPU"):
        device.check_gpu_limit("cuda", 1, None, 0)
    assert device.check_gpu_limit("cpu", 0, None, 0) == 0           # CPU runs: nothing to check


def test_each_job_gets_its_own_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv(device.GPU_LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    # another job (a separate process, as Snakemake runs jobs) holds GPU 0 ...
    import subprocess
    import sys
    holder = subprocess.Popen([sys.executable, "-c",
                               "import fcntl, sys, time; fh = open(sys.argv[1], 'a+'); "
                               "fcntl.flock(fh, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
                               str(tmp_path / "gpu-0.lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        # ... so this job gets GPU 1, and sees only it
        assert device.bind_job_gpu(["0", "1"]) == "1"
        assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
        # with both GPUs taken, a third job stops with an error instead of sharing one
        code = ("import os, sys; os.environ['BIOPLAUSIBLE_GPU_LOCK_DIR'] = sys.argv[1]; "
                "from bioplausible.device import bind_job_gpu; bind_job_gpu(['0', '1'])")
        third = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
        assert third.returncode != 0 and "all 2 GPUs (0, 1) are held by other jobs" in third.stderr
    finally:
        holder.kill()
        holder.wait()
        device.release_job_gpu()
    # the holder's lock went with its process (as after kill -9): GPU 0 is free again
    assert device.bind_job_gpu(["0", "1"]) == "0"
    device.release_job_gpu()


def test_a_job_that_sees_one_gpu_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.setenv(device.GPU_LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")   # e.g. SLURM's --gpus=1 allocated GPU 3
    assert device.bind_job_gpu() is None and os.environ["CUDA_VISIBLE_DEVICES"] == "3"
    assert not list(tmp_path.iterdir())
    # a local run inside a 2-GPU allocation (salloc --gpus=2): each job still gets one of the two
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5,7")
    try:
        assert device.bind_job_gpu() == "5" and os.environ["CUDA_VISIBLE_DEVICES"] == "5"
    finally:
        device.release_job_gpu()


def _smk(device_param, gpu, threads=1):
    return SimpleNamespace(params=SimpleNamespace(device=device_param), resources={"gpu": gpu}, threads=threads)


def test_rules_without_a_gpu_run_on_the_cpu_whatever_the_device(tmp_path):
    step = Step("x", params={}, scale="smoke", inputs={}, outputs={"result": "r", "provenance": "p"})
    assert step.torch_device(_smk("cuda", 0)).type == "cpu"      # not granted a GPU: CPU, by definition
    assert step.device_used == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU error")
def test_a_gpu_rule_with_device_cuda_and_no_gpu_is_an_error():
    step = Step("x", params={}, scale="smoke", inputs={}, outputs={"result": "r", "provenance": "p"})
    with pytest.raises(DeviceError, match="'device' is 'cuda'"):
        step.torch_device(_smk("cuda", 1))


def test_provenance_records_the_device_used(tmp_path, monkeypatch):
    monkeypatch.setenv("BIOPLAUSIBLE_ROOT", str(tmp_path))
    monkeypatch.setenv("SLURM_JOB_ID", "1234")
    out = {"result": str(tmp_path / "results/sims/amit/x.npz"),
           "provenance": str(tmp_path / "results/provenance/sims/amit/x.npz.json")}
    step = Step("amit_sim_x", params={"seed": 0}, scale="smoke", inputs={}, outputs=out)
    step.torch_device(_smk("auto", 0))
    step.save_npz({"a": [1.0]})
    step.finish()
    rec = io.read_json(out["provenance"])
    assert rec["device"]["used"] == "cpu" and rec["device"]["slurm_job_id"] == "1234"
    if torch.cuda.is_available():
        assert rec["device"]["gpu"] and rec["device"]["gpu_memory_mib"] > 0


def test_torch_payloads_are_byte_identical_when_saved_twice(tmp_path):
    payload = {"w": torch.arange(6.0).reshape(2, 3), "log": [{"epoch": 1}]}
    io.atomic_torch_save(payload, tmp_path / "a.pt")
    io.atomic_torch_save(payload, tmp_path / "b.pt")
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert torch.equal(torch.load(tmp_path / "a.pt")["w"], payload["w"])
