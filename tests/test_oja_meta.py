"""Eq. 9 local rule with plastic feedback and its meta-learning loop (catalog A7; bioplausible.oja.meta)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from bioplausible.oja import meta as m

pytestmark = pytest.mark.usefixtures("one_thread")

BETA = 10.0
WIDTHS = (6, 5, 4, 3)
C = WIDTHS[-1]
D = torch.float64


def _net(seed=0, widths=WIDTHS):
    g = torch.Generator().manual_seed(seed)
    return m.xavier_uniform(widths, g, D), m.xavier_uniform(widths, g, D)


def _example(seed=1, label=2):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(WIDTHS[0], generator=g, dtype=D)
    return x, F.one_hot(torch.tensor(label), C).to(D)


def _theta(**kw):
    return torch.tensor([float(kw.get(n, 0.0)) for n in m.THETA_NAMES], dtype=D)


def test_theta0_symmetric_step_is_one_step_of_backprop():
    """Eq. 9 with only theta_0 and B := W equals W - theta_0 dCE/dW (autograd), every layer."""
    Ws, _ = _net()
    x, oh = _example()
    th0 = 0.37
    new_W, new_B = m.eq9_step(_theta(theta_0=th0), Ws, None, x, oh, beta=BETA, symmetric=True)
    leaves = [W.clone().requires_grad_(True) for W in Ws]
    loss = F.cross_entropy(m.logits_of(leaves, x[None], BETA), oh.argmax()[None])
    grads = torch.autograd.grad(loss, leaves)
    for W, g, Wn in zip(Ws, grads, new_W):
        torch.testing.assert_close(Wn, W - th0 * g, atol=1e-12, rtol=0)
    assert all(b is w for b, w in zip(new_B, new_W))        # symmetric feedback follows the updated W


def test_errors_with_symmetric_feedback_are_the_autograd_gradients_wrt_z():
    Ws, _ = _net()
    x, oh = _example()
    leaves = [W.clone().requires_grad_(True) for W in Ws]
    ys, zL = m.forward(leaves, x, BETA)
    es = m.errors(Ws, [y.detach() for y in ys], zL.detach(), oh, BETA)
    # e_l y_{l-1}^T = dL/dW_l (Eq. 8)
    loss = F.cross_entropy(zL[None], oh.argmax()[None])
    grads = torch.autograd.grad(loss, leaves)
    for l, g in enumerate(grads):
        torch.testing.assert_close(torch.outer(es[l + 1], ys[l].detach()), g, atol=1e-12, rtol=0)
    # e_0 on the raw input: (W_1^T e_1) * (1 - exp(-beta x)) (ref15-code)
    torch.testing.assert_close(es[0], (Ws[0].T @ es[1]) * (1 - torch.exp(-BETA * x)), atol=1e-14, rtol=0)


def test_feedback_update_has_the_catalog_shape_and_value():
    """dB_l = -theta_4 y_l e_{l-1}^T + theta_9 B_l, stored with W_l's shape (d_l, d_{l-1})."""
    Ws, Bs = _net()
    x, oh = _example()
    th4, th9 = 0.3, -0.05
    new_W, new_B = m.eq9_step(_theta(theta_4=th4, theta_9=th9), Ws, Bs, x, oh, beta=BETA, symmetric=False)
    ys, zL = m.forward(Ws, x, BETA)
    es = m.errors(Bs, ys, zL, oh, BETA)
    post = [*ys[1:], torch.softmax(zL, -1)]
    for l in range(len(Ws)):
        dB = new_B[l] - Bs[l]
        assert dB.shape == Ws[l].shape == (WIDTHS[l + 1], WIDTHS[l])
        # by hand, element by element
        expect = torch.empty_like(dB)
        for i in range(dB.shape[0]):
            for j in range(dB.shape[1]):
                expect[i, j] = -th4 * post[l][i] * es[l][j] + th9 * Bs[l][i, j]
        torch.testing.assert_close(dB, expect, atol=1e-14, rtol=0)
        torch.testing.assert_close(new_W[l], Ws[l], atol=0, rtol=0)   # theta_0..3 = 0: W unchanged
    # Ambiguity 19 alternative: -theta_4 e_l y_{l-1}^T
    _, kp = m.eq9_step(_theta(theta_4=th4), Ws, Bs, x, oh, beta=BETA, symmetric=False, feedback_update="kolen_pollack")
    for l in range(len(Ws)):
        torch.testing.assert_close(kp[l] - Bs[l], -th4 * torch.outer(es[l + 1], ys[l]), atol=1e-14, rtol=0)


def test_forward_terms_hebbian_oja_decay_by_hand():
    Ws, Bs = _net()
    x, oh = _example()
    th1, th2, th3 = 0.2, 0.1, 0.01
    new_W, _ = m.eq9_step(_theta(theta_1=th1, theta_2=th2, theta_3=th3), Ws, Bs, x, oh, beta=BETA, symmetric=False)
    ys, zL = m.forward(Ws, x, BETA)
    es = m.errors(Bs, ys, zL, oh, BETA)   # errors travel through B, not W
    post = [*ys[1:], torch.softmax(zL, -1)]
    for l, W in enumerate(Ws):
        y, yp = post[l][:, None], ys[l][:, None]
        oja = y @ yp.T - (y @ y.T) @ W
        expect = W + th1 * es[l + 1][:, None] @ es[l][None, :] + th2 * oja - th3 * W
        torch.testing.assert_close(new_W[l], expect, atol=1e-14, rtol=0)


def test_meta_gradient_of_two_step_inner_loop_matches_finite_differences():
    Ws, Bs = _net(3)
    g = torch.Generator().manual_seed(4)
    xs = torch.rand(2, WIDTHS[0], generator=g, dtype=D)
    labels = torch.tensor([0, 2])
    xq = torch.rand(5, WIDTHS[0], generator=g, dtype=D)
    yq = torch.tensor([0, 1, 2, 2, 1])
    base = torch.tensor([0.3, 0.1, 0.2, 0.05, 0.4, -0.1], dtype=D)

    def loss_of(theta):
        W, _ = m.inner_loop(theta, Ws, Bs, xs, labels, C, beta=BETA, symmetric=False)
        return F.cross_entropy(m.logits_of(W, xq, BETA), yq)

    theta = base.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_of(theta), theta)
    h = 1e-6
    fd = torch.stack([(loss_of(base + h * e) - loss_of(base - h * e)) / (2 * h) for e in torch.eye(6, dtype=D)])
    assert grad.abs().max() > 1e-3           # the test is not vacuous: every term matters
    torch.testing.assert_close(grad, fd, atol=1e-7, rtol=1e-5)
    # the same for the symmetric (BP) path w.r.t. theta_0
    def bp_loss(th0):
        W, _ = m.inner_loop(m.full_theta(th0[None], ("theta_0",)), Ws, None, xs, labels, C, beta=BETA, symmetric=True)
        return F.cross_entropy(m.logits_of(W, xq, BETA), yq)
    t0 = torch.tensor(0.5, dtype=D, requires_grad=True)
    (g0,) = torch.autograd.grad(bp_loss(t0), t0)
    fd0 = (bp_loss(torch.tensor(0.5 + h, dtype=D)) - bp_loss(torch.tensor(0.5 - h, dtype=D))) / (2 * h)
    torch.testing.assert_close(g0, fd0, atol=1e-7, rtol=1e-5)


def _pool(n_per_class=4, n_classes=6, d=WIDTHS[0]):
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(n_classes).repeat_interleave(n_per_class)
    imgs = torch.randint(0, 256, (len(labels), d), generator=g, dtype=torch.uint8)
    return m.EpisodePool.from_uint8(imgs, labels, n_classes, D)


def test_episode_sampling_distinct_classes_and_images():
    pool = _pool()
    xs, ys, xq, yq = m.sample_episode(pool, np.random.default_rng(0), n_way=3, k_shot=2, q_query=2,
                                      with_replacement=False)
    assert xs.shape == (6, WIDTHS[0]) and xq.shape == (6, WIDTHS[0])
    assert len(set(ys.tolist())) == 3 and set(ys.tolist()) == set(yq.tolist())
    assert float(xs.max()) <= 1.0 and float(xs.min()) >= 0.0
    with pytest.raises(ValueError, match="k_shot \\+ q_query"):
        m.sample_episode(pool, np.random.default_rng(0), n_way=3, k_shot=3, q_query=2, with_replacement=False)
    with pytest.raises(ValueError, match="n_way=7"):
        m.sample_episode(pool, np.random.default_rng(0), n_way=7, k_shot=1, q_query=1, with_replacement=True)


def test_meta_train_updates_only_active_theta_and_logs():
    pool = _pool()
    cfg = m.MetaConfig(widths=(WIDTHS[0], 5, 6), beta=BETA, n_way=3, k_shot=2, q_query=1, episodes=3, meta_lr=1e-2,
                       theta0_init=1e-3, l1=5e-4, clip=1.0, images_with_replacement=False)
    bp = m.meta_train(cfg, pool, "bp", 0, dtype=D)
    loc = m.meta_train(cfg, pool, "local", 0, dtype=D)
    abl = m.meta_train(cfg, pool, "local_no_oja", 0, dtype=D)
    assert bp["theta"].shape == (3, 6) and np.all(bp["theta"][:, 1:] == 0) and bp["theta_final"][0] != 1e-3
    assert np.all(loc["theta_final"] != 0)
    assert abl["theta_final"][2] == 0 and np.all(abl["theta"][:, 2] == 0)
    np.testing.assert_allclose(bp["theta"][0], [1e-3, 0, 0, 0, 0, 0])
    assert not bp["nan"].any() and np.all(np.isfinite(loc["meta_loss"]))
    with pytest.raises(ValueError, match="unknown method"):
        m.meta_train(cfg, pool, "fa", 0)


def test_moving_average_trailing_window():
    np.testing.assert_allclose(m.moving_average(np.array([1.0, 3, 5, 7]), 2), [1, 2, 4, 6])
    np.testing.assert_allclose(m.moving_average(np.array([1.0, 3, 5]), 10), [1, 2, 3])


def test_config_cross_checks_name_the_key():
    import yaml

    from bioplausible.oja import experiment_meta as ex

    meta = yaml.safe_load(open("workflow/config/quick.yaml"))["oja"]["meta"]
    inputs = ex.fig8_inputs({"oja": {"meta": meta}})
    assert inputs["local_s0"] == "results/sims/oja/meta/local_s0.npz" and len(inputs) == 2 * len(meta["seeds"])
    assert ex.rule_params(meta, "bp", "1")["seed"] == 1 and "ma_window" not in ex.rule_params(meta, "bp", 1)
    with pytest.raises(ValueError, match="oja.meta.last_episodes"):
        ex.check({**meta, "last_episodes": meta["episodes"] + 1})
