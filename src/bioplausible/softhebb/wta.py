"""SoftHebb soft-WTA layer and its unsupervised training (catalog A.1-A.8, A.10, A.16).

One training step (A.16), with u, y computed from the weights before the step:

    X* = X/||X||_row;  U = X* W^T;  Y = softmax(ln b U + beta)   (hard WTA: onehot(argmax U))
    W <- W + eta_t [Y^T X* - diag(colsum(Y*U)) W]                 (Eq. 9, batch sum)
    Q <- Q + eta_b,t (colmean(Y) - Q);  beta = ln Q                (Eq. 11, EMA form; SoftHebb only)

Variants (``WTAConfig.variant``) -- exactly what each changes:

- ``paper_literal``: the two lines above, nothing else (Eq. 9 + Eq. 11 in EMA form). Table 1 base 1000.
- ``sharp_base``: the SAME rule code path as ``paper_literal``; the only difference is a larger softmax
  base, which the config must state (base >= e^9 is required so a run cannot be mislabelled). Motivation:
  at b = 1000 "every neuron at the data mean" is a stable state on MNIST (ln b must be >~ 11); the
  authors' later code uses inverse temperature 12, i.e. b = e^12.
- ``official_stabilised``: the rule as in the authors' code (``hebblinear.py`` ``HebbSoftLinear``):
  dW is divided by its max-abs entry (``rules.normalise_update``) and each neuron k moves with its own rate
  eta_t * |‖w_k‖ - 1|^power_lr (``rules.radius_lr``); use it with ``init="positive"`` (the code's
  ``weight_init positive``) -- ``WTAConfig.preset("official_stabilised")`` sets that, base e^12 and
  power_lr 0.2 (presets.json ``layer.MLP.default``). Kept from the paper, unlike the code: the prior
  uses the same EMA as the other variants (the code normalises the bias update too), and eta_t follows
  ``schedule`` (the code's adaptive mode uses a constant amplitude).

Initialisations (``init``, with radius r0 = ``init_radius`` = the typical ‖w_k‖ at t = 0):
``gaussian`` w_ik ~ N(0, r0^2/n) (A.5 default); ``positive`` w_ik ~ U(0, r0 sqrt(3/n)) (the official
``positive`` init, whose "radius" R corresponds to r0 = sqrt(R)); ``train_images`` w_k = r0 x*_j for K
distinct training images j drawn with the seed. log-prior beta = ln(1/K).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import torch
from torch import nn

from ..device import resolve_device
from ..io import params_hash
from . import rules

__all__ = [
    "SoftWTA",
    "WTAConfig",
    "label_assignment_accuracy",
    "lr_at",
    "n_distinct_winners",
    "train_wta",
    "winners",
]

SCHEDULES = ("linear", "exponential", "constant")
INITS = ("gaussian", "positive", "train_images")
VARIANTS = ("paper_literal", "official_stabilised", "sharp_base")
R1_TOL = 0.01  # A.10: "radius of 1 +- 0.01"


@dataclass(frozen=True)
class WTAConfig:
    """Every hyperparameter of one SoftHebb / hard-WTA training run (defaults: Table 1, 100-epoch SoftHebb)."""

    K: int = 2000                     # number of WTA neurons
    base: float = 1000.0              # softmax base b; math.inf = hard WTA (A.4)
    lr0: float = 0.03                 # initial learning rate eta_0 (Table 1)
    schedule: str = "linear"          # linear: eta0 (1 - t/T); exponential: max(lr_min, eta0 g^t), g^T = lr_min/eta0
    lr_min: float = 0.0               # exponential schedule floor (Table 1 1-epoch: 0.0055)
    batch_size: int = 128
    epochs: float = 100.0             # planned epochs over the images passed in; fractional allowed
    learn_prior: bool = True          # Eq. 11 (EMA); must be False for hard WTA (Ambiguity 4)
    prior_lr_factor: float = 1.0      # eta_b = prior_lr_factor * eta_t (Ambiguity 3)
    init: str = "gaussian"
    init_radius: float = 0.5          # r0, typical initial ‖w_k‖
    variant: str = "paper_literal"
    power_lr: float = 0.2             # official_stabilised only: lr_k = eta |‖w_k‖-1|^power_lr
    n_probe: int = 10000              # logging only: first n_probe training images for distinct-winner counts
    seed: int = 0

    def __post_init__(self) -> None:
        def bad(field: str, why: str) -> None:
            raise ValueError(f"WTAConfig.{field} = {getattr(self, field)!r}: {why}")

        if isinstance(self.base, str):  # YAML/JSON "inf"
            object.__setattr__(self, "base", float(self.base))
        if not isinstance(self.K, int) or self.K < 1:
            bad("K", "must be an int >= 1")
        if not self.base > 1.0:
            bad("base", "must be > 1 (math.inf for hard WTA)")
        if self.schedule not in SCHEDULES:
            bad("schedule", f"must be one of {SCHEDULES}")
        if self.init not in INITS:
            bad("init", f"must be one of {INITS}")
        if self.variant not in VARIANTS:
            bad("variant", f"must be one of {VARIANTS}")
        if not self.lr0 > 0:
            bad("lr0", "must be > 0")
        if self.schedule == "exponential" and not 0 < self.lr_min <= self.lr0:
            bad("lr_min", "exponential schedule needs 0 < lr_min <= lr0")
        if not isinstance(self.batch_size, int) or self.batch_size < 1:
            bad("batch_size", "must be an int >= 1")
        if not self.epochs > 0:
            bad("epochs", "must be > 0")
        if not self.prior_lr_factor >= 0:
            bad("prior_lr_factor", "must be >= 0")
        if not self.init_radius > 0:
            bad("init_radius", "must be > 0")
        if math.isinf(self.base) and self.learn_prior:
            bad("learn_prior", "hard WTA (base = inf) has no prior (catalog Ambiguity 4); set learn_prior: false")
        if self.variant == "sharp_base" and not self.base >= math.exp(9) - 1e-6:
            bad("base", "variant sharp_base needs base >= e^9 (it differs from paper_literal only by the base)")
        if not self.power_lr > 0:
            bad("power_lr", "must be > 0")
        if not isinstance(self.n_probe, int) or self.n_probe < 1:
            bad("n_probe", "must be an int >= 1")

    @property
    def hard(self) -> bool:
        return math.isinf(self.base)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> "WTAConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise KeyError(f"unknown WTAConfig key(s) {unknown}; known keys: {sorted(known)}")
        return cls(**dict(mapping))

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "WTAConfig":
        """Named starting points; ``overrides`` replace single fields (e.g. epochs, K, init)."""
        presets: dict[str, dict[str, Any]] = {
            # Table 1 read literally (100-epoch SoftHebb column), A.5 init
            "paper_literal": {},
            # the paper rule with the authors' later inverse temperature 12
            "sharp_base": {"variant": "sharp_base", "base": math.exp(12.0)},
            # authors' code: normalised update, radius-dependent lr, positive init, t_invert 12,
            # power_lr 0.2 (presets.json layer.MLP.default), radius R = 35 (2SoftMlpMNIST "r35") -> r0 = sqrt(35)
            "official_stabilised": {"variant": "official_stabilised", "base": math.exp(12.0), "init": "positive",
                                    "init_radius": math.sqrt(35.0), "power_lr": 0.2},
            # Table 1 hard-WTA column
            "hard_wta": {"base": math.inf, "learn_prior": False, "lr0": 0.05},
        }
        if name not in presets:
            raise KeyError(f"unknown preset {name!r}; known: {sorted(presets)}")
        return cls.from_mapping({**presets[name], **overrides})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        return params_hash(self.to_dict())


def lr_at(cfg: WTAConfig, step: int, total_steps: int) -> float:
    """eta_t for optimizer step t = 0..T-1 (A.7)."""
    if cfg.schedule == "constant":
        return cfg.lr0
    if cfg.schedule == "linear":
        return cfg.lr0 * (1.0 - step / total_steps)
    gamma = (cfg.lr_min / cfg.lr0) ** (1.0 / total_steps)
    return max(cfg.lr_min, cfg.lr0 * gamma**step)


def _as_unit_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 pixels -> float in [0, 1]; float input is taken as already in [0, 1]."""
    if x.dtype == torch.uint8:
        return x.float().div_(255.0)
    return x if x.is_floating_point() else x.float()


class SoftWTA(nn.Module):
    """Soft winner-take-all layer: y = softmax(ln b * (W x*) + beta), x* = x/||x|| computed inside.

    ``weight`` (K, n) and ``log_prior`` (K,) are buffers: no autograd parameter, no optimizer; they change
    only through ``train_wta`` (forward never edits them). Input gradients flow through forward (attacks).
    """

    def __init__(self, n_in: int, K: int, base: float) -> None:
        super().__init__()
        if not base > 1.0:
            raise ValueError(f"base must be > 1 or math.inf, got {base!r}")
        self.n_in, self.K, self.base = int(n_in), int(K), float(base)
        self.register_buffer("weight", torch.zeros(K, n_in))
        self.register_buffer("log_prior", torch.full((K,), -math.log(K)))

    @property
    def hard(self) -> bool:
        return math.isinf(self.base)

    def extra_repr(self) -> str:
        return f"n_in={self.n_in}, K={self.K}, base={self.base:g}"

    def _flat_unit(self, x: torch.Tensor) -> torch.Tensor:
        x = _as_unit_float(x).reshape(x.shape[0], -1)  # (N, n)
        if x.shape[1] != self.n_in:
            raise ValueError(f"input has {x.shape[1]} features per example, layer expects {self.n_in}")
        return rules.normalise_input(x)

    def pre_activation(self, x: torch.Tensor) -> torch.Tensor:
        """u = W x*, (N, ...) raw [0,1] (or uint8) images -> (N, K)."""
        return self._flat_unit(x) @ self.weight.t()

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """ln b * u + beta (soft) or u (hard); argmax = the winner (A.8-1)."""
        u = self.pre_activation(x)
        return u if self.hard else math.log(self.base) * u + self.log_prior

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y (N, K): soft-WTA posterior, or one-hot argmax u for hard WTA."""
        return rules.soft_wta_activation(self.pre_activation(x), None if self.hard else self.log_prior, self.base)


# ---------------------------------------------------------------------------------------------- init


def _init_weight(cfg: WTAConfig, data: torch.Tensor) -> torch.Tensor:
    """Initial W (K, n) on CPU from ``cfg.seed`` (device-independent)."""
    n = data.shape[1]
    g = torch.Generator().manual_seed(cfg.seed)
    r0 = cfg.init_radius
    if cfg.init == "gaussian":
        return torch.randn(cfg.K, n, generator=g) * (r0 / math.sqrt(n))
    if cfg.init == "positive":
        return torch.rand(cfg.K, n, generator=g) * (r0 * math.sqrt(3.0 / n))
    if cfg.K > data.shape[0]:
        raise ValueError(f"init train_images needs K <= number of images ({cfg.K} > {data.shape[0]})")
    idx = torch.randperm(data.shape[0], generator=g)[: cfg.K]
    return r0 * rules.normalise_input(_as_unit_float(data[idx.to(data.device)]).cpu())


def _epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """Per-epoch reshuffle, a pure function of (seed, epoch) so a resumed run sees the same order."""
    g = torch.Generator().manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=g)


# --------------------------------------------------------------------------------------------- metrics


@torch.no_grad()
def winners(model: SoftWTA, images: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Winner index argmax_k (ln b u_k + beta_k) (hard: argmax u) per image, int64 CPU tensor (N,)."""
    dev = model.weight.device
    out = [model.logits(images[i:i + batch_size].to(dev)).argmax(dim=1).cpu()
           for i in range(0, images.shape[0], batch_size)]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


def n_distinct_winners(model: SoftWTA, images: torch.Tensor, batch_size: int = 1000) -> int:
    """How many different neurons win at least one of ``images``."""
    return int(winners(model, images, batch_size).unique().numel())


def label_assignment_accuracy(model: SoftWTA, train_images: torch.Tensor, train_labels: torch.Tensor,
                              test_images: torch.Tensor, test_labels: torch.Tensor, *,
                              batch_size: int = 1000, n_classes: int | None = None) -> float:
    """1-layer read-out (A.8-1): neuron k -> most frequent label among the training images it wins
    (ties -> lowest label); test prediction = label of the winner; a winner that never won on the
    training set has no label and counts as an error. Returns the test accuracy in [0, 1]."""
    train_labels, test_labels = train_labels.long().cpu(), test_labels.long().cpu()
    c = int(n_classes or int(max(train_labels.max(), test_labels.max())) + 1)
    w_tr = winners(model, train_images, batch_size)
    counts = torch.bincount(w_tr * c + train_labels, minlength=model.K * c).reshape(model.K, c)
    label = counts.argmax(dim=1)
    label[counts.sum(dim=1) == 0] = -1
    pred = label[winners(model, test_images, batch_size)]
    return float((pred == test_labels).double().mean())


def _weight_stats(w: torch.Tensor) -> dict[str, float]:
    norms = w.norm(dim=1)
    return {"norm_mean": float(norms.mean()), "norm_min": float(norms.min()), "norm_max": float(norms.max()),
            "r1": int(((norms - 1.0).abs() <= R1_TOL).sum())}


# -------------------------------------------------------------------------------------------- training


def train_wta(images_uint8: torch.Tensor, cfg: WTAConfig, *, device: str | torch.device = "cpu",
              log_every_steps: int | None = None, checkpointer: Any = None, progress: bool = True,
              callback: Callable[[SoftWTA, dict[str, Any]], None] | None = None,
              ) -> tuple[SoftWTA, list[dict[str, Any]]]:
    """Train a SoftWTA layer on ``images_uint8`` (N, ...) uint8 for ``cfg.epochs`` epochs (A.16).

    The whole uint8 set is moved to ``device`` once; each batch is converted to float there. Steps per
    epoch = ceil(N / batch_size) (the last batch of an epoch may be short; the update sums over it), total
    steps T = max(1, round(epochs * steps_per_epoch)); the lr schedule runs over T. Order: per-epoch
    permutation from (seed, epoch).

    Log: one dict at step 0, at the end of every epoch, at the last step, and every ``log_every_steps``
    steps: step, epoch, lr (of the last step taken), distinct_winners on the first ``cfg.n_probe`` images,
    norm_mean/min/max, r1 (|‖w_k‖-1| <= 0.01), mean_max_y (mean over the probe of max_k y_k).

    ``callback(model, entry)`` is called after each log entry (e.g. to evaluate a read-out at epoch 1 of
    a longer run); it must not modify the model.

    ``checkpointer``: a ``bioplausible.training.Checkpointer`` (its config_hash is the caller's; include
    ``cfg.hash()`` and the data identity in it). Resumes from its file if present; saves
    {"model", "log"} at its cadence and at the end.
    """
    if images_uint8.dtype != torch.uint8:
        raise TypeError(f"train_wta expects uint8 images, got {images_uint8.dtype}")
    dev = resolve_device(device) if isinstance(device, str) else torch.device(device)
    data = images_uint8.reshape(images_uint8.shape[0], -1).to(dev)  # (N, n) uint8
    N, n = data.shape
    B = cfg.batch_size
    steps_per_epoch = math.ceil(N / B)
    total = max(1, round(cfg.epochs * steps_per_epoch))

    model = SoftWTA(n, cfg.K, cfg.base).to(dev)
    model.weight.copy_(_init_weight(cfg, data).to(dev))
    probe = data[: min(cfg.n_probe, N)]
    log: list[dict[str, Any]] = []
    start = 0
    if checkpointer is not None:
        resumed = checkpointer.resume()
        if resumed is not None:
            start, state = resumed
            model.load_state_dict(state["model"])
            log = list(state["log"])

    ln_b = math.log(cfg.base) if not cfg.hard else math.inf
    q = model.log_prior.exp()  # Q = e^beta, (K,)
    stabilised = cfg.variant == "official_stabilised"
    W, beta = model.weight, model.log_prior

    def record(step: int, lr: float) -> None:
        with torch.no_grad():
            lg = torch.cat([model.logits(probe[i:i + 1000]) for i in range(0, probe.shape[0], 1000)])
            y_max = 1.0 if cfg.hard else float(torch.softmax(lg, dim=1).amax(dim=1).mean())
            entry = {"step": step, "epoch": step / steps_per_epoch, "lr": lr,
                     "distinct_winners": int(lg.argmax(dim=1).unique().numel()), "mean_max_y": y_max,
                     **_weight_stats(W)}
        log.append(entry)
        if callback is not None:
            callback(model, entry)

    if start == 0 and not log:
        record(0, lr_at(cfg, 0, total))

    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total, initial=start, desc=f"SoftWTA {cfg.variant} b={cfg.base:.3g}", unit="step")

    perm, perm_epoch = None, -1
    lr = lr_at(cfg, start, total)
    with torch.no_grad():
        for t in range(start, total):
            epoch, i = divmod(t, steps_per_epoch)
            if epoch != perm_epoch:
                perm, perm_epoch = _epoch_permutation(cfg.seed, epoch, N).to(dev), epoch
            idx = perm[i * B:(i + 1) * B]
            x_star = rules.normalise_input(data[idx].float().div_(255.0))  # (b, n)
            u = x_star @ W.t()                                            # (b, K)
            if cfg.hard:
                y = torch.zeros_like(u).scatter_(1, u.argmax(dim=1, keepdim=True), 1.0)
            else:
                y = torch.softmax(u.mul(ln_b).add_(beta), dim=1)
            lr = lr_at(cfg, t, total)
            if stabilised:
                dw = rules.normalise_update(rules.soft_wta_update(x_star, u, y, W))
                W.add_(rules.radius_lr(W, lr, cfg.power_lr).unsqueeze(1) * dw)
            else:
                rules.apply_soft_wta_update_(W, x_star, u, y, lr)
            if cfg.learn_prior:
                q = rules.prior_update(q, y, cfg.prior_lr_factor * lr)
                torch.log(q, out=beta)
            done = t + 1
            if bar is not None:
                bar.update(1)
            if (done % steps_per_epoch == 0 or done == total
                    or (log_every_steps and done % log_every_steps == 0)):
                record(done, lr)
                if bar is not None:
                    bar.set_postfix(winners=log[-1]["distinct_winners"], r1=log[-1]["r1"])
            if checkpointer is not None:
                checkpointer.maybe_save(done, lambda: {"model": model.state_dict(), "log": list(log)})
    if bar is not None:
        bar.close()
    if checkpointer is not None and start < total:
        checkpointer.save(total, {"model": model.state_dict(), "log": list(log)})
    return model, log
