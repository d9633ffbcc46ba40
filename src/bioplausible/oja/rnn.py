"""Vanilla RNN on delayed MNIST trained online by BPTT or BPTT + Oja (paper Sec. 2.4, Eqs. 4-6, Fig. 7; catalog A6).

Dynamics (z_0 = 0, t = 1..T)::

    z_t = W_h sigma(z_{t-1}) + W_x x_t          x_t = image for t <= n_stim (5), 0 until T (50)
    y_T = W_o sigma(z_T),  loss = CE(softmax(y_T), label)

Manual BPTT (paper Eq. 5)::

    e_T = (W_o^T (p - onehot)) * sigma'(z_T),   e_t = (W_h^T e_{t+1}) * sigma'(z_t)   (t = T-1..1)
    dL/dW_h = sum_{t=1}^{T-1} e_{t+1} sigma(z_t)^T,  dL/dW_x = sum_{t=1}^{T} e_t x_t^T,  dL/dW_o = (p - onehot) sigma(z_T)^T

Updates, one training sequence per update, every term from the pre-update forward/backward pass (catalog A6)::

    W_h <- W_h - theta_1 dL/dW_h + theta_2 sum_{t=1}^{T-1} [u_t z_t^T - u_t u_t^T W_h],   u_t = W_h sigma(z_t)
    W_x <- W_x - theta_1 dL/dW_x,   W_o <- W_o - theta_1 dL/dW_o          (Oja on W_h only; theta_2 = 0 is BPTT)

Everything is vectorised over R independent runs (seeds, grid points): weights have shape (R, ...), each run sees
its own sequence per step and has its own theta_1, theta_2, so R runs here equal R separate online runs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Sequence

import torch

ACTIVATIONS = ("tanh",)


def _sigma(z: torch.Tensor, activation: str) -> torch.Tensor:
    if activation == "tanh":
        return torch.tanh(z)
    raise ValueError(f"activation={activation!r}; known: {ACTIVATIONS}")


def _dsigma_from_s(s: torch.Tensor, activation: str) -> torch.Tensor:
    """sigma'(z) computed from s = sigma(z)."""
    if activation == "tanh":
        return 1.0 - s * s
    raise ValueError(f"activation={activation!r}; known: {ACTIVATIONS}")


@dataclass
class RNNWeights:
    """Weights of R independent RNNs: w_h (R, H, H), w_x (R, H, D), w_o (R, C, H)."""

    w_h: torch.Tensor
    w_x: torch.Tensor
    w_o: torch.Tensor

    @property
    def runs(self) -> int:
        return self.w_h.shape[0]

    def clone(self) -> "RNNWeights":
        return RNNWeights(self.w_h.clone(), self.w_x.clone(), self.w_o.clone())

    def select(self, idx: Sequence[int] | slice) -> "RNNWeights":
        return RNNWeights(self.w_h[idx], self.w_x[idx], self.w_o[idx])


def xavier_uniform(shape: tuple[int, int], generator: torch.Generator, dtype=torch.float32) -> torch.Tensor:
    """U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (paper Eq. 3; nn.init.xavier_uniform_ with gain 1)."""
    fan_out, fan_in = shape
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return (torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * a


def init_weights(seeds: Sequence[int], *, hidden: int, n_in: int = 784, n_out: int = 10,
                 dtype=torch.float32) -> RNNWeights:
    """Xavier-uniform W_h, W_x, W_o per run (catalog A6 default); run r draws from torch.Generator(seed r)."""
    ws = {"h": [], "x": [], "o": []}
    for seed in seeds:
        g = torch.Generator().manual_seed(int(seed))
        ws["h"].append(xavier_uniform((hidden, hidden), g, dtype))
        ws["x"].append(xavier_uniform((hidden, n_in), g, dtype))
        ws["o"].append(xavier_uniform((n_out, hidden), g, dtype))
    return RNNWeights(torch.stack(ws["h"]), torch.stack(ws["x"]), torch.stack(ws["o"]))


def forward(w: RNNWeights, x: torch.Tensor, *, steps: int, n_stim: int, activation: str = "tanh"
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Run R networks on their own image, x (R, B, D) (B sequences each). Returns pre-activations z (T, R, B, H)
    for t = 1..T, s = sigma(z) and the logits y_T (R, B, C)."""
    if not 1 <= n_stim <= steps:
        raise ValueError(f"need 1 <= n_stim ({n_stim}) <= steps ({steps})")
    drive = torch.einsum("rhd,rbd->rbh", w.w_x, x)              # W_x x, the input for t <= n_stim
    zs, ss = [], []
    s_prev = None
    for t in range(1, steps + 1):
        z = torch.einsum("rij,rbj->rbi", w.w_h, s_prev) if s_prev is not None else torch.zeros_like(drive)
        if t <= n_stim:
            z = z + drive
        s_prev = _sigma(z, activation)
        zs.append(z)
        ss.append(s_prev)
    z = torch.stack(zs)
    s = torch.stack(ss)
    logits = torch.einsum("rch,rbh->rbc", w.w_o, s[-1])
    return z, s, logits


@dataclass
class Grads:
    """Per-run gradients of the CE loss (summed over the B sequences of each run) and the Oja term of W_h."""

    w_h: torch.Tensor
    w_x: torch.Tensor
    w_o: torch.Tensor
    loss: torch.Tensor          # (R,) summed CE
    logits: torch.Tensor


def bptt(w: RNNWeights, x: torch.Tensor, labels: torch.Tensor, *, steps: int, n_stim: int,
         activation: str = "tanh") -> tuple[Grads, torch.Tensor, torch.Tensor]:
    """Manual BPTT (catalog A6 / paper Eq. 5) for x (R, B, D), labels (R, B). Returns the gradients and the
    forward trajectory (z, s), each (T, R, B, H)."""
    z, s, logits = forward(w, x, steps=steps, n_stim=n_stim, activation=activation)
    logp = torch.log_softmax(logits, dim=-1)
    onehot = torch.nn.functional.one_hot(labels, logits.shape[-1]).to(logits.dtype)
    loss = -(logp * onehot).sum(dim=(-1, -2))
    delta_o = logp.exp() - onehot                                            # (R, B, C) = dL/dy_T
    dsig = _dsigma_from_s(s, activation)                                     # (T, R, B, H)
    es = [None] * steps
    e = torch.einsum("rch,rbc->rbh", w.w_o, delta_o) * dsig[-1]              # e_T
    es[-1] = e
    for i in range(steps - 2, -1, -1):                                        # t = T-1..1 (index i = t-1)
        e = torch.einsum("rji,rbj->rbi", w.w_h, e) * dsig[i]                 # (W_h^T e_{t+1}) * sigma'(z_t)
        es[i] = e
    e = torch.stack(es)                                                       # (T, R, B, H)
    g_h = torch.einsum("trbi,trbj->rij", e[1:], s[:-1])                      # sum_t e_{t+1} sigma(z_t)^T
    g_x = torch.einsum("rbh,rbd->rhd", e[:n_stim].sum(0), x)                  # x_t = x for t <= n_stim, else 0
    g_o = torch.einsum("rbc,rbh->rch", delta_o, s[-1])
    return Grads(g_h, g_x, g_o, loss, logits), z, s


def oja_term(w_h: torch.Tensor, z: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """sum_{t=1}^{T-1} [u_t z_t^T - u_t u_t^T W_h], u_t = W_h sigma(z_t) (catalog A6), summed over the B sequences.
    w_h (R, H, H); z, s (T, R, B, H)."""
    zt, st = z[:-1], s[:-1]
    u = torch.einsum("rij,trbj->trbi", w_h, st)
    hebb = torch.einsum("trbi,trbj->rij", u, zt)
    uu = torch.einsum("trbi,trbk->rik", u, u)
    return hebb - torch.bmm(uu, w_h)


def update(w: RNNWeights, x: torch.Tensor, labels: torch.Tensor, theta_1: torch.Tensor, theta_2: torch.Tensor,
           *, steps: int, n_stim: int, activation: str = "tanh") -> torch.Tensor:
    """One online update in place: run r learns from its own sequence x[r] (R, D), labels (R,), with its own
    theta_1[r], theta_2[r] (theta_2 = 0: plain BPTT). Returns the per-run CE loss before the update."""
    g, z, s = bptt(w, x[:, None], labels[:, None], steps=steps, n_stim=n_stim, activation=activation)
    t1 = theta_1.to(w.w_h.dtype)[:, None, None]
    t2 = theta_2.to(w.w_h.dtype)
    dh = -t1 * g.w_h
    if bool((t2 != 0).any()):
        dh = dh + t2[:, None, None] * oja_term(w.w_h, z, s)
    w.w_h += dh
    w.w_x -= t1 * g.w_x
    w.w_o -= t1 * g.w_o
    return g.loss


def final_logits(w: RNNWeights, x: torch.Tensor, *, steps: int, n_stim: int, activation: str = "tanh"
                 ) -> torch.Tensor:
    """y_T of R networks on the same images x (B, D), without keeping the trajectory: (R, B, C)."""
    drive = torch.einsum("rhd,bd->rbh", w.w_x, x)
    s = _sigma(drive, activation)                                             # t = 1 (z_0 = 0)
    for t in range(2, steps + 1):
        z = torch.bmm(s, w.w_h.transpose(1, 2))
        if t <= n_stim:
            z = z + drive
        s = _sigma(z, activation)
    return torch.bmm(s, w.w_o.transpose(1, 2))


def accuracy(w: RNNWeights, images: torch.Tensor, labels: torch.Tensor, *, steps: int, n_stim: int,
             activation: str = "tanh", batch: int = 2000) -> torch.Tensor:
    """Validation accuracy (%) of each of the R networks on the same images (N, D), labels (N,). Returns (R,)."""
    correct = torch.zeros(w.runs, dtype=torch.float64, device=images.device)
    for lo in range(0, len(images), batch):
        logits = final_logits(w, images[lo:lo + batch], steps=steps, n_stim=n_stim, activation=activation)
        correct += (logits.argmax(-1) == labels[lo:lo + batch][None]).sum(-1).double()
    return (100.0 * correct / len(images)).cpu()


def checkpoint_steps(n_train: int, every: int) -> list[int]:
    """Training-sequence counts at which validation accuracy is logged: 0, every, 2 every, ..., n_train."""
    if every <= 0 or n_train <= 0:
        raise ValueError(f"need n_train > 0 and eval_every > 0, got n_train={n_train}, eval_every={every}")
    pts = list(range(0, n_train + 1, every))
    if pts[-1] != n_train:
        pts.append(n_train)
    return pts


def draw_streams(seeds: Sequence[int], n_pool: int, n_train: int) -> torch.Tensor:
    """Per run: n_train distinct indices of the training pool, uniformly without replacement, in random order
    (catalog Ambiguity 7), from torch.Generator(seed + 1_000_003) (independent of the init draw). (R, n_train)."""
    if n_train > n_pool:
        raise ValueError(f"n_train={n_train} exceeds the {n_pool} training images")
    rows = []
    for seed in seeds:
        g = torch.Generator().manual_seed(int(seed) + 1_000_003)
        rows.append(torch.randperm(n_pool, generator=g)[:n_train])
    return torch.stack(rows)


@dataclass
class TrainResult:
    steps: list[int]
    val_acc: torch.Tensor        # (R, checkpoints), %
    train_loss: torch.Tensor     # (R, n_train) CE of each training sequence before its update
    weights: RNNWeights
    seconds: float
    diverged: torch.Tensor       # (R,) bool: a non-finite weight at the end


def train(seeds: Sequence[int], theta_1: Sequence[float], theta_2: Sequence[float], train_images: torch.Tensor,
          train_labels: torch.Tensor, val_images: torch.Tensor, val_labels: torch.Tensor, *, hidden: int,
          n_train: int, eval_every: int, steps: int, n_stim: int, activation: str = "tanh",
          dtype=torch.float32, device: str | torch.device = "cpu", log=None) -> TrainResult:
    """R = len(seeds) independent online runs (run r: init and stream from seeds[r], rates theta_1[r],
    theta_2[r]). Images are float in [0, 1], flattened (N, 784)."""
    if not len(seeds) == len(theta_1) == len(theta_2):
        raise ValueError(f"seeds ({len(seeds)}), theta_1 ({len(theta_1)}) and theta_2 ({len(theta_2)}) "
                         "must have one entry per run")
    w = init_weights(seeds, hidden=hidden, n_in=train_images.shape[1], n_out=10, dtype=dtype)
    w = RNNWeights(w.w_h.to(device), w.w_x.to(device), w.w_o.to(device))
    stream = draw_streams(seeds, len(train_images), n_train).to(device)
    t1 = torch.tensor(theta_1, dtype=dtype, device=device)
    t2 = torch.tensor(theta_2, dtype=dtype, device=device)
    train_images, train_labels = train_images.to(device, dtype), train_labels.to(device)
    val_images, val_labels = val_images.to(device, dtype), val_labels.to(device)
    pts = checkpoint_steps(n_train, eval_every)
    accs, losses = [], torch.zeros(len(seeds), n_train, device=device)
    kw = dict(steps=steps, n_stim=n_stim, activation=activation)
    t0 = time.time()
    with torch.no_grad():
        for k in range(n_train + 1):
            if k in pts:
                accs.append(accuracy(w, val_images, val_labels, **kw))
                if log:
                    log(f"{k:6d} sequences: val acc {[round(a, 1) for a in accs[-1].tolist()]} "
                        f"({time.time() - t0:.1f} s)")
            if k == n_train:
                break
            idx = stream[:, k]
            losses[:, k] = update(w, train_images[idx], train_labels[idx], t1, t2, **kw)
    diverged = ~torch.stack([torch.isfinite(p).flatten(1).all(1) for p in (w.w_h, w.w_x, w.w_o)]).all(0)
    w = RNNWeights(w.w_h.cpu(), w.w_x.cpu(), w.w_o.cpu())
    return TrainResult(pts, torch.stack(accs, dim=1), losses.cpu(), w, time.time() - t0, diverged.cpu())
