"""Oja paper, online MLP: the manual BP errors against autograd, one Oja update by hand, Oja's subspace rule
converging to the principal subspace (catalog A10), and runs advancing together as if alone."""

import math

import pytest
import torch

from bioplausible.oja import online

pytestmark = pytest.mark.usefixtures("one_thread")
D = torch.float64


def test_bp_update_is_the_autograd_gradient():
    cfg = online.OnlineConfig(widths=(6, 5, 4, 3))
    W, _ = online.init_weights(cfg, [0], dtype=D)
    x = torch.rand(1, 6, dtype=D, generator=torch.Generator().manual_seed(1))
    c = torch.tensor([2])
    Wg = [w[0].clone().requires_grad_() for w in W]
    h = x
    for l, w in enumerate(Wg):
        z = h @ w.T
        h = torch.nn.functional.softplus(z, beta=cfg.beta) if l < len(Wg) - 1 else z
    loss = torch.nn.functional.cross_entropy(h, c)
    grads = torch.autograd.grad(loss, Wg)
    before = [w.clone() for w in W]
    online.online_step(W, None, x, c, torch.tensor([0.1], dtype=D), torch.tensor([0.0], dtype=D), beta=cfg.beta)
    for w0, w1, g in zip(before, W, grads):
        assert torch.allclose((w1[0] - w0[0]) / -0.1, g, atol=1e-10)


def test_one_oja_update_by_hand():
    # one layer W (2 x 3) as the output layer with oja_output: post-synaptic activity softmax(z)
    W = [torch.tensor([[[0.5, -1.0, 0.0], [1.0, 0.5, 2.0]]], dtype=D)]
    x = torch.tensor([[1.0, 2.0, 0.5]], dtype=D)
    z = W[0][0] @ x[0]                                     # (-1.5, 3.0)
    p = torch.softmax(z, 0)
    expected = 0.2 * (torch.outer(p, x[0]) - torch.outer(p, p) @ W[0][0])   # θ_2 (y xᵀ − y yᵀ W), θ_1 = 0
    before = W[0].clone()
    online.online_step(W, None, x, torch.tensor([0]), torch.tensor([0.0], dtype=D), torch.tensor([0.2], dtype=D),
                       beta=10.0)
    assert torch.allclose(W[0][0] - before[0], expected, atol=1e-12)
    # by hand for the first row: p_0 = 1 / (1 + e^4.5); Δw_00 = 0.2 (p_0 x_0 − p_0 (p_0 w_00 + p_1 w_10))
    p0 = 1 / (1 + math.exp(4.5))
    p1 = 1 - p0
    assert abs(float(W[0][0, 0, 0] - before[0, 0, 0]) - 0.2 * (p0 * 1.0 - p0 * (p0 * 0.5 + p1 * 1.0))) < 1e-12


def test_feedback_alignment_uses_B_not_W():
    cfg = online.OnlineConfig(widths=(4, 3, 2), feedback="fa")
    W, B = online.init_weights(cfg, [0], dtype=D)
    x, c = torch.rand(1, 4, dtype=D), torch.tensor([1])
    W_bp = [w.clone() for w in W]
    online.online_step(W, B, x, c, torch.tensor([0.5], dtype=D), torch.tensor([0.0], dtype=D), beta=10.0)
    online.online_step(W_bp, [w.clone() for w in W_bp], x, c, torch.tensor([0.5], dtype=D),
                       torch.tensor([0.0], dtype=D), beta=10.0)   # B = W: back-propagation
    assert torch.allclose(W[1], W_bp[1])                        # the output layer's update does not use feedback
    assert not torch.allclose(W[0], W_bp[0])                    # the hidden layer's error came through B


def test_oja_subspace_rule_finds_the_principal_subspace():
    # catalog A10.1, linear Oja: ΔW = η (y xᵀ − y yᵀ W), y = W x, x ~ N(0, Σ) with a clear gap after the top 5
    # variances: W Wᵀ -> I and the rows span the top-5 axes (principal angles of a few degrees)
    gen = torch.Generator().manual_seed(0)
    d, k = 20, 5
    var = torch.tensor([5.0, 4.0, 3.0, 2.5, 2.0] + [0.2] * 15, dtype=D)
    X = torch.randn(16000, d, generator=gen, dtype=D) * var.sqrt()
    W = 0.1 * torch.randn(k, d, generator=gen, dtype=D)
    for t, x in enumerate(X):
        y = W @ x
        eta = 0.003 if t < 8000 else 0.0005                      # a smaller step at the end shrinks the noise floor
        W += eta * (torch.outer(y, x) - torch.outer(y, y) @ W)
    assert torch.linalg.norm(W @ W.T - torch.eye(k, dtype=D)) < 1e-2
    Q, _ = torch.linalg.qr(W.T)                                   # orthonormal basis of the row space
    cosines = torch.linalg.svdvals(Q[:k])                         # cosines of the principal angles to the top-5 axes
    assert torch.rad2deg(torch.arccos(cosines.clamp(max=1.0))).max() < 5.0


def test_orthonormal_rows_preserve_and_project_norms():
    # catalog A10.2: W Wᵀ = I (wide-to-narrow) gives ‖Wᵀ u‖ = ‖u‖ and ‖W y‖ <= ‖y‖
    Q, _ = torch.linalg.qr(torch.randn(8, 3, dtype=D, generator=torch.Generator().manual_seed(2)))
    W = Q.T
    u, y = torch.randn(3, dtype=D), torch.randn(8, dtype=D)
    assert torch.allclose((W.T @ u).norm(), u.norm()) and (W @ y).norm() <= y.norm() + 1e-12


def test_runs_together_equal_runs_alone():
    cfg = online.OnlineConfig(widths=(10, 6, 4, 3))
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(50, 10, generator=gen)
    y = torch.randint(0, 3, (50,), generator=gen)
    seeds = [0, 1, 2]
    streams = online.training_streams(50, 20, seeds)
    t1, t2 = torch.tensor([0.05, 0.1, 0.05]), torch.tensor([0.0, 0.01, 0.02])
    W, B = online.init_weights(cfg, seeds)
    log = online.train_online(cfg, W, B, x, y, streams, t1, t2, x_val=x, y_val=y, eval_every=10)
    for r in range(3):
        Wr, Br = online.init_weights(cfg, [seeds[r]])
        logr = online.train_online(cfg, Wr, Br, x, y, streams[r:r + 1], t1[r:r + 1], t2[r:r + 1], x_val=x, y_val=y,
                                   eval_every=10)
        for a, b in zip(W, Wr):
            assert torch.allclose(a[r], b[0], atol=1e-6)
        assert torch.allclose(log.val_acc[-1][r], logr.val_acc[-1][0])
    assert log.seen == [0, 10, 20] and len(log.step_bp) == 20


def test_naive_init_has_the_stated_std_and_bad_config_is_named():
    cfg = online.OnlineConfig(widths=(400, 300, 10), init="naive")
    W, _ = online.init_weights(cfg, [0])
    assert abs(float(W[0].std()) - 0.01) < 5e-4
    with pytest.raises(ValueError, match="init 'gaussian'"):
        online.OnlineConfig(widths=(3, 2), init="gaussian")
