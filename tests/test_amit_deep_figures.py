"""Figs 5-6 metrics of Amit's CIFAR runs (bioplausible.amit.deep_figures) on hand-computable cases."""

import math

import numpy as np
import pytest
import torch

from bioplausible.amit import deep_figures as df
from bioplausible.amit.deep_experiment import SIX_ROWS
from bioplausible.amit.feedback import feedback_conv2d, feedback_local

pytestmark = pytest.mark.usefixtures("one_thread")


# --- Fig. 5 ---------------------------------------------------------------------------------------------------------
def _payload(train, val, test=0.5):
    log = [{"epoch": i + 1, "train_error": t, "val_error": v} for i, (t, v) in enumerate(zip(train, val))]
    return {"log": log, "metrics": {"test_error": test}}


def test_frac_above_by_hand():
    upper = [0.9, 0.5, 0.8, 0.7, 0.6]
    lower = [0.5, 0.6, 0.7, 0.7, 0.5]
    # burn_in 0: above at epochs 1, 3, 5 (the tie at epoch 4 is not "above") -> 3/5
    assert df.frac_above(upper, lower, 0) == pytest.approx(3 / 5)
    # burn_in 2: epochs 3..5 -> above at 3 and 5 -> 2/3
    assert df.frac_above(upper, lower, 2) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="burn_in = 5"):
        df.frac_above(upper, lower, 5)
    with pytest.raises(ValueError, match="shapes"):
        df.frac_above(upper, lower[:4], 0)


def test_fig5_metrics_by_hand():
    curves = {("bp_softmax", "full"): ([.8, .6, .4], [.9, .7, .5]), ("bp_hinge", "full"): ([.8, .6, .5], [.9, .7, .45]),
              ("urfb", "full"): ([.8, .7, .6], [.9, .8, .55]), ("frfb", "full"): ([.85, .75, .7], [.95, .85, .55]),
              ("urfb", "p50"): ([.9, .8, .7], [.9, .8, .7]), ("frfb", "p50"): ([.9, .9, .9], [.8, .9, .95])}
    payloads = {r: _payload(*curves[r], test=0.1 * i) for i, r in enumerate(SIX_ROWS)}
    m = df.fig5_metrics(payloads, "c10", burn_in=1)
    assert m["c10_urfb_final_val"] == .55 and m["c10_frfb50_final_train"] == .9
    assert m["c10_frfb_test"] == pytest.approx(0.3)
    # val, epochs 2-3: FRFB .85 > .8 yes, .55 > .55 no -> 1/2;  FRFB 50%: .9 > .8, .95 > .7 -> 1
    assert m["c10_frfb_above_urfb_val_frac"] == 0.5
    assert m["c10_frfb50_above_urfb50_val_frac"] == 1.0
    assert m["c10_frfb_above_urfb_train_frac"] == 1.0
    # FRFB 50% val (.9, .95) above full URFB val (.8, .55) -> 1
    assert m["c10_frfb50_above_urfb_val_frac"] == 1.0
    assert m["c10_urfb_minus_bp_hinge_final_val"] == pytest.approx(.55 - .45)
    assert m["c10_n_epochs"] == 3 and m["c10_burn_in"] == 1


def test_fig5_bad_input_names_the_culprit():
    good = {r: _payload([.5, .4], [.5, .4]) for r in SIX_ROWS}
    with pytest.raises(KeyError, match="FRFB 50%"):
        df.fig5_metrics({r: p for r, p in good.items() if r != ("frfb", "p50")}, "c10", 0)
    short = dict(good)
    short[("urfb", "full")] = _payload([.5], [.5])
    with pytest.raises(ValueError, match="different numbers of epochs"):
        df.fig5_metrics(short, "c10", 0)
    with pytest.raises(KeyError, match="val_error"):
        df.curves({"log": [{"epoch": 1, "train_error": .5}]}, "x")


# --- Fig. 6 ---------------------------------------------------------------------------------------------------------
def test_interior_locations():
    loc = df.interior_locations(6, 7, 5)          # rows 2..3, cols 2..4
    assert loc.tolist() == [2 * 7 + 2, 2 * 7 + 3, 2 * 7 + 4, 3 * 7 + 2, 3 * 7 + 3, 3 * 7 + 4]
    assert len(df.interior_locations(32, 32, 5)) == 28 * 28
    with pytest.raises(ValueError, match="no interior"):
        df.interior_locations(4, 4, 5)


def test_identical_filters_similarity_one_and_orthogonal_zero():
    # 2 features, 3 locations, D = 4. Feature 0 = e0 everywhere (scaled), feature 1 = e1 everywhere.
    w = torch.zeros(3, 2, 4, dtype=torch.float64)
    w[:, 0, 0] = torch.tensor([1.0, 2.0, 3.0])
    w[:, 1, 1] = 5.0
    loc = torch.arange(3)
    assert df.same_feature_similarity(w, loc).tolist() == pytest.approx([1.0, 1.0])
    assert df.cross_feature_similarity(w, loc).tolist() == pytest.approx([0.0, 0.0])
    assert df.cross_feature_same_location_similarity(w, loc).tolist() == pytest.approx([0.0, 0.0])


def test_similarity_against_a_loop():
    gen = torch.Generator().manual_seed(0)
    w = torch.randn(5, 3, 6, generator=gen, dtype=torch.float64)
    loc = torch.tensor([0, 2, 3, 4])
    cos = lambda a, b: float(a @ b / (a.norm() * b.norm()))  # noqa: E731
    same = [np.mean([cos(w[l, f], w[m, f]) for l in loc for m in loc if l != m]) for f in range(3)]
    cross = [np.mean([cos(w[l, f], w[m, g]) for g in range(3) if g != f for l in loc for m in loc]) for f in range(3)]
    here = [np.mean([cos(w[l, f], w[l, g]) for g in range(3) if g != f for l in loc]) for f in range(3)]
    assert df.same_feature_similarity(w, loc).tolist() == pytest.approx(same)
    assert df.cross_feature_similarity(w, loc).tolist() == pytest.approx(cross)
    assert df.cross_feature_same_location_similarity(w, loc).tolist() == pytest.approx(here)


def test_two_opposite_filters_and_zero_filter():
    w = torch.tensor([[[1.0, 0.0]], [[-1.0, 0.0]], [[1.0, 0.0]]], dtype=torch.float64)   # (3 loc, 1 feature, 2)
    # pairs: (0,1) -1, (0,2) +1, (1,2) -1 -> mean -1/3
    assert df.same_feature_similarity(w, torch.arange(3)).item() == pytest.approx(-1 / 3)
    w[1] = 0
    with pytest.raises(ValueError, match="all zero"):
        df.same_feature_similarity(w, torch.arange(3))


def test_relative_change_by_hand():
    ref = torch.tensor([[3.0, 4.0]], dtype=torch.float64)                 # norm 5
    w = torch.stack([ref, ref + torch.tensor([[0.0, 5.0]]), ref + torch.tensor([[10.0, 0.0]])])
    assert df.relative_change(w, torch.arange(3), ref) == pytest.approx((0 + 1 + 2) / 3)
    assert df.relative_change(w, torch.tensor([1]), ref) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        df.relative_change(w, torch.arange(3), ref[:, :1])


def test_untied_layer_layout_and_fig6_metrics_of_a_fresh_untie():
    """A freshly untied conv has every location equal to the kernel: filter_grid returns the kernel, same-feature
    similarity is 1 and nothing moved."""
    gen = torch.Generator().manual_seed(1)
    conv = feedback_conv2d(3, 4, 5, tied=False, generator=gen)
    lc = feedback_local(conv, 8, 9)
    w = lc.weight.detach().double()
    assert w.shape == (72, 4, 75)
    grid = df.filter_grid(w, 9, 5, [2, 0], [(3, 4), (7, 8)])
    assert grid.shape == (2, 2, 3, 5, 5)
    np.testing.assert_allclose(grid[0, 1], conv.weight[2].detach().double().numpy())
    np.testing.assert_allclose(grid[1, 0, 1], conv.weight[0, 1].detach().double().numpy())
    m = df.fig6_metrics(w, 8, 9, 5, conv.weight.detach().reshape(4, -1))
    assert m["median_same_feature_similarity"] == pytest.approx(1.0)
    assert m["n_interior_locations"] == 4 * 5 and m["n_features"] == 4
    assert m["rel_change_from_mean_filter"] == pytest.approx(0.0, abs=1e-12)
    assert m["rel_change_from_seed_kernel"] == pytest.approx(0.0, abs=1e-7)
    assert m["same_minus_cross_feature_similarity"] == pytest.approx(1 - m["median_cross_feature_similarity"])
    assert not math.isnan(m["median_cross_feature_similarity"])


def test_check_picks_names_the_bad_pick():
    with pytest.raises(ValueError, match=r"features \[2, 4\]: \[4\]"):
        df.check_picks([2, 4], [(18, 6)], c_out=4, height=32, width=32, channel=0, c_in=3)
    with pytest.raises(ValueError, match="locations"):
        df.check_picks([2], [(18, 32)], c_out=4, height=32, width=32, channel=0, c_in=3)
    with pytest.raises(ValueError, match="channel = 3"):
        df.check_picks([2], [(18, 6)], c_out=4, height=32, width=32, channel=3, c_in=3)
