"""The self-assembling learning circuit (SAL; Liao et al. 2024, Sec. 2, Alg. 1) in the catalog's canonical form (A0-A4).

Upstream (inference) layers h_0 = x, h_1 … h_{L-2} (ReLU), h_{L-1} = ŷ (linear logits); W_i maps h_i → z_{i+1}.
The error module gives the top downstream site h̄_{L-1} = ε = −∂F/∂ŷ (per example). The downstream stream runs down the
hidden sites j = L-2 … 1:

    h̄_j = D_d( W̄_j h̄_{j+1} )          D_d: identity (default), relu_jacobian_V (eq. 4: gate 1[V_j h_j > 0]), relu, tanh

and the four synapse types of every hidden site are updated, with batch means ⟨·⟩, per-synapse rates η_X and one decay γ
(decay inside the bracket, Ambiguity 8), all increments computed before any matrix changes:

    W_i    += η_W    ( ⟨ (V̄_i h̄_{i+1}) h_iᵀ ⟩     − γ W_i )      V̄ of the top site is the identity: ⟨ε h_{L-2}ᵀ⟩
    V_j    += η_V    ( ⟨ h̄_j h_jᵀ ⟩               − γ V_j )
    W̄_j    += η_W̄    ( ⟨ (V_j h_j) h̄_{j+1}ᵀ ⟩     − γ W̄_j )
    V̄_i    += η_V̄    ( ⟨ h_{i+1} h̄_{i+1}ᵀ ⟩       − γ V̄_i )      h_{i+1} post-ReLU (eq. 8); ``vbar_post=False``: z_{i+1}

Shapes (d = upstream widths, d̄ = downstream widths of the hidden sites): W_i d_{i+1}×d_i, W̄_j d̄_j×d̄_{j+1},
V_j d̄_j×d_j, V̄_i d_{i+1}×d̄_{i+1}. Which of V, W̄, V̄ are plastic is configuration (Fig. 4's ablation); W always is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F

__all__ = ["DD_OPTIONS", "SYNAPSES", "CircuitConfig", "Circuit", "output_error", "upstream_pass"]

DD_OPTIONS = ("identity", "relu_jacobian_V", "relu", "tanh")
SYNAPSES = ("W", "V", "Wbar", "Vbar")


def output_error(logits: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """ε = −∂F/∂ŷ per example (A2): CE onehot − softmax; BCE (multi-label) y − σ(ŷ); MSE 2(y − ŷ)."""
    if loss == "ce":
        return F.one_hot(targets, logits.shape[1]).to(logits.dtype) - torch.softmax(logits, 1)
    if loss == "bce":
        return targets.to(logits.dtype) - torch.sigmoid(logits)
    if loss == "mse":
        return 2.0 * (F.one_hot(targets, logits.shape[1]).to(logits.dtype) - logits)
    raise ValueError(f"loss {loss!r}: expected 'ce', 'bce' or 'mse'")


def gaussian(rows: int, cols: int, var: float, generator: torch.Generator, dtype=torch.float32,
             device="cpu") -> torch.Tensor:
    """A rows × cols N(0, var) matrix, drawn in float64 from ``generator`` (the same numbers whatever the dtype)."""
    return (torch.randn(rows, cols, generator=generator, dtype=torch.float64) * math.sqrt(var)).to(dtype).to(device)


def forward_weights(widths: Sequence[int], generator: torch.Generator, dtype=torch.float32, device="cpu") -> list:
    """W_0 … W_{L-2}, Kaiming-normal N(0, 2/d_in) [catalog A5], drawn first by every algorithm: one seed, one W(0)."""
    return [gaussian(widths[i + 1], widths[i], 2.0 / widths[i], generator, dtype, device) for i in range(len(widths) - 1)]


def upstream_pass(weights: Sequence[torch.Tensor], x: torch.Tensor) -> tuple[list, list]:
    """The bias-free ReLU MLP every algorithm shares: activities h_0 … h_{L-1} (ReLU hidden, linear output) and
    pre-activations z_1 … z_{L-1} (index 0: None)."""
    hs, zs = [x], [None]
    for i, w in enumerate(weights):
        z = hs[-1] @ w.t()
        zs.append(z)
        hs.append(torch.relu(z) if i < len(weights) - 1 else z)
    return hs, zs


@dataclass(frozen=True)
class CircuitConfig:
    widths: tuple[int, ...]                 # upstream: input, hidden…, classes (the paper's "5-layer MLP": 5 entries)
    down_widths: tuple[int, ...] | None = None   # hidden downstream widths (None = the upstream ones)
    dd: str = "identity"
    vbar_post: bool = True
    plastic: tuple[str, ...] = ("V", "Wbar", "Vbar")   # W is always plastic
    rates: dict = field(default_factory=lambda: {"W": 0.03, "V": 0.003, "Wbar": 0.03, "Vbar": 0.03})
    gamma: float = 1e-3
    loss: str = "ce"

    def __post_init__(self) -> None:
        if len(self.widths) < 3:
            raise ValueError(f"widths {self.widths}: need input, at least one hidden layer, output")
        hidden = len(self.widths) - 2
        if self.down_widths is not None and len(self.down_widths) != hidden:
            raise ValueError(f"down_widths {self.down_widths}: need one width per hidden layer ({hidden})")
        if self.dd not in DD_OPTIONS:
            raise ValueError(f"dd {self.dd!r}: expected one of {DD_OPTIONS}")
        bad = [p for p in self.plastic if p not in ("V", "Wbar", "Vbar")]
        if bad:
            raise ValueError(f"plastic {bad}: only V, Wbar, Vbar can be frozen or plastic (W always learns)")
        missing = [s for s in SYNAPSES if s not in self.rates]
        if missing:
            raise ValueError(f"rates: missing {missing} (need {SYNAPSES})")

    @property
    def hidden_down(self) -> tuple[int, ...]:
        return tuple(self.down_widths) if self.down_widths is not None else tuple(self.widths[1:-1])


class Circuit:
    """The four synapse sets and one SAL step. Lists are indexed by layer: ``W[i]`` (i = 0 … L-2), and by hidden site
    j = 1 … L-2 as ``Wbar[j-1]``, ``V[j-1]``; ``Vbar[i]`` (i = 0 … L-3) feeds upstream site i+1."""

    def __init__(self, cfg: CircuitConfig, generator: torch.Generator, dtype=torch.float32, device="cpu") -> None:
        self.cfg = cfg
        d, db = list(cfg.widths), list(cfg.hidden_down)
        dbar = [None] + db + [d[-1]]          # dbar[j] for sites j = 1 … L-1 (top: the error, K wide)

        def normal(rows: int, cols: int, var: float) -> torch.Tensor:
            return gaussian(rows, cols, var, generator, dtype, device)

        L = len(d)
        # A5 [catalog default]: W Kaiming-normal N(0, 2/d_in); the others LeCun-normal N(0, 1/fan_in); independent
        self.W = forward_weights(d, generator, dtype, device)
        self.Wbar = [normal(dbar[j], dbar[j + 1], 1.0 / dbar[j + 1]) for j in range(1, L - 1)]
        self.V = [normal(dbar[j], d[j], 1.0 / d[j]) for j in range(1, L - 1)]
        self.Vbar = [normal(d[i + 1], dbar[i + 1], 1.0 / dbar[i + 1]) for i in range(L - 2)]

    @property
    def n_layers(self) -> int:
        return len(self.cfg.widths)

    def matrices(self) -> dict[str, list[torch.Tensor]]:
        return {"W": self.W, "V": self.V, "Wbar": self.Wbar, "Vbar": self.Vbar}

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        return upstream_pass(self.W, x)

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)[0][-1]

    def downstream(self, eps: torch.Tensor, hs: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """h̄_1 … h̄_{L-1} (index = site; index 0 unused): h̄_{L-1} = ε, then D_d(W̄_j h̄_{j+1}) down to site 1."""
        L = self.n_layers
        hbar: list = [None] * L
        hbar[L - 1] = eps
        for j in range(L - 2, 0, -1):
            a = hbar[j + 1] @ self.Wbar[j - 1].t()
            dd = self.cfg.dd
            if dd == "identity":
                hbar[j] = a
            elif dd == "relu_jacobian_V":
                hbar[j] = a * (hs[j] @ self.V[j - 1].t() > 0).to(a.dtype)
            elif dd == "relu":
                hbar[j] = torch.relu(a)
            else:
                hbar[j] = torch.tanh(a)
        return hbar

    def increments(self, x: torch.Tensor, targets: torch.Tensor) -> tuple[dict[str, list], torch.Tensor]:
        """The data terms of the four rules (batch means), from one upstream and one downstream pass, and the logits."""
        hs, zs = self.forward(x)
        eps = output_error(hs[-1], targets, self.cfg.loss)
        hbar = self.downstream(eps, hs)
        n = x.shape[0]
        L = self.n_layers
        teach = [hbar[i + 1] @ self.Vbar[i].t() for i in range(L - 2)] + [eps]     # input to upstream site i+1
        inc = {
            "W": [teach[i].t() @ hs[i] / n for i in range(L - 1)],
            "V": [hbar[j].t() @ hs[j] / n for j in range(1, L - 1)],
            "Wbar": [(hs[j] @ self.V[j - 1].t()).t() @ hbar[j + 1] / n for j in range(1, L - 1)],
            "Vbar": [(hs[i + 1] if self.cfg.vbar_post else zs[i + 1]).t() @ hbar[i + 1] / n for i in range(L - 2)],
        }
        return inc, hs[-1]

    @torch.no_grad()
    def step(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """One SAL update on a batch; returns the logits (computed before the update)."""
        inc, logits = self.increments(x, targets)
        gamma = self.cfg.gamma
        for name, mats in self.matrices().items():
            if name != "W" and name not in self.cfg.plastic:
                continue
            rate = float(self.cfg.rates[name])
            for m, d in zip(mats, inc[name]):
                m.add_(d - gamma * m, alpha=rate)
        return logits
