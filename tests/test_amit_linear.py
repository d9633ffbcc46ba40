"""Tests of the Amit linear-network matrix dynamics (catalog A8.1, A9.2, A9.3, A9.6) and their metrics."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bioplausible.amit import linear_dynamics as ld
from bioplausible.amit import metrics as mt


def _loop_directions_k3(w1, w2, w3, r2, r3, target):
    """Literal reference for k = 3: explicit sums over synapses, no matrix products."""
    n0, n1, n2, n3 = w1.shape[1], w1.shape[0], w2.shape[0], w3.shape[0]
    f3 = np.zeros((n2, n0))  # W2 W1
    for a in range(n2):
        for c in range(n0):
            f3[a, c] = sum(w2[a, b] * w1[b, c] for b in range(n1))
    err = np.zeros((n3, n0))
    for a in range(n3):
        for c in range(n0):
            err[a, c] = target[a, c] - sum(w3[a, b] * f3[b, c] for b in range(n2))
    g3 = np.zeros_like(w3)  # E (W2 W1)^T
    for a in range(n3):
        for b in range(n2):
            g3[a, b] = sum(err[a, c] * f3[b, c] for c in range(n0))
    down2 = np.zeros((n2, n0))  # R3 E
    for b in range(n2):
        for c in range(n0):
            down2[b, c] = sum(r3[b, a] * err[a, c] for a in range(n3))
    g2 = np.zeros_like(w2)  # R3 E W1^T
    for b in range(n2):
        for j in range(n1):
            g2[b, j] = sum(down2[b, c] * w1[j, c] for c in range(n0))
    g1 = np.zeros_like(w1)  # R2 R3 E
    for j in range(n1):
        for c in range(n0):
            g1[j, c] = sum(r2[j, b] * down2[b, c] for b in range(n2))
    return [g1, g2, g3], float((err**2).sum())


def test_one_euler_step_by_hand_two_layers():
    # W2 W1 = [[1, 0], [1, 2]], T = [[2, 0], [1, 3]]  =>  E = I, L^0 = 2.
    w1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (n1=3, n0=2)
    w2 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])  # (n2=2, n1=3)
    r2 = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, 0.0]])  # (n1=3, n2=2)
    target = np.array([[2.0, 0.0], [1.0, 3.0]])
    new_w, new_r, loss = ld.euler_step(target, [w1, w2], [r2], eta=0.1, eps=1.0)
    assert loss == 2.0
    # G2 = E W1^T = W1^T; G1 = R2 E = R2; R2 += 0.1 G2^T = 0.1 W1.
    np.testing.assert_allclose(new_w[1], [[1.1, 0.0, 0.1], [0.0, 1.1, 1.1]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_w[0], [[1.1, 0.2], [0.0, 1.1], [1.1, 1.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(new_r[0], [[1.1, 2.0], [0.0, 1.1], [1.1, 0.1]], rtol=0, atol=1e-15)
    # eps = 0.5 halves the feedback increment; eps = 0 leaves R2 untouched.
    _, r_half, _ = ld.euler_step(target, [w1, w2], [r2], eta=0.1, eps=0.5)
    np.testing.assert_allclose(r_half[0], r2 + 0.05 * w1, rtol=0, atol=1e-15)
    _, r_zero, _ = ld.euler_step(target, [w1, w2], [r2], eta=0.1, eps=0.0)
    np.testing.assert_array_equal(r_zero[0], r2)


def test_euler_step_matches_loop_reference_k3():
    rng = np.random.default_rng(3)
    dims = (2, 3, 3, 2)
    w = ld.random_weights(rng, dims)
    r = ld.random_feedback(rng, dims)
    target = rng.standard_normal((dims[-1], dims[0]))
    ref_g, ref_loss = _loop_directions_k3(*w, *r, target)
    eta, eps = 0.03, 0.7
    new_w, new_r, loss = ld.euler_step(target, w, r, eta, eps)
    assert loss == pytest.approx(ref_loss, rel=1e-14)
    for i in range(3):
        np.testing.assert_allclose(new_w[i], w[i] + eta * ref_g[i], rtol=1e-13, atol=1e-15)
    for j in range(2):
        np.testing.assert_allclose(new_r[j], r[j] + eta * eps * ref_g[j + 1].T, rtol=1e-13, atol=1e-15)


def test_bp_direction_is_minus_autograd_gradient():
    rng = np.random.default_rng(0)
    dims = (4, 6, 5, 3)
    w = ld.random_weights(rng, dims)
    target = rng.standard_normal((dims[-1], dims[0]))
    tw = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in w]
    prod = tw[0]
    for m in tw[1:]:
        prod = m @ prod
    loss = 0.5 * ((torch.tensor(target) - prod) ** 2).sum()
    loss.backward()
    directions = ld.update_directions(w, [x.T for x in w[1:]], ld.output_error(target, w))
    for g, t in zip(directions, tw):
        np.testing.assert_allclose(g, -t.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_feedback_run_from_transposed_weights_equals_bp():
    rng = np.random.default_rng(1)
    dims = (5, 7, 6, 3)
    w0 = ld.random_weights(rng, dims)
    target = ld.network_product(ld.random_weights(rng, dims))
    bp = ld.simulate(target, w0, None, eta=0.05, n_iter=300, eps=1.0, tied=True)
    fb = ld.simulate(target, w0, [x.T for x in w0[1:]], eta=0.05, n_iter=300, eps=1.0)
    np.testing.assert_allclose(fb.loss, bp.loss, rtol=1e-10, atol=1e-300)
    for a, b in zip(fb.weights, bp.weights):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    for r, wk in zip(fb.feedback, fb.weights[1:]):  # R stays W^T under the identical increment
        np.testing.assert_allclose(r, wk.T, rtol=1e-10, atol=1e-13)
    for r, wk in zip(bp.feedback, bp.weights[1:]):  # BP's R is W^T by construction
        np.testing.assert_array_equal(r, wk.T)
    assert bp.loss[-1] < 1e-3 * bp.loss[0]


def test_frfb_feedback_never_changes_and_urfb_increment_form():
    rng = np.random.default_rng(2)
    dims = (4, 6, 6, 2)
    draw = ld.draw_teacher_student(2, dims)
    frfb = ld.simulate(draw["target"], draw["weights0"], draw["feedback0"], 0.02, 200, eps=0.0)
    for r, r0 in zip(frfb.feedback, draw["feedback0"]):
        np.testing.assert_array_equal(r, r0)
    # Ambiguity 23: R_i(t) = R_i(0) + eps (W_i(t) - W_i(0))^T for any W(0).
    part = ld.simulate(draw["target"], draw["weights0"], draw["feedback0"], 0.02, 200, eps=0.5)
    for r, r0, wt, w0 in zip(part.feedback, draw["feedback0"], part.weights[1:], draw["weights0"][1:]):
        np.testing.assert_allclose(r, r0 + 0.5 * (wt - w0).T, rtol=1e-11, atol=1e-13)
    del rng


def test_teacher_student_shares_initial_conditions():
    dims = (6, 8, 8, 3)
    runs = ld.run_teacher_student(4, dims, eta=0.02, n_iter=20, snapshot_iters=[0, 10])
    for m in ("urfb", "frfb"):
        for a, b in zip(runs[m].snapshots[0], runs["bp"].snapshots[0]):
            np.testing.assert_array_equal(a, b)
    assert runs["urfb"].loss[0] == runs["frfb"].loss[0] == runs["bp"].loss[0]
    assert sorted(runs["bp"].snapshots) == [0, 10, 20]
    draw = ld.draw_teacher_student(4, dims)
    np.testing.assert_array_equal(runs["frfb"].feedback[0], draw["feedback0"][0])
    # Distinct seeds give distinct draws; same seed, same draw.
    other = ld.draw_teacher_student(5, dims)
    assert not np.allclose(other["target"], draw["target"])
    np.testing.assert_array_equal(ld.draw_teacher_student(4, dims)["target"], draw["target"])


def test_eps_sweep_starts_from_zero_weights():
    runs = ld.run_eps_sweep(0, (6, 8, 8, 3), eta=0.02, n_iter=10, epsilons=(0.0, 1.0))
    assert set(runs) == {"eps0", "eps1", "bp"}
    target = ld.draw_teacher_student(0, (6, 8, 8, 3))["target"]
    assert runs["eps0"].loss[0] == pytest.approx(float((target**2).sum()), rel=1e-15)
    assert runs["bp"].loss[0] != runs["eps0"].loss[0]


def test_divergence_is_flagged():
    run = ld.run_teacher_student(0, (6, 8, 8, 3), eta=5.0, n_iter=200)["bp"]
    assert run.diverged
    assert np.isinf(run.loss[-1])
    assert ld.iterations_to_threshold(run.rel_loss, 1e-6) == 201


def test_iterations_to_threshold_and_relative_difference():
    assert ld.iterations_to_threshold(np.array([1.0, 0.5, 1e-7, 1e-9]), 1e-6) == 2
    assert ld.iterations_to_threshold(np.array([1.0, 0.5]), 1e-6) == 2
    a = [np.ones((2, 2)), np.full((1, 2), 2.0)]
    b = [np.ones((2, 2)) * 2.0, np.full((1, 2), 2.0)]
    np.testing.assert_allclose(ld.relative_weight_difference(a, b), [0.5, 0.0])


def _assert_flat_jsonable(d):
    json.dumps(d)
    for key, value in d.items():
        assert "." not in key and key == key.lower(), key
        assert type(value) in (bool, int, float), (key, type(value))


def test_fig3_fig3b_fig4_metrics_small_scale():
    dims = (8, 12, 12, 4)
    runs = [ld.run_teacher_student(s, dims, eta=0.05, n_iter=1500) for s in (0, 1)]
    m3 = mt.fig3_metrics(runs)
    _assert_flat_jsonable(m3)
    assert m3["n_runs"] == 2 and m3["n_iter"] == 1500
    assert m3["min_over_runs_frfb_minus_urfb_iters_to_1e6"] == min(
        m3["run0_frfb_iters_to_1e6"] - m3["run0_urfb_iters_to_1e6"],
        m3["run1_frfb_iters_to_1e6"] - m3["run1_urfb_iters_to_1e6"],
    )
    assert m3["all_runs_all_methods_reached_1e8"] == (m3["max_over_runs_final_rel_loss"] < 1e-8)
    m3b = mt.fig3b_metrics(runs)
    _assert_flat_jsonable(m3b)
    assert m3b["min_over_runs_d"] == min(m3b[f"run{r}_d_layer{i}"] for r in (0, 1) for i in (1, 2, 3))
    sweeps = [ld.run_eps_sweep(s, dims, eta=0.05, n_iter=400) for s in (0, 1)]
    m4 = mt.fig4_metrics(sweeps)
    _assert_flat_jsonable(m4)
    assert m4["unreached_value"] == 401
    ns = [m4[f"run0_{k}_iters_to_1e4"] for k in ("eps0", "eps0p25", "eps0p5", "eps1")]
    assert m4["run0_min_consecutive_gap"] == min(a - b for a, b in zip(ns[:-1], ns[1:]))
    assert 0.0 <= m4["min_over_runs_ordered_fraction"] <= 1.0


def test_fig4_metrics_unreached_threshold_counts_as_infinity():
    sweeps = [ld.run_eps_sweep(0, (8, 12, 12, 4), eta=0.05, n_iter=5, epsilons=(0.0, 1.0), r_scale=0.1)]
    m4 = mt.fig4_metrics(sweeps)
    assert m4["run0_eps0_iters_to_1e4"] == 6 and not m4["run0_eps0_reached_1e4"]
    assert m4["any_run_eps0_unreached"]
    assert not m4["all_runs_strictly_decreasing"]  # both unreached: "inf > inf" is false
