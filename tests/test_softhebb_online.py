"""SoftHebb first-epoch online protocol (softhebb/online.py): schedule, delta rule, R1, checkpoints, and the
chunked online pass against the existing batched rule (train_wta with batch size 1)."""

import math

import pytest
import torch

from bioplausible.softhebb import rules
from bioplausible.softhebb.online import (
    checkpoint_steps,
    first_step_reaching,
    posthoc_cross_entropy,
    r1_count,
    train_online,
)
from bioplausible.softhebb.readout import delta_rule_step
from bioplausible.softhebb.wta import WTAConfig, _epoch_permutation, lr_at, train_wta


def online_cfg(**kw) -> WTAConfig:
    """Table 1's 1-epoch column (base 200, lr 0.55 -> 0.0055 exponential, batch 1) on a tiny layer."""
    fields = dict(K=5, base=200.0, lr0=0.55, schedule="exponential", lr_min=0.0055, batch_size=1, epochs=1,
                  init="train_images", init_radius=0.8, prior_lr_factor=0.5)
    fields.update(kw)
    return WTAConfig(**fields)


def tiny_data(n: int = 40, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    images = (torch.rand(n, 3, 4, generator=g) * 255).to(torch.uint8)  # (n, 3, 4): n_in = 12
    return images, torch.randint(0, 10, (n,), generator=g)


def test_exponential_schedule_endpoints():
    cfg = online_cfg()
    T = 60000
    assert lr_at(cfg, 0, T) == pytest.approx(0.55, rel=1e-12)
    assert lr_at(cfg, T, T) == pytest.approx(0.0055, rel=1e-9)            # reached exactly at the end of the epoch
    assert lr_at(cfg, T // 2, T) == pytest.approx(math.sqrt(0.55 * 0.0055), rel=1e-9)  # geometric midpoint
    assert lr_at(cfg, 2 * T, T) == pytest.approx(0.0055)                  # clamped at the minimum


def test_checkpoint_steps_capped_with_ends():
    a9 = [0, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 40000, 60000]
    assert checkpoint_steps(a9, 60000) == a9
    assert checkpoint_steps(a9, 3000) == [0, 10, 20, 50, 100, 200, 500, 1000, 2000, 3000]
    assert checkpoint_steps([50, 10, 10], 30) == [0, 10, 30]
    with pytest.raises(ValueError, match="integers >= 0"):
        checkpoint_steps([-1], 10)


def test_r1_count_hand_made_matrix():
    w = torch.tensor([[1.0, 0.0],        # norm 1
                      [0.6, 0.8],        # norm 1
                      [0.0, 1.009],      # within 0.01
                      [0.0, 0.98],       # 0.02 below
                      [3.0, 4.0],        # norm 5
                      [0.0, 0.0]])       # norm 0
    assert r1_count(w) == 3
    assert r1_count(w, tol=0.05) == 4


def test_first_step_reaching():
    assert first_step_reaching([0, 10, 100], [0, 3, 9], 5) == 100
    assert first_step_reaching([0, 10, 100], [0, 3, 4], 5) is None


@pytest.mark.parametrize("base,learn_prior", [(200.0, True), (math.inf, False), (math.exp(12.0), True)])
@pytest.mark.parametrize("chunk", [1, 7])
def test_online_pass_equals_batch1_training(base, learn_prior, chunk):
    """The chunked online pass = train_wta (rules.apply_soft_wta_update_ + rules.prior_update) with batch 1."""
    images, labels = tiny_data()
    cfg = online_cfg(base=base, learn_prior=learn_prior)
    ref, _ = train_wta(images, cfg, progress=False)
    run = train_online(images, labels, cfg, delta_lr=0.05, checkpoints=[0, 10, 20], chunk=chunk)
    torch.testing.assert_close(run.layer.weight, ref.weight, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(run.layer.log_prior, ref.log_prior, rtol=1e-5, atol=1e-5)
    assert run.steps == [0, 10, 20, 40]
    assert [e["step"] for e in run.log] == run.steps
    torch.testing.assert_close(run.weights[-1], run.layer.weight)


def test_one_online_step_equals_one_batch1_rule_step():
    """A single example: W1 = W0 + eta0 (y x*^T - diag(y u) W0) with u, y from W0, as the batched rule computes."""
    images, labels = tiny_data(n=1)
    cfg = online_cfg(init="gaussian", init_radius=2.0)
    run = train_online(images, labels, cfg, delta_lr=0.05, checkpoints=[])
    w0, beta0 = run.weights[0].clone(), run.log_priors[0]
    x_star = rules.normalise_input(images.reshape(1, -1).float() / 255.0)
    u = x_star @ w0.t()
    y = rules.soft_wta_activation(u, beta0, cfg.base)
    expected = w0 + lr_at(cfg, 0, 1) * rules.soft_wta_update(x_star, u, y, w0)
    torch.testing.assert_close(run.layer.weight, expected, rtol=1e-6, atol=1e-7)
    q1 = rules.prior_update(beta0.exp(), y, cfg.prior_lr_factor * lr_at(cfg, 0, 1))
    torch.testing.assert_close(run.layer.log_prior, q1.log(), rtol=1e-6, atol=1e-6)


def test_delta_rule_inside_the_pass_hand_computed():
    """Two examples, hard WTA (y one-hot): V, c from V = 0, c = 0 by hand, y taken BEFORE each layer update."""
    images, labels = tiny_data(n=2, seed=3)
    labels = torch.tensor([2, 0])
    cfg = online_cfg(K=3, base=math.inf, learn_prior=False, init="gaussian", init_radius=0.5, prior_lr_factor=1.0)
    run = train_online(images, labels, cfg, delta_lr=0.1, checkpoints=[1], chunk=2, n_classes=3)
    k0, k1 = run.winners.tolist()  # winner of each step, before its update
    # step 0: y0 = e_{k0}; softmax(V y + c) = uniform 1/3 -> err = t0 - 1/3
    t = torch.eye(3)[labels[_epoch_permutation(cfg.seed, 0, 2)]]
    V = torch.zeros(3, 3)
    c = torch.zeros(3)
    err0 = t[0] - torch.full((3,), 1 / 3)
    V[:, k0] += 0.1 * err0
    c += 0.1 * err0
    z1 = V[:, k1] + c
    err1 = t[1] - torch.softmax(z1, 0)
    V[:, k1] += 0.1 * err1
    c += 0.1 * err1
    torch.testing.assert_close(run.delta_weight, V)
    torch.testing.assert_close(run.delta_bias, c)
    # and the same two steps through readout.delta_rule_step
    V2, c2 = delta_rule_step(torch.zeros(3, 3), torch.zeros(3), torch.eye(3)[k0], t[0], 0.1)
    V2, c2 = delta_rule_step(V2, c2, torch.eye(3)[k1], t[1], 0.1)
    torch.testing.assert_close(run.delta_weight, V2)
    torch.testing.assert_close(run.delta_bias, c2)


def test_soft_delta_rule_matches_delta_rule_step():
    """SoftHebb (dense y): the in-loop delta rule equals readout.delta_rule_step applied with each step's y."""
    images, labels = tiny_data(n=12, seed=1)
    cfg = online_cfg(K=4)
    run = train_online(images, labels, cfg, delta_lr=0.2, checkpoints=list(range(12)), chunk=5)
    perm = _epoch_permutation(cfg.seed, 0, 12)
    x_star = rules.normalise_input(images.reshape(12, -1).float()[perm] / 255.0)
    V, c = torch.zeros(10, 4), torch.zeros(10)
    for i in range(12):
        y = rules.soft_wta_activation(x_star[i:i + 1] @ run.weights[i].t(), run.log_priors[i], cfg.base)[0]
        V, c = delta_rule_step(V, c, y, torch.eye(10)[labels[perm[i]]], 0.2)
    torch.testing.assert_close(run.delta_weight, V, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(run.delta_bias, c, rtol=1e-5, atol=1e-6)


def test_posthoc_cross_entropy_uses_each_checkpoint():
    images, labels = tiny_data(n=20)
    run = train_online(images, labels, online_cfg(), delta_lr=0.05, checkpoints=[5])
    clf = torch.nn.Linear(5, 10)
    ce = posthoc_cross_entropy(run, clf, images, labels)
    assert len(ce) == len(run.steps) == 3
    x_star = rules.normalise_input(images.reshape(20, -1).float() / 255.0)
    y = rules.soft_wta_activation(x_star @ run.weights[1].t(), run.log_priors[1], 200.0)
    expected = torch.nn.functional.cross_entropy(clf(y), labels).item()
    assert ce[1] == pytest.approx(expected, rel=1e-5)


def test_rejects_bad_config():
    images, labels = tiny_data(n=4)
    with pytest.raises(ValueError, match="batch 1"):
        train_online(images, labels, online_cfg(batch_size=2), delta_lr=0.05, checkpoints=[])
    with pytest.raises(TypeError, match="uint8"):
        train_online(images.float(), labels, online_cfg(), delta_lr=0.05, checkpoints=[])
