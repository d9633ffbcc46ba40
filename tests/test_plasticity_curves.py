"""Learning curves and transfer (pr_fig2, pr_fig3, pr_fig6): the reductions the claims read, hand-computed cases."""

import math

import numpy as np
import pytest
import torch

from bioplausible.plasticity_rules import curves, training
from bioplausible.plasticity_rules.network import Graph, accuracy, rounds

pytestmark = pytest.mark.usefixtures("one_thread")


def test_samples_to_reach_first_hit_and_never():
    seen, acc = [0, 500, 1000, 1500], [0.1, 0.6, 0.9, 0.85]
    assert curves.samples_to_reach(seen, acc, 0.6) == 500        # at or above: equality counts
    assert curves.samples_to_reach(seen, acc, 0.88) == 1000      # first hit, although it dips afterwards
    assert curves.samples_to_reach(seen, acc, 0.95) == math.inf
    with pytest.raises(ValueError, match="sample counts"):
        curves.samples_to_reach([0, 1], [0.5], 0.1)


def test_value_at_requires_an_evaluation_point():
    assert curves.value_at([0, 500, 1000], [0.1, 0.2, 0.3], 1000) == 0.3
    with pytest.raises(ValueError, match="no evaluation point at 700"):
        curves.value_at([0, 500, 1000], [0.1, 0.2, 0.3], 700)


def test_max_gap_from_uses_shared_points_from_start():
    a_seen, a = [0, 1000, 2000, 3000], [10, 50, 60, 70]
    b_seen, b = [0, 1000, 2000, 2500, 3000], [10, 20, 58, 99, 74]
    assert curves.max_gap_from(a_seen, a, b_seen, b, 2000) == 4      # 2500 is not shared; 1000 is before start
    assert curves.max_gap_from(a_seen, a, b_seen, b, 0) == 30
    with pytest.raises(ValueError, match="share no evaluation point"):
        curves.max_gap_from(a_seen, a, b_seen, b, 4000)


def test_feature_accuracy_matches_network_accuracy_for_T1():
    gen = torch.Generator().manual_seed(0)
    n, d, l = 12, 5, 3
    graph = Graph(torch.randn(n, d, generator=gen, dtype=torch.float64), torch.zeros(n, n, dtype=torch.float64),
                  k=4, T=1, n_classes=l)
    drive = torch.randn(40, d, generator=gen, dtype=torch.float64) @ graph.input_weights.T
    labels = torch.randint(0, l, (40,), generator=gen)
    U = torch.randn(2, l, n, generator=gen, dtype=torch.float64)
    h, _ = rounds(graph, None, drive)                 # the fixed T = 1 features c_k(ReLU(Ã x))
    assert torch.allclose(curves.feature_accuracy(h, U, labels), accuracy(graph, None, U, drive, labels))
    # hand case: two features, read-out picks class of the larger one
    feats = torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]], dtype=torch.float64)
    assert float(curves.feature_accuracy(feats, torch.eye(2, dtype=torch.float64), torch.tensor([0, 1, 1]))) == \
        pytest.approx(2 / 3)


def test_majority_rate():
    assert curves.majority_rate(torch.tensor([0, 1, 1, 1]), 2) == 0.75
    assert curves.majority_rate(np.array([2, 2, 0]), 10) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="empty"):
        curves.majority_rate(np.array([], dtype=int), 2)


def _acc(**per_dataset):
    """test_acc[model][dataset] from dataset=(ff_small, ff_large, rnn_small, rnn_large)."""
    return {m: {d: v[i] for d, v in per_dataset.items()} for i, m in enumerate(curves.FIG3_MODELS)}


def test_transfer_metrics_hand_case():
    acc = _acc(halfspace=(90, 91, 88, 93), relu1=(70, 72, 75, 74.5), relu2=(65, 66, 68, 70), mnist=(60, 80, 50, 85))
    majority = {"halfspace": 50, "relu1": 60, "relu2": 85, "mnist": 11}
    m = curves.transfer_metrics(acc, majority)
    # (a): relu1 needs >= 70 (ff_small = 70 passes, excess 0); relu2 majority 85 > 80 needs only > 85: all fail there
    assert m["a_all_beat_majority"] is False
    assert m["a_worst_excess"] == -20 and m["a_worst_cell"] == "ff_small on relu2"
    # (b): gaps halfspace +2, relu1 -0.5, relu2 +2, mnist +5
    assert m["b_rnn_large_min_gap"] == -0.5
    assert m["b_rnn_large_n_best"] == 3
    assert m["b_rnn_large_within_tie_everywhere"] is True
    # (c): rnn_small - ff_small on relu1, relu2 (rnn absent): 5, 3
    assert m["c_rnn_small_minus_ff_small_min"] == 3
    # (d): rnn_small > ff_large on relu1, relu2
    assert m["d_rnn_small_beats_ff_large_count"] == 2


def test_transfer_metrics_all_pass_and_strictness():
    acc = _acc(halfspace=(60, 60, 60, 60.5), relu2=(85.1, 86, 86, 87))
    m = curves.transfer_metrics(acc, {"halfspace": 50, "relu2": 85})
    assert m["a_all_beat_majority"] is True        # 60 = 50 + 10 counts; 85.1 > 85 counts
    assert m["a_worst_excess"] == pytest.approx(0.0)
    acc = _acc(halfspace=(60, 60, 60, 60.5), relu2=(85.0, 86, 86, 87))
    assert curves.transfer_metrics(acc, {"halfspace": 50, "relu2": 85})["a_all_beat_majority"] is False
    with pytest.raises(ValueError, match="rnn_large"):
        curves.transfer_metrics({m: {} for m in curves.FIG3_MODELS[:3]}, {"halfspace": 50})


def test_sign_pattern():
    assert curves.sign_pattern(torch.tensor([[-1.02, 1.02], [1.23, -1.23]])) == "[-,+;+,-]"
    assert curves.sign_pattern(np.array([[0.0, 2.0]])) == "[0,+]"
    with pytest.raises(ValueError, match="2-D"):
        curves.sign_pattern(np.zeros(3))


def test_stacked_orders_equal_separate_runs():
    """Fig. 3 runs its re-trainings as one call with stacked orders: each run must equal its own call."""
    gen = torch.Generator().manual_seed(1)
    n, d, l = 10, 4, 2
    mask = (torch.rand(n, n, generator=gen) < 0.5).double().fill_diagonal_(0)
    graph = Graph(torch.randn(n, d, generator=gen, dtype=torch.float64), mask, k=5, T=3, n_classes=l)
    x = torch.randn(30, d, generator=gen, dtype=torch.float64)
    drive, y = x @ graph.input_weights.T, (x[:, 0] > 0).long()
    rnn = torch.randn(8, 8, generator=gen, dtype=torch.float64)
    out = torch.tensor([[-1.0, 1.0]] * 4 + [[1.0, -1.0]] * 4, dtype=torch.float64)
    orders = training.shuffled_orders(30, epochs=1, seeds=[0, 1, 2])
    both = training.train_with_rules(graph, rnn, out, drive, y, orders, eta=0.01)
    for r in range(3):
        one = training.train_with_rules(graph, rnn, out, drive, y, orders[r:r + 1], eta=0.01)
        assert torch.allclose(both.W[r], one.W[0]) and torch.allclose(both.U[r], one.U[0])
        assert int(both.n_updates[r]) == int(one.n_updates[0])


def test_accuracy_and_firing_hand_cases():
    # T = 1, every drive positive: exactly k of n units fire on every example
    n, k = 6, 2
    graph = Graph(torch.eye(n, dtype=torch.float64), torch.zeros(n, n, dtype=torch.float64), k=k, T=1, n_classes=2)
    drive = torch.rand(5, n, dtype=torch.float64) + 0.1
    U = torch.zeros(2, n, dtype=torch.float64)
    acc, frac = curves.accuracy_and_firing(graph, None, U, drive, torch.zeros(5, dtype=torch.long), chunk=2)
    assert float(acc) == 1.0 and frac.tolist() == [k / n]          # ties -> class 0, every label 0
    # T = 3 with a strongly inhibitory W: round 2 is silenced (h2 = 0), round 3 is round 1 again
    mask = (1 - torch.eye(n, dtype=torch.float64))
    graph3 = Graph(torch.eye(n, dtype=torch.float64), mask, k=k, T=3, n_classes=2)
    W = -100.0 * mask
    U2 = torch.randn(3, 2, n, dtype=torch.float64)
    acc3, frac3 = curves.accuracy_and_firing(graph3, W.expand(3, n, n), U2, drive, torch.zeros(5, dtype=torch.long))
    assert frac3.shape == (3, 3)
    assert torch.allclose(frac3, torch.tensor([[k / n, 0.0, k / n]] * 3, dtype=torch.float64))
    assert torch.allclose(acc3, accuracy(graph3, W.expand(3, n, n), U2, drive, torch.zeros(5, dtype=torch.long)))


def test_fig3_inputs_per_dataset_kind():
    pr = {"fig3": {"models": {m: {"rule": "R1" if m.startswith("ff") else "R2"} for m in curves.FIG3_MODELS}}}
    synth = curves.fig3_inputs(pr, "relu1")
    assert set(synth) == {"task", "R1", "R2"} and synth["task"].endswith("tasks/relu1.npz")
    assert set(curves.fig3_inputs(pr, "mnist")) == {"train", "test", "R1", "R2"}
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'"):
        curves.fig3_inputs(pr, "cifar10")
