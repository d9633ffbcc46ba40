"""Tests of the Amit decoupled scalar dynamics (catalog A8.2-A8.4, A9.6) and the decoupling check (S3)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bioplausible.amit import decoupling as dc
from bioplausible.amit import metrics as mt
from bioplausible.amit import scalar_dynamics as sd

EPS = (0.0, 0.25, 0.5, 1.0)


@pytest.fixture(scope="module")
def sweep_05():
    return sd.sweep_two_layer(0.5, 0.01, EPS, np.linspace(0.0, 400.0, 4001))


@pytest.fixture(scope="module")
def sweep_k3():
    return sd.sweep_k_layer(0.5, (0.02, 0.01), EPS, np.linspace(0.0, 5000.0, 50001))


def test_k_layer_rhs_reduces_to_two_layer_rhs():
    rng = np.random.default_rng(0)
    for _ in range(5):
        y = rng.uniform(0.0, 2.0, 2)
        lam_T, lam_R, eps = rng.uniform(0.1, 1.0), rng.uniform(0.001, 0.1), rng.uniform(0, 1)
        np.testing.assert_allclose(
            sd.k_layer_rhs(0.0, y, lam_T, (lam_R,), eps), sd.two_layer_rhs(0.0, y, lam_T, lam_R, eps), rtol=1e-15
        )


def test_k3_rhs_by_hand():
    # lam = (1, 2, 3), lam_T = 10, lam_R = (0.5, 0.25), eps = 1: e = 4;
    # d1 = (0.5 + 2)(0.25 + 3) e = 32.5, d2 = (0.25 + 3) e lam1 = 13, d3 = e lam1 lam2 = 8.
    out = sd.k_layer_rhs(0.0, np.array([1.0, 2.0, 3.0]), 10.0, (0.5, 0.25), 1.0)
    np.testing.assert_allclose(out, [32.5, 13.0, 8.0], rtol=1e-15)


def test_conservation_law_along_rk45_solution(sweep_05, sweep_k3):
    for j, eps in enumerate(EPS):
        assert np.max(np.abs(sd.conservation_residual(sweep_05["lam"][j], (0.01,), eps))) < 1e-9
        assert np.max(np.abs(sd.conservation_residual(sweep_k3["lam"][j], (0.02, 0.01), eps))) < 1e-8


def test_rate_B_matches_time_derivative_of_e2():
    # d(e^2)/dt = -2 e (d/dt prod lam) must equal -2 e^2 B on the conservation manifold (eq. 18).
    for lam_Rs in [(0.01,), (0.02, 0.01), (0.03, 0.02, 0.01)]:
        for eps in EPS:
            lam = sd.chain_from_lam1(0.4, lam_Rs, eps)
            lam_T = 0.9 * float(np.prod(lam)) + 0.2
            e = lam_T - np.prod(lam)
            dl = sd.k_layer_rhs(0.0, lam, lam_T, lam_Rs, eps)
            dprod = sum(dl[i] * np.prod(np.delete(lam, i)) for i in range(len(lam)))
            assert -2 * e * dprod == pytest.approx(-2 * e**2 * sd.rate_B(lam, eps), rel=1e-12)
    # k = 2: B = 3/2 lam_1^2 + eps/2 lam_2^2 (eq. 19)
    assert sd.rate_B(np.array([2.0, 3.0]), 0.5) == pytest.approx(1.5 * 4 + 0.25 * 9)


@pytest.mark.parametrize("lam_T,lam_R", [(0.5, 0.01), (1.0, 0.01), (0.3, 0.05)])
def test_eps0_fixed_point_closed_form(lam_T, lam_R):
    lam1, lam2 = sd.fixed_point(lam_T, (lam_R,), 0.0)
    assert lam2 == pytest.approx((lam_T**2 / (2 * lam_R)) ** (1 / 3), rel=1e-12)
    assert lam1 * lam2 == pytest.approx(lam_T, rel=1e-12)
    slope = sd.predicted_tail_slope(lam_T, (lam_R,), 0.0)
    assert slope == pytest.approx(-3 * (2 * lam_R * lam_T) ** (2 / 3), rel=1e-12)


@pytest.mark.parametrize("eps", [0.0, 0.25, 0.5, 1.0])
def test_fixed_point_chain_equals_quartic(eps):
    lam1, lam2 = sd.fixed_point(0.5, (0.01,), eps)
    q1, q2 = sd.fixed_point_two_layer_quartic(0.5, 0.01, eps)
    assert lam1 == pytest.approx(q1, rel=1e-12) and lam2 == pytest.approx(q2, rel=1e-12)


def test_predicted_slopes_near_catalog_hand_values():
    # Catalog A8.2 table (hand-computed, 3 digits); the code computes them by root-finding.
    hand = {0.5: (-0.139, -1.020, -1.431, -2.014), 1.0: (-0.221, -2.029, -2.852, -4.020)}
    for lam_T, values in hand.items():
        for eps, v in zip(EPS, values):
            assert sd.predicted_tail_slope(lam_T, (0.01,), eps) == pytest.approx(v, abs=1.5e-3)
    # Theorem 2 parameters (catalog A8.3): ~ -0.0108 (eps = 0) and ~ -2.42 (eps = 1).
    assert sd.predicted_tail_slope(0.5, (0.02, 0.01), 0.0) == pytest.approx(-0.0108, rel=0.02)
    assert sd.predicted_tail_slope(0.5, (0.02, 0.01), 1.0) == pytest.approx(-2.42, rel=0.01)
    # lam_3 is not increasing in eps (Ambiguity 26): ~9.0 at eps = 0, ~0.78 at eps = 1.
    assert sd.fixed_point(0.5, (0.02, 0.01), 0.0)[2] == pytest.approx(9.04, rel=0.01)
    assert sd.fixed_point(0.5, (0.02, 0.01), 1.0)[2] == pytest.approx(0.781, rel=0.01)


def test_fitted_tail_slopes_match_prediction(sweep_05, sweep_k3):
    for sweep in (sweep_05, sweep_k3):
        for j, eps in enumerate(EPS):
            fit = sd.fit_tail_slope(sweep["t"], sweep["e2"][j])
            pred = sd.predicted_tail_slope(sweep["lam_T"], sweep["lam_Rs"], eps)
            assert fit["n_points"] >= 20
            assert fit["slope"] == pytest.approx(pred, rel=0.02)


def test_fit_tail_slope_on_exact_exponential():
    t = np.linspace(0.0, 100.0, 1001)
    fit = sd.fit_tail_slope(t, 3.0 * np.exp(-0.7 * t))
    assert fit["slope"] == pytest.approx(-0.7, rel=1e-12)
    assert np.isnan(sd.fit_tail_slope(t[:5], 3.0 * np.exp(-0.7 * t[:5]))["slope"])


def test_two_layer_and_reduced_system_agree(sweep_05):
    assert np.max(np.abs(sweep_05["lam"][:, 0] - sweep_05["lam1_reduced"])) < 1e-7
    red = sd.solve_reduced(0.5, 0.01, 0.5, np.linspace(0, 50, 11))
    np.testing.assert_allclose(red["lam2"], sd.G_fun(red["lam1"], 0.01, 0.5))


def test_thm1_metrics_orderings(sweep_05):
    m = mt.thm1_metrics([sweep_05])
    json.dumps(m)
    assert all(type(v) in (bool, int, float) and "." not in k for k, v in m.items())
    assert m["orderings_hold"]
    assert m["max_slope_rel_err"] < 0.02
    assert m["max_reduced_abs_dlam1"] < 1e-6
    assert m["max_conservation_residual"] < 1e-8
    assert m["lt0p5_lr0p01_lam2_max_decrease_in_eps"] > 0.1  # lam_2 itself is not increasing in eps
    # A broken ordering is detected: swapping two eps curves must produce a violation.
    bad = dict(sweep_05)
    bad["e2"] = sweep_05["e2"][[0, 2, 1, 3]]
    assert mt.thm1_metrics([bad])["max_e2_order_violation"] > 1e-6


def test_thm2_metrics(sweep_k3):
    m = mt.thm2_metrics([sweep_k3])
    assert m["orderings_hold"]
    assert m["max_lam2_order_violation"] <= 1e-12
    assert not m["lamk_monotone_in_any_case"]
    assert m["max_slope_rel_err"] < 0.02
    assert m["lt0p5_lr0p02_0p01_eps1_theorem_condition_holds"]


@pytest.mark.parametrize("eps", [0.0, 1.0])
def test_matrix_ode_decouples(eps):
    res = dc.run_decoupling(7, (6, 8, 3), np.array([0.3, 0.6, 1.0]), 0.05, eps, np.linspace(0.0, 40.0, 41))
    assert np.max(res["offdiag_rel"]) < 1e-10
    assert np.max(res["outside_rel"]) < 1e-10
    assert np.max(res["feedback_rel"]) < 1e-10
    assert np.max(res["diag_abs_err"]) < 1e-6
    assert np.max(res["lam_matrix"]) > 0.3  # the dynamics actually moved
    m = mt.decouple_metrics([res])
    assert m["max_diag_abs_err"] == pytest.approx(float(np.max(res["diag_abs_err"])))


def test_matrix_ode_decouples_three_layers():
    res = dc.run_decoupling(1, (5, 6, 4, 3), np.array([0.4, 0.7, 1.0]), (0.2, 0.1), 1.0, np.linspace(0, 30, 31))
    assert np.max(res["offdiag_rel"]) < 1e-10
    assert np.max(res["diag_abs_err"]) < 1e-6
    assert np.max(res["lam_matrix"]) > 0.3


def test_decoupled_initial_condition_shapes():
    ic = dc.decoupled_initial_condition(0, (6, 8, 3), np.array([0.3, 0.6, 1.0]), 0.05)
    u, v, s = ic["frames"][2], ic["frames"][0], ic["frames"][1]
    np.testing.assert_allclose(ic["target"], u @ np.diag([0.3, 0.6, 1.0]) @ v.T)
    np.testing.assert_allclose(s.T @ s, np.eye(3), atol=1e-14)
    assert ic["feedback0"][0].shape == (8, 3)
    np.testing.assert_allclose(ic["feedback0"][0], 0.05 * s @ u.T, atol=1e-15)
