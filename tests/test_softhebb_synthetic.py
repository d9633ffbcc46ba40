"""Fig. 8 / Fig. 1 selection rules and the deflection metric (catalog A.13, A.14, sh_fig1) on hand-made cases."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bioplausible.attacks import AttackConfig
from bioplausible.softhebb.synthetic import (ProxyCNN, _gather_restart, deflection, fig1_conditions, fig8_rows,
                                             first_correct_per_class, highest_loss_restart, noisy_images,
                                             pgd_adversarials, targeted_epsilon)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


def test_first_correct_per_class_takes_the_first_correct_image_of_each_class():
    labels = torch.tensor([2, 0, 1, 0, 2, 1, 1, 2])
    preds = torch.tensor([1, 0, 0, 0, 2, 2, 1, 2])  # 2 wrong at 0, 1 wrong at 2 and 5
    assert first_correct_per_class(labels, preds, n_classes=3) == [1, 6, 4]


def test_first_correct_per_class_names_a_class_without_a_correct_image():
    labels = torch.tensor([0, 1, 2, 1])
    preds = torch.tensor([0, 0, 2, 2])
    with pytest.raises(ValueError, match=r"class\(es\) \[1\]"):
        first_correct_per_class(labels, preds, n_classes=3)


def test_fig8_rows_mark_classes_without_a_correct_image_and_absent_classes():
    labels = torch.tensor([2, 0, 1, 0, 2, 1])
    preds = torch.tensor([1, 1, 0, 0, 2, 0])  # class 1 never correct; class 3 absent
    rows = fig8_rows(labels, preds, n_classes=4)
    assert rows["indices"] == [3, 2, 4] and rows["classes"] == [0, 1, 2]
    assert rows["clean_correct"] == [True, False, True]
    assert rows["incorrect_classes"] == [1] and rows["absent_classes"] == [3]


def test_highest_loss_restart_keeps_the_argmax_over_restarts_and_its_image():
    # losses (restarts=3, n_eps=2, N=2)
    losses = torch.tensor([[[0.1, 2.0], [5.0, 1.0]],
                           [[0.3, 2.0], [4.0, 1.5]],
                           [[0.2, 1.0], [6.0, 0.5]]], dtype=torch.float64)
    keep = highest_loss_restart(losses)
    assert keep.tolist() == [[1, 0], [2, 1]]  # ties (2.0 vs 2.0) go to the first restart
    # per-restart "images" (restarts, n_eps, N, 2, 2) filled with 10 r + e
    r, e = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
    images = (10 * r + e).float().reshape(3, 2, 1, 1, 1).expand(3, 2, 2, 2, 2)
    kept = _gather_restart(images, keep)
    assert kept.shape == (2, 2, 2, 2)
    assert kept[:, :, 0, 0].tolist() == [[10.0, 0.0], [21.0, 11.0]]
    assert _gather_restart(losses, keep).tolist() == [[0.3, 2.0], [6.0, 1.5]]


def test_pgd_adversarials_returns_the_kept_restarts_image_loss_and_prediction():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    images = torch.rand(5, 4, 4)
    labels = torch.tensor([0, 1, 2, 0, 1])
    cfg = AttackConfig(name="linf_pgd", epsilons=(0.0, 0.1, 0.3), steps=3, rel_stepsize=0.3, restarts=3)
    out = pgd_adversarials(model, images, labels, cfg, device="cpu", batch_size=2, seed=0)
    adv = out["adversarial"]
    assert adv.shape == (3, 5, 4, 4)
    assert torch.equal(adv[0], images)  # eps 0: no perturbation
    assert (adv - images).abs().amax().item() <= 0.3 + 1e-6
    with torch.no_grad():
        for k in range(3):
            logits = model(adv[k])
            torch.testing.assert_close(out["loss"][k], F.cross_entropy(logits, labels, reduction="none"))
            assert torch.equal(out["prediction"][k], logits.argmax(1))
    assert out["prediction_per_restart"].shape == (3, 3, 5)
    # deterministic for a seed
    again = pgd_adversarials(model, images, labels, cfg, device="cpu", batch_size=2, seed=0)
    assert torch.equal(again["adversarial"], adv)


def test_targeted_epsilon_is_the_smallest_grid_eps_at_or_below_ten_percent():
    eps = [0, 4, 8, 16, 32]
    assert targeted_epsilon(eps, [0.98, 0.5, 0.10, 0.02, 0.0]) == 8  # 10 % counts (<=)
    assert targeted_epsilon(eps, [0.98, 0.5, 0.11, 0.2, 0.05]) == 32  # first eps below, not first drop
    assert targeted_epsilon(eps, [0.98, 0.5, 0.3, 0.3, 0.25], max_accuracy=0.3) == 8


def test_targeted_epsilon_never_reached_is_an_error_naming_the_model():
    with pytest.raises(ValueError, match=r"softhebb: .*never drops to <= 10 %.*lowest 40.0 % at eps = 32/255"):
        targeted_epsilon([0, 16, 32], [0.97, 0.6, 0.4], model="softhebb")
    with pytest.raises(ValueError, match="one accuracy per epsilon"):
        targeted_epsilon([0, 16], [0.9])


def test_deflection_rate_counts_proxy_agreement_among_successful_adversarials():
    labels = torch.tensor([4, 4, 7, 1, 0])
    model = torch.tensor([[4, 4, 7, 1, 0],    # eps 0: nothing succeeded -> NaN
                          [0, 4, 2, 1, 0],    # 2 successes; proxy agrees on the first only
                          [0, 9, 2, 8, 6]])   # 5 successes
    proxy = torch.tensor([[4, 4, 7, 1, 0],
                          [0, 4, 7, 1, 0],
                          [0, 4, 2, 8, 0]])
    d = deflection(model, proxy, labels)
    assert d["successful"] == [0, 2, 5]
    assert d["deflected"] == [0, 1, 3]
    assert math.isnan(d["rate"][0]) and d["rate"][1:] == [0.5, 0.6]
    with pytest.raises(ValueError, match="do not match"):
        deflection(model, proxy[:, :4], labels)


def test_fig1_conditions_need_clean_correct_noise_flip_and_pgd_flip():
    y = torch.tensor([4, 4, 4, 4])
    clean = {"mlp": torch.tensor([4, 4, 4, 1]), "softhebb": torch.tensor([4, 4, 4, 4])}
    noise = {"mlp": torch.tensor([[4, 4, 4, 4], [0, 4, 9, 1]]),          # (n_sigma, N)
             "softhebb": torch.tensor([[4, 4, 4, 4], [4, 4, 4, 4]])}
    assert fig1_conditions(y, clean, noise).tolist() == [True, False, True, False]
    robust = {"mlp": torch.tensor([False, False, True, False]), "softhebb": torch.tensor([True, True, True, True])}
    assert fig1_conditions(y, clean, noise, robust).tolist() == [True, False, False, False]


def test_noisy_images_do_not_depend_on_the_other_images():
    images = torch.randint(0, 256, (3, 5, 5), dtype=torch.uint8)
    together = noisy_images(images, [10, 11, 12], [0.0, 0.5], seed=0)
    alone = noisy_images(images[1:2], [11], [0.0, 0.5], seed=0)
    assert together.shape == (2, 3, 5, 5)
    assert torch.equal(together[:, 1], alone[:, 0])
    assert torch.equal(together[0], images.float() / 255)  # sigma 0 is the clean image
    assert together.min() >= 0 and together.max() <= 1


def test_proxy_cnn_shapes():
    assert ProxyCNN(28, (4, 8))(torch.rand(3, 28, 28)).shape == (3, 10)
