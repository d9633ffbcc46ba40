"""Numerical checks of Theorems 3-5 (catalog A8; artifacts pr_thm3, pr_thm4, pr_thm5). float64 numpy throughout.

Thm 3: the output rule [-a, a; b, -b] (b >= a > 0) on {-1, 1}^n data separable by a unit w* with Σ w*_i = 0 and
margin γ converges, after fewer than 2 b² n / (a² γ²) mistakes. The rule runs as a Table-1 additive rule
(:func:`.classical.table_rule_additive`, rows x_i = -1, +1, columns = the incorrect prediction p = -1, +1), cycling
through the data until a mistake-free pass.

Thm 4: the margin perceptron, ``w <- w + y x`` iff ``y (w·x) <= γ`` (the reading the proof uses, catalog Amb. 20),
makes at most (R² + 2γ)/γ² updates on data separable with margin γ, and at most 2(R² + D² + √2 γ)/γ² on any
sequence, D² = Σ d_i², d_i = max(0, γ - y_i w*·x_i) over the presented sequence (Freund-Schapire).

Thm 5 (Appendix A): weak selection on n genes with alleles ±ε, allele frequencies x_i, Ȳ = ε Σ (2 x_i - 1).
The (WS) equation is missing from the text; the catalog's reconstruction (A8) is
    x_i' = x_i (1 + θ [L(Ȳ) - L(Ȳ+_i)]) / Z_i,
    Z_i  = 1 + θ [x_i (L(Ȳ) - L(Ȳ+_i)) + (1 - x_i)(L(Ȳ) - L(Ȳ-_i))],
    Ȳ+_i = Ȳ + 2ε(1 - x_i)  (gene i conditioned on +ε),   Ȳ-_i = Ȳ - 2ε x_i  (conditioned on -ε).
To first order in θ and ε: x_i' = x_i - θ x_i (1 - x_i) ∂L/∂x_i with ∂L/∂x_i = 2ε L'(Ȳ). The paper's last line
has the factor (2 - 2 x_i) instead (catalog Amb. 21); both maps are here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import classical


# --- Theorem 3 ------------------------------------------------------------------------------------------------

def zero_sum_unit_vector(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random unit vector w* with Σ_i w*_i = 0 (Thm 3's assumption)."""
    if n < 2:
        raise ValueError(f"n must be >= 2 for a zero-sum unit vector, got {n}")
    w = rng.standard_normal(n)
    w -= w.mean()
    return w / np.linalg.norm(w)


def sample_thm3_data(n: int, m: int, gamma: float, rng: np.random.Generator,
                     max_draws: int = 10_000_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m distinct-draw points uniform on {-1, 1}^n with |w*·x| >= γ (rejection), labels sign(w*·x); returns
    (X, y, w*)."""
    w = zero_sum_unit_vector(n, rng)
    keep: list[np.ndarray] = []
    drawn = 0
    while sum(len(k) for k in keep) < m:
        if drawn > max_draws:
            raise RuntimeError(f"Thm 3 data: fewer than {m} points with margin {gamma} in {max_draws} draws (n={n})")
        X = rng.choice(np.array([-1.0, 1.0]), size=(4 * m, n))
        drawn += len(X)
        keep.append(X[np.abs(X @ w) >= gamma])
    X = np.concatenate(keep)[:m]
    return X, np.where(X @ w > 0, 1, -1), w


def ab_rule(a: float, b: float) -> np.ndarray:
    """The rule [-a, a; b, -b]: rows x_i = -1, +1; columns the incorrect prediction p = -1, +1."""
    return np.array([[-a, a], [b, -b]], dtype=np.float64)


@dataclass(frozen=True)
class ConvergenceRun:
    converged: bool          # a full pass without a mistake happened
    mistakes: int            # total mistakes (= updates) until then
    passes: int              # passes made, the mistake-free one included
    train_errors: int        # errors of the final w on the training set (w·x = 0 counts as an error)
    cumulative: np.ndarray   # mistakes after each presented example


def run_until_separated(X: np.ndarray, y: np.ndarray, table: np.ndarray, max_passes: int) -> ConvergenceRun:
    """Cycle through (X, y) in order with the additive Table-1 rule (w·x = 0 is a mistake) until a pass makes
    no mistake, at most ``max_passes`` passes."""
    order = np.arange(len(X))
    w = np.zeros(X.shape[1])
    cum: list[np.ndarray] = []
    total, last, p = 0, -1, 0
    for p in range(1, max_passes + 1):
        run = classical.table_rule_additive(X, y, order, table, zero="mistake", w0=w)
        cum.append(total + np.cumsum(run.mistakes))
        last = run.n_mistakes
        total += last
        w = run.weights
        if last == 0:
            break
    errors = int((y * (X @ w) <= 0).sum())
    return ConvergenceRun(last == 0, int(total), p, errors, np.concatenate(cum))


def thm3_bound(a: float, b: float, n: int, gamma: float) -> float:
    """The proof's mistake bound 2 b² n / (a² γ²)."""
    return 2.0 * b * b * n / (a * a * gamma * gamma)


# --- Theorem 4 ------------------------------------------------------------------------------------------------

def sample_ball(n: int, m: int, R: float, rng: np.random.Generator) -> np.ndarray:
    """m points uniform in the n-ball of radius R."""
    g = rng.standard_normal((m, n))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return R * g * rng.random((m, 1)) ** (1.0 / n)


def sample_thm4_data(n: int, m: int, R: float, gamma: float, flip: float, rng: np.random.Generator
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Points uniform in the R-ball with |w*·x| >= γ (rejection), y = sign(w*·x); returns (X, y_clean,
    y_noisy, w*) where y_noisy has a seeded fraction ``flip`` of the labels flipped (exactly round(flip m))."""
    w = rng.standard_normal(n)
    w /= np.linalg.norm(w)
    keep: list[np.ndarray] = []
    while sum(len(k) for k in keep) < m:
        X = sample_ball(n, 4 * m, R, rng)
        keep.append(X[np.abs(X @ w) >= gamma])
    X = np.concatenate(keep)[:m]
    y = np.where(X @ w > 0, 1, -1)
    idx = rng.choice(m, size=int(round(flip * m)), replace=False)
    y_noisy = y.copy()
    y_noisy[idx] *= -1
    return X, y, y_noisy, w


def margin_perceptron(X: np.ndarray, y: np.ndarray, gamma: float, passes: int, until_clean: bool = False
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """``w <- w + y x`` iff ``y (w·x) <= γ``, from w = 0, in order for ``passes`` passes (or until a pass
    without an update when ``until_clean``). Returns (w, update flags of every presentation, passes made)."""
    w = np.zeros(X.shape[1])
    flags: list[np.ndarray] = []
    for p in range(1, passes + 1):
        upd = np.zeros(len(X), dtype=bool)
        for i in range(len(X)):
            if y[i] * (w @ X[i]) <= gamma:
                w += y[i] * X[i]
                upd[i] = True
        flags.append(upd)
        if until_clean and not upd.any():
            break
    return w, np.concatenate(flags), p


def hinge_deviations(X: np.ndarray, y: np.ndarray, w_star: np.ndarray, gamma: float) -> np.ndarray:
    """d_i = max(0, γ - y_i w*·x_i)."""
    return np.maximum(0.0, gamma - y * (X @ w_star))


def thm4_separable_bound(R: float, gamma: float) -> float:
    return (R * R + 2 * gamma) / gamma ** 2


def thm4_noisy_bound(R: float, D: float, gamma: float) -> float:
    """Freund-Schapire lifted-space bound 2(R² + D² + √2 γ)/γ², D = sqrt(Σ d_i²)."""
    return 2.0 * (R * R + D * D + np.sqrt(2.0) * gamma) / gamma ** 2


def thm4_noisy_bound_printed(R: float, d: np.ndarray, gamma: float) -> float:
    """The paper's printed form: (2/γ)(R² + D² + √2 γ) with D² = Σ d_i (not squared), catalog Amb. 20."""
    return (2.0 / gamma) * (R * R + float(d.sum()) + np.sqrt(2.0) * gamma)


# --- Theorem 5 ------------------------------------------------------------------------------------------------

Loss = Callable[[np.ndarray], np.ndarray]


def quadratic_loss(target: float) -> tuple[Loss, Loss]:
    """L(Y) = (Y - target)² and L'(Y)."""
    return (lambda Y: (Y - target) ** 2), (lambda Y: 2.0 * (Y - target))


def mean_phenotype(x: np.ndarray, eps: float) -> np.ndarray:
    """Ȳ = ε Σ_i (2 x_i - 1) over the last axis."""
    return eps * (2.0 * x - 1.0).sum(-1)


def ws_step(x: np.ndarray, eps: float, theta: float, L: Loss) -> np.ndarray:
    """One generation of the reconstructed (WS) equation; x has genes on the last axis (leading axes batch)."""
    Y = mean_phenotype(x, eps)[..., None]
    A = L(Y) - L(Y + 2.0 * eps * (1.0 - x))        # L(Ȳ) - L(Ȳ | gene i = +ε)
    B = L(Y) - L(Y - 2.0 * eps * x)                # L(Ȳ) - L(Ȳ | gene i = -ε)
    Z = 1.0 + theta * (x * A + (1.0 - x) * B)
    return x * (1.0 + theta * A) / Z


def first_order_step(x: np.ndarray, eps: float, theta: float, dL: Loss) -> np.ndarray:
    """x - θ x (1 - x) ∂L/∂x_i with ∂L/∂x_i = 2ε L'(Ȳ) (the expansion of the reconstructed WS)."""
    g = 2.0 * eps * dL(mean_phenotype(x, eps))[..., None]
    return x - theta * x * (1.0 - x) * g


def paper_step(x: np.ndarray, eps: float, theta: float, dL: Loss) -> np.ndarray:
    """The paper's stated map x - θ (∂L/∂x_i)(2 - 2 x_i)."""
    g = 2.0 * eps * dL(mean_phenotype(x, eps))[..., None]
    return x - theta * g * (2.0 - 2.0 * x)


@dataclass(frozen=True)
class WSRun:
    Y_ws: np.ndarray            # Ȳ^t of the exact WS iteration, t = 0..G
    Y_first: np.ndarray         # Ȳ^t of the first-order map iterated on its own
    Y_paper: np.ndarray         # Ȳ^t of the paper's (2 - 2x) map iterated on its own
    step: np.ndarray            # max_i |x^{t+1} - x^t| of the exact step, t = 0..G-1
    dev_first: np.ndarray       # max_i |WS(x^t) - F(x^t)| from the same x^t (F = first-order map)
    dev_paper: np.ndarray       # max_i |WS(x^t) - P(x^t)| from the same x^t (P = paper's map)
    dL_abs: np.ndarray          # |L'(Ȳ^t)| along the WS trajectory
    states: np.ndarray          # x^t of the WS trajectory every ``keep_every`` generations
    x_final: np.ndarray


def run_ws(x0: np.ndarray, eps: float, theta: float, generations: int, target: float, keep_every: int) -> WSRun:
    """Iterate the exact WS equation and both first-order maps from x0; per-step deviations measured from
    the WS state."""
    L, dL = quadratic_loss(target)
    x = x0.copy()
    xf = x0.copy()
    xp = x0.copy()
    G = generations
    Y_ws, Y_f, Y_p = (np.empty(G + 1) for _ in range(3))
    step, dev_f, dev_p, dLa = (np.empty(G) for _ in range(4))
    states = []
    for t in range(G):
        if t % keep_every == 0:
            states.append(x.copy())
        Y_ws[t], Y_f[t], Y_p[t] = mean_phenotype(x, eps), mean_phenotype(xf, eps), mean_phenotype(xp, eps)
        nxt = ws_step(x, eps, theta, L)
        step[t] = np.abs(nxt - x).max()
        dev_f[t] = np.abs(nxt - first_order_step(x, eps, theta, dL)).max()
        dev_p[t] = np.abs(nxt - paper_step(x, eps, theta, dL)).max()
        dLa[t] = abs(dL(Y_ws[t]))
        x = nxt
        xf = first_order_step(xf, eps, theta, dL)
        xp = np.clip(paper_step(xp, eps, theta, dL), 0.0, 1.0)     # a frequency; the paper's map can leave [0, 1]
    Y_ws[G], Y_f[G], Y_p[G] = mean_phenotype(x, eps), mean_phenotype(xf, eps), mean_phenotype(xp, eps)
    return WSRun(Y_ws, Y_f, Y_p, step, dev_f, dev_p, dLa, np.array(states), x)


def one_step_deviation(states: np.ndarray, eps: float, theta: float, target: float) -> np.ndarray:
    """max_i |WS(x) - F(x)| for every state (rows), vectorised."""
    L, dL = quadratic_loss(target)
    return np.abs(ws_step(states, eps, theta, L) - first_order_step(states, eps, theta, dL)).max(-1)
