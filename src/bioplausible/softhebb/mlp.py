"""Backprop baselines of SoftHebb: the 784-2000-10 MLP and its softmax-hidden control.

Paper: Moraitis et al., "SoftHebb" (Neuromorph. Comput. Eng. 2022), Sec. 3.1, 3.4 and Fig. 7; catalog
``shared/papers/softhebb.catalog.md`` A.11.

- ``MLP``: n_in -> hidden -> n_classes. Hidden activation ``relu`` (Figs. 4a, 5) or ``softmax`` over the
  hidden pre-activations with base e (Fig. 7, "the hidden layer's summed weighted input was passed through
  a softmax instead of ReLU"; the base is inferred). Inputs are raw [0, 1] images of any shape, flattened
  inside; no input normalisation (A.11, inferred). PyTorch default nn.Linear init (A.5).
- ``train_mlp``: cross-entropy with Adam (100-epoch config: lr 1e-3, batch 64) or SGD (1-epoch config:
  lr 0.2, batch 4). The whole split stays uint8 on the device; each batch becomes float in [0, 1] there.
  Each epoch's order comes from a generator seeded by (seed, epoch), the init from ``seed`` (A.5: "the seed
  controls the init and the per-epoch shuffle"). A ``Checkpointer`` makes the run resumable at epoch
  boundaries: one checkpoint "step" is one epoch.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

import torch
from torch import nn

from ..training import Checkpointer
from ..training.loops import cross_entropy_epoch
from ..training.evaluate import as_device

ACTIVATIONS = ("relu", "softmax")
OPTIMIZERS = ("adam", "sgd")


class MLP(nn.Module):
    """``logits = out(act(hidden(flatten(x))))`` with act = ReLU or softmax (base e) over the hidden units."""

    def __init__(self, hidden: int = 2000, activation: str = "relu", n_in: int = 784, n_classes: int = 10) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.activation = activation
        self.hidden = nn.Linear(n_in, hidden)
        self.out = nn.Linear(hidden, n_classes)

    def hidden_activity(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, ...) raw images -> (batch, hidden) activity after the nonlinearity."""
        x = x.reshape(len(x), -1)  # (batch, n_in)
        assert x.shape[1] == self.hidden.in_features, f"expected {self.hidden.in_features} inputs, got {x.shape[1]}"
        u = self.hidden(x)  # (batch, hidden)
        return torch.relu(u) if self.activation == "relu" else torch.softmax(u, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden_activity(x))  # (batch, n_classes)


def mlp_config(*, hidden: int, activation: str, optimizer: str, lr: float, batch_size: int, epochs: int,
               seed: int, n: int) -> dict[str, Any]:
    """The parameters that define a ``train_mlp`` run (stored in its checkpoints; hash it for the Checkpointer)."""
    return {"hidden": int(hidden), "activation": activation, "optimizer": optimizer, "lr": float(lr),
            "batch_size": int(batch_size), "epochs": int(epochs), "seed": int(seed), "n": int(n)}


def train_mlp(images_uint8: torch.Tensor, labels: torch.Tensor, *, hidden: int = 2000, activation: str = "relu",
              optimizer: str = "adam", lr: float = 1e-3, batch_size: int = 64, epochs: int = 100, seed: int = 0,
              device: str | torch.device = "auto", checkpointer: Checkpointer | None = None,
              progress: bool = True,
              after_step: Callable[[MLP, int], None] | None = None) -> tuple[MLP, list[dict[str, Any]]]:
    """Train ``MLP`` with cross-entropy; returns the model (on ``device``, eval mode) and a per-epoch log.

    Log entries: ``{"epoch", "loss" (mean training cross-entropy, per-batch means weighted by batch size),
    "train_acc" (running accuracy during the epoch), "seconds"}``. Entries of epochs done before a resume are
    restored from the checkpoint.

    With a ``checkpointer`` the run resumes from its file if present (the Checkpointer refuses another
    config hash; the stored ``mlp_config`` must also equal this call's) and saves after every epoch that is
    a multiple of ``checkpointer.every_n_steps``. The final epoch is always saved.

    ``after_step(model, examples_seen)``, if given, is called once before training (examples_seen = 0, fresh
    runs only) and after every optimizer step (examples_seen counts from the start of training); it must not
    change the model (e.g. it logs a test loss at chosen example counts: Fig. 4c's back-propagation curve).
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if images_uint8.dtype != torch.uint8:
        raise TypeError(f"images must be uint8 (converted to [0, 1] per batch), got {images_uint8.dtype}")
    if len(images_uint8) != len(labels) or len(labels) == 0:
        raise ValueError(f"need as many labels as images (> 0), got {len(images_uint8)} and {len(labels)}")
    if batch_size < 1 or epochs < 0:
        raise ValueError(f"need batch_size >= 1 and epochs >= 0, got {batch_size}, {epochs}")
    dev = as_device(device)
    n = len(labels)
    config = mlp_config(hidden=hidden, activation=activation, optimizer=optimizer, lr=lr, batch_size=batch_size,
                        epochs=epochs, seed=seed, n=n)
    n_in = images_uint8[0].numel()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = MLP(hidden, activation, n_in=n_in)
    model.to(dev)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr))
    log: list[dict[str, Any]] = []
    start_epoch = 0
    if checkpointer is not None:
        resumed = checkpointer.resume()
        if resumed is not None:
            start_epoch, state = resumed
            if state["config"] != config:
                raise RuntimeError(f"checkpoint {checkpointer.path} holds MLP config {state['config']}, "
                                   f"this run is {config}; not resumed")
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            log = [dict(e) for e in state["log"]]
    x_all = images_uint8.to(dev)  # (N, ...) uint8, stays uint8
    y_all = labels.to(dev).long()  # (N,)
    model.train()
    if after_step is not None and start_epoch == 0:
        after_step(model, 0)
    for epoch in range(start_epoch + 1, epochs + 1):
        t0 = time.perf_counter()
        hook = None if after_step is None else (lambda seen, done=(epoch - 1) * n: after_step(model, done + seen))
        stats = cross_entropy_epoch(model, lambda idx: x_all[idx].float().div_(255.0), y_all, seed=seed,
                                    epoch=epoch, batch_size=batch_size, optimizer=opt, after_step=hook)
        entry = {"epoch": epoch, **stats, "seconds": time.perf_counter() - t0}
        log.append(entry)
        if progress:
            print(f"mlp[{activation}] epoch {epoch}/{epochs}: loss {entry['loss']:.4f} "
                  f"train_acc {entry['train_acc']:.4f} ({entry['seconds']:.1f} s)", file=sys.stderr, flush=True)
        if checkpointer is not None and (epoch % checkpointer.every_n_steps == 0 or epoch == epochs):
            checkpointer.save(epoch, lambda: {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                              "config": config, "log": log})
    model.eval()
    return model, log
