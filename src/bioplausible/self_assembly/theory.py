"""Numerical checks of the self-assembly paper's theory (Liao et al. 2024; catalog A10): the optional ``sa_thm_*``.

- Lemma 1 (eqs. 13-16, A10.1): with η_V = η_V̄ = η, one γ and the post-activation V̄ rule, the difference
  D_t = V_t − V̄_tᵀ of every hidden site obeys D_{t+1} = (1 − ηγ) D_t exactly, whatever the data, W and W̄:

      log‖D_t‖ − log‖D_0‖ = t · log(1 − ηγ)

- Theorem 1 (eq. 9, A10.2), a diagnostic on a probe batch: G_SAL = ⟨V̄ h̄ hᵀ⟩ (SAL's W data term) against
  G_BP = −∇_W ⟨F⟩ (autograd through the upstream net with the same W) and against H G_BP, H = V̄ V̄ᵀ.
- Proposition 1 (eqs. 39-40, A10.3): forward Euler on θ̇ = −H ∇L for L(θ) = ½‖Aθ − b‖², H = M Mᵀ:

      θ_{t+1} = θ_t − dt · H Aᵀ(Aθ_t − b)

  L is non-increasing; with H full rank θ → θ* = lstsq(A, b); with H rank-deficient θ stays in θ_0 + range(M) and goes
  to θ_0 + M (AM)⁺ (b − Aθ_0), where H∇L = 0 but ∇L need not vanish.
- Short-term modulation (Sec. 2.3, A10.5): after one forward and downstream pass, a second forward pass with
  h'_{i+1} = ReLU(W_i h'_i) + τ V̄_i h̄_{i+1} (hidden layers) and ŷ' = W h' + τ ε (output), h̄ and ε from the first pass.

Indexing is the circuit's (``circuit.py``): ``W[i]`` maps h_i → h_{i+1}; hidden site j = 1 … L-2 holds ``V[j-1]`` and
``W̄[j-1]``; ``V̄[i]`` feeds upstream site i+1, so Lemma 1 pairs ``V[k]`` with ``V̄[k]ᵀ``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .circuit import Circuit, CircuitConfig, output_error

__all__ = [
    "cosine", "loss_per_example", "circuit_from_weights", "alignment_run_params",
    "lemma1_trajectory", "lemma1_max_deviation", "first_nonfinite_step",
    "lstsq_problem", "euler_preconditioned", "prop1_limits",
    "alignment_diagnostics", "modulated_losses", "summarise_modulation",
]


def cosine(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray) -> float:
    """cos(vec a, vec b); an error if the shapes differ or either is zero (the cosine is undefined)."""
    a64 = torch.as_tensor(a).double().flatten()
    b64 = torch.as_tensor(b).double().flatten()
    if a64.shape != b64.shape:
        raise ValueError(f"cosine: shapes differ, {tuple(torch.as_tensor(a).shape)} vs {tuple(torch.as_tensor(b).shape)}")
    na, nb = float(a64.norm()), float(b64.norm())
    if na == 0.0 or nb == 0.0:
        raise ValueError("cosine: a zero matrix has no direction")
    return float(a64 @ b64) / (na * nb)


def loss_per_example(logits: torch.Tensor, targets: torch.Tensor, loss: str) -> torch.Tensor:
    """F(ŷ) per example, the loss whose negative gradient is ``output_error``: CE; BCE summed over labels;
    MSE ‖y − ŷ‖² (one-hot y)."""
    if loss == "ce":
        return F.cross_entropy(logits, targets, reduction="none")
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(logits, targets.to(logits.dtype), reduction="none").sum(1)
    if loss == "mse":
        return ((F.one_hot(targets, logits.shape[1]).to(logits.dtype) - logits) ** 2).sum(1)
    raise ValueError(f"loss {loss!r}: expected 'ce', 'bce' or 'mse'")


def circuit_from_weights(cfg: CircuitConfig, weights: Mapping[str, Sequence[torch.Tensor]], *,
                         dtype=torch.float64) -> Circuit:
    """A CPU circuit whose four synapse lists are copies of ``weights`` (e.g. a run's ``weights_end``)."""
    c = Circuit(cfg, torch.Generator().manual_seed(0), dtype=dtype)
    for name, mats in c.matrices().items():
        if name not in weights:
            raise KeyError(f"circuit_from_weights: weights lack {name!r} (have {sorted(weights)})")
        src = list(weights[name])
        if len(src) != len(mats) or any(tuple(s.shape) != tuple(m.shape) for s, m in zip(src, mats)):
            raise ValueError(f"circuit_from_weights: {name} shapes {[tuple(s.shape) for s in src]} do not fit "
                             f"the config's {[tuple(m.shape) for m in mats]}")
        mats[:] = [s.detach().to(device="cpu", dtype=dtype).clone() for s in src]
    return c


def alignment_run_params(cfg_sa: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of sa_thm_gd_alignment's SAL run: the train section's protocol for the dataset (``run_params``),
    with the artifact's epochs / n_train / n_test / seed where set (null = the protocol's), weights kept, and the probe
    size."""
    from .experiment import run_params

    a = cfg_sa["thm_gd_alignment"]
    over: dict[str, Any] = {"keep_weights": True, "seeds": [int(a["seed"])]}
    for key in ("epochs", "n_train", "n_test"):
        if a[key] is not None:
            over[key] = a[key]
    p = run_params(cfg_sa, a["dataset"], "sal", over)
    p["n_probe"] = int(a["n_probe"])
    return p


# --- Lemma 1 ---------------------------------------------------------------------------------------------------

def lemma1_trajectory(circuit: Circuit, x: torch.Tensor, y: torch.Tensor, *, steps: int, batch_size: int,
                      generator: torch.Generator) -> dict[str, np.ndarray]:
    """Run ``steps`` SAL steps on shuffled mini-batches of (x, y) and record, per hidden site k (columns), before the
    first step and after every step (rows): log‖V_k − V̄_kᵀ‖_F and cos(vec V_k, vec V̄_kᵀ)."""
    if steps < 1 or batch_size < 1:
        raise ValueError(f"lemma1_trajectory: steps ({steps}) and batch_size ({batch_size}) must be positive")
    n = len(x)
    sites = len(circuit.V)
    log_d = np.empty((steps + 1, sites))
    cos = np.empty((steps + 1, sites))

    def record(t: int) -> None:
        for k, (v, vb) in enumerate(zip(circuit.V, circuit.Vbar)):
            log_d[t, k] = math.log(float((v - vb.t()).norm()))
            cos[t, k] = cosine(v, vb.t())

    record(0)
    order = torch.randperm(n, generator=generator)
    pos = 0
    for t in range(1, steps + 1):
        if pos + batch_size > n:                       # a new epoch: reshuffle
            order, pos = torch.randperm(n, generator=generator), 0
        idx = order[pos:pos + batch_size]
        pos += batch_size
        circuit.step(x[idx], y[idx])
        record(t)
    return {"log_d": log_d, "cos": cos}


def lemma1_max_deviation(log_d: np.ndarray, eta_gamma: float, *, floor: float = 1e-10) -> float:
    """max over t and sites of |log‖D_t‖ − log‖D_0‖ − t·log(1 − ηγ)|, over the steps where ‖D_t‖ > floor·‖D_0‖
    (below that, round-off of V and V̄ themselves dominates the difference) and ‖D_t‖ is finite (a diverging control
    run counts up to its last finite step); NaN if no step qualifies."""
    if not 0.0 < eta_gamma < 1.0:
        raise ValueError(f"lemma1_max_deviation: eta_gamma must lie in (0, 1), got {eta_gamma}")
    log_d = np.asarray(log_d, dtype=np.float64)
    if log_d.ndim == 1:
        log_d = log_d[:, None]
    t = np.arange(len(log_d))[:, None]
    rel = log_d - log_d[0]
    dev = np.abs(rel - t * math.log1p(-eta_gamma))
    with np.errstate(invalid="ignore"):
        keep = np.isfinite(rel) & (rel > math.log(floor))
    return float(dev[keep].max()) if keep.any() else float("nan")


def first_nonfinite_step(log_d: np.ndarray) -> int:
    """The first step whose log‖D_t‖ (any site) is not finite (the run diverged there); -1 if every step is finite."""
    bad = ~np.isfinite(np.asarray(log_d, dtype=np.float64).reshape(len(log_d), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else -1


# --- Proposition 1 ---------------------------------------------------------------------------------------------

def lstsq_problem(seed: int, n_obs: int, n_params: int, m_cols: int) -> dict[str, np.ndarray]:
    """A, b i.i.d. N(0, 1) (n_obs × n_params, n_obs) and M i.i.d. N(0, 1) (n_params × m_cols); H = M Mᵀ."""
    if min(n_obs, n_params, m_cols) < 1:
        raise ValueError(f"lstsq_problem: sizes must be positive, got n_obs={n_obs}, n_params={n_params}, m_cols={m_cols}")
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n_obs, n_params))
    b = rng.standard_normal(n_obs)
    M = rng.standard_normal((n_params, m_cols))
    return {"A": A, "b": b, "M": M, "H": M @ M.T}


def euler_preconditioned(A: np.ndarray, b: np.ndarray, H: np.ndarray, theta0: np.ndarray, dt: float,
                         n_steps: int, *, chunk: int = 256) -> dict[str, np.ndarray]:
    """Forward Euler θ_{t+1} = θ_t − dt·H Aᵀ(Aθ_t − b) for ``n_steps``; returns L_t = ½‖Aθ_t − b‖² for t = 0 … n_steps,
    θ at the end, and ‖∇L‖, ‖H∇L‖ at the end of every chunk (``t_check``).

    The recursion is affine, θ_{t+1} = P θ_t + q with P = I − dt·H AᵀA and q = dt·H Aᵀ b, so the ``chunk`` states after
    θ_t are computed at once from the precomputed P^j and Σ_{i<j} P^i q (j = 1 … chunk): the same Euler iterates as the
    step-by-step loop (tested), far fewer Python steps."""
    if n_steps < 1 or chunk < 1 or dt <= 0:
        raise ValueError(f"euler_preconditioned: n_steps ({n_steps}), chunk ({chunk}) and dt ({dt}) must be positive")
    n = A.shape[1]
    P = np.eye(n) - dt * H @ A.T @ A
    q = dt * H @ A.T @ b
    pows = np.empty((chunk, n, n))
    offs = np.empty((chunk, n))
    pk, ok = np.eye(n), np.zeros(n)
    for j in range(chunk):
        pk, ok = P @ pk, P @ ok + q
        pows[j], offs[j] = pk, ok
    losses = np.empty(n_steps + 1)
    theta = np.asarray(theta0, dtype=np.float64).copy()
    r = A @ theta - b
    losses[0] = 0.5 * r @ r
    t_check, grad_norm, hgrad_norm = [], [], []
    t = 0
    while t < n_steps:
        c = min(chunk, n_steps - t)
        states = pows[:c] @ theta + offs[:c]             # (c, n): θ_{t+1} … θ_{t+c}
        res = states @ A.T - b
        losses[t + 1:t + c + 1] = 0.5 * np.einsum("ij,ij->i", res, res)
        theta = states[-1]
        t += c
        g = A.T @ res[-1]
        t_check.append(t)
        grad_norm.append(float(np.linalg.norm(g)))
        hgrad_norm.append(float(np.linalg.norm(H @ g)))
    return {"loss": losses, "theta": theta, "t_check": np.array(t_check), "grad_norm": np.array(grad_norm),
            "hgrad_norm": np.array(hgrad_norm)}


def prop1_limits(A: np.ndarray, b: np.ndarray, M: np.ndarray, theta0: np.ndarray) -> dict[str, np.ndarray]:
    """θ* = lstsq(A, b) (plain GD's stationary point) and the limit of preconditioned GD from θ_0 when H = M Mᵀ:
    θ_0 + M (AM)⁺ (b − Aθ_0), the minimiser of L over θ_0 + range(M) (= θ* when M has full row rank)."""
    theta_star = np.linalg.lstsq(A, b, rcond=None)[0]
    z = np.linalg.lstsq(A @ M, b - A @ theta0, rcond=None)[0]
    return {"theta_star": theta_star, "theta_limit": theta0 + M @ z}


# --- Theorem 1 diagnostic --------------------------------------------------------------------------------------

def alignment_diagnostics(circuit: Circuit, x: torch.Tensor, y: torch.Tensor) -> dict[str, list[float]]:
    """Per upstream layer i (``W[i]``) on the batch (x, y): cos(G_SAL, G_BP), cos(G_SAL, H G_BP), λ_min(H) and
    ‖G_SAL‖/‖G_BP‖, with G_SAL = ⟨V̄_i h̄_{i+1} h_iᵀ⟩ (the top layer's V̄ is I), G_BP = −∇_{W_i}⟨F⟩ by autograd through
    the same W, H = V̄_i V̄_iᵀ. Also, per hidden site, the size of one SAL step of V and V̄ on this batch relative to the
    matrix, ‖η(⟨·⟩ − γX)‖/‖X‖ (Theorem 1 assumes ΔV, ΔV̄ = O(ε))."""
    cfg = circuit.cfg
    inc, _ = circuit.increments(x, y)
    ws = [w.detach().clone().requires_grad_(True) for w in circuit.W]
    h = x.to(ws[0].dtype)
    for i, w in enumerate(ws):
        z = h @ w.t()
        h = torch.relu(z) if i < len(ws) - 1 else z
    loss = loss_per_example(h, y, cfg.loss).mean()
    grads = torch.autograd.grad(loss, ws)
    out: dict[str, list[float]] = {"cos_sal_bp": [], "cos_sal_hbp": [], "lambda_min_H": [], "norm_ratio_sal_bp": []}
    for i, (g_sal, g) in enumerate(zip(inc["W"], grads)):
        g_bp = -g.detach()
        H = circuit.Vbar[i] @ circuit.Vbar[i].t() if i < len(circuit.Vbar) else torch.eye(g_bp.shape[0], dtype=g_bp.dtype)
        out["cos_sal_bp"].append(cosine(g_sal, g_bp))
        out["cos_sal_hbp"].append(cosine(g_sal, H @ g_bp))
        out["lambda_min_H"].append(float(torch.linalg.eigvalsh(H.double())[0]))
        out["norm_ratio_sal_bp"].append(float(g_sal.norm() / g_bp.norm()))
    for name in ("V", "Vbar"):
        rate = float(cfg.rates[name]) if name in cfg.plastic else 0.0
        out[f"rel_step_{name}"] = [float((rate * (d - cfg.gamma * m)).norm() / m.norm())
                                   for d, m in zip(inc[name], circuit.matrices()[name])]
    return out


# --- Short-term modulation -------------------------------------------------------------------------------------

@torch.no_grad()
def modulated_losses(circuit: Circuit, x: torch.Tensor, y: torch.Tensor, tau: float, *, hidden: bool = True,
                     output: bool = True) -> dict[str, torch.Tensor]:
    """Per-example F(ŷ) of the plain forward pass and F(ŷ') of the modulated second pass (A10.5): h̄ and ε from the
    first pass; h'_{i+1} = ReLU(W_i h'_i) + τ V̄_i h̄_{i+1} for the hidden layers (``hidden``), ŷ' = W h' + τ ε
    (``output``)."""
    cfg = circuit.cfg
    hs, _ = circuit.forward(x)
    eps = output_error(hs[-1], y, cfg.loss)
    hbar = circuit.downstream(eps, hs)
    L = circuit.n_layers
    h = x
    for i, w in enumerate(circuit.W):
        z = h @ w.t()
        if i < L - 2:
            h = torch.relu(z) + (tau * hbar[i + 1] @ circuit.Vbar[i].t() if hidden else 0.0)
        else:
            h = z + (tau * eps if output else 0.0)
    return {"before": loss_per_example(hs[-1], y, cfg.loss), "after": loss_per_example(h, y, cfg.loss)}


def summarise_modulation(circuit: Circuit, x: torch.Tensor, y: torch.Tensor,
                         taus: Sequence[float]) -> dict[str, Any]:
    """Mean ΔF = F(ŷ') − F(ŷ) and the fraction of examples whose loss fell, per τ, for the full modulation and for
    its hidden-layer and output parts alone."""
    out: dict[str, Any] = {"taus": [float(t) for t in taus]}
    for variant, kw in (("all", {}), ("hidden", {"output": False}), ("output", {"hidden": False})):
        mean_d, frac = [], []
        for tau in taus:
            r = modulated_losses(circuit, x, y, float(tau), **kw)
            d = (r["after"] - r["before"]).double()
            mean_d.append(float(d.mean()))
            frac.append(float((d < 0).double().mean()))
        out[f"mean_dloss_{variant}"] = mean_d
        out[f"frac_decreased_{variant}"] = frac
    out["mean_loss_before"] = float(modulated_losses(circuit, x, y, 0.0)["before"].double().mean())
    return out
