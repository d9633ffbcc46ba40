"""Decoupled scalar dynamics of URFB in linear networks (Amit, Sec. 3 and Sec. 6; Theorems 1-2).

Paper: Y. Amit, "Biologically Plausible Deep Learning" (arXiv preprint), eqs. 14, 16-22, 26.
Catalog: ``shared/papers/amit_bioplausible_deep.catalog.md`` A8.2, A8.3, A8.4 (S1, S2), Ambiguity 26.

Two layers, one singular direction (eq. 14), with e = lam_T - lam_2 lam_1::

    d lam_2/dt = e lam_1
    d lam_1/dt = (lam_R + eps lam_2) e            lam_1(0) = lam_2(0) = 0

Reduced 1-D form (eq. 22): d lam_1/dt = F(lam_1) (lam_T - G(lam_1) lam_1), lam_2 = G(lam_1), with
F(x) = sqrt(lam_R^2 + eps x^2), G(x) = x^2 / (F(x) + lam_R) (eq. 21; valid at eps = 0 too).

k layers (eq. 16), e = lam_T - prod_j lam_j, lam_R = (lam_{R,2}, ..., lam_{R,k})::

    d lam_i/dt = [prod_{j=i+1..k} (lam_{R,j} + eps lam_j)] e [prod_{j=1..i-1} lam_j]

Conservation (eq. 17): lam_{R,i} lam_i + (eps/2) lam_i^2 = lam_{i-1}^2 / 2, i = 2..k.
Error rate (eq. 18): d(e^2)/dt = -2 e^2 B, B = sum_i prod_{j<i} lam_j^2 prod_{j>i} (eps/2 lam_j^2 + lam_{j-1}^2/2);
for k = 2, B = 3/2 lam_1^2 + eps/2 lam_2^2 (eq. 19).

Asymptotic slope (catalog A8.2/A8.3, derived): at the fixed point prod lam_i* = lam_T on the conservation
manifold, so ln e^2 ~ const - 2 B* t. The fixed point is found here by root-finding (brentq on lam_1 along
the conservation chain lam_i = G(lam_{i-1}, lam_{R,i})), never typed in.

Integration: scipy ``solve_ivp`` RK45, rtol 1e-10, atol 1e-14 by default, on the caller's time grid.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

RTOL = 1e-10  # catalog A8.4 S1
ATOL = 1e-14


# ----------------------------------------------------------------------------------------------------
# Right-hand sides
# ----------------------------------------------------------------------------------------------------


def two_layer_rhs(t: float, y: np.ndarray, lam_T: float, lam_R: float, eps: float) -> np.ndarray:
    """Eq. 14 with ``y = (lam_1, lam_2)``; returns ``(d lam_1/dt, d lam_2/dt)``."""
    lam1, lam2 = y
    e = lam_T - lam2 * lam1
    return np.array([(lam_R + eps * lam2) * e, e * lam1])


def F_fun(x, lam_R: float, eps: float):
    """F(x) = sqrt(lam_R^2 + eps x^2) (eq. 21)."""
    return np.sqrt(lam_R * lam_R + eps * np.square(x))


def G_fun(x, lam_R: float, eps: float):
    """G(x) = x^2 / (F(x) + lam_R): the positive root lam_i of eq. 17 given lam_{i-1} = x (eq. 21)."""
    return np.square(x) / (F_fun(x, lam_R, eps) + lam_R)


def H_fun(x, lam_R: float, eps: float):
    """H(x) = sqrt(2 lam_R x + eps x^2): lam_{i-1} given lam_i = x (eq. 21)."""
    return np.sqrt(2.0 * lam_R * x + eps * np.square(x))


def reduced_rhs(t: float, y: np.ndarray, lam_T: float, lam_R: float, eps: float) -> np.ndarray:
    """Eq. 22 with ``y = (lam_1,)``."""
    x = y[0]
    return np.array([F_fun(x, lam_R, eps) * (lam_T - G_fun(x, lam_R, eps) * x)])


def k_layer_rhs(t: float, y: np.ndarray, lam_T: float, lam_Rs: Sequence[float], eps: float) -> np.ndarray:
    """Eq. 16 with ``y = (lam_1, ..., lam_k)`` and ``lam_Rs = (lam_{R,2}, ..., lam_{R,k})``."""
    k = y.shape[0]
    e = lam_T - np.prod(y)
    fb = np.asarray(lam_Rs) + eps * y[1:]  # (lam_{R,j} + eps lam_j), j = 2..k
    # above[i] = prod_{j=i+2..k} fb (0-based i), below[i] = prod_{j<i} lam_j
    above = np.ones(k)
    for i in range(k - 2, -1, -1):
        above[i] = above[i + 1] * fb[i]
    below = np.ones(k)
    for i in range(1, k):
        below[i] = below[i - 1] * y[i - 1]
    return above * e * below


# ----------------------------------------------------------------------------------------------------
# Solvers
# ----------------------------------------------------------------------------------------------------


def _solve(rhs, y0, t_eval, args, rtol, atol) -> np.ndarray:
    t_eval = np.asarray(t_eval, dtype=np.float64)
    sol = solve_ivp(
        rhs, (float(t_eval[0]), float(t_eval[-1])), np.asarray(y0, dtype=np.float64),
        method="RK45", t_eval=t_eval, args=args, rtol=rtol, atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    return sol.y


def solve_two_layer(
    lam_T: float, lam_R: float, eps: float, t_eval: np.ndarray, rtol: float = RTOL, atol: float = ATOL
) -> dict[str, np.ndarray]:
    """Integrate eq. 14 from (0, 0). Returns ``{"t", "lam1", "lam2", "e2"}`` on ``t_eval``."""
    y = _solve(two_layer_rhs, (0.0, 0.0), t_eval, (lam_T, lam_R, eps), rtol, atol)
    lam1, lam2 = y
    return {"t": np.asarray(t_eval, float), "lam1": lam1, "lam2": lam2, "e2": (lam_T - lam1 * lam2) ** 2}


def solve_reduced(
    lam_T: float, lam_R: float, eps: float, t_eval: np.ndarray, rtol: float = RTOL, atol: float = ATOL
) -> dict[str, np.ndarray]:
    """Integrate eq. 22 from 0. Returns ``{"t", "lam1", "lam2" (= G(lam1)), "e2"}``."""
    lam1 = _solve(reduced_rhs, (0.0,), t_eval, (lam_T, lam_R, eps), rtol, atol)[0]
    lam2 = G_fun(lam1, lam_R, eps)
    return {"t": np.asarray(t_eval, float), "lam1": lam1, "lam2": lam2, "e2": (lam_T - lam1 * lam2) ** 2}


def solve_k_layer(
    lam_T: float,
    lam_Rs: Sequence[float],
    eps: float,
    t_eval: np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, np.ndarray]:
    """Integrate eq. 16 (k = len(lam_Rs) + 1) from 0. Returns ``{"t", "lam" (k, nt), "e2"}``."""
    k = len(lam_Rs) + 1
    lam = _solve(k_layer_rhs, np.zeros(k), t_eval, (lam_T, tuple(lam_Rs), eps), rtol, atol)
    return {"t": np.asarray(t_eval, float), "lam": lam, "e2": (lam_T - np.prod(lam, axis=0)) ** 2}


# ----------------------------------------------------------------------------------------------------
# Conservation law, error rate, fixed point, slopes
# ----------------------------------------------------------------------------------------------------


def conservation_residual(lam: np.ndarray, lam_Rs: Sequence[float], eps: float) -> np.ndarray:
    """Eq. 17 residuals ``lam_{R,i} lam_i + eps/2 lam_i^2 - lam_{i-1}^2/2`` for i = 2..k.

    ``lam`` has shape (k, ...); returns shape (k-1, ...). Zero along exact solutions from lam(0) = 0.
    """
    lam = np.asarray(lam, dtype=np.float64)
    lr = np.asarray(lam_Rs, dtype=np.float64).reshape((-1,) + (1,) * (lam.ndim - 1))
    return lr * lam[1:] + 0.5 * eps * lam[1:] ** 2 - 0.5 * lam[:-1] ** 2


def rate_B(lam: np.ndarray, eps: float) -> np.ndarray:
    """B of eq. 18 (d(e^2)/dt = -2 e^2 B), using the conservation-substituted form.

    ``lam`` has shape (k, ...). For k = 2 this is eq. 19: 3/2 lam_1^2 + eps/2 lam_2^2.
    """
    lam = np.asarray(lam, dtype=np.float64)
    k = lam.shape[0]
    total = np.zeros(lam.shape[1:])
    for i in range(k):  # 0-based layer index i  <->  paper's i+1
        term = np.ones(lam.shape[1:])
        for j in range(i):
            term = term * lam[j] ** 2
        for j in range(i + 1, k):
            term = term * (0.5 * eps * lam[j] ** 2 + 0.5 * lam[j - 1] ** 2)
        total = total + term
    return total


def chain_from_lam1(lam1: float, lam_Rs: Sequence[float], eps: float) -> np.ndarray:
    """lam_1..lam_k on the conservation manifold (eq. 17/20): lam_i = G(lam_{i-1}, lam_{R,i}, eps)."""
    lams = [float(lam1)]
    for lr in lam_Rs:
        lams.append(float(G_fun(lams[-1], lr, eps)))
    return np.array(lams)


def fixed_point(lam_T: float, lam_Rs: Sequence[float], eps: float) -> np.ndarray:
    """The fixed point of eq. 16 reached from lam(0) = 0, by root-finding.

    On the conservation manifold every lam_i is an increasing function of lam_1, so prod_i lam_i(lam_1)
    - lam_T has exactly one positive root; brentq finds it (xtol 1e-15, rtol 4 machine eps).
    Returns (lam_1*, ..., lam_k*).
    """
    def g(x: float) -> float:
        return float(np.prod(chain_from_lam1(x, lam_Rs, eps))) - lam_T

    hi = 1.0
    while g(hi) <= 0.0:
        hi *= 2.0
        if hi > 1e12:
            raise RuntimeError("no bracket for the fixed point")
    x_star = brentq(g, 0.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return chain_from_lam1(x_star, lam_Rs, eps)


def fixed_point_two_layer_quartic(lam_T: float, lam_R: float, eps: float) -> tuple[float, float]:
    """Two-layer fixed point via the quartic eps x^4 + 2 lam_R x^3 - lam_T^2 = 0 for x = lam_2*.

    An independent route to :func:`fixed_point` for k = 2 (catalog A8.2). Returns (lam_1*, lam_2*).
    """
    def q(x: float) -> float:
        return eps * x**4 + 2.0 * lam_R * x**3 - lam_T**2

    hi = 1.0
    while q(hi) <= 0.0:
        hi *= 2.0
    lam2 = brentq(q, 0.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)
    return lam_T / lam2, lam2


def predicted_tail_slope(lam_T: float, lam_Rs: Sequence[float], eps: float) -> float:
    """Predicted slope of ln e^2 versus t: -2 B(lam*) (eq. 18/19 at the root-found fixed point)."""
    return float(-2.0 * rate_B(fixed_point(lam_T, lam_Rs, eps), eps))


def fit_tail_slope(
    t: np.ndarray,
    e2: np.ndarray,
    upper_rel: float = 1e-6,
    lower_rel: float = 1e-16,
    min_points: int = 5,
) -> dict[str, float]:
    """Least-squares slope of ln e^2 versus t over the late window upper_rel >= e^2/e^2(0) >= lower_rel.

    Window choice: below ``upper_rel = 1e-6`` the state is within ~1e-3 (relative) of the fixed point, so
    B(t) = B* + O(e) differs from B* by ~0.1 % and the local slope is the asymptotic one. Above
    ``lower_rel = 1e-16`` e^2 is far above the noise of the computed e = lam_T - prod lam_i: the RK45
    local error is proportional to the right-hand side, i.e. to e, and the cancellation round-off in e is
    ~1e-16 absolute (e^2 ~1e-32), so e^2/e^2(0) >= 1e-16 leaves ~10 decades of margin. The window is the
    contiguous stretch from the first time e^2/e^2(0) < upper_rel to the last grid point before it first
    drops below ``lower_rel`` (or the end of the grid, if it never does).

    Returns ``{"slope", "t_start", "t_end", "n_points"}``; slope is NaN if fewer than ``min_points``.
    """
    t = np.asarray(t, dtype=np.float64)
    rel = np.asarray(e2, dtype=np.float64) / float(e2[0])
    below_upper = np.flatnonzero(rel < upper_rel)
    if below_upper.size == 0:
        return {"slope": float("nan"), "t_start": float("nan"), "t_end": float("nan"), "n_points": 0}
    i0 = int(below_upper[0])
    below_lower = np.flatnonzero(rel[i0:] < lower_rel)
    i1 = i0 + int(below_lower[0]) if below_lower.size else len(t)
    n = i1 - i0
    if n < min_points:
        return {"slope": float("nan"), "t_start": float(t[i0]), "t_end": float(t[i1 - 1]), "n_points": n}
    slope = np.polyfit(t[i0:i1], np.log(rel[i0:i1]), 1)[0]
    return {"slope": float(slope), "t_start": float(t[i0]), "t_end": float(t[i1 - 1]), "n_points": int(n)}


# ----------------------------------------------------------------------------------------------------
# Sweeps over eps (S1, S2)
# ----------------------------------------------------------------------------------------------------


def sweep_two_layer(
    lam_T: float,
    lam_R: float,
    epsilons: Sequence[float],
    t_eval: np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, object]:
    """S1: eq. 14 and eq. 22 for every eps on one grid.

    Returns ``{"lam_T", "lam_Rs": (lam_R,), "epsilons", "t", "lam" (n_eps, 2, nt), "e2" (n_eps, nt),
    "lam1_reduced" (n_eps, nt)}``.
    """
    t_eval = np.asarray(t_eval, dtype=np.float64)
    lam, e2, lam1_red = [], [], []
    for eps in epsilons:
        full = solve_two_layer(lam_T, lam_R, eps, t_eval, rtol, atol)
        red = solve_reduced(lam_T, lam_R, eps, t_eval, rtol, atol)
        lam.append(np.stack([full["lam1"], full["lam2"]]))
        e2.append(full["e2"])
        lam1_red.append(red["lam1"])
    return {
        "lam_T": float(lam_T),
        "lam_Rs": (float(lam_R),),
        "epsilons": tuple(float(e) for e in epsilons),
        "t": t_eval,
        "lam": np.array(lam),
        "e2": np.array(e2),
        "lam1_reduced": np.array(lam1_red),
    }


def sweep_k_layer(
    lam_T: float,
    lam_Rs: Sequence[float],
    epsilons: Sequence[float],
    t_eval: np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, object]:
    """S2: eq. 16 for every eps on one grid.

    Returns ``{"lam_T", "lam_Rs", "epsilons", "t", "lam" (n_eps, k, nt), "e2" (n_eps, nt)}``.
    """
    t_eval = np.asarray(t_eval, dtype=np.float64)
    sols = [solve_k_layer(lam_T, lam_Rs, eps, t_eval, rtol, atol) for eps in epsilons]
    return {
        "lam_T": float(lam_T),
        "lam_Rs": tuple(float(x) for x in lam_Rs),
        "epsilons": tuple(float(e) for e in epsilons),
        "t": t_eval,
        "lam": np.array([s["lam"] for s in sols]),
        "e2": np.array([s["e2"] for s in sols]),
    }
