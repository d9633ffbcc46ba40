"""The classical Perceptron and Winnow/MW, and the same algorithms run as Table-1 output-layer rules (pr_tab1).

Sec. 3 / Table 1 of the paper: a single output neuron on inputs x ∈ {-1, 1}^n. On a mistake the weight of
input i changes by the Table-1 entry in row x_i (x_i = -1, +1) and in the column of the *incorrect prediction*
p(x) = -y (p = -1, +1): an increment for the perceptron (``w_i += R[x_i, p]``), a factor for MW
(``w_i *= R[x_i, p]``). The classical algorithms are written independently of the tables, so that the tests
compare two implementations:

- Perceptron [Rosenblatt]: on a mistake, ``w <- w + y x``.
- Winnow / MW [Littlestone 1987]: a variable is ON when x_i = 1; predict +1 iff Σ_{ON} w_i >= threshold; on a
  mistake double the ON weights if the true label is +1, halve them if it is -1; weights start at 1.

Mistake conventions: the perceptron counts w·x = 0 as a mistake (``zero="mistake"``, catalog A8 Thm 3) or
predicts -1 there (``zero="negative"``, the convention of an argmax over two output nodes whose ties go to the
lowest index, catalog Amb. 6). Every runner returns the weights after every presented example (the
trajectory), so step-for-step equality is a plain array comparison.

The two-output form (catalog A3): output nodes for the labels -1 (index 0) and +1 (index 1), "fired" ↔ x_i = 1;
on a mistake ``U[y] += R_o[fired, 0]`` and ``U[ŷ] += R_o[fired, 1]`` with the (2, 2) rule R_o
(rows not fired / fired, columns true / predicted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZERO_CONVENTIONS = ("mistake", "negative")


@dataclass(frozen=True)
class Run:
    """Weights after every presented example (``trajectory[0]`` = the initial weights) and the mistake flags."""

    trajectory: np.ndarray      # (steps + 1, n) or (steps + 1, 2, n) for the two-output form
    mistakes: np.ndarray        # (steps,) bool
    order: np.ndarray           # (steps,) index of the example presented at each step

    @property
    def weights(self) -> np.ndarray:
        return self.trajectory[-1]

    @property
    def n_mistakes(self) -> int:
        return int(self.mistakes.sum())


def check_pm1_data(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate ±1 inputs (m, n) and ±1 labels (m,); return them as float64 / int arrays."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise ValueError(f"inputs X must be 2-D (examples, features), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"labels y must have shape ({X.shape[0]},), got {y.shape}")
    if not np.isin(X, (-1.0, 1.0)).all():
        raise ValueError("inputs X must be in {-1, +1} (Table 1 maps x_i = -1 / +1 to not fired / fired)")
    if not np.isin(y, (-1, 1)).all():
        raise ValueError("labels y must be in {-1, +1}")
    return X, y.astype(np.int64)


def presentation_order(m: int, epochs: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Example indices for ``epochs`` passes: in order, or reshuffled every pass when ``rng`` is given."""
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if rng is None:
        return np.tile(np.arange(m), epochs)
    return np.concatenate([rng.permutation(m) for _ in range(epochs)])


def _check_zero(zero: str) -> None:
    if zero not in ZERO_CONVENTIONS:
        raise ValueError(f"zero={zero!r}: choose one of {ZERO_CONVENTIONS}")


def _table(table, kind: str) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64)
    if t.shape != (2, 2):
        raise ValueError(f"{kind} table must be 2x2 (rows x_i = -1, +1; columns p = -1, +1), got shape {t.shape}")
    return t


# --- classical algorithms ------------------------------------------------------------------------------------

def perceptron(X, y, order: np.ndarray, zero: str = "mistake") -> Run:
    """Rosenblatt's perceptron from w = 0: on a mistake ``w <- w + y x``."""
    X, y = check_pm1_data(X, y)
    _check_zero(zero)
    w = np.zeros(X.shape[1])
    traj = np.empty((len(order) + 1, X.shape[1]))
    traj[0] = w
    mistakes = np.zeros(len(order), dtype=bool)
    for t, i in enumerate(order):
        s = y[i] * (w @ X[i])
        wrong = s <= 0 if zero == "mistake" else (s < 0 or (s == 0 and y[i] == 1))
        if wrong:
            w = w + y[i] * X[i]
            mistakes[t] = True
        traj[t + 1] = w
    return Run(traj, mistakes, np.asarray(order))


def winnow(X, y, order: np.ndarray, threshold: float) -> Run:
    """Littlestone's Winnow (MW) from w = 1: predict +1 iff the ON weights sum to >= threshold; on a mistake
    double the ON weights (true label +1) or halve them (true label -1)."""
    X, y = check_pm1_data(X, y)
    on = X > 0
    w = np.ones(X.shape[1])
    traj = np.empty((len(order) + 1, X.shape[1]))
    traj[0] = w
    mistakes = np.zeros(len(order), dtype=bool)
    for t, i in enumerate(order):
        pred = 1 if w[on[i]].sum() >= threshold else -1
        if pred != y[i]:
            w = w.copy()
            w[on[i]] *= 2.0 if y[i] == 1 else 0.5
            mistakes[t] = True
        traj[t + 1] = w
    return Run(traj, mistakes, np.asarray(order))


# --- the same algorithms as Table-1 output-layer rules ----------------------------------------------------------

def table_rule_additive(X, y, order: np.ndarray, table, zero: str = "mistake", w0: np.ndarray | None = None) -> Run:
    """A linear-threshold output neuron (w = 0, p(x) = sign(w·x)) trained by an additive Table-1 rule: on a
    mistake ``w_i += table[x_i, p(x)]`` with p(x) = -y the incorrect prediction. ``table`` rows: x_i = -1, +1;
    columns: p = -1, +1. The perceptron is ``TABLE1_PERCEPTRON``; Thm 3's rule is [[-a, a], [b, -b]].
    ``w0``: start from these weights instead of 0 (to continue a run pass by pass)."""
    X, y = check_pm1_data(X, y)
    _check_zero(zero)
    R = _table(table, "additive rule")
    rows = (X > 0).astype(np.int64)                    # 0: x_i = -1, 1: x_i = +1
    w = np.zeros(X.shape[1]) if w0 is None else np.array(w0, dtype=np.float64)
    traj = np.empty((len(order) + 1, X.shape[1]))
    traj[0] = w
    mistakes = np.zeros(len(order), dtype=bool)
    for t, i in enumerate(order):
        s = w @ X[i]
        pred = 1 if s > 0 else (-1 if s < 0 else (0 if zero == "mistake" else -1))
        if pred != y[i]:
            w = w + R[rows[i], (1 - y[i]) // 2]        # column of the incorrect prediction p = -y
            mistakes[t] = True
        traj[t + 1] = w
    return Run(traj, mistakes, np.asarray(order))


def table_rule_multiplicative(X, y, order: np.ndarray, table, threshold: float) -> Run:
    """An output neuron reading the fired inputs (x_i = 1), w = 1, predicting +1 iff Σ_{fired} w_i >= threshold,
    trained by a multiplicative Table-1 rule: on a mistake ``w_i *= table[x_i, p(x)]``, p(x) = -y."""
    X, y = check_pm1_data(X, y)
    R = _table(table, "multiplicative rule")
    rows = (X > 0).astype(np.int64)
    on = X > 0
    w = np.ones(X.shape[1])
    traj = np.empty((len(order) + 1, X.shape[1]))
    traj[0] = w
    mistakes = np.zeros(len(order), dtype=bool)
    for t, i in enumerate(order):
        pred = 1 if w[on[i]].sum() >= threshold else -1
        if pred != y[i]:
            w = w * R[rows[i], (1 - y[i]) // 2]
            mistakes[t] = True
        traj[t + 1] = w
    return Run(traj, mistakes, np.asarray(order))


def two_output_rule(X, y, order: np.ndarray, rule) -> Run:
    """Two output nodes (label -1 -> index 0, +1 -> index 1), logits U x, argmax with ties to index 0, U = 0.
    On a mistake ``U[y] += rule[fired, 0]`` and ``U[ŷ] += rule[fired, 1]`` (catalog A3: rows not fired / fired,
    columns true / predicted). Trajectory shape (steps + 1, 2, n)."""
    X, y = check_pm1_data(X, y)
    R = _table(rule, "two-output rule")
    fired = (X > 0).astype(np.int64)
    cls = (y + 1) // 2
    U = np.zeros((2, X.shape[1]))
    traj = np.empty((len(order) + 1, 2, X.shape[1]))
    traj[0] = U
    mistakes = np.zeros(len(order), dtype=bool)
    for t, i in enumerate(order):
        pred = int(np.argmax(U @ X[i]))
        if pred != cls[i]:
            U = U.copy()
            U[cls[i]] += R[fired[i], 0]
            U[pred] += R[fired[i], 1]
            mistakes[t] = True
        traj[t + 1] = U
    return Run(traj, mistakes, np.asarray(order))


def random_pm1_task(n: int, m: int, rng: np.random.Generator, noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Random ±1 inputs labelled by a random halfspace through 0 (ties -> +1), a fraction ``noise`` flipped."""
    X = rng.choice(np.array([-1.0, 1.0]), size=(m, n))
    w = rng.standard_normal(n)
    y = np.where(X @ w >= 0, 1, -1)
    flip = rng.random(m) < noise
    return X, np.where(flip, -y, y)
