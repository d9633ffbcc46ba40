"""The attack interface: foolbox smoke test, closed-form robustness of linear models, restarts, config checks."""

import pytest
import torch
from torch import nn

from bioplausible.attacks import (
    AttackConfig,
    AttackConfigError,
    LogProbWrapper,
    gaussian_noise_accuracy,
    restart_seed,
    robust_accuracy,
    targeted_attack,
)


def linear_model(weight, bias):
    model = nn.Sequential(nn.Flatten(), nn.Linear(weight.shape[1], weight.shape[0]))
    with torch.no_grad():
        model[1].weight.copy_(weight)
        model[1].bias.copy_(bias)
    return model


def random_linear(n_in=64, n_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return linear_model(torch.randn(n_classes, n_in, generator=g), torch.randn(n_classes, generator=g))


def images_8x8(n, seed=1):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def pgd(eps, **kw):
    return AttackConfig(name="linf_pgd", epsilons=tuple(eps), **{"steps": 20, "rel_stepsize": 0.25, **kw})


def test_foolbox_linf_pgd_smoke():
    """CI smoke test asked for by the catalog notes: foolbox 3 + eagerpy run under the pinned numpy/torch."""
    import foolbox as fb

    model = random_linear().eval()
    x, y = images_8x8(16), torch.randint(0, 10, (16,))
    fmodel = fb.PyTorchModel(model, bounds=(0, 1), device="cpu")
    raw, clipped, success = fb.attacks.LinfPGD(steps=5, abs_stepsize=0.01)(fmodel, x, y, epsilons=[0.0, 0.1])
    assert success.shape == (2, 16) and success.dtype == torch.bool
    assert (clipped[1] - x).abs().max() <= 0.1 + 1e-6 and clipped[1].min() >= 0 and clipped[1].max() <= 1


def test_epsilon_zero_is_clean_accuracy():
    model = random_linear()
    x = images_8x8(60)
    pred = model(x).argmax(1)
    y = torch.where(torch.arange(60) % 3 == 0, (pred + 1) % 10, pred)  # 2/3 correct by construction
    res = robust_accuracy(model, x, y, pgd([0.0, 0.05]), device="cpu", batch_size=25, seed=0)
    assert res["clean_accuracy"] == pytest.approx(40 / 60)
    assert res["robust_accuracy"][0] == res["clean_accuracy"]
    assert torch.equal(res["robust"][0], res["clean_correct"])
    assert torch.equal(res["clean_correct"], pred == y)


def test_robust_accuracy_non_increasing_in_epsilon():
    model = random_linear()
    x = images_8x8(200)
    y = model(x).argmax(1)
    eps = [0.0, 0.002, 0.005, 0.01, 0.02, 0.05]
    res = robust_accuracy(model, x, y, pgd(eps), device="cpu", batch_size=64, seed=0)
    acc = res["robust_accuracy"]
    assert all(a >= b for a, b in zip(acc, acc[1:])), acc
    assert acc[0] == 1.0 and acc[-1] < 0.5  # the curve actually falls
    # per image too: robust at a larger epsilon implies robust at every smaller one
    r = res["robust"]
    assert torch.all(r[1:] <= r[:-1])


def margin_ratio(weight, bias, x, y):
    """min over j != y of (z_y - z_j) / ||w_y - w_j||_1: the L∞ distance to the nearest decision boundary."""
    z = x.reshape(len(x), -1) @ weight.T + bias  # (N, C)
    diff_w = weight[y][:, None, :] - weight[None, :, :]  # (N, C, D)
    ratio = (z.gather(1, y[:, None]) - z) / diff_w.abs().sum(-1)  # (N, C); inf/nan at j == y
    ratio[torch.arange(len(y)), y] = float("inf")
    return ratio.min(1).values


@pytest.mark.parametrize("n_classes", [2, 4])
def test_linf_pgd_matches_closed_form_margin(n_classes):
    """Linear model, inputs in [0.3, 0.7], epsilons <= 0.25 (the [0, 1] box never binds).

    margin/||w_y - w_j||_1 > eps for all j  <=>  no L∞ perturbation of size eps changes the class, so such images
    must be robust. Binary case: PGD's sign step points straight at the worst vertex, so every other correctly
    classified image must be broken -- the robust set equals the closed form exactly.
    """
    g = torch.Generator().manual_seed(n_classes)
    d = 8
    weight, bias = torch.randn(n_classes, d, generator=g), 0.5 * torch.randn(n_classes, generator=g)
    model = linear_model(weight, bias)
    x = 0.3 + 0.4 * torch.rand(400, d, generator=g)
    y = torch.randint(0, n_classes, (400,), generator=g)
    eps = (0.0, 0.01, 0.03, 0.06, 0.1, 0.2)
    ratio = margin_ratio(weight, bias, x, y)  # negative when misclassified
    keep = torch.stack([(ratio - e).abs() > 1e-3 for e in eps]).all(0)  # no float ties at any epsilon
    x, y, ratio = x[keep], y[keep], ratio[keep]
    expected = torch.stack([ratio > e for e in eps])  # (n_eps, N)
    assert 0 < expected[0].sum() < len(y) and expected[-1].sum() < expected[0].sum()  # the case is not trivial
    res = robust_accuracy(model, x, y, pgd(eps), device="cpu", batch_size=128, seed=0)
    assert torch.all(res["robust"][expected])  # certified => robust
    if n_classes == 2:
        assert torch.equal(res["robust"], expected)


class FlatThenStep(nn.Module):
    """Class 0 unless x > 0.551; zero gradient at x = 0.5, so PGD succeeds only if its random start lands there."""

    def forward(self, x):
        x = x.reshape(len(x), -1)[:, :1]
        return torch.cat([torch.full_like(x, 0.1), 100 * torch.relu(x - 0.55)], dim=1)


def test_robust_only_if_every_restart_fails():
    x, y = torch.full((300, 1), 0.5), torch.zeros(300, dtype=torch.long)
    cfg = AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=1, abs_stepsize=0.01, restarts=4)
    res = robust_accuracy(FlatThenStep(), x, y, cfg, device="cpu", batch_size=128, seed=3)
    per = res["robust_per_restart"][:, 0]  # (restarts, N)
    assert per.shape == (4, 300)
    assert not torch.equal(per[0], per[1])  # restarts genuinely differ (each breaks ~1/4 of the images)
    assert torch.equal(res["robust"][0], per.all(0))
    assert res["robust_accuracy"][0] < per.float().mean(1).min().item() - 0.2  # ~0.75**4 vs ~0.75
    # restart 0 of a 4-restart run is the 1-restart run with the same seed
    one = robust_accuracy(FlatThenStep(), x, y, AttackConfig(**{**cfg.as_dict(), "restarts": 1}),
                          device="cpu", batch_size=128, seed=3)
    assert torch.equal(one["robust"][0], per[0])


def test_deterministic_for_a_seed_and_caller_rng_untouched():
    x, y = torch.full((200, 1), 0.5), torch.zeros(200, dtype=torch.long)
    cfg = AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=1, abs_stepsize=0.01)
    torch.manual_seed(123)
    a = robust_accuracy(FlatThenStep(), x, y, cfg, device="cpu", batch_size=64, seed=0)["robust"]
    after = torch.rand(1)
    torch.manual_seed(999)
    b = robust_accuracy(FlatThenStep(), x, y, cfg, device="cpu", batch_size=64, seed=0)["robust"]
    assert torch.equal(a, b)  # the global seed does not matter, only `seed`
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), after)  # the attack drew from a forked RNG, not the caller's stream
    c = robust_accuracy(FlatThenStep(), x, y, cfg, device="cpu", batch_size=64, seed=1)["robust"]
    assert not torch.equal(a, c)
    assert restart_seed(0, 1) != restart_seed(1, 0)


def test_model_state_restored_and_no_parameter_grads():
    model = random_linear()
    model.train()
    x = images_8x8(20)
    robust_accuracy(model, x, model(x).argmax(1), pgd([0.05]), device="cpu", batch_size=8, seed=0)
    assert model.training
    assert all(p.requires_grad and p.grad is None for p in model.parameters())


def test_inputs_outside_unit_range_rejected():
    model = random_linear()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        robust_accuracy(model, images_8x8(4) * 2 - 0.5, torch.zeros(4, dtype=torch.long), pgd([0.1]),
                        device="cpu", batch_size=4, seed=0)


def test_uint8_images_are_scaled():
    model = random_linear()
    x8 = (images_8x8(30) * 255).round().to(torch.uint8)
    y = model(x8.float() / 255).argmax(1)
    a = robust_accuracy(model, x8, y, pgd([0.0, 0.02]), device="cpu", batch_size=16, seed=0)
    b = robust_accuracy(model, x8.float() / 255, y, pgd([0.0, 0.02]), device="cpu", batch_size=16, seed=0)
    assert a["clean_accuracy"] == 1.0 and torch.equal(a["robust"], b["robust"])


def test_attack_config_validation():
    with pytest.raises(AttackConfigError, match=r"unknown attack config key\(s\) \['epsilon', 'stepsize'\]"):
        AttackConfig.from_mapping({"name": "linf_pgd", "epsilon": [0.1], "stepsize": 0.01, "steps": 10})
    with pytest.raises(AttackConfigError, match="rel_stepsize.*abs_stepsize.*both"):
        AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=10, rel_stepsize=0.1, abs_stepsize=0.01)
    with pytest.raises(AttackConfigError, match="neither"):
        AttackConfig(name="l2_pgd", epsilons=(0.5,), steps=10)
    with pytest.raises(AttackConfigError, match="'steps'"):
        AttackConfig(name="linf_pgd", epsilons=(0.1,), rel_stepsize=0.1)
    with pytest.raises(AttackConfigError, match="'restarts'"):
        AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=10, rel_stepsize=0.1, restarts=0)
    with pytest.raises(AttackConfigError, match="'restarts'.*deterministic"):
        AttackConfig(name="l2_deepfool", epsilons=(0.1,), restarts=2)
    with pytest.raises(AttackConfigError, match="cw_confidence"):
        AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=10, rel_stepsize=0.1, cw_confidence=1.0)
    with pytest.raises(AttackConfigError, match="'steps' does not apply to fgsm"):
        AttackConfig(name="fgsm", epsilons=(0.1,), steps=3)
    with pytest.raises(AttackConfigError, match="epsilons"):
        AttackConfig(name="linf_pgd", epsilons=(1.5,), steps=10, rel_stepsize=0.1)
    with pytest.raises(AttackConfigError, match="'name'"):
        AttackConfig(name="pgd", epsilons=(0.1,))
    cfg = AttackConfig.from_mapping({"name": "linf_pgd", "epsilons": [0, 0.1], "steps": 10, "abs_stepsize": 0.01})
    assert cfg.epsilons == (0.0, 0.1) and AttackConfig.from_mapping(cfg.as_dict()) == cfg
    AttackConfig(name="l2_pgd", epsilons=(0.5, 2.0), steps=10, rel_stepsize=0.1)  # L2 epsilons may exceed 1


@pytest.mark.parametrize("cfg", [
    AttackConfig(name="fgsm", epsilons=(0.0, 0.05)),
    AttackConfig(name="l2_pgd", epsilons=(0.0, 0.3), steps=10, rel_stepsize=0.1),
    AttackConfig(name="l2_deepfool", epsilons=(0.0, 0.3)),
    AttackConfig(name="linf_deepfool", epsilons=(0.0, 0.05)),
    AttackConfig(name="l2_cw", epsilons=(0.0, 0.3), steps=50, cw_binary_search_steps=3),
], ids=lambda c: c.name)
def test_every_attack_runs(cfg):
    model = random_linear()
    x = images_8x8(12)
    res = robust_accuracy(model, x, model(x).argmax(1), cfg, device="cpu", batch_size=5, seed=0)
    assert res["robust"].shape == (2, 12) and res["robust_accuracy"][0] == 1.0


def test_log_prob_wrapper():
    logits_model = random_linear()
    wrapped = LogProbWrapper(nn.Sequential(logits_model, nn.Softmax(dim=1)))
    x = images_8x8(50)
    z = logits_model(x)
    torch.testing.assert_close(wrapped(x), torch.log_softmax(z, 1), atol=1e-5, rtol=1e-5)
    y = z.argmax(1)
    a = robust_accuracy(logits_model, x, y, pgd([0.01, 0.02]), device="cpu", batch_size=50, seed=0)
    b = robust_accuracy(wrapped, x, y, pgd([0.01, 0.02]), device="cpu", batch_size=50, seed=0)
    assert torch.equal(a["robust"], b["robust"])


def test_targeted_attack():
    model = random_linear()
    x = images_8x8(40)
    pred = model(x).argmax(1)
    targets = (pred + 1) % 10
    res = targeted_attack(model, x, targets, pgd([0.0, 0.3], restarts=2), device="cpu", batch_size=16, seed=0)
    adv, ok = res["adversarial"], res["success"]
    assert adv.shape == (2, 40, 1, 8, 8) and ok.shape == (2, 40)
    assert not ok[0].any() and ok[1].float().mean() > 0.9
    assert torch.equal(model(adv[1]).argmax(1) == targets, ok[1])
    assert (adv - x).abs().amax() <= 0.3 + 1e-6 and adv.min() >= 0 and adv.max() <= 1
    assert torch.equal(adv[0], x)


class RecordRange(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = random_linear()
        self.lo, self.hi = [], []

    def forward(self, x):
        self.lo.append(x.min().item())
        self.hi.append(x.max().item())
        return self.lin(x)


def test_gaussian_noise_accuracy():
    model = RecordRange()
    x = images_8x8(50)
    y = model(x).argmax(1)
    a = gaussian_noise_accuracy(model, x, y, [0.0, 0.1, 3.0], seed=0, device="cpu", batch_size=16)
    assert a["accuracy"][0] == 1.0 and a["accuracy"][2] < 0.8
    assert min(model.lo) >= 0.0 and max(model.hi) <= 1.0 and max(model.hi) == 1.0  # clipped, and clipping happened
    b = gaussian_noise_accuracy(model, x, y, [0.0, 0.1, 3.0], seed=0, device="cpu", batch_size=16)
    c = gaussian_noise_accuracy(model, x, y, [0.0, 0.1, 3.0], seed=1, device="cpu", batch_size=16)
    assert torch.equal(a["correct"], b["correct"]) and not torch.equal(a["correct"], c["correct"])


def test_targeted_restarts_keep_the_first_success():
    """Random starts reach the target ~1/4 of the time; success is the OR over restarts and the returned
    adversarial must be the one that succeeded, not a later failed restart."""
    x, targets = torch.full((300, 1), 0.5), torch.ones(300, dtype=torch.long)
    cfg = AttackConfig(name="linf_pgd", epsilons=(0.1,), steps=1, abs_stepsize=0.01, restarts=3)
    res = targeted_attack(FlatThenStep(), x, targets, cfg, device="cpu", batch_size=128, seed=0)
    ok = res["success"][0]
    assert 0.4 < ok.float().mean() < 0.8  # ~1 - 0.75**3
    assert torch.equal(FlatThenStep()(res["adversarial"][0]).argmax(1) == 1, ok)
