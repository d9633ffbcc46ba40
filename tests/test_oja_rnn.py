"""The vanilla RNN of the Oja paper (Sec. 2.4, catalog A6): manual BPTT = autograd, one BPTT+Oja update of W_h
against an independent per-timestep loop, and R vectorised runs = R separate runs."""

import numpy as np
import pytest
import torch

from bioplausible.oja import rnn

pytestmark = pytest.mark.usefixtures("one_thread")

D64 = torch.float64


def _tiny(R=2, H=3, D=4, C=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = rnn.RNNWeights(torch.randn(R, H, H, generator=g, dtype=D64) * 0.8,
                       torch.randn(R, H, D, generator=g, dtype=D64),
                       torch.randn(R, C, H, generator=g, dtype=D64))
    x = torch.rand(R, D, generator=g, dtype=D64)
    labels = torch.randint(0, C, (R,), generator=g)
    return w, x, labels


def _autograd_loss(w_h, w_x, w_o, x, label, steps, n_stim):
    """The RNN of paper Sec. 2.4 written plainly for one network and one sequence."""
    z = torch.zeros(w_h.shape[0], dtype=D64)
    for t in range(1, steps + 1):
        z = (w_h @ torch.tanh(z) if t > 1 else torch.zeros_like(z)) + (w_x @ x if t <= n_stim else 0.0)
    logits = w_o @ torch.tanh(z)
    return torch.nn.functional.cross_entropy(logits[None], label[None], reduction="sum")


@pytest.mark.parametrize("steps,n_stim", [(3, 1), (8, 2), (50, 5)])
def test_manual_bptt_equals_autograd(steps, n_stim):
    w, x, labels = _tiny(R=2, H=6, D=7, C=4)
    g, _, _ = rnn.bptt(w, x[:, None], labels[:, None], steps=steps, n_stim=n_stim)
    for r in range(2):
        params = [p[r].clone().requires_grad_(True) for p in (w.w_h, w.w_x, w.w_o)]
        loss = _autograd_loss(*params, x[r], labels[r], steps, n_stim)
        loss.backward()
        assert torch.allclose(g.loss[r], loss.detach(), atol=1e-12)
        for name, mine, ref in zip(("W_h", "W_x", "W_o"), (g.w_h[r], g.w_x[r], g.w_o[r]), params):
            diff = (mine - ref.grad).abs().max().item()
            assert diff < 1e-6, f"{name}: max abs diff {diff}"


def test_bptt_batch_sums_sequences():
    """B sequences per run: the summed gradient (used by nothing online, but the shapes must be right)."""
    w, x, labels = _tiny(R=1, H=3, D=4, C=5)
    x2 = torch.rand(1, 2, 4, dtype=D64)
    l2 = torch.tensor([[1, 3]])
    g, _, _ = rnn.bptt(w, x2, l2, steps=4, n_stim=2)
    g0, _, _ = rnn.bptt(w, x2[:, :1], l2[:, :1], steps=4, n_stim=2)
    g1, _, _ = rnn.bptt(w, x2[:, 1:], l2[:, 1:], steps=4, n_stim=2)
    assert torch.allclose(g.w_h, g0.w_h + g1.w_h, atol=1e-12)


def test_one_bptt_oja_update_by_hand():
    """H = 2, T = 3, one stimulus step: W_h after one BPTT+Oja update, recomputed from the catalog's A6 formula
    with scalars/2x2 matrices in an independent loop (numpy)."""
    steps, n_stim, theta_1, theta_2 = 3, 1, 0.1, 0.05
    wh = np.array([[0.5, -0.3], [0.2, 0.4]])
    wx = np.array([[1.0, -0.5, 0.2], [0.3, 0.8, -1.0]])
    wo = np.array([[0.7, -0.2], [-0.4, 0.9], [0.1, 0.3]])
    x = np.array([0.6, 0.1, 0.9])
    c = 2
    # forward: z_1 = W_x x, z_2 = W_h tanh(z_1), z_3 = W_h tanh(z_2)
    z = {1: wx @ x}
    z[2] = wh @ np.tanh(z[1])
    z[3] = wh @ np.tanh(z[2])
    logits = wo @ np.tanh(z[3])
    p = np.exp(logits - logits.max())
    p /= p.sum()
    onehot = np.eye(3)[c]
    e = {3: (wo.T @ (p - onehot)) * (1 - np.tanh(z[3]) ** 2)}
    e[2] = (wh.T @ e[3]) * (1 - np.tanh(z[2]) ** 2)
    e[1] = (wh.T @ e[2]) * (1 - np.tanh(z[1]) ** 2)
    grad_h = np.zeros((2, 2))
    oja = np.zeros((2, 2))
    for t in (1, 2):                                       # t = 1..T-1
        s = np.tanh(z[t])
        grad_h += np.outer(e[t + 1], s)
        u = wh @ s
        oja += np.outer(u, z[t]) - np.outer(u, u) @ wh     # u_t z_t^T - u_t u_t^T W_h
    wh_new = wh - theta_1 * grad_h + theta_2 * oja
    wx_new = wx - theta_1 * np.outer(e[1], x)
    wo_new = wo - theta_1 * np.outer(p - onehot, np.tanh(z[3]))

    w = rnn.RNNWeights(*(torch.tensor(a)[None] for a in (wh, wx, wo)))
    loss = rnn.update(w, torch.tensor(x)[None], torch.tensor([c]), torch.tensor([theta_1]), torch.tensor([theta_2]),
                      steps=steps, n_stim=n_stim)
    assert loss.item() == pytest.approx(-np.log(p[c]), abs=1e-12)
    np.testing.assert_allclose(w.w_h[0].numpy(), wh_new, atol=1e-12)
    np.testing.assert_allclose(w.w_x[0].numpy(), wx_new, atol=1e-12)
    np.testing.assert_allclose(w.w_o[0].numpy(), wo_new, atol=1e-12)


def test_oja_term_matches_paper_expression():
    """The paper's form  W_h s z^T - W_h s s^T W_h^T W_h  summed over t = 1..T-1 (not the last step)."""
    g = torch.Generator().manual_seed(3)
    wh = torch.randn(1, 3, 3, generator=g, dtype=D64)
    z = torch.randn(4, 1, 1, 3, generator=g, dtype=D64)
    s = torch.tanh(z)
    ref = sum(wh[0] @ s[t, 0, 0][:, None] @ z[t, 0, 0][None] - wh[0] @ s[t, 0, 0][:, None] @ s[t, 0, 0][None]
              @ wh[0].T @ wh[0] for t in range(3))
    assert torch.allclose(rnn.oja_term(wh, z, s)[0], ref, atol=1e-12)


def test_theta2_zero_is_plain_bptt():
    w, x, labels = _tiny(R=1)
    w2 = w.clone()
    g, _, _ = rnn.bptt(w, x[:, None], labels[:, None], steps=5, n_stim=2)
    rnn.update(w2, x, labels, torch.tensor([0.2]), torch.tensor([0.0]), steps=5, n_stim=2)
    assert torch.allclose(w2.w_h, w.w_h - 0.2 * g.w_h, atol=1e-12)


def _data(n=40, d=12, seed=5):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, d, generator=g, dtype=D64), torch.randint(0, 10, (n,), generator=g)


def test_runs_dimension_equals_separate_runs():
    """Three runs (two seeds, different thetas) in one call = each run alone: same curves, same weights."""
    X, Y = _data()
    Xv, Yv = _data(n=15, seed=6)
    seeds, t1, t2 = [0, 1, 0], [0.05, 0.1, 0.05], [0.0, 0.01, 0.02]
    kw = dict(hidden=5, n_train=20, eval_every=5, steps=6, n_stim=2, dtype=D64)
    together = rnn.train(seeds, t1, t2, X, Y, Xv, Yv, **kw)
    for r in range(3):
        alone = rnn.train([seeds[r]], [t1[r]], [t2[r]], X, Y, Xv, Yv, **kw)
        assert torch.equal(together.val_acc[r], alone.val_acc[0])
        assert torch.allclose(together.weights.w_h[r], alone.weights.w_h[0], atol=1e-12)
        assert torch.allclose(together.weights.w_x[r], alone.weights.w_x[0], atol=1e-12)
        assert torch.allclose(together.train_loss[r], alone.train_loss[0].to(together.train_loss.dtype),
                              atol=1e-6)
    # same seed, same stream and init: the two seed-0 runs differ only by theta_2
    assert torch.equal(rnn.draw_streams([0], 40, 20)[0], rnn.draw_streams([0, 1], 40, 20)[0])


def test_accuracy_matches_per_image_forward():
    X, Y = _data(n=7)
    w = rnn.init_weights([0, 1], hidden=4, n_in=12, dtype=D64)
    acc = rnn.accuracy(w, X, Y, steps=5, n_stim=2, batch=3)
    for r in range(2):
        hits = 0
        for i in range(7):
            _, _, logits = rnn.forward(w.select([r]), X[i][None, None], steps=5, n_stim=2)
            hits += int(logits[0, 0].argmax() == Y[i])
        assert acc[r].item() == pytest.approx(100 * hits / 7)


def test_checkpoints_and_bad_input():
    assert rnn.checkpoint_steps(500, 100) == [0, 100, 200, 300, 400, 500]
    assert rnn.checkpoint_steps(450, 100)[-1] == 450
    with pytest.raises(ValueError, match="eval_every"):
        rnn.checkpoint_steps(100, 0)
    with pytest.raises(ValueError, match="n_train"):
        rnn.draw_streams([0], 10, 11)
    X, Y = _data()
    with pytest.raises(ValueError, match="one entry per run"):
        rnn.train([0, 1], [0.1], [0.0], X, Y, X, Y, hidden=3, n_train=5, eval_every=5, steps=3, n_stim=1)
    with pytest.raises(ValueError, match="activation"):
        rnn.forward(rnn.init_weights([0], hidden=2, n_in=12), X[None, :2].float(), steps=3, n_stim=1,
                    activation="relu")


def test_xavier_bounds():
    w = rnn.init_weights([0], hidden=100, n_in=784)
    assert w.w_h.abs().max() <= (6 / 200) ** 0.5
    assert w.w_x.abs().max() <= (6 / 884) ** 0.5
    assert w.w_o.abs().max() <= (6 / 110) ** 0.5


# --- config -> runs helpers (bioplausible.oja.experiment_rnn) -------------------------------------------------------
from bioplausible.oja import experiment_rnn as ex  # noqa: E402


def _cfg():
    return {"hidden": 4, "steps": 6, "n_stim": 2, "activation": "tanh", "n_train": 10, "n_val": 5, "eval_every": 5,
            "dtype": "float64", "seeds": [0, 1],
            "theta": {"bptt": {"theta_1": 0.1, "theta_2": 0.0}, "bptt_oja": {"theta_1": 0.2, "theta_2": 0.01}},
            "search": {"seeds": [100], "theta_1": [0.1, 0.2], "theta_2": [0.0, 0.01], "last_checkpoints": 1}}


def test_run_and_search_params():
    cfg = _cfg()
    rp = ex.run_params(cfg, "bptt_oja")
    assert rp["theta_1"] == [0.2, 0.2] and rp["theta_2"] == [0.01, 0.01] and rp["seeds"] == [0, 1]
    sp = ex.search_params(cfg)
    assert list(zip(sp["theta_1"], sp["theta_2"], sp["seeds"])) == [(0.1, 0.0, 100), (0.1, 0.01, 100),
                                                                     (0.2, 0.0, 100), (0.2, 0.01, 100)]
    cfg["search"]["seeds"] = [1]
    with pytest.raises(ValueError, match="search.seeds"):
        ex.search_params(cfg)
    cfg = _cfg()
    cfg["theta"]["bptt"]["theta_2"] = 0.1
    with pytest.raises(ValueError, match="theta.bptt.theta_2"):
        ex.run_params(cfg, "bptt")
    with pytest.raises(KeyError, match="unknown RNN method"):
        ex.run_params(cfg, "adam")


def test_select_thetas_and_steps_to_reach():
    t1 = np.array([0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2])
    t2 = np.array([0.0, 0.0, 0.01, 0.01, 0.0, 0.0, 0.01, 0.01])
    acc = np.array([[0, 30, 40], [0, 30, 50],            # (0.1, 0): last-2 mean 37.5
                    [0, 60, 60], [0, 60, np.nan],        # (0.1, 0.01): NaN run -> -inf
                    [0, 40, 40], [0, 40, 40],            # (0.2, 0): 40 -> BPTT pick
                    [0, 50, 50], [0, 50, 50]], float)    # (0.2, 0.01): 50 -> Oja pick
    sel = ex.select_thetas(t1, t2, acc, last=2)
    assert sel["bptt"] == {"theta_1": 0.2, "theta_2": 0.0, "score": 40.0}
    assert sel["bptt_oja"]["theta_1"] == 0.2 and sel["bptt_oja"]["theta_2"] == 0.01
    assert ex.steps_to_reach(np.array([0, 5, 10]), np.array([1.0, 3.0, 4.0]), 3.0) == 5.0
    assert ex.steps_to_reach(np.array([0, 5, 10]), np.array([1.0, 3.0, 4.0]), 5.0) == float("inf")
