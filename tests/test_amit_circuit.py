"""Tests of the Amit three-neuron output circuit (Sec. 2.3, eqs. 5, 8, 9; catalog A3, Ambiguities 3, 28)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bioplausible.amit import circuit as ci
from bioplausible.amit import metrics as mt

# Fig. 2 plotting parameters (Ambiguity 28) and the amit_circuit grid parameters (catalog).
FIG2 = dict(M=2.0, S=1.0, mu=0.5, eps=0.25)
GRID = dict(M=4.0, S=1.0, mu=1.0 / 9.0, eps=0.1)


@pytest.mark.parametrize(
    "x,expected",
    [
        (7.0, 1.25), (5.000001, 1.25), (5.0, 1.0), (3.0, 1.0), (2.0, 1.0),
        (1.999999, 0.0), (0.0, 0.0), (-1.999999, 0.0),
        (-2.0, -0.5), (-4.0, -0.5), (-5.0, -0.5), (-5.000001, -0.75), (-9.0, -0.75),
    ],
)
def test_sigma_o_levels_and_breakpoints(x, expected):
    assert ci.sigma_o(x, **FIG2) == expected
    assert ci.sigma_o(np.array([x, x]), **FIG2).tolist() == [expected, expected]


@pytest.mark.parametrize(
    "x,expected", [(1.5, 1.0), (1.000001, 1.0), (1.0, 0.0), (0.0, 0.0), (-0.5, 0.0), (-0.500001, -1.0), (-3.0, -1.0)]
)
def test_sigma_t_levels_and_breakpoints(x, expected):
    assert ci.sigma_t(x, mu=0.5) == expected


def test_delta_eq5_with_typo_fix():
    mu = 0.2
    h = np.array([0.5, 1.0, 1.01, -1.0, -1.01, 0.5, 3.0])
    s = np.array([1, 1, 1, -1, -1, -1, -1])
    # The paper prints "h >= 1" for the second case; with the fix, (h = 0.5, s = -1) gives -mu, not 0.
    np.testing.assert_array_equal(ci.delta_eq5(h, s, mu), [1.0, 1.0, 0.0, -mu, 0.0, -mu, -mu])


def test_circuit_cycles_by_hand():
    M, S, mu, eps = GRID["M"], GRID["S"], GRID["mu"], GRID["eps"]
    h = np.array([0.5, 2.0, -0.5, -2.0, 1.0, -1.0])
    s = np.array([1.0, 1.0, -1.0, -1.0, 1.0, -1.0])
    o, t = ci.simulate_circuit(h, s, n_steps=6, **GRID)
    np.testing.assert_array_equal(o[:, 0], [1.0] * 6)  # H = 8.5 in [M, 2M+S]: constant 1, t = 0
    np.testing.assert_array_equal(o[:, 1], [1 + eps, 0, 1 + eps, 0, 1 + eps, 0])  # H = 10 > 9, then H = 2
    np.testing.assert_array_equal(t[:, 1], [1, 0, 1, 0, 1, 0])
    np.testing.assert_array_equal(o[:, 2], [-mu] * 6)
    np.testing.assert_array_equal(o[:, 3], [-mu - eps, 0, -mu - eps, 0, -mu - eps, 0])
    np.testing.assert_array_equal(t[:, 3], [-1, 0, -1, 0, -1, 0])
    np.testing.assert_array_equal(o[:, 4], [1.0] * 6)  # h = S: H = 2M + S, closed interval
    np.testing.assert_array_equal(o[:, 5], [-mu] * 6)  # h = -S
    cl = ci.classify_trajectories(o)
    assert cl["kind"].tolist() == [ci.CONSTANT, ci.PERIOD2, ci.CONSTANT, ci.PERIOD2, ci.CONSTANT, ci.CONSTANT]
    assert cl["value_a"][1] == 0.0 and cl["value_b"][1] == 1 + eps
    assert cl["value_a"][3] == -mu - eps and cl["value_b"][3] == 0.0
    ex = ci.expected_behaviour(h, s, S, mu, eps)
    np.testing.assert_array_equal(ex["kind"], cl["kind"])
    np.testing.assert_allclose(ex["value_a"], cl["value_a"])
    np.testing.assert_allclose(ex["value_b"], cl["value_b"])
    del M


def test_endpoint_convention():
    # x = M belongs to the level 1 (documented): at (h = M, s = +1) o alternates 1+eps, 1 (not through 0).
    o, _ = ci.simulate_circuit(np.array([4.0, -4.0]), np.array([1.0, -1.0]), n_steps=6, **GRID)
    cl = ci.classify_trajectories(o)
    assert cl["kind"].tolist() == [ci.PERIOD2, ci.PERIOD2]
    assert (cl["value_a"][0], cl["value_b"][0]) == (1.0, 1.1)


def test_classify_trajectories_synthetic():
    o = np.array([[1.0, 0.0, 5.0], [1.0, 2.0, 6.0], [1.0, 0.0, 7.0], [1.0, 2.0, 8.0],
                  [1.0, 0.0, 9.0], [1.0, 2.0, 10.0]])
    cl = ci.classify_trajectories(o, n_tail=4)
    assert cl["kind"].tolist() == [ci.CONSTANT, ci.PERIOD2, ci.OTHER]
    assert cl["value_a"][1] == 0.0 and cl["value_b"][1] == 2.0 and np.isnan(cl["value_a"][2])


def test_circuit_metrics_on_catalog_grid():
    M = GRID["M"]
    h = np.linspace(-M, M, 401)
    s = np.array([1.0, -1.0])[:, None]
    o, _ = ci.simulate_circuit(h, s, n_steps=20, **GRID)
    m = mt.circuit_metrics(h, s, o, **GRID)
    json.dumps(m)
    assert m["n_points"] == 802 and m["n_other"] == 0
    assert m["n_disagree_interior"] == 0
    assert m["n_disagree"] == 2 and m["min_abs_h_of_disagreement"] == M  # only (M, +1) and (-M, -1)
    assert m["n_constant_value_ne_delta"] == 0 and m["n_oscillating_with_nonzero_delta"] == 0


def test_fig2_metrics_find_eq9_breakpoints_and_detect_a_wrong_one():
    m = mt.fig2_metrics(**FIG2)
    json.dumps(m)
    assert m["matches_eq9"]
    assert m["sigma_o_n_breakpoints"] == 4 and m["sigma_t_n_breakpoints"] == 2
    assert m["sigma_o_max_breakpoint_err"] < 1e-9 and m["sigma_o_max_level_err"] == 0.0
    assert m["sigma_o_value_at_2m_plus_s"] == 1.0 and m["sigma_t_value_at_1"] == 0.0

    def shifted(x):  # wrong inner breakpoint (1.5 M instead of M)
        x = np.asarray(x, float)
        return np.where(np.abs(x) < 3.0, 0.0, ci.sigma_o(x, **FIG2))

    bad = mt.fig2_metrics(**FIG2, sigma_o_fn=shifted)
    assert not bad["matches_eq9"] and bad["sigma_o_max_breakpoint_err"] == pytest.approx(1.0, abs=1e-9)

    def open_top(x):  # 2M+S wrongly given to the 1+eps level
        x = np.asarray(x, float)
        return np.where(x >= 5.0, 1.25, ci.sigma_o(x, **FIG2))

    bad = mt.fig2_metrics(**FIG2, sigma_o_fn=open_top)
    assert bad["n_closed_side_mismatches"] == 1 and not bad["matches_eq9"]
