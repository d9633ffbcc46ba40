"""Matrix diagnostics of Fig. 3 (Liao et al. 2024, Sec. 3.3) and of Lemma 1's self-assembly (catalog A10.1, A11).

- Gram matrices in upstream-neuron space: G_W = W Wᵀ and H = V̄ V̄ᵀ (the "matrix learning rate" of Theorem 1).
- Off-diagonal dominance ratio (catalog sa_fig3a): ρ(G) = mean_{i≠j} |G_ij| / mean_i G_ii. For an i.i.d. Gaussian
  matrix with n columns ρ(A Aᵀ) ≈ √(2/π)/√n (≈ 0.10 for n = 60); "neurons become correlated" = ρ grows.
- Correlation normalisation: C_ij = G_ij / √(G_ii G_jj) (unit diagonal), for the heatmaps.
- Effective rank (Roy & Vetterli 2007): p_i = σ_i / Σ_j σ_j, erank(A) = exp(−Σ_i p_i log p_i) (0 log 0 = 0).
- Alignment cosine of Lemma 1: cos(vec V_k, vec V̄_kᵀ). In the circuit's lists ``V[k]`` (d̄×d, hidden site k+1) pairs
  with ``Vbar[k]`` (d×d̄, feeding upstream site k+1); the increments of the two are the same matrix ⟨h̄ hᵀ⟩, so with
  η_V = η_V̄ their difference decays as (1 − ηγ)^t (Lemma 1).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch

__all__ = ["gram", "offdiag_ratio", "correlation", "effective_rank", "singular_values", "alignment_cosine",
           "site_alignment", "site_stats"]


def _matrix(a, name: str) -> torch.Tensor:
    t = torch.as_tensor(a, dtype=torch.float64)
    if t.dim() != 2:
        raise ValueError(f"{name}: expected a matrix (2 dimensions), got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name}: has non-finite entries")
    return t


def gram(a) -> torch.Tensor:
    """A Aᵀ (rows × rows) in float64."""
    t = _matrix(a, "gram: A")
    return t @ t.t()


def _square(g, name: str) -> torch.Tensor:
    t = _matrix(g, name)
    if t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValueError(f"{name}: expected a square matrix of size >= 2, got shape {tuple(t.shape)}")
    return t


def offdiag_ratio(g) -> float:
    """ρ = mean_{i≠j} |G_ij| / mean_i G_ii (a Gram matrix: positive diagonal)."""
    t = _square(g, "offdiag_ratio: G")
    n = t.shape[0]
    diag = torch.diagonal(t)
    mean_diag = float(diag.mean())
    if not mean_diag > 0:
        raise ValueError(f"offdiag_ratio: G: mean diagonal {mean_diag} is not positive (not a Gram matrix?)")
    off = (t.abs().sum() - diag.abs().sum()) / (n * (n - 1))
    return float(off) / mean_diag


def correlation(g) -> torch.Tensor:
    """C_ij = G_ij / √(G_ii G_jj)."""
    t = _square(g, "correlation: G")
    diag = torch.diagonal(t)
    if not bool((diag > 0).all()):
        bad = torch.nonzero(diag <= 0).flatten().tolist()
        raise ValueError(f"correlation: G: diagonal entries {bad[:5]} are not positive")
    s = diag.sqrt()
    return t / (s[:, None] * s[None, :])


def singular_values(a) -> torch.Tensor:
    """σ_1 ≥ σ_2 ≥ … (float64)."""
    return torch.linalg.svdvals(_matrix(a, "singular_values: A"))


def effective_rank(a) -> float:
    """Roy & Vetterli's effective rank exp(H(p)), p_i = σ_i / Σ σ (between 1 and min(shape))."""
    s = singular_values(a)
    total = float(s.sum())
    if not total > 0:
        raise ValueError("effective_rank: A is the zero matrix (no singular value is positive)")
    p = s / total
    p = p[p > 0]
    return math.exp(float(-(p * p.log()).sum()))


def alignment_cosine(a, b) -> float:
    """cos(vec A, vec B) for two matrices of the same shape."""
    x, y = _matrix(a, "alignment_cosine: A"), _matrix(b, "alignment_cosine: B")
    if x.shape != y.shape:
        raise ValueError(f"alignment_cosine: shapes differ: A {tuple(x.shape)} vs B {tuple(y.shape)}")
    nx, ny = float(x.norm()), float(y.norm())
    if nx == 0 or ny == 0:
        raise ValueError("alignment_cosine: a matrix is zero (the cosine is undefined)")
    return float((x * y).sum()) / (nx * ny)


def site_alignment(mats: Mapping[str, Sequence[torch.Tensor]]) -> list[float]:
    """Lemma 1 per hidden site: cos(vec V[k], vec Vbar[k]ᵀ) for k = 0 … (hidden sites − 1)."""
    V, Vbar = mats["V"], mats["Vbar"]
    if len(V) != len(Vbar):
        raise ValueError(f"site_alignment: {len(V)} V matrices but {len(Vbar)} Vbar matrices")
    return [alignment_cosine(v, vb.t()) for v, vb in zip(V, Vbar)]


def site_stats(mats: Mapping[str, Sequence[torch.Tensor]]) -> dict[str, list[float]]:
    """Per hidden site k (upstream site k+1): ρ(H = V̄_k V̄_kᵀ), ρ(W_k W_kᵀ), erank(W_k), erank(W̄_k) and
    cos(V_k, V̄_kᵀ). ``W[k]`` maps h_k → h_{k+1}, so W_k W_kᵀ and H live in the same neuron space."""
    n = len(mats["Vbar"])
    return {
        "rho_H": [offdiag_ratio(gram(mats["Vbar"][k])) for k in range(n)],
        "rho_WWt": [offdiag_ratio(gram(mats["W"][k])) for k in range(n)],
        "erank_W": [effective_rank(mats["W"][k]) for k in range(n)],
        "erank_Wbar": [effective_rank(mats["Wbar"][k]) for k in range(n)],
        "cos_V_Vbar": site_alignment(mats),
    }
