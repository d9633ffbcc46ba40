"""Check that the matrix ODE of URFB decouples into scalar ODEs along singular directions (S3).

Paper: Y. Amit, "Biologically Plausible Deep Learning" (arXiv preprint), Sec. 3.1 eqs. 11-14 (two layers)
and Sec. 3.2 eqs. 15-16 (k layers). Catalog A8.2, A8.3, A8.4 S3, Ambiguity 25.

Initial condition (catalog A8.3, with the paper's shape typo corrected): T = U diag(lam_T) V^T with U
(n_k x n_k) orthogonal and V (n_0 x n_k) orthonormal columns; U_1 := V, U_{k+1} := U, and for i = 2..k a
random U_i (n_{i-1} x n_k) with orthonormal columns; R_i(0) = U_i diag(lam_{R,i}) U_{i+1}^T; W_i(0) = 0.
(For k = 2, U_2 is the paper's S.) Then W_i(t) = U_{i+1} Lambda_i(t) U_i^T with Lambda_i diagonal and its
diagonal obeys eq. 16 (eq. 14 for k = 2) per direction; R_i(t) = U_i (diag(lam_{R,i}) + eps Lambda_i) U_{i+1}^T.

The matrix ODE dW_i/dt = G_i, dR_i/dt = eps G_i^T (G_i from :func:`linear_dynamics.update_directions`)
and the scalar ODEs are both integrated with scipy RK45 at the same rtol/atol on the same grid, so the
comparison is like for like.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.integrate import solve_ivp

from .linear_dynamics import output_error, update_directions
from .scalar_dynamics import ATOL, RTOL, solve_k_layer, solve_two_layer


def random_orthonormal(rng: np.random.Generator, n_rows: int, n_cols: int) -> np.ndarray:
    """An (n_rows x n_cols) matrix with orthonormal columns (QR of a Gaussian matrix, signs fixed)."""
    if n_cols > n_rows:
        raise ValueError(f"cannot have {n_cols} orthonormal columns in R^{n_rows}")
    q, r = np.linalg.qr(rng.standard_normal((n_rows, n_cols)))
    return q * np.sign(np.diag(r))


def decoupled_initial_condition(
    seed: int, dims: Sequence[int], lam_T: np.ndarray, lam_Rs: np.ndarray
) -> dict[str, object]:
    """Build T, the frames U_1..U_{k+1}, W_i(0) = 0 and R_i(0) = U_i diag(lam_{R,i}) U_{i+1}^T.

    dims = (n_0, ..., n_k) with n_k <= every other n_i; lam_T has length n_k; lam_Rs has shape (k-1, n_k)
    (row j is lam_{R,j+2}; scalars and 1-D rows broadcast). Returns ``{"target", "frames": [U_1..U_{k+1}],
    "weights0", "feedback0", "lam_T", "lam_Rs"}``.
    """
    dims = [int(d) for d in dims]
    k = len(dims) - 1
    n_k = dims[-1]
    if any(d < n_k for d in dims[:-1]):
        raise ValueError(f"need n_k <= n_0..n_(k-1), got dims {dims}")
    lam_T = np.broadcast_to(np.asarray(lam_T, dtype=np.float64), (n_k,)).copy()
    lam_Rs = np.broadcast_to(np.asarray(lam_Rs, dtype=np.float64).reshape(-1, 1)
                             if np.ndim(lam_Rs) <= 1 and np.size(lam_Rs) == k - 1
                             else np.asarray(lam_Rs, dtype=np.float64), (k - 1, n_k)).copy()
    rng = np.random.default_rng(seed)
    u_out = random_orthonormal(rng, n_k, n_k)  # U = U_{k+1}
    v_in = random_orthonormal(rng, dims[0], n_k)  # V = U_1
    middle = [random_orthonormal(rng, dims[i - 1], n_k) for i in range(2, k + 1)]  # U_2..U_k
    frames = [v_in, *middle, u_out]  # frames[i-1] = U_i, i = 1..k+1
    target = u_out @ np.diag(lam_T) @ v_in.T
    weights0 = [np.zeros((dims[i], dims[i - 1])) for i in range(1, k + 1)]
    feedback0 = [frames[i - 1] @ np.diag(lam_Rs[i - 2]) @ frames[i].T for i in range(2, k + 1)]
    return {
        "target": target, "frames": frames, "weights0": weights0, "feedback0": feedback0,
        "lam_T": lam_T, "lam_Rs": lam_Rs,
    }


def _pack(mats: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([m.ravel() for m in mats])


def _unpack(y: np.ndarray, shapes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    out, pos = [], 0
    for shp in shapes:
        size = shp[0] * shp[1]
        out.append(y[pos:pos + size].reshape(shp))
        pos += size
    return out


def matrix_ode_rhs(t: float, y: np.ndarray, target: np.ndarray, w_shapes, r_shapes, eps: float) -> np.ndarray:
    """Eq. 15 (eq. 11 for k = 2) in packed form: dW_i/dt = G_i, dR_i/dt = eps G_i^T."""
    n_w = sum(a * b for a, b in w_shapes)
    weights = _unpack(y[:n_w], w_shapes)
    feedback = _unpack(y[n_w:], r_shapes)
    g = update_directions(weights, feedback, output_error(target, weights))
    return _pack([*g, *[eps * gi.T for gi in g[1:]]])


def integrate_matrix_ode(
    target: np.ndarray,
    weights0: Sequence[np.ndarray],
    feedback0: Sequence[np.ndarray],
    eps: float,
    t_eval: np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """RK45 solution of eq. 15. Returns ``(W_traj, R_traj)``: W_traj[i] has shape (nt, n_{i+1}, n_i)."""
    w_shapes = [w.shape for w in weights0]
    r_shapes = [r.shape for r in feedback0]
    t_eval = np.asarray(t_eval, dtype=np.float64)
    sol = solve_ivp(
        matrix_ode_rhs, (float(t_eval[0]), float(t_eval[-1])), _pack([*weights0, *feedback0]),
        method="RK45", t_eval=t_eval, args=(np.asarray(target, float), w_shapes, r_shapes, float(eps)),
        rtol=rtol, atol=atol,
    )
    if not sol.success:
        raise RuntimeError(f"solve_ivp failed: {sol.message}")
    ys = sol.y.T  # (nt, state)
    mats = [_unpack(row, [*w_shapes, *r_shapes]) for row in ys]
    k = len(w_shapes)
    w_traj = [np.array([m[i] for m in mats]) for i in range(k)]
    r_traj = [np.array([m[k + j] for m in mats]) for j in range(len(r_shapes))]
    return w_traj, r_traj


def _rel(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den with 0 where den == 0 (W(0) = 0 at t = 0)."""
    out = np.zeros_like(num)
    mask = den > 0
    out[mask] = num[mask] / den[mask]
    return out


def run_decoupling(
    seed: int,
    dims: Sequence[int],
    lam_T: np.ndarray,
    lam_Rs: np.ndarray,
    eps: float,
    t_eval: np.ndarray,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, object]:
    """S3: integrate the matrix ODE from the decoupled initial condition and compare with the scalar ODEs.

    Returns a dict with (nt = len(t_eval), k layers, n_k directions):
      ``t``; ``lam_matrix`` (k, nt, n_k): diag(U_{i+1}^T W_i U_i); ``lam_scalar`` (k, nt, n_k): eq. 14
      (k = 2) / eq. 16 solutions per direction; ``offdiag_rel`` (k, nt): ||offdiag Lambda_i||_F / ||Lambda_i||_F;
      ``outside_rel`` (k, nt): ||W_i - U_{i+1} Lambda_i U_i^T||_F / ||W_i||_F (mass outside the frames);
      ``feedback_rel`` (k-1, nt): ||R_i - U_i (diag lam_{R,i} + eps Lambda_i) U_{i+1}^T||_F / ||R_i||_F;
      ``diag_abs_err`` (k, nt): max over directions of |lam_matrix - lam_scalar|; plus ``eps``, ``dims``.
    """
    ic = decoupled_initial_condition(seed, dims, lam_T, lam_Rs)
    frames, lam_T_v, lam_R_m = ic["frames"], ic["lam_T"], ic["lam_Rs"]
    k = len(dims) - 1
    w_traj, r_traj = integrate_matrix_ode(ic["target"], ic["weights0"], ic["feedback0"], eps, t_eval, rtol, atol)
    proj = [np.einsum("ab,tbc,cd->tad", frames[i + 1].T, w_traj[i], frames[i]) for i in range(k)]
    diag = [np.diagonal(p, axis1=1, axis2=2) for p in proj]  # (nt, n_k) each
    offdiag_rel = np.array([
        _rel(np.linalg.norm(p - np.einsum("ti,ij->tij", d, np.eye(d.shape[1])), axis=(1, 2)),
             np.linalg.norm(p, axis=(1, 2)))
        for p, d in zip(proj, diag)
    ])
    outside_rel = np.array([
        _rel(np.linalg.norm(w_traj[i] - np.einsum("ab,tb,cb->tac", frames[i + 1], diag[i], frames[i]), axis=(1, 2)),
             np.linalg.norm(w_traj[i], axis=(1, 2)))
        for i in range(k)
    ])
    feedback_rel = np.array([
        _rel(np.linalg.norm(r_traj[i - 2] - np.einsum("ab,tb,cb->tac", frames[i - 1],
                                                       lam_R_m[i - 2][None, :] + eps * diag[i - 1], frames[i]),
                            axis=(1, 2)),
             np.linalg.norm(r_traj[i - 2], axis=(1, 2)))
        for i in range(2, k + 1)
    ]).reshape(k - 1, -1)
    t_eval = np.asarray(t_eval, dtype=np.float64)
    lam_scalar = np.zeros((k, len(t_eval), len(lam_T_v)))
    for d in range(len(lam_T_v)):
        if k == 2:
            sol = solve_two_layer(lam_T_v[d], lam_R_m[0, d], eps, t_eval, rtol, atol)
            lam_scalar[0, :, d], lam_scalar[1, :, d] = sol["lam1"], sol["lam2"]
        else:
            sol = solve_k_layer(lam_T_v[d], lam_R_m[:, d], eps, t_eval, rtol, atol)
            lam_scalar[:, :, d] = sol["lam"]
    lam_matrix = np.array(diag)
    return {
        "t": t_eval,
        "eps": float(eps),
        "dims": tuple(int(x) for x in dims),
        "lam_matrix": lam_matrix,
        "lam_scalar": lam_scalar,
        "offdiag_rel": offdiag_rel,
        "outside_rel": outside_rel,
        "feedback_rel": feedback_rel,
        "diag_abs_err": np.abs(lam_matrix - lam_scalar).max(axis=2),
    }
