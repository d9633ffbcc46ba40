"""Fig. 9 sweep metrics and the CE / margin / worst-case robustness metrics, on hand-made results."""

import math

import pytest

from bioplausible.softhebb import attack_sweeps as sw
from bioplausible.softhebb.robustness import comparison_metrics


def sweep(iter_acc, step_acc, steps=(1, 10, 100, 200, 500), rels=(0.01, 0.01 / 0.3, 0.333), zero=0, n=100):
    return {"n_test": n, "clean_accuracy": 0.95, "zero_gradient_images": zero, "losses": ["crossentropy"],
            "iterations": {"steps": list(steps), "epsilons_255": [16, 32], "accuracy": {"crossentropy": iter_acc}},
            "step_size": {"rel_stepsizes": list(rels), "accuracy": {"crossentropy": step_acc}, "steps": 200}}


def test_model_path_goes_through_experiment_names():
    assert sw.model_path("mnist", "wta_sharp_base_s0") == "results/models/softhebb/mnist/wta_sharp_base_s0.pt"
    assert sw.model_path("fashion_mnist", "mlp_relu_s3") == "results/models/softhebb/fashion_mnist/mlp_relu_s3.pt"
    with pytest.raises(ValueError, match="neither"):
        sw.model_path("mnist", "kmeans_s0")
    assert sw.sweep_result("mnist", "mlp_relu_s0") == "results/attacks/softhebb/pgd_sweeps/mnist/mlp_relu_s0.pt"


def test_iteration_metrics_plateau_rise_and_drops():
    # rows = steps (1, 10, 100, 200, 500), columns = eps (16, 32); fractions
    soft = sweep([[0.9, 0.8], [0.7, 0.5], [0.6, 0.40], [0.59, 0.38], [0.585, 0.37]], [0.5, 0.4, 0.45])
    mlp = sweep([[0.5, 0.3], [0.2, 0.1], [0.10, 0.02], [0.104, 0.0], [0.10, 0.0]], [0.1, 0.0, 0.0])
    m = sw.iteration_metrics({"softhebb": soft, "mlp": mlp})
    assert m["softhebb_eps32_steps100"] == pytest.approx(40.0)
    assert m["max_drop_200_to_500"] == pytest.approx(1.0)  # softhebb eps 32: 38 -> 37
    assert m["max_drop_100_to_200"] == pytest.approx(2.0)  # softhebb eps 32: 40 -> 38
    assert m["max_rise"] == pytest.approx(0.4)  # mlp eps 16: 10 -> 10.4
    assert m["largest_steps"] == 500 and m["softhebb_clean_acc"] == pytest.approx(95.0)
    short = sw.iteration_metrics({"mlp": sweep([[0.5, 0.3], [0.2, 0.1]], [0.1, 0.0, 0.0], steps=(1, 10))})
    assert short["max_drop_200_to_500"] is None and short["max_drop_100_to_200"] is None


def test_step_size_metrics_default_minus_min():
    res = {("mnist", "softhebb"): sweep([[0.9, 0.8]], [0.50, 0.40, 0.45], steps=(1,)),
           ("mnist", "mlp"): sweep([[0.9, 0.8]], [0.10, 0.03, 0.01], steps=(1,))}
    m = sw.step_size_metrics(res)
    assert m["mnist_softhebb_default_minus_min"] == pytest.approx(0.0)
    assert m["mnist_mlp_default_minus_min"] == pytest.approx(2.0)
    assert m["mnist_max_default_minus_min"] == pytest.approx(2.0)
    assert m["mnist_mlp_best_rel_stepsize"] == pytest.approx(0.333)
    bad = {("mnist", "mlp"): sweep([[0.9, 0.8]], [0.1, 0.0], steps=(1,), rels=(0.01, 0.1))}
    with pytest.raises(ValueError, match="0.01/0.3"):
        sw.step_size_metrics(bad)


def robustness(worst, ce, margin, zero_ce=0, zero_margin=0, zero_both=0):
    return {"clean_accuracy": worst[0], "n_test": 200, "pgd_epsilons_255": [0, 8, 16, 32, 64],
            "pgd_accuracy": worst, "pgd_ce_accuracy": ce, "pgd_margin_accuracy": margin,
            "zero_gradient_images": zero_ce, "zero_gradient_images_margin": zero_margin,
            "zero_gradient_images_both": zero_both, "train_metrics": {"distinct_winners_train": 7}}


def test_comparison_metrics_report_ce_overstatement_and_masking():
    soft = robustness([0.95, 0.9, 0.8, 0.6, 0.3], [0.95, 0.9, 0.8, 0.62, 0.3], [0.95, 0.9, 0.8, 0.6, 0.35])
    mlp = robustness([0.98, 0.5, 0.2, 0.0, 0.0], [0.98, 0.55, 0.32, 0.12, 0.0], [0.98, 0.5, 0.2, 0.0, 0.0],
                     zero_ce=20, zero_margin=0, zero_both=0)
    m = comparison_metrics("mnist", soft, mlp, "mlp", "pgd")
    assert m["mnist_gap_16"] == pytest.approx(60.0)  # worst case
    assert m["mnist_gap_ce_16"] == pytest.approx(80.0 - 32.0)  # what CE alone would show
    assert m["mnist_mlp_ce_overstatement_16"] == pytest.approx(12.0)
    assert m["mnist_mlp_ce_overstatement_32"] == pytest.approx(12.0)
    assert m["mnist_mlp_ce_overstatement_max"] == pytest.approx(12.0)
    assert m["mnist_softhebb_ce_overstatement_32"] == pytest.approx(2.0)
    assert m["mnist_eps32_mlp_ce"] == pytest.approx(12.0) and m["mnist_eps32_mlp_margin"] == pytest.approx(0.0)
    assert m["mnist_mlp_zero_gradient_fraction"] == pytest.approx(0.1)
    assert m["mnist_mlp_masked_fraction"] == 0.0
    assert m["mnist_first_eps_softhebb_stays_above"] == 8.0
    assert not math.isinf(m["mnist_min_gap_eps_ge_8"])
