"""The baselines of Table 1 on the same bias-free ReLU MLP as SAL (catalog A8). They differ only in how the error goes
down and whether the feedback matrices B_j (d_j × d_{j+1}, one per hidden layer j) learn:

    δ_{L-1} = ε = −∂F/∂ŷ;   δ_j = 1[z_j > 0] ⊙ (M_j δ_{j+1}),   W_i += η ( ⟨δ_{i+1} h_iᵀ⟩ − γ W_i )

- SGD (back-propagation): M_j = W_jᵀ.
- FA (Lillicrap et al. 2016): M_j = B_j, fixed random.
- KP (Kolen & Pollack 1994): M_j = B_j and B_j += η ( ⟨h_j δ_{j+1}ᵀ⟩ − γ B_j ), so B_j − W_jᵀ decays as (1 − ηγ)^t.
- WM (weight mirror, Akrout et al. 2019): FA's learning step, then a mirror step per batch: noise ξ ~ N(0, σ²I) sent
  through W_j, B_j += η_B ⟨ξ (W_j ξ)ᵀ⟩ − λ B_j with λ = η_B σ², so B_j → W_jᵀ in expectation.

The weights W are drawn exactly as ``Circuit`` draws them (same generator order), so every algorithm starts from the
same W(0) for one seed.
"""

from __future__ import annotations

import torch

from .circuit import forward_weights, gaussian, output_error, upstream_pass

__all__ = ["BASELINES", "FeedbackMLP"]

BASELINES = ("sgd", "fa", "kp", "wm")


class FeedbackMLP:
    def __init__(self, widths, kind: str, generator: torch.Generator, *, lr: float, gamma: float, loss: str = "ce",
                 wm_noise: float = 0.1, wm_lr: float = 0.01, dtype=torch.float32, device="cpu") -> None:
        if kind not in BASELINES:
            raise ValueError(f"baseline {kind!r}: expected one of {BASELINES}")
        self.kind, self.lr, self.gamma, self.loss = kind, float(lr), float(gamma), loss
        self.wm_noise, self.wm_lr = float(wm_noise), float(wm_lr)
        self.generator = generator
        d = list(widths)
        L = len(d)

        self.W = forward_weights(d, generator, dtype, device)
        # B_j for hidden layers j = 1 … L-2, drawn like W_jᵀ [catalog default]; unused by SGD
        self.B = [gaussian(d[j], d[j + 1], 2.0 / d[j], generator, dtype, device) for j in range(1, L - 1)]

    def forward(self, x):
        return upstream_pass(self.W, x)

    def predict(self, x):
        return self.forward(x)[0][-1]

    @torch.no_grad()
    def step(self, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        hs, zs = self.forward(x)
        L = len(hs)
        delta: list = [None] * L
        delta[L - 1] = output_error(hs[-1], targets, self.loss)
        for j in range(L - 2, 0, -1):
            back = self.W[j] if self.kind == "sgd" else self.B[j - 1].t()      # (d_{j+1} × d_j)
            delta[j] = (delta[j + 1] @ back) * (zs[j] > 0).to(x.dtype)
        n = x.shape[0]
        grads = [delta[i + 1].t() @ hs[i] / n for i in range(L - 1)]
        if self.kind == "kp":
            b_inc = [hs[j].t() @ delta[j + 1] / n for j in range(1, L - 1)]
        for w, g in zip(self.W, grads):
            w.add_(g - self.gamma * w, alpha=self.lr)
        if self.kind == "kp":
            for b, g in zip(self.B, b_inc):
                b.add_(g - self.gamma * b, alpha=self.lr)
        elif self.kind == "wm":
            self.mirror(n)
        return hs[-1]

    def mirror(self, n_noise: int) -> None:
        """One weight-mirror step on every feedback matrix (Akrout et al.'s mirror mode after each batch)."""
        decay = self.wm_lr * self.wm_noise ** 2
        for j, b in enumerate(self.B, start=1):
            xi = torch.randn(n_noise, b.shape[0], generator=self.generator, dtype=torch.float64).to(b) * self.wm_noise
            out = xi @ self.W[j].t()
            b.mul_(1 - decay).add_(xi.t() @ out / n_noise, alpha=self.wm_lr)
