"""SoftHebb learning rules (Moraitis et al., Neuromorph. Comput. Eng. 2:044017, 2022), as pure functions.

Catalog ``shared/papers/softhebb.catalog.md`` A.1-A.4, A.16. Symbols: x* = x/||x||_2 (rows of X*, B x n),
W (K x n, row w_k), u_k = w_k . x* (U = X* W^T, B x K), y = soft-WTA posterior (Y, B x K),
beta_k = ln Q(C_k) the log-prior (natural-log units), b the softmax base.

    activation (Eq. 13 with w_0k = beta_k / ln b, A.1):   y = softmax(ln(b) u + beta)
    weights    (Eq. 9, Algorithm 1; batch = sum, A.2):     dW = Y^T X* - diag(sum_batch y*u) W
    prior      (Eq. 11 as printed, A.3):                   dw_0k = eta e^{-w_0k} (y_k - e^{w_0k})
    prior      (EMA form of Eq. 11 on Q = e^{w_0}, A.3):  Q <- Q + eta_b (mean_batch(y) - Q)

Departures from the equations live ONLY in the two "official-code stabilisers" at the bottom
(``normalise_update``, ``radius_lr``); they are what ``NeuromorphicComputing/SoftHebb`` ``hebblinear.py``
adds (``delta_weight`` divides by the max-abs entry; ``update_lr`` uses lr*|‖w_k‖-1|^power_lr) and are
used only by the ``official_stabilised`` variant (``wta.py``).

``normalise_input`` and ``soft_wta_activation`` have no parameters and stay differentiable (the
forward pass of the model must carry input gradients for attacks); every plasticity function runs under
``torch.no_grad()`` and returns new tensors without touching its arguments, except
``apply_soft_wta_update_`` whose trailing underscore says it edits ``w`` in place.
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "apply_soft_wta_update_",
    "normalise_input",
    "normalise_update",
    "prior_update",
    "prior_update_literal",
    "radius_lr",
    "soft_wta_activation",
    "soft_wta_update",
]

_EPS = 1e-12


def normalise_input(x: torch.Tensor) -> torch.Tensor:
    """x* = x / ||x||_2 per row, shape (N, n) -> (N, n). An all-zero row stays all-zero (no NaN)."""
    if x.dim() != 2:
        raise ValueError(f"normalise_input expects (N, n), got shape {tuple(x.shape)}")
    return x / x.norm(dim=1, keepdim=True).clamp_min(_EPS)


def soft_wta_activation(u: torch.Tensor, log_prior: torch.Tensor | None, base: float) -> torch.Tensor:
    """y = softmax(ln(base) * u + log_prior) row-wise (A.1); base = inf -> one-hot argmax_k u (A.4).

    u: (N, K); log_prior: (K,) natural-log prior beta = ln Q, or None for a flat prior. With base = inf the
    prior is ignored (hard WTA has no prior, catalog Ambiguity 4); ties go to the lowest index.
    """
    if not base > 1.0:
        raise ValueError(f"softmax base must be > 1 (or math.inf for hard WTA), got {base!r}")
    if math.isinf(base):
        return torch.nn.functional.one_hot(u.argmax(dim=1), u.shape[1]).to(u.dtype)
    logits = math.log(base) * u
    if log_prior is not None:
        logits = logits + log_prior
    return torch.softmax(logits, dim=1)


@torch.no_grad()
def soft_wta_update(x_star: torch.Tensor, u: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Eq. 9 batched (sum over the batch), no learning rate:

        dW = Y^T X* - diag(sum_n y_k^n u_k^n) W,   i.e.  dw_ik = sum_n y_k^n (x*_i^n - u_k^n w_ik)

    x_star: (B, n); u, y: (B, K) computed with ``w`` (K, n) before any update. Returns dW (K, n).
    """
    if x_star.shape[0] != u.shape[0] or u.shape != y.shape or w.shape != (u.shape[1], x_star.shape[1]):
        raise ValueError(f"shape mismatch: x* {tuple(x_star.shape)}, u {tuple(u.shape)}, y {tuple(y.shape)}, "
                         f"w {tuple(w.shape)}; expected (B,n), (B,K), (B,K), (K,n)")
    yu = (y * u).sum(dim=0)                      # (K,)
    return y.t() @ x_star - yu.unsqueeze(1) * w  # (K, n)


@torch.no_grad()
def apply_soft_wta_update_(w: torch.Tensor, x_star: torch.Tensor, u: torch.Tensor, y: torch.Tensor,
                           lr: float) -> torch.Tensor:
    """In place: W <- W + lr * soft_wta_update(x*, u, y, W), fused as

        W <- diag(1 - lr * sum_n y*u) W + lr * Y^T X*

    (same arithmetic, no (K, n) temporary besides the matmul; used by the training loop's fast path).
    Returns ``w``.
    """
    yu = (y * u).sum(dim=0)
    w.mul_((1.0 - lr * yu).unsqueeze(1))
    if y.shape[0] == 1:
        w.addr_(y[0], x_star[0], alpha=lr)
    else:
        w.addmm_(y.t(), x_star, alpha=lr)
    return w


@torch.no_grad()
def prior_update(q: torch.Tensor, y: torch.Tensor, lr: float) -> torch.Tensor:
    """EMA form of Eq. 11 on Q = e^{w_0} (A.3):  Q_new = Q + lr * (mean_batch(y) - Q).

    q: (K,) with sum 1; y: (B, K) softmax outputs (rows sum to 1), so sum Q_new = 1 exactly (in exact
    arithmetic) and Q_new > 0 for 0 <= lr < 1. Fixed point: Q = E[y].
    """
    if not 0.0 <= lr <= 1.0:
        raise ValueError(f"prior EMA rate must be in [0, 1], got {lr}")
    return q + lr * (y.mean(dim=0) - q)


@torch.no_grad()
def prior_update_literal(w0: torch.Tensor, y: torch.Tensor, lr: float) -> torch.Tensor:
    """Eq. 11 as printed, summed over the batch:  w0_new = w0 + lr * sum_n e^{-w0} (y^n - e^{w0}).

    Unstable at K = 2000 with lr = 0.03 and a batch sum (e^{-w0} = K at init; A.3); kept for tests and the
    literal-vs-EMA comparison only.
    """
    return w0 + lr * (torch.exp(-w0) * (y - torch.exp(w0))).sum(dim=0)


# ---- official-code stabilisers (NOT in the paper's equations; variant ``official_stabilised`` only) ----

@torch.no_grad()
def normalise_update(dw: torch.Tensor) -> torch.Tensor:
    """dW / max|dW| over the whole layer (hebblinear.py ``delta_weight``); an all-zero dW stays zero."""
    return dw / dw.abs().amax().clamp_min(1e-30)


@torch.no_grad()
def radius_lr(w: torch.Tensor, lr: float, power: float) -> torch.Tensor:
    """Per-neuron rate lr_k = lr * |‖w_k‖_2 - 1|^power, shape (K,) (hebblinear.py ``update_lr``, which adds
    1e-10 inside the power; so do we). Neurons on the unit sphere stop learning."""
    return lr * ((w.norm(dim=1) - 1.0).abs() + 1e-10).pow(power)
