"""Table 1 as output-layer rules (classical.py) and the Thm 3-5 simulations (theory.py), on hand-checkable cases."""

import numpy as np
import pytest

from bioplausible.plasticity_rules import classical as cl
from bioplausible.plasticity_rules import rules
from bioplausible.plasticity_rules import theory as th

pytestmark = pytest.mark.usefixtures("one_thread")


def _task(seed, n=12, m=150, noise=0.1):
    return cl.random_pm1_task(n, m, np.random.default_rng(seed), noise=noise)


# --- Table 1 -------------------------------------------------------------------------------------------------

def test_table1_constants_are_the_papers_cells():
    assert np.array_equal(rules.TABLE1_PERCEPTRON, [[-1, 1], [1, -1]])
    assert np.array_equal(rules.TABLE1_MULTIPLICATIVE_WEIGHTS, [[1, 1], [2, 0.5]])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("zero", cl.ZERO_CONVENTIONS)
def test_perceptron_column_rule_equals_classical_perceptron_step_for_step(seed, zero):
    X, y = _task(seed)
    order = cl.presentation_order(len(X), 3, np.random.default_rng(seed))
    a = cl.perceptron(X, y, order, zero=zero)
    b = cl.table_rule_additive(X, y, order, rules.TABLE1_PERCEPTRON, zero=zero)
    assert a.n_mistakes > 5
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    np.testing.assert_array_equal(a.mistakes, b.mistakes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mw_column_rule_equals_winnow_step_for_step(seed):
    X, y = _task(seed)
    order = cl.presentation_order(len(X), 3, np.random.default_rng(seed))
    a = cl.winnow(X, y, order, threshold=X.shape[1] / 2)
    b = cl.table_rule_multiplicative(X, y, order, rules.TABLE1_MULTIPLICATIVE_WEIGHTS, threshold=X.shape[1] / 2)
    assert a.n_mistakes > 5
    np.testing.assert_array_equal(a.trajectory, b.trajectory)


def test_perceptron_hand_computed_two_steps():
    # x1 = (1, -1, 1), y = +1: w = 0 -> w·x = 0 is a mistake, p = -1 column: (x_i) -> w = (1, -1, 1)
    # x2 = (1, 1, -1), y = -1: w·x = 1 - 1 - 1 = -1 -> correct, no update
    # x3 = (1, 1, 1),  y = -1: w·x = 1 > 0 -> mistake, p = +1 column: (-x_i) -> w = (0, -2, 0)
    X = np.array([[1, -1, 1], [1, 1, -1], [1, 1, 1]], dtype=float)
    y = np.array([1, -1, -1])
    run = cl.table_rule_additive(X, y, np.arange(3), rules.TABLE1_PERCEPTRON)
    np.testing.assert_array_equal(run.trajectory, [[0, 0, 0], [1, -1, 1], [1, -1, 1], [0, -2, 0]])
    np.testing.assert_array_equal(run.mistakes, [True, False, True])


def test_winnow_hand_computed_two_steps():
    # threshold 2, w = 1: x1 ON = {0, 2}: sum 2 >= 2 -> predict +1, y = -1: halve ON -> (.5, 1, .5)
    # x2 ON = {0, 1}: sum 1.5 < 2 -> predict -1, y = +1: double ON -> (1, 2, .5)
    X = np.array([[1, -1, 1], [1, 1, -1]], dtype=float)
    y = np.array([-1, 1])
    for run in (cl.winnow(X, y, np.arange(2), 2.0),
                cl.table_rule_multiplicative(X, y, np.arange(2), rules.TABLE1_MULTIPLICATIVE_WEIGHTS, 2.0)):
        np.testing.assert_array_equal(run.trajectory, [[1, 1, 1], [0.5, 1, 0.5], [1, 2, 0.5]])


@pytest.mark.parametrize("seed", [0, 1])
def test_two_output_convention_is_twice_the_single_output_perceptron(seed):
    # A3: rows not fired / fired, columns true / predicted. U[+1] - U[-1] = 2 w_perceptron (ties -> label -1).
    assert np.array_equal(rules.PERCEPTRON_OUTPUT_RULE, [[-1, 1], [1, -1]])
    X, y = _task(seed)
    order = cl.presentation_order(len(X), 2, np.random.default_rng(seed))
    two = cl.two_output_rule(X, y, order, rules.PERCEPTRON_OUTPUT_RULE)
    one = cl.perceptron(X, y, order, zero="negative")
    np.testing.assert_array_equal(two.trajectory[:, 1] - two.trajectory[:, 0], 2 * one.trajectory)
    np.testing.assert_array_equal(two.mistakes, one.mistakes)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="-1, \\+1"):
        cl.perceptron(np.array([[0.0, 1.0]]), np.array([1]), np.arange(1))
    with pytest.raises(ValueError, match="zero="):
        cl.perceptron(np.array([[1.0, 1.0]]), np.array([1]), np.arange(1), zero="tie")
    with pytest.raises(ValueError, match="2x2"):
        cl.table_rule_additive(np.array([[1.0, 1.0]]), np.array([1]), np.arange(1), np.zeros((3, 2)))


# --- Theorem 3 -----------------------------------------------------------------------------------------------

def test_thm3_one_update_hand_computed():
    # rule [-a, a; b, -b] with a = 1, b = 2; x = (1, -1, -1), y = +1, w = 0 (mistake): w_i += b if x_i = 1,
    # -= a if x_i = -1 -> (2, -1, -1). Then y = -1 on the same x: w·x = 2 + 1 + 1 = 4 > 0 -> (0, 0, 0).
    X = np.array([[1, -1, -1], [1, -1, -1]], dtype=float)
    run = cl.table_rule_additive(X, np.array([1, -1]), np.arange(2), th.ab_rule(1.0, 2.0))
    np.testing.assert_array_equal(run.trajectory[1:], [[2, -1, -1], [0, 0, 0]])


def test_thm3_data_and_convergence():
    rng = np.random.default_rng(0)
    X, y, w = th.sample_thm3_data(8, 100, 0.3, rng)
    assert abs(w.sum()) < 1e-12 and abs(np.linalg.norm(w) - 1) < 1e-12
    assert (y * (X @ w) >= 0.3).all()
    r = th.run_until_separated(X, y, th.ab_rule(1.0, 1.0), 500)
    assert r.converged and r.train_errors == 0 and r.mistakes == r.cumulative[-1]
    assert r.mistakes < th.thm3_bound(1.0, 1.0, 8, 0.3)
    assert th.thm3_bound(1.0, 2.0, 16, 0.5) == pytest.approx(2 * 4 * 16 / 0.25)


# --- Theorem 4 -----------------------------------------------------------------------------------------------

def test_margin_perceptron_updates_inside_the_margin():
    # x1 = (1, 0), y = 1: w = 0, y w·x = 0 <= .5 -> w = (1, 0); again: 1 > .5 -> no update
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.2, 0.0]])
    w, flags, _ = th.margin_perceptron(X, np.array([1, 1, 1]), 0.5, 1)
    np.testing.assert_array_equal(flags, [True, False, True])   # third: y w·x = 0.2 <= 0.5
    np.testing.assert_allclose(w, [1.2, 0.0])


def test_thm4_bounds_closed_form():
    assert th.thm4_separable_bound(1.0, 0.1) == pytest.approx(120.0)
    assert th.thm4_noisy_bound(1.0, 0.0, 0.1) == pytest.approx(2 * (1 + np.sqrt(2) * 0.1) / 0.01)
    d = np.array([0.1, 0.3])
    assert th.thm4_noisy_bound_printed(1.0, d, 0.1) == pytest.approx(20 * (1 + 0.4 + np.sqrt(2) * 0.1))
    np.testing.assert_allclose(th.hinge_deviations(np.array([[1.0, 0], [-1.0, 0]]), np.array([1, 1]),
                                                   np.array([1.0, 0]), 0.5), [0.0, 1.5])


# --- Theorem 5 -----------------------------------------------------------------------------------------------

def test_ws_with_constant_loss_is_the_identity():
    x = np.random.default_rng(0).uniform(0, 1, (3, 7))
    np.testing.assert_allclose(th.ws_step(x, 0.01, 0.1, lambda Y: 0.0 * Y), x, rtol=0, atol=0)


def test_ws_hand_computed_one_gene_pair():
    # n = 2, x = (.5, .5), ε = .5, θ = .1, L = (Y - 1)^2: Ȳ = 0; gene i = +ε -> Ȳ+ = .5, = -ε -> Ȳ- = -.5
    # A = L(0) - L(.5) = 1 - .25 = .75, B = L(0) - L(-.5) = 1 - 2.25 = -1.25, Z = 1 + .1 (.375 - .625) = .975
    # x' = .5 (1.075) / .975
    L, _ = th.quadratic_loss(1.0)
    np.testing.assert_allclose(th.ws_step(np.array([0.5, 0.5]), 0.5, 0.1, L), [0.5 * 1.075 / 0.975] * 2)


def test_first_order_map_is_the_derivative_of_ws_in_theta_and_eps():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.2, 0.8, 50)
    L, dL = th.quadratic_loss(1.0)
    # d/dθ at θ = 0 of WS equals -x(1-x) (2ε L' + 4ε²(1-2x)) exactly for quadratic L
    eps, h = 0.01, 1e-6
    num = (th.ws_step(x, eps, h, L) - th.ws_step(x, eps, -h, L)) / (2 * h)
    exact = -x * (1 - x) * (2 * eps * dL(th.mean_phenotype(x, eps)) + 4 * eps ** 2 * (1 - 2 * x))
    np.testing.assert_allclose(num, exact, rtol=1e-6)   # the ε² term is ~6e-3 relative: resolved
    # the first-order map keeps only the 2ε L' part: its θ-derivative
    fo = (th.first_order_step(x, eps, h, dL) - x) / h
    np.testing.assert_allclose(fo, -x * (1 - x) * 2 * eps * dL(th.mean_phenotype(x, eps)), rtol=1e-6)
    # so the per-step deviation is θ x(1-x) 4ε²|1-2x| + O(θ²): it scales as ε² at fixed x
    d1 = th.one_step_deviation(x[None], eps, 1e-3, 1.0)[0]
    d2 = th.one_step_deviation(x[None], eps / 2, 1e-3, 1.0)[0]
    assert d1 / d2 == pytest.approx(4.0, rel=1e-2)


def test_paper_map_has_factor_two_minus_two_x():
    x = np.array([0.25, 0.5])
    _, dL = th.quadratic_loss(1.0)
    # Ȳ = 0.1 * (-.5 + 0) = -.05, ∂L/∂x = 2ε L' = .2 * 2 * (-1.05) = -.42
    np.testing.assert_allclose(th.paper_step(x, 0.1, 0.01, dL), x + 0.01 * 0.42 * (2 - 2 * x))
    np.testing.assert_allclose(th.first_order_step(x, 0.1, 0.01, dL), x + 0.01 * 0.42 * x * (1 - x))


def test_run_ws_records_consistent_series():
    x0 = np.random.default_rng(0).uniform(0.3, 0.7, 20)
    r = th.run_ws(x0, 0.01, 1e-2, 30, 1.0, 10)
    assert r.Y_ws.shape == (31,) and r.step.shape == (30,) and r.states.shape == (3, 20)
    assert r.Y_ws[0] == r.Y_first[0] == r.Y_paper[0]
    assert (np.diff((r.Y_ws - 1) ** 2) <= 0).all()
