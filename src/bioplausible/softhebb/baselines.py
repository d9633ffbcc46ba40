"""Unsupervised baselines of SoftHebb (Fig. 6): K-means and PCA features with a linear read-out.

Paper: Moraitis et al., "SoftHebb" (Neuromorph. Comput. Eng. 2022), Sec. 3.5; catalog
``shared/papers/softhebb.catalog.md`` A.12 and Ambiguity 21. "We used 100 neurons, principal components, or
centroids respectively"; the learned coefficients are "weight vectors of neurons" followed by an activation.

- ``kmeans``: Lloyd's algorithm; init = k distinct training points drawn at random (the paper's "100 randomly
  sampled datapoints", = sklearn ``KMeans(init='random', n_init=1)``). Stops when no assignment changes or
  after ``iters`` iterations. Departure from sklearn: an empty cluster keeps its previous centroid (sklearn
  moves it to a far point); sklearn's ``tol`` on centroid shift is not used.
- ``pca``: top-k principal axes, fitted like sklearn ``PCA(n_components=k)``, i.e. on *centred* data
  (eigenvectors of the covariance, float64 ``torch.linalg.eigh``), sorted by decreasing variance. Sign: as
  sklearn < 1.5 (``svd_flip`` with ``u_based_decision=True``, the sklearn of the paper's time), each axis is
  flipped so that the projection (score) of largest magnitude is positive. The sign matters for ReLU features.
  sklearn >= 1.5 instead makes each axis's largest-magnitude entry positive: ``sign="components"``.
- ``ProjectionFeatures``: h = act(W x*) with x* = x / ||x||_2 computed inside the forward pass (input raw
  [0, 1] pixels, any shape, flattened); W = centroids (not re-normalised) or principal axes (unit norm); no
  bias and, for PCA, no centring of x* (A.12, inferred). act = ``relu`` (main result) or ``softmax`` with a
  base b: softmax(ln(b) * W x*) (control, "as in SoftHebb", b = 1000 inferred). W is a buffer: never trained.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def l2_normalise(x: torch.Tensor) -> torch.Tensor:
    """(N, ...) -> (N, D) rows divided by their L2 norm (an all-zero row stays zero)."""
    return F.normalize(x.reshape(len(x), -1), p=2.0, dim=1)


@torch.no_grad()
def _assign(x: torch.Tensor, centroids: torch.Tensor, chunk: int) -> torch.Tensor:
    """Index of the nearest centroid (squared Euclidean) of every row of x, (N,)."""
    c_sq = (centroids * centroids).sum(1)  # (k,)
    out = torch.empty(len(x), dtype=torch.long, device=x.device)
    for s in range(0, len(x), chunk):
        # ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2; ||x||^2 does not change the argmin
        d = c_sq - 2.0 * x[s:s + chunk] @ centroids.T  # (chunk, k)
        out[s:s + chunk] = d.argmin(1)
    return out


@torch.no_grad()
def _cluster_sums(x: torch.Tensor, assign: torch.Tensor, k: int, chunk: int,
                  onehot: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-cluster float64 sums (k, D) and counts (k,) of the rows of x.

    ``onehot=False``: index_add_, sequential (deterministic) on CPU and O(N D). ``onehot=True``: one-hot
    matmul, for CUDA, where index_add_ uses atomics (order-dependent rounding).
    """
    sums = torch.zeros(k, x.shape[1], dtype=torch.float64, device=x.device)  # (k, D)
    counts = torch.zeros(k, dtype=torch.float64, device=x.device)
    for s in range(0, len(x), chunk):
        a = assign[s:s + chunk]  # (chunk,)
        if onehot:
            sums += F.one_hot(a, k).to(torch.float64).T @ x[s:s + chunk].double()
        else:
            sums.index_add_(0, a, x[s:s + chunk].double())
        counts += torch.bincount(a, minlength=k).to(torch.float64)
    return sums, counts


@torch.no_grad()
def kmeans(x: torch.Tensor, k: int, *, iters: int = 300, seed: int = 0, chunk: int = 8192,
           history: list[dict[str, int]] | None = None) -> torch.Tensor:
    """Lloyd's K-means on the rows of ``x`` (N, D) (floating); returns the centroids (k, D) in x's dtype.

    Deterministic per ``seed`` (init indices from a dedicated generator; float64 centroid sums without
    atomics). ``iters`` is the maximum number of Lloyd iterations. ``history`` (optional list) receives one
    ``{"iter", "changed"}`` entry per iteration: how many points changed cluster (0 = converged).
    """
    if x.dim() != 2 or not x.is_floating_point():
        raise ValueError(f"x must be a floating (N, D) tensor, got {x.dtype} {tuple(x.shape)}")
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= N, got k={k}, N={n}")
    g = torch.Generator().manual_seed(int(seed))
    centroids = x[torch.randperm(n, generator=g)[:k].to(x.device)].clone()  # (k, D)
    assign = _assign(x, centroids, chunk)
    for _ in range(iters):
        sums, counts = _cluster_sums(x, assign, k, chunk, onehot=x.device.type != "cpu")
        nonempty = counts > 0
        centroids[nonempty] = (sums[nonempty] / counts[nonempty, None]).to(x.dtype)
        new_assign = _assign(x, centroids, chunk)
        if history is not None:
            history.append({"iter": len(history) + 1, "changed": int((new_assign != assign).sum())})
        if torch.equal(new_assign, assign):
            break
        assign = new_assign
    return centroids


@torch.no_grad()
def pca(x: torch.Tensor, k: int, *, center: bool = True, sign: str = "scores") -> torch.Tensor:
    """Top-k principal axes of the rows of ``x`` (N, D); returns (k, D), unit-norm rows, in x's dtype.

    ``center=True`` (default) fits on mean-centred data like sklearn PCA; ``center=False`` uses the raw second
    moment. ``sign``: ``"scores"`` (sklearn < 1.5) or ``"components"`` (sklearn >= 1.5), see the module docstring.
    """
    if x.dim() != 2 or not x.is_floating_point():
        raise ValueError(f"x must be a floating (N, D) tensor, got {x.dtype} {tuple(x.shape)}")
    if not 1 <= k <= x.shape[1]:
        raise ValueError(f"need 1 <= k <= D={x.shape[1]}, got {k}")
    if sign not in ("scores", "components"):
        raise ValueError(f"sign must be 'scores' or 'components', got {sign!r}")
    xd = x.double()
    mean = xd.mean(0) if center else torch.zeros(x.shape[1], dtype=torch.float64, device=x.device)
    xc = xd - mean  # (N, D)
    cov = xc.T @ xc / max(len(x) - 1, 1)  # (D, D)
    evals, evecs = torch.linalg.eigh(cov)  # ascending
    comps = evecs[:, torch.argsort(evals, descending=True)[:k]].T.contiguous()  # (k, D)
    if sign == "scores":
        scores = xc @ comps.T  # (N, k)
        ref = scores.gather(0, scores.abs().argmax(0, keepdim=True)).squeeze(0)  # (k,)
    else:
        ref = comps.gather(1, comps.abs().argmax(1, keepdim=True)).squeeze(1)  # (k,)
    comps = comps * torch.where(ref < 0, -1.0, 1.0).to(comps.dtype)[:, None]
    return comps.to(x.dtype)


class ProjectionFeatures(nn.Module):
    """h = act(W x*), x* = x / ||x||_2 (inside forward); act = ``relu`` or ``softmax`` with ``base``.

    ``W`` (K, D) is stored as a buffer. Input: raw [0, 1] images (N, ...), flattened to (N, D).
    """

    def __init__(self, W: torch.Tensor, activation: str = "relu", base: float | None = None) -> None:
        super().__init__()
        if W.dim() != 2:
            raise ValueError(f"W must be (K, D), got {tuple(W.shape)}")
        if activation == "relu":
            if base is not None:
                raise ValueError("base is only used with activation='softmax'")
        elif activation == "softmax":
            if base is None or base <= 1:
                raise ValueError(f"softmax needs a base > 1 (e.g. 1000 as in SoftHebb), got {base!r}")
        else:
            raise ValueError(f"activation must be 'relu' or 'softmax', got {activation!r}")
        self.activation = activation
        self.base = base
        self.register_buffer("W", W.detach().clone())

    @property
    def n_features(self) -> int:
        return self.W.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = l2_normalise(x).to(self.W.dtype) @ self.W.T  # (batch, K)
        if self.activation == "relu":
            return torch.relu(u)
        return torch.softmax(math.log(self.base) * u, dim=1)
