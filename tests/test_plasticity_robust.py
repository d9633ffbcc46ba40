"""The targeted raw-gradient L2 attack (bioplausible.attacks_l2; catalog A7) on hand-computable cases."""

import math

import pytest
import torch
from torch import nn

from bioplausible.attacks import AttackConfig
from bioplausible.attacks_l2 import foolbox_all_targets, l2_project_clip, targeted_l2_attack, targeted_loss

pytestmark = pytest.mark.usefixtures("one_thread")


class Threshold(nn.Module):
    """Two classes on x in [0, 1]^2: z = (0, c (x_1 - 0.5)); class 1 iff x_1 > 0.5. Only x_1 matters."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, x):
        x = x.reshape(len(x), -1)
        return torch.stack([torch.zeros_like(x[:, 1]), self.c * (x[:, 1] - 0.5)], dim=1)


def attack(model, x, y, **kw):
    args = dict(n_classes=2, device="cpu", batch_size=4, steps=50, alpha=1.0)
    args.update(kw)
    return targeted_l2_attack(model, x, y, **args)


def test_project_clip_closed_form():
    x0 = torch.tensor([[0.5, 0.5]], dtype=torch.float64)
    inside = torch.tensor([[0.6, 0.5]], dtype=torch.float64)
    assert torch.allclose(l2_project_clip(inside, x0, 0.25), inside)
    # delta (0.3, 0.4) has norm 0.5 -> scaled to 0.25: (0.15, 0.2)
    out = l2_project_clip(torch.tensor([[0.8, 0.9]], dtype=torch.float64), x0, 0.25)
    assert torch.allclose(out, torch.tensor([[0.65, 0.7]], dtype=torch.float64))
    # the box after the ball: delta (0.6, 0) is inside the unit ball, then clipped to 1
    out = l2_project_clip(torch.tensor([[1.5, 0.5]], dtype=torch.float64), torch.tensor([[0.9, 0.5]],
                                                                                         dtype=torch.float64), 1.0)
    assert torch.allclose(out, torch.tensor([[1.0, 0.5]], dtype=torch.float64))


def test_loss_options():
    z = torch.tensor([[1.0, 2.0, 0.5]], dtype=torch.float64)
    t = torch.tensor([2])
    assert targeted_loss(z, t, "logits").item() == pytest.approx(-torch.log_softmax(z, 1)[0, 2].item())
    p = torch.softmax(z, 1)
    assert targeted_loss(z, t, "probs").item() == pytest.approx(-(p[0, 2] - torch.logsumexp(p, 1)[0]).item())
    with pytest.raises(ValueError, match="attack loss 'margin'"):
        targeted_loss(z, t, "margin")


def test_minimal_eps_and_projection():
    """x_1 = 0.3, label 0: the ball of radius eps lets x_1 reach 0.3 + eps, so eps = 0.1 never fools (x_1 <= 0.4),
    eps = 0.25 fools (one step with alpha = 1 overshoots and is projected onto the sphere: x = (0.2, 0.55))."""
    x = torch.tensor([[0.2, 0.3]], dtype=torch.float64)
    r = attack(Threshold(1.0), x, torch.tensor([0]), epsilons=[0.1, 0.25, 1.0])
    assert r["clean_correct"].tolist() == [True]
    assert r["robust"][:, 0].tolist() == [True, False, False]
    assert r["min_eps"].tolist() == [0.25]
    assert torch.allclose(r["adversarial"].double(), torch.tensor([[0.2, 0.55]], dtype=torch.float64), atol=1e-6)
    assert r["adv_pred"].tolist() == [1] and r["adv_target"].tolist() == [1]
    assert r["fooled_step"][:, 0].tolist() == [0, 1, 0]  # nested: not attacked again at eps = 1


def test_raw_gradient_step_count():
    """Raw gradient: x_1 <- x_1 + alpha (1 - sigmoid(c (x_1 - 0.5))) c (CE towards class 1). From 0.3 with alpha 0.1,
    c = 1 it passes 0.5 at step 4; a sign (or normalised) step of 0.1 would need 3."""
    x1, t = 0.3, 0
    while x1 <= 0.5:
        x1 += 0.1 * (1.0 - 1.0 / (1.0 + math.exp(-(x1 - 0.5))))
        t += 1
    assert t == 4
    r = attack(Threshold(1.0), torch.tensor([[0.2, 0.3]], dtype=torch.float64), torch.tensor([0]), epsilons=[1.0],
               alpha=0.1)
    assert r["fooled_step"][0, 0].item() == t
    assert r["adversarial"][0, 1].item() == pytest.approx(x1, abs=1e-6)


def test_clean_error_is_not_robust_and_not_attacked():
    x = torch.tensor([[0.2, 0.7], [0.2, 0.1]], dtype=torch.float64)
    r = attack(Threshold(1.0), x, torch.tensor([0, 0]), epsilons=[0.1, 0.2])
    assert r["clean_correct"].tolist() == [False, True]
    assert r["robust"][:, 0].tolist() == [False, False]
    assert r["robust"][:, 1].tolist() == [True, True]  # x_1 = 0.1 + 0.2 < 0.5
    assert r["min_eps"][0].item() == 0.0 and math.isinf(r["min_eps"][1].item())
    assert r["fooled_step"].sum().item() == 0


def test_double_softmax_masks_a_saturated_model():
    """c = 1000: the logit gradient is ~c, one step fools at eps = 0.5; with the double softmax the softmax is
    saturated (p = (1, e^-200)), the gradient underflows to 0 and the image never moves (catalog Amb. 7)."""
    x = torch.tensor([[0.2, 0.3]], dtype=torch.float64)
    logit = attack(Threshold(1000.0), x, torch.tensor([0]), epsilons=[0.5], alpha=0.1, loss="logits")
    probs = attack(Threshold(1000.0), x, torch.tensor([0]), epsilons=[0.5], alpha=0.1, loss="probs")
    assert logit["robust"].tolist() == [[False]] and logit["fooled_step"].item() == 1
    assert probs["robust"].tolist() == [[True]]


def test_ten_class_linear_model_properties():
    """Random 10-class linear model: every kept adversarial is in the box and in its ball, is misclassified as
    recorded, and the robust accuracy is non-increasing in eps; nested and independent runs agree on the smallest
    radius where the independent run fools."""
    gen = torch.Generator().manual_seed(0)
    model = nn.Linear(20, 10, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.randn(10, 20, generator=gen, dtype=torch.float64))
    x = torch.rand(12, 20, generator=gen, dtype=torch.float64)
    y = model(x).argmax(1)
    y[:2] = (y[:2] + 1) % 10  # two clean errors
    eps = [0.05, 0.2, 0.5, 2.0]
    r = targeted_l2_attack(model, x, y, epsilons=eps, alpha=0.1, steps=30, n_classes=10, device="cpu", batch_size=5)
    acc = r["robust_accuracy"]
    assert all(a >= b for a, b in zip(acc, acc[1:]))
    assert r["robust"][:, :2].sum() == 0
    hit = torch.isfinite(r["min_eps"]) & (r["min_eps"] > 0)
    assert hit.any()
    adv = r["adversarial"].double()
    assert adv.min() >= 0 and adv.max() <= 1
    assert ((adv - x).norm(dim=1)[hit] <= r["min_eps"][hit] + 1e-5).all()
    pred = model(adv).argmax(1)
    assert (pred[hit] == r["adv_pred"][hit]).all() and (pred[hit] != y[hit]).all()
    assert (r["adv_target"][hit] != y[hit]).all()
    ind = targeted_l2_attack(model, x, y, epsilons=eps, alpha=0.1, steps=30, n_classes=10, device="cpu",
                             batch_size=5, nested=False)
    assert (r["robust"] <= ind["robust"]).all()  # nesting only adds fooled images
    assert torch.equal(r["robust"][0], ind["robust"][0])


def test_bad_arguments_name_the_field():
    x, y = torch.rand(2, 2, dtype=torch.float64), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="strictly increasing"):
        attack(Threshold(1.0), x, y, epsilons=[1.0, 0.5])
    with pytest.raises(ValueError, match="'alpha'"):
        attack(Threshold(1.0), x, y, epsilons=[1.0], alpha=0)
    with pytest.raises(ValueError, match="labels must lie"):
        attack(Threshold(1.0), x, torch.tensor([0, 2]), epsilons=[1.0])


def test_foolbox_all_targets_criterion():
    """foolbox targeted L2 PGD over every target, success = argmax != y: the threshold model is fooled exactly
    when the ball reaches x_1 > 0.5 (from x_1 = 0.3: eps 0.1 no, eps 0.4 yes); clean errors are never robust."""
    x = torch.tensor([[0.2, 0.3], [0.2, 0.7]], dtype=torch.float32)
    cfg = AttackConfig.from_mapping({"name": "l2_pgd", "epsilons": [0.1, 0.4], "steps": 20, "rel_stepsize": 0.1,
                                     "random_start": True})
    r = foolbox_all_targets(Threshold(1.0), x, torch.tensor([0, 0]), cfg, n_classes=2, device="cpu", batch_size=2,
                            seed=0)
    assert r["clean_correct"].tolist() == [True, False]
    assert r["robust"].tolist() == [[True, False], [False, False]]
