"""The plain-torch L-inf PGD: equal to foolbox's LinfPGD, the margin loss, recorded steps, restarts, masking."""

import pytest
import torch
from torch import nn

from bioplausible.attacks import (
    AttackConfig,
    AttackConfigError,
    linf_pgd,
    margin_loss,
    restart_seed,
    robust_accuracy,
    zero_input_gradient,
)


def linear_model(n_in=64, n_classes=10, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(n_in, n_classes))
    with torch.no_grad():
        model[1].weight.copy_(scale * torch.randn(n_classes, n_in, generator=g))
        model[1].bias.copy_(scale * torch.randn(n_classes, generator=g))
    return model.eval()


def images_8x8(n, seed=1):
    return torch.rand(n, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def test_margin_loss_on_a_hand_made_logit_vector():
    logits = torch.tensor([[1.0, 4.0, 2.5, -3.0], [0.5, -1.0, 0.2, 0.4]])
    labels = torch.tensor([2, 0])
    # row 0: max over j != 2 of z_j is 4.0 (class 1) -> 4.0 - 2.5; row 1: max(-1.0, 0.2, 0.4) - 0.5
    assert torch.allclose(margin_loss(logits, labels), torch.tensor([1.5, -0.1]))


def test_ce_loop_without_random_start_equals_foolbox_linf_pgd():
    import foolbox as fb

    model = linear_model()
    x = images_8x8(40)
    y = model(x).argmax(1)
    eps, steps, rel = [0.0, 0.01, 0.03, 0.1], 7, 0.2
    fmodel = fb.PyTorchModel(model, bounds=(0, 1), device="cpu")
    attack = fb.attacks.LinfPGD(steps=steps, rel_stepsize=rel, random_start=False)
    _, clipped, success = attack(fmodel, x, y, epsilons=eps)
    ours = linf_pgd(model, x, y, epsilons=eps, steps=steps, rel_stepsize=rel, loss="crossentropy",
                    random_start=False, seed=0, device="cpu", batch_size=16, return_adversarial=True)
    for k in range(len(eps)):
        assert torch.equal(ours["adversarial"][k], clipped[k]), k
    assert torch.equal(ours["robust"][0], ~success)
    assert success[-1].any()  # the attack does something on this model


def test_ce_loop_with_random_start_matches_foolbox_wrapper():
    """Same seed -> same random start as robust_accuracy (foolbox) draws, so the same robust images."""
    model = linear_model(seed=3)
    x = images_8x8(50, seed=4)
    y = model(x).argmax(1)
    eps = [0.0, 0.02, 0.05]
    cfg = AttackConfig(name="linf_pgd", epsilons=eps, steps=5, rel_stepsize=0.3, restarts=2)
    fb_res = robust_accuracy(model, x, y, cfg, device="cpu", batch_size=20, seed=7)
    ours = linf_pgd(model, x, y, epsilons=eps, steps=5, rel_stepsize=0.3, restarts=2, seed=7, device="cpu",
                    batch_size=20)
    assert torch.equal(ours["robust_per_restart"][:, 0], fb_res["robust_per_restart"])


def test_recorded_accuracy_equals_separate_runs():
    model = linear_model(seed=5)
    x = images_8x8(30, seed=6)
    y = model(x).argmax(1)
    kw = dict(epsilons=[0.0, 0.02, 0.06], rel_stepsize=0.1, restarts=2, seed=11, device="cpu", batch_size=12)
    for loss in ("crossentropy", "margin"):
        long = linf_pgd(model, x, y, steps=9, record_steps=[1, 4, 9], loss=loss, **kw)
        assert long["record_steps"] == [1, 4, 9]
        for i, n in enumerate((1, 4, 9)):
            short = linf_pgd(model, x, y, steps=n, loss=loss, **kw)
            assert torch.equal(long["robust_per_restart"][:, i], short["robust_per_restart"][:, 0]), (loss, n)
            assert long["robust_accuracy"][i] == short["robust_accuracy"][0]
        acc = [a[-1] for a in long["robust_accuracy"]]
        assert acc[0] > acc[-1]  # the attack gets stronger with steps here


class StepFunction(nn.Module):
    """Class 1 wins iff the single pixel exceeds 0.75; the input gradient is exactly zero everywhere."""

    def forward(self, x):
        x = x.reshape(len(x), -1)[:, :1]
        return torch.cat([torch.full_like(x, 0.5) + 0 * x, (x > 0.75).float() + 0 * x], dim=1)


def test_robust_only_if_every_restart_fails():
    """Zero gradient: the final iterate is the random start, so each restart's outcome is known by hand."""
    n, eps, seed = 64, 0.5, 3
    x = torch.full((n, 1), 0.5)
    y = torch.zeros(n, dtype=torch.long)
    res = linf_pgd(StepFunction(), x, y, epsilons=[eps], steps=1, rel_stepsize=0.1, restarts=2, seed=seed,
                   device="cpu", batch_size=n)
    expected = []
    for r in range(2):
        g = torch.manual_seed(restart_seed(seed, r))  # noqa: F841 (global generator, as in the attack)
        u = torch.rand((1, n, 1))[0, :, 0]
        expected.append((0.5 + (u * (2 * eps) - eps)).clamp(0, 1) <= 0.75)
    per_restart = res["robust_per_restart"][:, 0, 0]
    assert torch.equal(per_restart[0], expected[0]) and torch.equal(per_restart[1], expected[1])
    fails_then_succeeds = expected[0] & ~expected[1]  # restart 0 fails to fool, restart 1 fools
    assert fails_then_succeeds.any()
    assert not res["robust"][0, 0][fails_then_succeeds].any()
    assert torch.equal(res["robust"][0, 0], expected[0] & expected[1])
    assert res["zero_gradient"][0].all()


def test_saturated_softmax_zero_gradient_count_and_margin_attack():
    """Logits x1000: cross-entropy's input gradient underflows to exactly 0; the margin loss's does not."""
    model = linear_model(seed=2, scale=1000.0)
    x = images_8x8(40, seed=8)
    y = model(x).argmax(1)
    z = model(x)
    lead = z.gather(1, y[:, None])[:, 0] - z.scatter(1, y[:, None], float("-inf")).amax(1)
    saturated = lead > 110  # exp(-110) is below float32's smallest subnormal: softmax(z)_y == 1 exactly
    assert saturated.sum() >= 10 and (~saturated).any()
    ce_zero = zero_input_gradient(model, x, y, loss="crossentropy", device="cpu", batch_size=16)
    margin_zero = zero_input_gradient(model, x, y, loss="margin", device="cpu", batch_size=16)
    assert torch.equal(ce_zero, saturated)
    assert not margin_zero.any()
    kw = dict(epsilons=[0.5], steps=20, rel_stepsize=0.1, random_start=False, seed=0, device="cpu", batch_size=16)
    ce = linf_pgd(model, x, y, loss="crossentropy", **kw)
    margin = linf_pgd(model, x, y, loss="margin", **kw)
    assert torch.equal(ce["zero_gradient"][0], saturated)  # CE never moves the saturated images...
    assert ce["robust"][0, 0][saturated].all()  # ...so they look robust,
    assert not margin["robust"][0, 0].any()  # while the margin attack fools every image at eps = 0.5


def test_pgd_argument_errors_name_the_field():
    model = linear_model()
    x, y = images_8x8(4), torch.zeros(4, dtype=torch.long)
    kw = dict(epsilons=[0.1], steps=5, rel_stepsize=0.1, seed=0, device="cpu", batch_size=4)
    with pytest.raises(AttackConfigError, match="loss"):
        linf_pgd(model, x, y, **{**kw, "loss": "hinge"})
    with pytest.raises(AttackConfigError, match="record_steps"):
        linf_pgd(model, x, y, record_steps=[2, 7], **kw)
    with pytest.raises(AttackConfigError, match="record_steps"):
        linf_pgd(model, x, y, record_steps=[2, 3], **kw)
    with pytest.raises(AttackConfigError, match="epsilons"):
        linf_pgd(model, x, y, **{**kw, "epsilons": [1.5]})
