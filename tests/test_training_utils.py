"""Checkpoints (atomic, hash-checked, RNG-restoring) and batched evaluation (sum then divide, mode restored)."""

import os
import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bioplausible import io
from bioplausible.training import (
    Checkpointer,
    CheckpointMismatch,
    accuracy,
    load_checkpoint,
    mean_loss,
    save_checkpoint,
)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 10))


def draws(gen=None):
    out = [torch.rand(3), np.random.rand(3), random.random()]
    if gen is not None:
        out.append(torch.rand(3, generator=gen))
    return out


def assert_same_draws(a, b):
    for u, v in zip(a, b, strict=True):
        assert np.array_equal(np.asarray(u), np.asarray(v))


def test_checkpoint_round_trip_restores_step_state_and_rng(tmp_path):
    model = tiny_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.rand(4, 1, 8, 8)).sum().backward()
    opt.step()
    gen = torch.Generator().manual_seed(5)
    torch.rand(2, generator=gen)
    np.random.normal()  # leaves a cached gaussian in numpy's state
    h = io.params_hash({"lr": 0.1})
    path = tmp_path / "ckpt" / "model.pt"
    save_checkpoint(path, state={"model": model.state_dict(), "optimizer": opt.state_dict()}, step=7,
                    config_hash=h, generators={"data": gen})
    expected = draws(gen)
    draws(gen), torch.manual_seed(99), np.random.seed(99), random.seed(99), gen.manual_seed(99)  # move on
    payload = load_checkpoint(path, config_hash=h, generators={"data": gen})
    assert_same_draws(draws(gen), expected)
    assert payload["step"] == 7 and payload["config_hash"] == h
    fresh = tiny_model(seed=1)
    fresh.load_state_dict(payload["state"]["model"])
    for p, q in zip(fresh.parameters(), model.parameters()):
        assert torch.equal(p, q)
    opt2 = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(payload["state"]["optimizer"])
    buffers = [o.state_dict()["state"][0]["momentum_buffer"] for o in (opt, opt2)]
    assert torch.equal(*buffers)


def test_mismatched_hash_names_both_and_restores_nothing(tmp_path):
    path = tmp_path / "c.pt"
    save_checkpoint(path, state={"w": torch.ones(2)}, step=1, config_hash="aaaa1111")
    torch.manual_seed(3)
    expected = torch.rand(1)
    torch.manual_seed(3)
    with pytest.raises(CheckpointMismatch, match="aaaa1111.*bbbb2222"):
        load_checkpoint(path, config_hash="bbbb2222")
    assert torch.equal(torch.rand(1), expected)


def test_interrupted_write_leaves_no_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    real_save = torch.save

    def dying_save(obj, f, *a, **k):
        if hasattr(f, "write"):  # serialised in memory first (io.atomic_torch_save)
            f.write(b"PK\x03\x04 half a checkpoint")
        else:
            with open(f, "wb") as fh:
                fh.write(b"PK\x03\x04 half a checkpoint")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, state={"w": torch.ones(2)}, step=1, config_hash="h")
    assert os.listdir(tmp_path) == []  # neither the checkpoint nor a temporary file
    # an interrupted overwrite keeps the previous checkpoint intact
    monkeypatch.setattr(torch, "save", real_save)
    save_checkpoint(path, state={"w": torch.ones(2)}, step=1, config_hash="h")
    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, state={"w": torch.zeros(2)}, step=2, config_hash="h")
    monkeypatch.setattr(torch, "save", real_save)
    assert os.listdir(tmp_path) == ["c.pt"] and load_checkpoint(path, config_hash="h")["step"] == 1


def test_checkpointer_every_n_steps_and_resume(tmp_path):
    calls = []

    def state():
        calls.append(1)
        return {"w": torch.full((2,), float(len(calls)))}

    ck = Checkpointer(tmp_path / "run.pt", every_n_steps=3, config_hash="h1")
    assert ck.resume() is None
    saved = [s for s in range(1, 11) if ck.maybe_save(s, state)]
    assert saved == [3, 6, 9] and len(calls) == 3  # the state callable runs only when saving
    step, st = ck.resume()
    assert step == 9 and torch.equal(st["w"], torch.full((2,), 3.0))
    with pytest.raises(CheckpointMismatch):
        Checkpointer(tmp_path / "run.pt", every_n_steps=3, config_hash="h2").resume()
    with pytest.raises(ValueError, match="every_n_steps"):
        Checkpointer(tmp_path / "x.pt", every_n_steps=0, config_hash="h")


def data(n=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    x8 = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
    return x8, torch.randint(0, 10, (n,), generator=g)


def test_accuracy_short_last_batch_uint8_and_mode_restored():
    model = tiny_model()
    model.train()
    model[1].eval()  # mixed modes must come back exactly
    x8, y = data(10)
    xf = x8.float() / 255
    with torch.no_grad():
        y[:3] = model(xf[:3]).argmax(1)  # some right, some wrong, unevenly spread over batches
        manual = (model(xf).argmax(1) == y).float().mean().item()
    whole = accuracy(model, x8, y, device="cpu", batch_size=100)
    short = accuracy(model, x8, y, device="cpu", batch_size=4)  # batches 4, 4, 2
    assert short == whole == pytest.approx(manual)
    assert accuracy(model, xf, y, device="cpu", batch_size=3) == whole
    assert model.training and model[0].training and not model[1].training


class DropoutNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = tiny_model()
        self.drop = nn.Dropout(0.9)

    def forward(self, x):
        return self.drop(self.lin(x))


def test_mean_loss_sum_then_divide_in_eval_mode():
    model = DropoutNet().train()
    x8, y = data(10)
    with torch.no_grad():
        expected = F.cross_entropy(model.lin(x8.float() / 255), y).item()  # dropout off = eval mode used
    assert mean_loss(model, x8, y, device="cpu", batch_size=4) == pytest.approx(expected, rel=1e-6)
    assert model.training
    flat = mean_loss(model, x8, y, device="cpu", batch_size=4, transform=lambda t: t.reshape(len(t), -1))
    assert flat == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="per-sample"):
        mean_loss(model, x8, y, device="cpu", batch_size=4, loss_fn=F.cross_entropy)  # mean-reduced: rejected
