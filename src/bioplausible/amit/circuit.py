"""Three-neuron local circuit that represents the hinge-loss output error (Amit, Sec. 2.3, eqs. 5, 8, 9).

Paper: Y. Amit, "Biologically Plausible Deep Learning" (arXiv preprint), Sec. 2.3; catalog A3, Ambiguities
3 and 28. Per class c: output unit o, supervisory unit s (+1 if class c is presented, else -1) and control
unit t, with field H = h + 2M s - 2M t (eq. 8), o = sigma_o(H), t = sigma_t(o) (eq. 9)::

    sigma_o(x) = 1+eps   x > 2M+S          sigma_t(x) = 1    x > 1
                 1       M <= x <= 2M+S                 0    -mu <= x <= 1
                 0       -M < x < M                     -1   x < -mu
                 -mu     -2M-S <= x <= -M
                 -mu-eps x < -2M-S

Alternating schedule (catalog A3, inferred): t^0 = 0; o^n = sigma_o(h + 2M s - 2M t^{n-1}); t^n = sigma_t(o^n).

Breakpoint convention at x = +-M (the paper lists +-M in two closed intervals): the outer levels 1 and -mu
own x = +-M. No convention reproduces the paper's table at both ends of the assumed range h in [-M, M]:
s = +1, h = -M needs sigma_o(M) = 1 (o constant at 1), while s = +1, h = M needs sigma_o(M) = 0 (the
oscillation through 0); likewise for s = -1 at x = -M. With this convention the two endpoints
(s = +1, h = M) and (s = -1, h = -M) oscillate between 1+eps and 1 (or -mu-eps and -mu) instead of through 0;
every h with |h| < M follows the table.

eq. 5 (catalog Ambiguity 3, typo fixed): delta = 1 if s = +1 and h <= S; -mu if s = -1 and h >= -S; else 0.
(The paper writes "h_c >= 1" in the second case; it must be h_c >= -1. The non-strict form of eq. 5, with S
for the threshold 1, is the one the circuit table reproduces.)
"""

from __future__ import annotations

import numpy as np

CONSTANT = 0  # trajectory kinds returned by classify_trajectories
PERIOD2 = 2
OTHER = -1


def sigma_o(x, M: float, S: float, mu: float, eps: float) -> np.ndarray:
    """Transfer function of the output unit, eq. 9 (vectorised; see the module docstring for x = +-M)."""
    x = np.asarray(x, dtype=np.float64)
    return np.select(
        [x > 2 * M + S, x >= M, x > -M, x >= -2 * M - S],
        [1.0 + eps, 1.0, 0.0, -mu],
        default=-mu - eps,
    )


def sigma_t(x, mu: float) -> np.ndarray:
    """Transfer function of the control unit, eq. 9 (vectorised)."""
    x = np.asarray(x, dtype=np.float64)
    return np.select([x > 1.0, x >= -mu], [1.0, 0.0], default=-1.0)


def delta_eq5(h, s, mu: float, S: float = 1.0) -> np.ndarray:
    """Output error of eq. 5 with the catalog's typo fix: 1 (s=+1, h<=S), -mu (s=-1, h>=-S), else 0."""
    h = np.asarray(h, dtype=np.float64)
    s = np.asarray(s, dtype=np.float64)
    return np.where((s > 0) & (h <= S), 1.0, np.where((s < 0) & (h >= -S), -mu, 0.0))


def simulate_circuit(h, s, M: float, S: float, mu: float, eps: float, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the alternating dynamics for every (h, s) pair (broadcast). Returns ``(o, t)``, each of shape
    ``(n_steps,) + broadcast shape``: ``o[n-1] = o^n`` and ``t[n-1] = t^n`` for n = 1..n_steps."""
    h, s = np.broadcast_arrays(np.asarray(h, dtype=np.float64), np.asarray(s, dtype=np.float64))
    t_prev = np.zeros(h.shape)
    o_hist = np.empty((n_steps,) + h.shape)
    t_hist = np.empty((n_steps,) + h.shape)
    for n in range(n_steps):
        o = sigma_o(h + 2 * M * s - 2 * M * t_prev, M, S, mu, eps)
        t_prev = sigma_t(o, mu)
        o_hist[n], t_hist[n] = o, t_prev
    return o_hist, t_hist


def classify_trajectories(o_hist: np.ndarray, n_tail: int = 6) -> dict[str, np.ndarray]:
    """Classify each trajectory of o from its last ``n_tail`` values (n_tail even, >= 4).

    Returns ``{"kind", "value_a", "value_b"}`` (arrays of the trajectory shape): kind CONSTANT (0) with
    value_a = value_b = the value; PERIOD2 (2) with the two alternating values, value_a < value_b;
    OTHER (-1) with NaN values.
    """
    if n_tail < 4 or n_tail % 2 or o_hist.shape[0] < n_tail:
        raise ValueError("n_tail must be even, >= 4 and <= n_steps")
    tail = o_hist[-n_tail:]
    constant = np.all(tail == tail[-1], axis=0)
    even, odd = tail[0::2], tail[1::2]
    period2 = np.all(even == even[-1], axis=0) & np.all(odd == odd[-1], axis=0) & (even[-1] != odd[-1])
    kind = np.where(constant, CONSTANT, np.where(period2, PERIOD2, OTHER))
    lo = np.minimum(even[-1], odd[-1])
    hi = np.maximum(even[-1], odd[-1])
    value_a = np.where(kind == OTHER, np.nan, lo)
    value_b = np.where(kind == OTHER, np.nan, hi)
    return {"kind": kind, "value_a": value_a, "value_b": value_b}


def expected_behaviour(h, s, S: float, mu: float, eps: float) -> dict[str, np.ndarray]:
    """The paper's table (catalog A3), in the format of :func:`classify_trajectories`.

    s = +1: h <= S constant 1, h > S period 2 between 0 and 1+eps;
    s = -1: h >= -S constant -mu, h < -S period 2 between -mu-eps and 0.
    """
    h, s = np.broadcast_arrays(np.asarray(h, dtype=np.float64), np.asarray(s, dtype=np.float64))
    pos_const = (s > 0) & (h <= S)
    neg_const = (s < 0) & (h >= -S)
    kind = np.where(pos_const | neg_const, CONSTANT, PERIOD2)
    value_a = np.where(pos_const, 1.0, np.where(neg_const, -mu, np.where(s > 0, 0.0, -mu - eps)))
    value_b = np.where(pos_const, 1.0, np.where(neg_const, -mu, np.where(s > 0, 1.0 + eps, 0.0)))
    return {"kind": kind, "value_a": value_a, "value_b": value_b}
