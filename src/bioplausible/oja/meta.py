"""The meta-learned local plasticity rule with plastic feedback (paper Sec. 2.5, Eq. 9, Fig. 8; catalog A7).

Network (catalog A1): bias-free MLP, softplus(beta = 10) hidden units, softmax cross-entropy on the logits z_L.
Row convention for weights: ``W[l]`` is W_{l+1} in the paper's numbering, shape (d_{l+1}, d_l); the feedback
matrices ``B[l]`` have the *same* shape (the ref15-code ``fk`` convention, Ambiguity 19) and errors travel back as
``e_{l-1} = (B_l^T e_l) * sigma'(z_{l-1})``, including ``e_0`` on the raw input with the softplus-derivative
formula ``sigma'(z) = 1 - exp(-beta y)`` applied to the pixels (ref15-code).

One inner step (Eq. 9; every term from the old W, B, e, y, then a simultaneous update of all layers)::

    dW_l = -th0 e_l y_{l-1}^T + th1 e_l e_{l-1}^T + th2 (y_l y_{l-1}^T - y_l y_l^T W_l) - th3 W_l
    dB_l = -th4 y_l e_{l-1}^T + th9 B_l                        (feedback_update = "eq9", the default)
    dB_l = -th4 e_l y_{l-1}^T + th9 B_l                        (feedback_update = "kolen_pollack", Ambiguity 19)

with ``y_L = softmax(z_L)`` at the output layer (ref15-code). Sign convention of the reported Theta: exactly the
signs above (the paper's Eq. 9). Symmetric feedback (the BP baseline) sets ``B := W`` after every update, so the
backward pass is exact back-propagation.

The inner loop is written with functional tensor updates (a new W, B per step, no in-place writes), so
``torch.autograd.grad`` of the query loss w.r.t. Theta runs through the whole unrolled online trajectory (full
second order, no truncation). The outer loop is Adam on the active entries of Theta, meta-loss = query CE +
lambda * sum |theta|, meta-gradient norm clipped at ``clip``; a non-finite meta-loss or meta-gradient skips the
Adam step and is logged.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

THETA_NAMES: tuple[str, ...] = ("theta_0", "theta_1", "theta_2", "theta_3", "theta_4", "theta_9")
FEEDBACK_UPDATES = ("eq9", "kolen_pollack")

# method -> (feedback, active Theta entries). "bp": ref15-code fbk='sym', vec=[] (Ambiguity 22); "local": random
# plastic feedback with all six terms of Eq. 9; "local_no_oja": the theta_2 = 0 ablation (not in the paper).
METHODS: dict[str, dict[str, Any]] = {
    "bp": {"symmetric": True, "active": ("theta_0",)},
    "local": {"symmetric": False, "active": THETA_NAMES},
    "local_no_oja": {"symmetric": False, "active": tuple(n for n in THETA_NAMES if n != "theta_2")},
}


# --- network ----------------------------------------------------------------------------------------------------
def softplus(z: torch.Tensor, beta: float) -> torch.Tensor:
    return F.softplus(z, beta=beta)


def softplus_prime_from_output(y: torch.Tensor, beta: float) -> torch.Tensor:
    """sigma'(z) written with y = sigma(z): 1 - exp(-beta y) (= sigmoid(beta z)); ref15-code's form."""
    return -torch.expm1(-beta * y)


def xavier_uniform(widths: Sequence[int], generator: torch.Generator, dtype: torch.dtype = torch.float32,
                   device: torch.device | str = "cpu") -> list[torch.Tensor]:
    """Fresh Glorot-uniform matrices (d_{l+1}, d_l) for consecutive ``widths`` (paper Eq. 3)."""
    out = []
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        a = math.sqrt(6.0 / (d_in + d_out))
        w = torch.rand(d_out, d_in, generator=generator, dtype=torch.float64) * (2 * a) - a
        out.append(w.to(dtype=dtype, device=device))
    return out


def forward(Ws: Sequence[torch.Tensor], x: torch.Tensor, beta: float) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Activations [y_0 = x, y_1 .. y_{L-1}] and logits z_L. ``x``: (d_0,) one example or (N, d_0) a batch."""
    ys = [x]
    for W in Ws[:-1]:
        ys.append(softplus(ys[-1] @ W.T, beta))
    return ys, ys[-1] @ Ws[-1].T


def logits_of(Ws: Sequence[torch.Tensor], x: torch.Tensor, beta: float) -> torch.Tensor:
    return forward(Ws, x, beta)[1]


def errors(Bs: Sequence[torch.Tensor], ys: Sequence[torch.Tensor], zL: torch.Tensor, onehot: torch.Tensor,
           beta: float) -> list[torch.Tensor]:
    """[e_0, e_1, .., e_L] of one example: e_L = softmax(z_L) - onehot, e_{l-1} = (B_l^T e_l) * sigma'(z_{l-1}).

    e_0 uses the raw input (ref15-code): (B_1^T e_1) * (1 - exp(-beta x))."""
    es = [torch.softmax(zL, dim=-1) - onehot]
    for B, y in zip(reversed(Bs), reversed(ys)):
        es.insert(0, (es[0] @ B) * softplus_prime_from_output(y, beta))
    return es


def eq9_step(theta: torch.Tensor, Ws: Sequence[torch.Tensor], Bs: Sequence[torch.Tensor] | None, x: torch.Tensor,
             onehot: torch.Tensor, *, beta: float, symmetric: bool,
             feedback_update: str = "eq9") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """One online step of Eq. 9 on one example; returns the new (Ws, Bs). ``theta``: the six coefficients in
    THETA_NAMES order (entries may carry autograd history). ``symmetric``: B := W (``Bs`` is ignored)."""
    th0, th1, th2, th3, th4, th9 = theta.unbind()
    if symmetric:
        Bs = Ws
    assert Bs is not None
    ys, zL = forward(Ws, x, beta)
    es = errors(Bs, ys, zL, onehot, beta)
    post = [*ys[1:], torch.softmax(zL, dim=-1)]           # y_1 .. y_L, with y_L = softmax(z_L) (ref15-code)
    new_W, new_B = [], []
    for l, W in enumerate(Ws):
        y_pre, y_post, e_pre, e_post = ys[l], post[l], es[l], es[l + 1]
        # -th0 e y_pre^T + th1 e e_pre^T  and  th2 (y y_pre^T - y (y^T W)) - th3 W, as two outer products
        dW = torch.outer(e_post, th1 * e_pre - th0 * y_pre) + torch.outer(y_post, th2 * (y_pre - y_post @ W))
        new_W.append((1 - th3) * W + dW)
        if not symmetric:
            B = Bs[l]
            if feedback_update == "eq9":
                hebb = torch.outer(y_post, e_pre)                 # y_l e_{l-1}^T: shape (d_l, d_{l-1}) = B_l's
            elif feedback_update == "kolen_pollack":
                hebb = torch.outer(e_post, y_pre)                 # e_l y_{l-1}^T (Ambiguity 19 alternative)
            else:
                raise ValueError(f"feedback_update={feedback_update!r}; choose one of {FEEDBACK_UPDATES}")
            new_B.append((1 + th9) * B - th4 * hebb)
    return new_W, (new_W if symmetric else new_B)


def inner_loop(theta: torch.Tensor, Ws: Sequence[torch.Tensor], Bs: Sequence[torch.Tensor] | None,
               xs: torch.Tensor, labels: torch.Tensor, n_classes: int, *, beta: float, symmetric: bool,
               feedback_update: str = "eq9") -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Online (batch 1) pass over the stream ``xs`` (T, d_0) with labels (T,), one Eq. 9 step per example."""
    onehots = F.one_hot(labels, n_classes).to(xs.dtype)
    Ws, Bs = list(Ws), (list(Ws) if symmetric else list(Bs))  # type: ignore[arg-type]
    for t in range(xs.shape[0]):
        Ws, Bs = eq9_step(theta, Ws, Bs, xs[t], onehots[t], beta=beta, symmetric=symmetric,
                          feedback_update=feedback_update)
    return Ws, Bs


def full_theta(active_values: torch.Tensor, active: Sequence[str]) -> torch.Tensor:
    """The six Eq. 9 coefficients (THETA_NAMES order) with inactive entries fixed at 0."""
    if len(active) != active_values.numel():
        raise ValueError(f"{active_values.numel()} values for active entries {list(active)}")
    parts = []
    for name in THETA_NAMES:
        parts.append(active_values[active.index(name)] if name in active else active_values.new_zeros(()))
    return torch.stack(parts)


# --- episodes ---------------------------------------------------------------------------------------------------
@dataclass
class EpisodePool:
    """The meta-training pool: flattened images in [0, 1] (N, 784) and global labels (N,)."""
    images: torch.Tensor
    labels: torch.Tensor
    n_classes: int
    by_class: dict[int, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        lab = self.labels.numpy()
        self.by_class = {int(c): np.flatnonzero(lab == c) for c in np.unique(lab)}

    @classmethod
    def from_uint8(cls, images: torch.Tensor, labels: torch.Tensor, n_classes: int,
                   dtype: torch.dtype = torch.float32) -> "EpisodePool":
        x = images.reshape(images.shape[0], -1).to(dtype) / 255.0   # ToTensor scaling, no normalisation (Amb. 25)
        return cls(x, labels.long(), int(n_classes))


def sample_episode(pool: EpisodePool, rng: np.random.Generator, *, n_way: int, k_shot: int, q_query: int,
                   with_replacement: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """M distinct classes, K training + Q query images per class (distinct images unless ``with_replacement``);
    the training stream is shuffled (iid, ref15-code). Labels stay global (C-way output)."""
    classes = sorted(pool.by_class)
    if n_way > len(classes):
        raise ValueError(f"n_way={n_way} but the pool has only {len(classes)} classes")
    chosen = rng.choice(classes, size=n_way, replace=False)
    train_idx, query_idx = [], []
    for c in chosen:
        idx = pool.by_class[int(c)]
        if not with_replacement and len(idx) < k_shot + q_query:
            raise ValueError(f"class {int(c)} has {len(idx)} images in the pool, fewer than k_shot + q_query = "
                             f"{k_shot + q_query}; set images_with_replacement: true or use a larger pool")
        pick = rng.choice(idx, size=k_shot + q_query, replace=with_replacement)
        train_idx.append(pick[:k_shot])
        query_idx.append(pick[k_shot:])
    train = np.concatenate(train_idx)[rng.permutation(n_way * k_shot)]
    query = np.concatenate(query_idx)
    return pool.images[train], pool.labels[train], pool.images[query], pool.labels[query]


# --- outer loop -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetaConfig:
    widths: tuple[int, ...]          # d_0, hidden..., C
    beta: float
    n_way: int
    k_shot: int
    q_query: int
    episodes: int
    meta_lr: float
    theta0_init: float
    l1: float
    clip: float
    images_with_replacement: bool
    feedback_update: str = "eq9"

    def __post_init__(self) -> None:
        if self.feedback_update not in FEEDBACK_UPDATES:
            raise ValueError(f"feedback_update={self.feedback_update!r}; choose one of {FEEDBACK_UPDATES}")
        if len(self.widths) < 2:
            raise ValueError(f"widths={self.widths} needs at least an input and an output width")


def episode_seed(seed: int, episode: int) -> np.random.SeedSequence:
    """The RNG stream of one episode of one meta-seed: the same for every method (paired comparison)."""
    return np.random.SeedSequence([int(seed), int(episode)])


def meta_train(cfg: MetaConfig, pool: EpisodePool, method: str, seed: int, *, dtype: torch.dtype = torch.float32,
               device: torch.device | str = "cpu", log: Callable[[str], None] | None = None,
               log_every: int = 10) -> dict[str, np.ndarray]:
    """Meta-train one method for ``cfg.episodes`` episodes; per-episode arrays (the figure's data).

    Returns: meta_acc, meta_ce (query CE), meta_loss (CE + L1), theta (E, 6: the Theta each episode used, in
    THETA_NAMES order), theta_final (6,), grad_norm (pre-clip), nan (bool per episode: step skipped), seconds."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    spec = METHODS[method]
    active = tuple(spec["active"])
    init = [cfg.theta0_init if n == "theta_0" else 0.0 for n in active]
    params = torch.tensor(init, dtype=dtype, device=device, requires_grad=True)
    opt = torch.optim.Adam([params], lr=cfg.meta_lr)
    E = cfg.episodes
    out = {k: np.zeros(E) for k in ("meta_acc", "meta_ce", "meta_loss", "grad_norm", "seconds")}
    out["theta"] = np.zeros((E, len(THETA_NAMES)))
    out["nan"] = np.zeros(E, dtype=bool)
    for ep in range(E):
        t0 = time.perf_counter()
        ss = episode_seed(seed, ep)
        data_ss, init_ss = ss.spawn(2)
        xs, ys, xq, yq = sample_episode(pool, np.random.default_rng(data_ss), n_way=cfg.n_way, k_shot=cfg.k_shot,
                                        q_query=cfg.q_query, with_replacement=cfg.images_with_replacement)
        xs, ys, xq, yq = xs.to(device), ys.to(device), xq.to(device), yq.to(device)
        gen = torch.Generator().manual_seed(int(init_ss.generate_state(1)[0]))
        W0 = xavier_uniform(cfg.widths, gen, dtype, device)
        B0 = None if spec["symmetric"] else xavier_uniform(cfg.widths, gen, dtype, device)
        theta = full_theta(params, active)
        out["theta"][ep] = theta.detach().cpu().double().numpy()
        Ws, _ = inner_loop(theta, W0, B0, xs, ys, pool.n_classes, beta=cfg.beta, symmetric=spec["symmetric"],
                           feedback_update=cfg.feedback_update)
        logits = logits_of(Ws, xq, cfg.beta)
        ce = F.cross_entropy(logits, yq)
        loss = ce + cfg.l1 * params.abs().sum()
        (grad,) = torch.autograd.grad(loss, params)
        finite = bool(torch.isfinite(loss)) and bool(torch.isfinite(grad).all())
        gnorm = float(grad.norm()) if finite else float("nan")
        if finite:
            params.grad = grad * min(1.0, cfg.clip / (gnorm + 1e-12))   # clip_grad_norm_ at cfg.clip
            opt.step()
            opt.zero_grad(set_to_none=True)
        else:
            out["nan"][ep] = True
            if log:
                log(f"{method} seed {seed} episode {ep}: non-finite meta-loss/gradient, Adam step skipped")
        out["meta_acc"][ep] = float((logits.detach().argmax(-1) == yq).double().mean())
        out["meta_ce"][ep] = float(ce.detach())
        out["meta_loss"][ep] = float(loss.detach())
        out["grad_norm"][ep] = gnorm
        out["seconds"][ep] = time.perf_counter() - t0
        if log and (ep % log_every == 0 or ep == E - 1):
            th = ", ".join(f"{n}={v:+.4g}" for n, v in zip(THETA_NAMES, out["theta"][ep]))
            log(f"{method} seed {seed} episode {ep}: acc {out['meta_acc'][ep]:.3f} ce {out['meta_ce'][ep]:.3f} "
                f"|g| {gnorm:.3g} ({out['seconds'][ep]:.2f} s) {th}")
    out["theta_final"] = full_theta(params.detach(), active).cpu().double().numpy()
    return out


def config_from_params(p: Mapping[str, Any], n_in: int, n_classes: int) -> MetaConfig:
    """MetaConfig from the ``oja.meta`` config block and the pool's input size / number of classes."""
    return MetaConfig(
        widths=(int(n_in), *[int(h) for h in p["hidden"]], int(n_classes)), beta=float(p["beta"]),
        n_way=int(p["n_way"]), k_shot=int(p["k_shot"]), q_query=int(p["q_query"]), episodes=int(p["episodes"]),
        meta_lr=float(p["meta_lr"]), theta0_init=float(p["theta0_init"]), l1=float(p["l1"]), clip=float(p["clip"]),
        images_with_replacement=bool(p["images_with_replacement"]), feedback_update=str(p["feedback_update"]))


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (ref15-code plots a window of 10): entry i averages x[max(0, i-w+1) .. i]."""
    x = np.asarray(x, dtype=np.float64)
    if window < 1:
        raise ValueError(f"window={window} must be >= 1")
    c = np.cumsum(np.insert(x, 0, 0.0))
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)
