"""Online (batch size 1) deep MLPs trained by back-propagation or feedback alignment, with or without Oja's
subspace rule (paper Sec. 2.1-2.3, Eq. 1, 3, 7, 8; catalog A1-A5, A8).

    z_l = W_l y_{l-1},  y_l = σ(z_l) (softplus, β = 10; no biases),  logits = z_L,  ℒ = −log softmax(z_L)_c
    e_L = softmax(z_L) − onehot(c),   e_l = (B_{l+1}ᵀ e_{l+1}) ⊙ σ'(z_l),   σ'(z) = 1 − exp(−β y)
    ΔW_l = −θ_1 e_l y_{l-1}ᵀ + θ_2 ( y_l y_{l-1}ᵀ − y_l (y_lᵀ W_l) )          (θ_2 = 0: plain BP / FA)

B_l = W_l is back-propagation; fixed random B_l (Xavier, W's shape) is feedback alignment. At the output layer
the Oja term's post-synaptic activity is y_L = softmax(z_L) (the authors' earlier code), or no Oja term there
(``oja_output=False``). All terms come from one forward/backward pass with the old weights; every layer then
updates at once. Independent networks (seeds, θ grid points) advance together along a leading run dimension R:
each sees its own single example per step, so this is still online learning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

INITS = ("xavier", "naive")
FEEDBACK = ("bp", "fa")


@dataclass(frozen=True)
class OnlineConfig:
    widths: tuple[int, ...]          # d_0 = 784, hidden widths, C
    init: str = "xavier"             # xavier (Eq. 3) | naive (N(0, naive_std²), Fig. 5)
    naive_std: float = 0.01
    feedback: str = "bp"             # bp (B = W) | fa (fixed random B)
    beta: float = 10.0               # softplus sharpness
    oja_output: bool = True          # Oja term at the output layer with y_L = softmax(z_L)

    def __post_init__(self) -> None:
        if len(self.widths) < 2:
            raise ValueError(f"widths {self.widths}: need at least input and output sizes")
        if self.init not in INITS:
            raise ValueError(f"init {self.init!r}: choose one of {INITS}")
        if self.feedback not in FEEDBACK:
            raise ValueError(f"feedback {self.feedback!r}: choose one of {FEEDBACK}")

    @property
    def layers(self) -> int:
        return len(self.widths) - 1


def xavier_uniform(runs: int, d_out: int, d_in: int, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """Eq. 3: U(−a, a), a = sqrt(6 / (d_in + d_out)), one matrix per run."""
    a = math.sqrt(6.0 / (d_in + d_out))
    return (torch.rand(runs, d_out, d_in, generator=gen, dtype=dtype) * 2 - 1) * a


def init_weights(cfg: OnlineConfig, seeds: list[int], dtype: torch.dtype = torch.float32
                 ) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
    """Forward weights W_l (R, d_l, d_{l-1}) and, for feedback alignment, fixed B_l of the same shape; run r is
    drawn from its own generator (seed ``seeds[r]``), so a run does not depend on which others share the batch."""
    Ws: list[list[torch.Tensor]] = [[] for _ in range(cfg.layers)]
    Bs: list[list[torch.Tensor]] = [[] for _ in range(cfg.layers)]
    for seed in seeds:
        gen = torch.Generator().manual_seed(int(seed))
        for l in range(cfg.layers):
            d_in, d_out = cfg.widths[l], cfg.widths[l + 1]
            if cfg.init == "xavier":
                Ws[l].append(xavier_uniform(1, d_out, d_in, gen, dtype)[0])
            else:
                Ws[l].append(torch.randn(d_out, d_in, generator=gen, dtype=dtype) * cfg.naive_std)
        if cfg.feedback == "fa":
            for l in range(cfg.layers):
                Bs[l].append(xavier_uniform(1, cfg.widths[l + 1], cfg.widths[l], gen, dtype)[0])
    W = [torch.stack(w) for w in Ws]
    B = [torch.stack(b) for b in Bs] if cfg.feedback == "fa" else None
    return W, B


def softplus(z: torch.Tensor, beta: float) -> torch.Tensor:
    return torch.nn.functional.softplus(z, beta=beta)


def forward(W: list[torch.Tensor], x: torch.Tensor, beta: float) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Activations y_0 = x, ..., y_{L-1} and the logits z_L; ``x`` (R, N, d_0) (or (N, d_0), shared by the runs)."""
    ys = [x]
    h = x
    for l, w in enumerate(W):
        z = h @ w.transpose(-1, -2)
        if l == len(W) - 1:
            return ys, z
        h = softplus(z, beta)
        ys.append(h)
    raise AssertionError("unreachable")


@dataclass
class StepNorms:
    bp: torch.Tensor        # (R, L) ‖θ_1 e_l y_{l-1}ᵀ‖_F
    total: torch.Tensor     # (R, L) ‖ΔW_l‖_F


def online_step(W: list[torch.Tensor], B: list[torch.Tensor] | None, x: torch.Tensor, label: torch.Tensor,
                theta1: torch.Tensor, theta2: torch.Tensor, *, beta: float, oja_output: bool = True) -> StepNorms:
    """One online update of every run in place: ``x`` (R, d_0), ``label`` (R,), ``theta1``/``theta2`` (R,)."""
    ys, z = forward(W, x[:, None, :], beta)
    p = torch.softmax(z, dim=-1)                                       # (R, 1, C)
    e = p - torch.nn.functional.one_hot(label, z.shape[-1]).to(p.dtype)[:, None, :]
    L = len(W)
    errors = [None] * L
    errors[L - 1] = e
    for l in range(L - 1, 0, -1):                                      # e_{l-1} from e_l through B_l (or W_l)
        back = W[l] if B is None else B[l]
        errors[l - 1] = (errors[l] @ back) * (1 - torch.exp(-beta * ys[l]))
    t1 = theta1[:, None, None]
    t2 = theta2[:, None, None]
    bp_norms, total_norms = [], []
    factors = []
    for l in range(L):
        pre, err = ys[l], errors[l]                                    # (R, 1, d_in), (R, 1, d_out)
        post = (p if l == L - 1 else ys[l + 1]) if (l < L - 1 or oja_output) else None
        # ΔW_l = −θ_1 e_l y_{l-1}ᵀ + θ_2 (y_l y_{l-1}ᵀ − y_l (y_lᵀ W_l)) = a ⊗ y_{l-1} − (θ_2 y_l) ⊗ (y_lᵀ W_l),
        # a = −θ_1 e_l + θ_2 y_l: two rank-one terms, applied in place (never a full-size temporary)
        a = -t1 * err if post is None else -t1 * err + t2 * post
        v = None if post is None else t2 * post                        # (R, 1, d_out)
        b = None if post is None else post @ W[l]                      # y_lᵀ W_l, (R, 1, d_in)
        bp_norms.append(theta1 * err.flatten(1).norm(dim=1) * pre.flatten(1).norm(dim=1))
        # ‖a xᵀ − v bᵀ‖² = |a|²|x|² + |v|²|b|² − 2 (a·v)(x·b)
        sq = (a * a).sum((1, 2)) * (pre * pre).sum((1, 2))
        if v is not None:
            sq = sq + (v * v).sum((1, 2)) * (b * b).sum((1, 2)) - 2 * (a * v).sum((1, 2)) * (pre * b).sum((1, 2))
        total_norms.append(sq.clamp_min(0).sqrt())
        factors.append((a, pre, v, b))
    for w, (a, pre, v, b) in zip(W, factors):                         # every layer from the old weights, then update
        w.baddbmm_(a.transpose(-1, -2), pre)
        if v is not None:
            w.baddbmm_(v.transpose(-1, -2), b, alpha=-1)
    return StepNorms(torch.stack(bp_norms, 1), torch.stack(total_norms, 1))


@dataclass
class OnlineLog:
    seen: list[int] = field(default_factory=list)                      # checkpoints (training points seen)
    val_acc: list[torch.Tensor] = field(default_factory=list)          # (R,) per checkpoint
    recon: list[torch.Tensor] = field(default_factory=list)            # (R, L-1) 𝒥_l of the hidden layers
    act_norm: list[torch.Tensor] = field(default_factory=list)         # (R, L) mean ‖y_l‖ (l < L) and ‖z_L‖
    step_bp: list[torch.Tensor] = field(default_factory=list)          # (R, L) per step
    step_total: list[torch.Tensor] = field(default_factory=list)       # (R, L) per step


@torch.no_grad()
def evaluate(W: list[torch.Tensor], x_val: torch.Tensor, y_val: torch.Tensor, beta: float,
             chunk: int = 2000) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Validation accuracy (R,), reconstruction errors 𝒥_l = mean ‖y_{l-1} − W_lᵀ y_l‖² of the hidden layers
    (R, L-1) (paper Eq. 2) and mean activation norms (R, L): ‖y_l‖ for l = 1..L-1 and ‖z_L‖."""
    R, L = W[0].shape[0], len(W)
    correct = torch.zeros(R, dtype=torch.float64, device=x_val.device)
    recon = torch.zeros(R, L - 1, dtype=torch.float64, device=x_val.device)
    norms = torch.zeros(R, L, dtype=torch.float64, device=x_val.device)
    for i in range(0, len(y_val), chunk):
        ys, z = forward(W, x_val[i:i + chunk], beta)
        correct += (z.argmax(-1) == y_val[i:i + chunk]).sum(-1)
        for l in range(1, L):
            rec = ys[l] @ W[l - 1]                                     # W_lᵀ y_l, (R, N, d_{l-1})
            recon[:, l - 1] += ((ys[l - 1] - rec) ** 2).sum(-1).sum(-1).double()
            norms[:, l - 1] += ys[l].norm(dim=-1).sum(-1).double()
        norms[:, L - 1] += z.norm(dim=-1).sum(-1).double()
    n = len(y_val)
    return correct / n, recon / n, norms / n


def train_online(cfg: OnlineConfig, W: list[torch.Tensor], B: list[torch.Tensor] | None, x_train: torch.Tensor,
                 y_train: torch.Tensor, streams: torch.Tensor, theta1: torch.Tensor, theta2: torch.Tensor, *,
                 x_val: torch.Tensor, y_val: torch.Tensor, eval_every: int, progress=None) -> OnlineLog:
    """Train R runs online: run r sees ``x_train[streams[r, t]]`` at step t (one pass). Logs at every
    ``eval_every`` points (and at 0 and the end) and the update norms of every step."""
    R, steps = streams.shape
    if theta1.shape != (R,) or theta2.shape != (R,):
        raise ValueError(f"theta1/theta2 must have shape ({R},), got {tuple(theta1.shape)}, {tuple(theta2.shape)}")
    log = OnlineLog()

    def checkpoint(seen: int) -> None:
        acc, recon, norms = evaluate(W, x_val, y_val, cfg.beta)
        log.seen.append(seen)
        log.val_acc.append(acc.cpu())
        log.recon.append(recon.cpu())
        log.act_norm.append(norms.cpu())
        if progress is not None:
            progress(f"{seen}/{steps} points: mean validation accuracy {float(acc.mean()):.4f}")

    with torch.no_grad():
        checkpoint(0)
        for t in range(steps):
            idx = streams[:, t]
            norms = online_step(W, B, x_train[idx], y_train[idx], theta1, theta2, beta=cfg.beta,
                                oja_output=cfg.oja_output)
            log.step_bp.append(norms.bp.cpu())
            log.step_total.append(norms.total.cpu())
            if (t + 1) % eval_every == 0 or t + 1 == steps:
                checkpoint(t + 1)
    return log


def training_streams(n_pool: int, n_train: int, seeds: list[int]) -> torch.Tensor:
    """(R, n_train): for run r, ``n_train`` distinct pool indices in random order (seed ``seeds[r]``): a single pass
    over a fresh random draw of the training points (catalog Amb. 7)."""
    if n_train > n_pool:
        raise ValueError(f"n_train={n_train} exceeds the {n_pool} available training images")
    return torch.stack([torch.randperm(n_pool, generator=torch.Generator().manual_seed(int(s) + 10_000))[:n_train]
                        for s in seeds])
