"""Matrix dynamics of a deep linear network trained with BP, URFB or FRFB (Amit, Sec. 3, eq. 15).

Paper: Y. Amit, "Biologically Plausible Deep Learning" (arXiv preprint), Sections 3.2-3.3, eqs. 10, 11, 15.
Catalog: ``shared/papers/amit_bioplausible_deep.catalog.md`` A8.1 (dynamics), A8.4 S4/S5 (Figs 3-4),
Ambiguities 22-24.

Column convention (catalog A8.1): ``W_i`` has shape ``(n_i, n_{i-1})``, the feedback ``R_i`` (layer i ->
layer i-1) has shape ``(n_{i-1}, n_i)``, ``E = T - W_k ... W_1`` has shape ``(n_k, n_0)`` and the loss is
``L = ||E||_F^2``. For i = 1..k::

    F_i  = W_{i-1} ... W_1          (F_1 = I)
    Bk_i = R_{i+1} ... R_k          (Bk_k = I)
    G_i  = Bk_i E F_i^T             (update direction; with R_i = W_i^T it is -grad of 1/2 ||E||^2)
    dW_i/dt = G_i,   dR_i/dt = eps G_i^T   (i >= 2)

Discrete dynamics ("iterations", explicit Euler, catalog A8.1): from the state at iteration n compute
E^n, log L^n, compute every G_i^n from that same state, then ``W_i += eta G_i``,
``R_i += eta eps G_i^T`` (incremental form, Ambiguity 23: ``R_i(t) = R_i(0) + eps (W_i(t) - W_i(0))^T``).
BP ("original SGD"): ``R_i = W_i^T`` at every iteration (set after each step).

Storage: ``weights = [W_1, ..., W_k]`` and ``feedback = [R_2, ..., R_k]`` (``feedback[j]`` is R_{j+2});
R_1 does not exist because the first layer never sends an error down. All arrays are float64 numpy.

Departures from the paper (all stated in the catalog): the paper writes eq. 15 as
``R_i = R_i(0) + eps W_i^T``, valid only for W(0) = 0; the incremental form is used here (identical when
W(0) = 0). Distributions of T, W(0), R(0) are not given in the paper (Ambiguity 22); they are arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

METHODS: tuple[str, ...] = ("bp", "urfb", "frfb")


# ----------------------------------------------------------------------------------------------------
# Core algebra
# ----------------------------------------------------------------------------------------------------


def network_product(weights: Sequence[np.ndarray]) -> np.ndarray:
    """Return ``W_k ... W_1`` (shape ``(n_k, n_0)``) for ``weights = [W_1, ..., W_k]``."""
    prod = weights[0]
    for w in weights[1:]:
        prod = w @ prod
    return prod


def output_error(target: np.ndarray, weights: Sequence[np.ndarray]) -> np.ndarray:
    """Return ``E = T - W_k ... W_1`` (shape ``(n_k, n_0)``)."""
    return target - network_product(weights)


def prefix_products(weights: Sequence[np.ndarray]) -> list[np.ndarray | None]:
    """``[F_1, ..., F_k, F_{k+1}]`` with ``F_i = W_{i-1} ... W_1``; ``F_1 = I`` is None, F_{k+1} = W_k ... W_1."""
    prefix: list[np.ndarray | None] = [None]
    for w in weights:
        prev = prefix[-1]
        prefix.append(w if prev is None else w @ prev)
    return prefix


def update_directions(
    weights: Sequence[np.ndarray],
    feedback: Sequence[np.ndarray],
    error: np.ndarray,
    prefix: Sequence[np.ndarray | None] | None = None,
) -> list[np.ndarray]:
    """Return ``[G_1, ..., G_k]`` with ``G_i = R_{i+1} ... R_k E (W_{i-1} ... W_1)^T`` (eq. 15).

    ``feedback = [R_2, ..., R_k]``. Passing ``feedback = [W_2^T, ..., W_k^T]`` gives BP, i.e.
    ``G_i = -d(1/2 ||T - W_k ... W_1||_F^2)/dW_i``. ``prefix`` (from :func:`prefix_products`) may be
    passed to avoid recomputing the products.
    """
    k = len(weights)
    if len(feedback) != k - 1:
        raise ValueError(f"need k-1 = {k - 1} feedback matrices R_2..R_k, got {len(feedback)}")
    if prefix is None:
        prefix = prefix_products(weights)
    # Error sent down: g_k = E, g_i = R_{i+1} g_{i+1}  (shape (n_i, n_0)), so g_i = Bk_i E.
    directions: list[np.ndarray] = [np.empty(0)] * k
    g = error
    for i in range(k, 0, -1):  # i = k..1 (1-based layer index)
        f = prefix[i - 1]  # F_i, shape (n_{i-1}, n_0)
        directions[i - 1] = g if f is None else g @ f.T  # (n_i, n_0) @ (n_0, n_{i-1})
        if i >= 2:
            g = feedback[i - 2] @ g  # R_i: (n_{i-1}, n_i) @ (n_i, n_0)
    return directions


def euler_step(
    target: np.ndarray,
    weights: Sequence[np.ndarray],
    feedback: Sequence[np.ndarray],
    eta: float,
    eps: float,
    tied: bool = False,
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """One explicit Euler iteration (catalog A8.1). Returns ``(new_weights, new_feedback, L^n)``.

    All ``G_i`` are computed from the input state (simultaneous update). ``tied=True`` is BP: the input
    feedback is ignored, ``W_i^T`` is used, and the returned feedback is ``[W_2^T, ..., W_k^T]`` of the
    new state (``eps`` is then irrelevant). Otherwise ``R_i <- R_i + eta * eps * G_i^T``.
    """
    prefix = prefix_products(weights)
    error = target - prefix[-1]
    loss = float(np.vdot(error, error))
    fb = [w.T for w in weights[1:]] if tied else feedback
    directions = update_directions(weights, fb, error, prefix)
    new_w = [w + eta * g for w, g in zip(weights, directions)]
    if tied:
        new_r = [w.T.copy() for w in new_w[1:]]
    elif eps == 0.0:
        new_r = list(feedback)  # arrays are never modified in place, so FRFB's R is shared, unchanged
    else:
        new_r = [r + (eta * eps) * g.T for r, g in zip(feedback, directions[1:])]
    return new_w, new_r, loss


@dataclass
class LinearRun:
    """Output of :func:`simulate`.

    loss: ``L^n = ||E^n||_F^2`` for n = 0..n_iter (length n_iter + 1); ``inf`` after a divergence.
    snapshots: iteration n -> list of copies of ``[W_1^n, ..., W_k^n]`` for the requested n.
    weights, feedback: final state (after the last completed iteration).
    diverged: True if the loss became non-finite (the run stops there).
    """

    loss: np.ndarray
    snapshots: dict[int, list[np.ndarray]]
    weights: list[np.ndarray]
    feedback: list[np.ndarray]
    eta: float
    eps: float
    tied: bool
    diverged: bool = False
    label: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def rel_loss(self) -> np.ndarray:
        """``L^n / L^0``."""
        return self.loss / self.loss[0]


def simulate(
    target: np.ndarray,
    weights0: Sequence[np.ndarray],
    feedback0: Sequence[np.ndarray] | None,
    eta: float,
    n_iter: int,
    eps: float,
    tied: bool = False,
    snapshot_iters: Iterable[int] = (),
    label: str = "",
) -> LinearRun:
    """Run ``n_iter`` Euler iterations from copies of ``weights0`` / ``feedback0``.

    ``tied=True`` is BP (``feedback0`` may be None and is ignored; R_i = W_i^T throughout). Records the
    loss for n = 0..n_iter and copies of the weights at every n in ``snapshot_iters`` (0 <= n <= n_iter).
    """
    weights = [np.array(w, dtype=np.float64, copy=True) for w in weights0]
    if tied:
        feedback = [w.T.copy() for w in weights[1:]]
    else:
        if feedback0 is None:
            raise ValueError("feedback0 is required unless tied=True")
        feedback = [np.array(r, dtype=np.float64, copy=True) for r in feedback0]
    target = np.asarray(target, dtype=np.float64)
    snap_set = sorted({int(n) for n in snapshot_iters})
    if snap_set and (snap_set[0] < 0 or snap_set[-1] > n_iter):
        raise ValueError(f"snapshot iterations must lie in [0, {n_iter}], got {snap_set}")
    snap_lookup = set(snap_set)
    snapshots: dict[int, list[np.ndarray]] = {}
    loss = np.full(n_iter + 1, np.inf)
    diverged = False
    with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected and flagged below
        for n in range(n_iter):
            if n in snap_lookup:
                snapshots[n] = [w.copy() for w in weights]
            weights, feedback, loss[n] = euler_step(target, weights, feedback, eta, eps, tied)
            if not np.isfinite(loss[n]):
                diverged = True
                loss[n] = np.inf
                break
        if not diverged:
            err = output_error(target, weights)
            loss[n_iter] = float(np.vdot(err, err))
            if not np.isfinite(loss[n_iter]):
                diverged = True
                loss[n_iter] = np.inf
            if n_iter in snap_lookup:
                snapshots[n_iter] = [w.copy() for w in weights]
    return LinearRun(
        loss=loss,
        snapshots=snapshots,
        weights=weights,
        feedback=feedback,
        eta=float(eta),
        eps=float(eps),
        tied=bool(tied),
        diverged=diverged,
        label=label,
    )


# ----------------------------------------------------------------------------------------------------
# Random initial conditions (Ambiguity 22: N(0, 1/fan_in) for T factors and W(0), N(0, 1/n_i) for R_i(0))
# ----------------------------------------------------------------------------------------------------


def random_weights(rng: np.random.Generator, dims: Sequence[int], scale: float = 1.0) -> list[np.ndarray]:
    """``[W_1..W_k]``, W_i ~ N(0, scale^2 / n_{i-1}) entrywise, shape ``(n_i, n_{i-1})``; dims = (n_0..n_k)."""
    return [
        rng.standard_normal((dims[i], dims[i - 1])) * (scale / np.sqrt(dims[i - 1]))
        for i in range(1, len(dims))
    ]


def random_feedback(rng: np.random.Generator, dims: Sequence[int], scale: float = 1.0) -> list[np.ndarray]:
    """``[R_2..R_k]``, R_i ~ N(0, scale^2 / n_i) entrywise, shape ``(n_{i-1}, n_i)``."""
    return [
        rng.standard_normal((dims[i - 1], dims[i])) * (scale / np.sqrt(dims[i]))
        for i in range(2, len(dims))
    ]


def draw_teacher_student(
    seed: int, dims: Sequence[int], w_scale: float = 1.0, r_scale: float = 1.0
) -> dict[str, object]:
    """Draw one run's random quantities, in a fixed order from ``np.random.default_rng(seed)``.

    Returns ``{"target": T = W*_k ... W*_1, "teacher": [W*_i], "weights0": [W_i(0)], "feedback0": [R_i(0)]}``
    with teacher and student factors ~ N(0, w_scale^2 / n_{i-1}) and R_i(0) ~ N(0, r_scale^2 / n_i).
    """
    rng = np.random.default_rng(seed)
    teacher = random_weights(rng, dims, w_scale)
    weights0 = random_weights(rng, dims, w_scale)
    feedback0 = random_feedback(rng, dims, r_scale)
    return {
        "target": network_product(teacher),
        "teacher": teacher,
        "weights0": weights0,
        "feedback0": feedback0,
    }


def run_teacher_student(
    seed: int,
    dims: Sequence[int],
    eta: float,
    n_iter: int,
    w_scale: float = 1.0,
    r_scale: float = 1.0,
    snapshot_iters: Iterable[int] = (),
) -> dict[str, LinearRun]:
    """Fig. 3 / S4: BP, URFB and FRFB from the same W(0); URFB and FRFB share R(0).

    'bp': R_i = W_i^T (tied); 'urfb': random R(0), eps = 1; 'frfb': the same R(0), eps = 0.
    Returns ``{"bp": LinearRun, "urfb": LinearRun, "frfb": LinearRun}``; each run's ``extra`` holds the
    target, and the snapshots are taken at ``snapshot_iters`` (n_iter is always added, for D_i).
    """
    draw = draw_teacher_student(seed, dims, w_scale, r_scale)
    snaps = set(int(n) for n in snapshot_iters) | {int(n_iter)}
    target, w0, r0 = draw["target"], draw["weights0"], draw["feedback0"]
    runs = {
        "bp": simulate(target, w0, None, eta, n_iter, eps=1.0, tied=True, snapshot_iters=snaps, label="bp"),
        "urfb": simulate(target, w0, r0, eta, n_iter, eps=1.0, snapshot_iters=snaps, label="urfb"),
        "frfb": simulate(target, w0, r0, eta, n_iter, eps=0.0, snapshot_iters=snaps, label="frfb"),
    }
    for run in runs.values():
        run.extra.update(seed=int(seed), dims=tuple(int(d) for d in dims), w_scale=w_scale, r_scale=r_scale)
    return runs


def run_eps_sweep(
    seed: int,
    dims: Sequence[int],
    eta: float,
    n_iter: int,
    epsilons: Sequence[float] = (0.0, 0.25, 0.5, 1.0),
    w_scale: float = 1.0,
    r_scale: float = 1.0,
    include_bp: bool = True,
) -> dict[str, LinearRun]:
    """Fig. 4 / S5: W(0) = 0 and one random R(0) shared by every eps; plus BP from random W(0).

    T, W(0) (used only by BP, Ambiguity 24: BP cannot leave W = 0) and R(0) are drawn exactly as in
    :func:`run_teacher_student` with the same seed. Returns ``{eps_key(eps): LinearRun, ..., "bp": LinearRun}``.
    """
    draw = draw_teacher_student(seed, dims, w_scale, r_scale)
    target, r0 = draw["target"], draw["feedback0"]
    zeros = [np.zeros_like(w) for w in draw["weights0"]]
    runs: dict[str, LinearRun] = {}
    for eps in epsilons:
        key = eps_key(eps)
        runs[key] = simulate(target, zeros, r0, eta, n_iter, eps=float(eps), label=key)
    if include_bp:
        runs["bp"] = simulate(target, draw["weights0"], None, eta, n_iter, eps=1.0, tied=True, label="bp")
    for run in runs.values():
        run.extra.update(seed=int(seed), dims=tuple(int(d) for d in dims), w_scale=w_scale, r_scale=r_scale)
    return runs


def eps_key(eps: float) -> str:
    """Snake-case tag of an eps value: 0 -> 'eps0', 0.25 -> 'eps0p25', 1 -> 'eps1'."""
    text = f"{float(eps):g}".replace(".", "p").replace("-", "m")
    return f"eps{text}"


# ----------------------------------------------------------------------------------------------------
# Derived quantities
# ----------------------------------------------------------------------------------------------------


def relative_weight_difference(weights_a: Sequence[np.ndarray], weights_b: Sequence[np.ndarray]) -> np.ndarray:
    """``D_i = ||W_i^a - W_i^b||_F / ||W_i^b||_F`` for every layer (array of length k)."""
    return np.array(
        [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(weights_a, weights_b)], dtype=np.float64
    )


def relative_difference_series(run_a: LinearRun, run_b: LinearRun) -> tuple[np.ndarray, np.ndarray]:
    """D_i(n) at the snapshot iterations both runs share. Returns ``(iters (m,), D (m, k))``."""
    iters = np.array(sorted(set(run_a.snapshots) & set(run_b.snapshots)), dtype=np.int64)
    d = np.array([relative_weight_difference(run_a.snapshots[n], run_b.snapshots[n]) for n in iters])
    return iters, d.reshape(len(iters), -1)


def iterations_to_threshold(rel_loss: np.ndarray, threshold: float) -> int:
    """First n with ``rel_loss[n] < threshold``; ``len(rel_loss)`` (= n_iter + 1) if never reached."""
    hits = np.flatnonzero(np.asarray(rel_loss) < threshold)
    return int(hits[0]) if hits.size else int(len(rel_loss))
