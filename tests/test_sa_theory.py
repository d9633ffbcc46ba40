"""Self-assembly theory checks (catalog A10) and the Fig. 1 schematics: closed forms and hand-computable cases."""

import dataclasses
import math

import numpy as np
import pytest
import torch

from bioplausible.self_assembly import schematics as sch
from bioplausible.self_assembly import theory as th
from bioplausible.self_assembly.circuit import Circuit, CircuitConfig

pytestmark = pytest.mark.usefixtures("one_thread")
D64 = torch.float64


def _circuit(widths=(5, 4, 3, 3), down=(6, 5), seed=0, **kw) -> Circuit:
    cfg = CircuitConfig(widths=widths, down_widths=down, gamma=0.1,
                        rates={"W": 0.05, "V": 0.02, "Wbar": 0.03, "Vbar": 0.02}, **kw)
    return Circuit(cfg, torch.Generator().manual_seed(seed), dtype=D64)


def _data(n=12, d=5, k=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=D64), torch.randint(0, k, (n,), generator=g)


# --- small helpers -----------------------------------------------------------------------------------------------

def test_cosine_by_hand_and_errors():
    assert th.cosine(torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 1.0]])) == pytest.approx(1 / math.sqrt(2))
    assert th.cosine(np.array([1.0, 2.0]), np.array([-2.0, -4.0])) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        th.cosine(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="zero matrix"):
        th.cosine(torch.zeros(2), torch.ones(2))


@pytest.mark.parametrize("loss", ["ce", "mse", "bce"])
def test_loss_gradient_is_minus_output_error(loss):
    """ε = −∂F/∂ŷ per example: the loss of ``loss_per_example`` matches the circuit's ``output_error``."""
    from bioplausible.self_assembly.circuit import output_error

    logits = torch.randn(4, 3, dtype=D64, requires_grad=True)
    y = torch.tensor([0, 2, 1, 1]) if loss != "bce" else torch.tensor([[1.0, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0]], dtype=D64)
    (g,) = torch.autograd.grad(th.loss_per_example(logits, y, loss).sum(), logits)
    torch.testing.assert_close(-g, output_error(logits.detach(), y, loss))
    with pytest.raises(ValueError, match="'ce', 'bce' or 'mse'"):
        th.loss_per_example(logits, y, "hinge")


def test_circuit_from_weights_copies_and_checks_shapes():
    c = _circuit()
    d = th.circuit_from_weights(c.cfg, c.matrices())
    for name in ("W", "V", "Wbar", "Vbar"):
        for a, b in zip(c.matrices()[name], d.matrices()[name]):
            assert torch.equal(a, b) and a is not b
    bad = {**c.matrices(), "V": [m.t() for m in c.V]}
    with pytest.raises(ValueError, match="V shapes"):
        th.circuit_from_weights(c.cfg, bad)
    with pytest.raises(KeyError, match="Vbar"):
        th.circuit_from_weights(c.cfg, {k: v for k, v in c.matrices().items() if k != "Vbar"})


# --- Lemma 1 -----------------------------------------------------------------------------------------------------

def test_lemma1_max_deviation_by_hand():
    eg = 0.1
    t = np.arange(5)
    exact = 2.0 + t * math.log(0.9)
    assert th.lemma1_max_deviation(exact, eg) == pytest.approx(0.0, abs=1e-15)
    off = exact.copy()
    off[3] += 0.25
    assert th.lemma1_max_deviation(off, eg) == pytest.approx(0.25)
    # steps below the floor are ignored: a jump after ||D|| < floor ||D_0|| does not count
    tiny = np.array([0.0, math.log(0.9), math.log(1e-12) + 5.0])
    assert th.lemma1_max_deviation(tiny, eg, floor=1e-3) == pytest.approx(0.0, abs=1e-15)
    with pytest.raises(ValueError, match="eta_gamma"):
        th.lemma1_max_deviation(exact, 1.5)
    # a diverging run counts up to its last finite step
    div = np.array([0.0, math.log(0.9) + 0.5, np.inf, np.nan])
    assert th.lemma1_max_deviation(div, eg) == pytest.approx(0.5)
    assert th.first_nonfinite_step(div) == 2 and th.first_nonfinite_step(exact) == -1
    assert th.first_nonfinite_step(np.array([[0.0, 1.0], [0.0, np.nan]])) == 1


def test_lemma1_trajectory_decays_exactly_and_controls_do_not():
    eta, gamma = 0.02, 0.5
    x, y = _data(20)
    cfg = dict(widths=(5, 4, 3, 3), down_widths=(6, 5), gamma=gamma, rates={"W": 0.05, "V": eta, "Wbar": 0.03, "Vbar": eta})
    c = Circuit(CircuitConfig(**cfg), torch.Generator().manual_seed(0), dtype=D64)
    tr = th.lemma1_trajectory(c, x, y, steps=60, batch_size=8, generator=torch.Generator().manual_seed(2))
    assert tr["log_d"].shape == (61, 2) and tr["cos"].shape == (61, 2)
    assert th.lemma1_max_deviation(tr["log_d"], eta * gamma) < 1e-12
    c2 = Circuit(CircuitConfig(**{**cfg, "vbar_post": False}), torch.Generator().manual_seed(0), dtype=D64)
    tr2 = th.lemma1_trajectory(c2, x, y, steps=60, batch_size=8, generator=torch.Generator().manual_seed(2))
    assert th.lemma1_max_deviation(tr2["log_d"], eta * gamma) > 1e-6
    with pytest.raises(ValueError, match="steps"):
        th.lemma1_trajectory(c, x, y, steps=0, batch_size=8, generator=torch.Generator())


# --- Proposition 1 -----------------------------------------------------------------------------------------------

def _euler_loop(A, b, H, theta, dt, n):
    losses = [0.5 * np.sum((A @ theta - b) ** 2)]
    for _ in range(n):
        theta = theta - dt * H @ A.T @ (A @ theta - b)
        losses.append(0.5 * np.sum((A @ theta - b) ** 2))
    return np.array(losses), theta


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_chunked_euler_equals_the_step_by_step_loop(chunk):
    pr = th.lstsq_problem(3, 8, 5, 4)
    A, b, H = pr["A"], pr["b"], pr["H"]
    dt = 0.5 / np.linalg.eigvals(H @ A.T @ A).real.max()
    theta0 = np.linspace(-1, 1, 5)
    out = th.euler_preconditioned(A, b, H, theta0, dt, 150, chunk=chunk)
    losses, theta = _euler_loop(A, b, H, theta0, dt, 150)
    np.testing.assert_allclose(out["loss"], losses, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(out["theta"], theta, rtol=1e-10, atol=1e-12)
    assert out["t_check"][-1] == 150


def test_prop1_closed_forms():
    """Full rank: the Euler iterates converge to lstsq(A, b); rank-deficient: to θ_0 + M(AM)⁺(b − Aθ_0), where
    H∇L = 0 but ∇L ≠ 0; and θ never leaves θ_0 + range(M)."""
    theta0 = np.full(6, 0.3)
    full = th.lstsq_problem(0, 10, 6, 12)
    A, b, M, H = full["A"], full["b"], full["M"], full["H"]
    lim = th.prop1_limits(A, b, M, theta0)
    np.testing.assert_allclose(lim["theta_limit"], lim["theta_star"], atol=1e-10)   # full row rank: the same point
    np.testing.assert_allclose(lim["theta_star"], np.linalg.solve(A.T @ A, A.T @ b), atol=1e-10)
    dt = 0.5 / np.linalg.eigvals(H @ A.T @ A).real.max()
    out = th.euler_preconditioned(A, b, H, theta0, dt, 20000)
    np.testing.assert_allclose(out["theta"], lim["theta_star"], atol=1e-8)
    assert np.diff(out["loss"]).max() <= 1e-12
    low = th.lstsq_problem(0, 10, 6, 2)
    A, b, M, H = low["A"], low["b"], low["M"], low["H"]
    lim = th.prop1_limits(A, b, M, theta0)
    dt = 0.5 / np.linalg.eigvals(H @ A.T @ A).real.max()
    out = th.euler_preconditioned(A, b, H, theta0, dt, 20000)
    np.testing.assert_allclose(out["theta"], lim["theta_limit"], atol=1e-8)
    g = A.T @ (A @ out["theta"] - b)
    assert np.linalg.norm(H @ g) < 1e-8 and np.linalg.norm(g) > 1e-2
    resid = (out["theta"] - theta0) - M @ np.linalg.lstsq(M, out["theta"] - theta0, rcond=None)[0]
    assert np.linalg.norm(resid) < 1e-10                                              # still in θ_0 + range(M)
    with pytest.raises(ValueError, match="n_steps"):
        th.euler_preconditioned(A, b, H, theta0, dt, 0)
    with pytest.raises(ValueError, match="sizes must be positive"):
        th.lstsq_problem(0, 0, 6, 2)


# --- Theorem 1 diagnostic ----------------------------------------------------------------------------------------

def test_alignment_diagnostics_by_hand_cases():
    """V̄ = I (square, frozen at identity) and W̄ = Wᵀ, D_d = eq. 4: SAL's W term is exactly −∇W⟨F⟩ (SGD, catalog A8),
    so both cosines are 1 for every layer; the top layer is always exact."""
    widths = (5, 4, 4, 3)
    cfg = CircuitConfig(widths=widths, dd="relu_jacobian_V", gamma=0.1,
                        rates={"W": 0.05, "V": 0.02, "Wbar": 0.03, "Vbar": 0.02})
    c = Circuit(cfg, torch.Generator().manual_seed(0), dtype=D64)
    c.V = [torch.eye(4, dtype=D64) for _ in c.V]
    c.Vbar = [torch.eye(4, dtype=D64) for _ in c.Vbar]
    c.Wbar = [w.t().clone() for w in c.W[1:]]
    x, y = _data(16, d=5)
    out = th.alignment_diagnostics(c, x, y)
    assert out["cos_sal_bp"] == pytest.approx([1.0] * 3, abs=1e-12)
    assert out["cos_sal_hbp"] == pytest.approx([1.0] * 3, abs=1e-12)
    assert out["lambda_min_H"] == pytest.approx([1.0] * 3)
    assert out["norm_ratio_sal_bp"] == pytest.approx([1.0] * 3)
    # relative step size by hand for V: ‖η_V(⟨h̄ hᵀ⟩ − γV)‖ / ‖V‖
    inc, _ = c.increments(x, y)
    want = float((0.02 * (inc["V"][0] - 0.1 * c.V[0])).norm() / c.V[0].norm())
    assert out["rel_step_V"][0] == pytest.approx(want)
    # random feedback: the top layer is still exact
    r = th.alignment_diagnostics(_circuit(), *_data(16, d=5))
    assert r["cos_sal_bp"][-1] == pytest.approx(1.0, abs=1e-12)


def test_alignment_run_params_overrides_and_defaults():
    from bioplausible import config as config_mod

    cfg_sa = config_mod.thaw(config_mod.section(config_mod.load("smoke"), "self_assembly"))
    cfg_sa["thm_gd_alignment"].update(epochs=7, n_train=None)
    p = th.alignment_run_params(cfg_sa)
    assert p["epochs"] == 7 and p["n_train"] == cfg_sa["train"]["n_train"]
    assert p["keep_weights"] is True and p["seeds"] == [cfg_sa["thm_gd_alignment"]["seed"]]
    from bioplausible.self_assembly.experiment import run_params

    # the shared protocol's rates for that dataset (per-dataset overrides included)
    assert p["algorithms"]["sal"]["rates"] == run_params(cfg_sa, p["dataset"], "sal")["algorithms"]["sal"]["rates"]


# --- short-term modulation ---------------------------------------------------------------------------------------

def test_modulation_tau_zero_is_identity_and_output_part_by_hand():
    c = _circuit()
    x, y = _data(10, d=5)
    r0 = th.modulated_losses(c, x, y, 0.0)
    torch.testing.assert_close(r0["after"], r0["before"])
    # output part alone: ŷ' = ŷ + τ ε, by hand for CE
    tau = 0.3
    logits = c.predict(x)
    eps = torch.nn.functional.one_hot(y, 3).to(D64) - torch.softmax(logits, 1)
    want = torch.nn.functional.cross_entropy(logits + tau * eps, y, reduction="none")
    torch.testing.assert_close(th.modulated_losses(c, x, y, tau, hidden=False)["after"], want)
    # hidden part by hand for a 1-hidden-layer net: h' = ReLU(W0 x) + τ V̄0 h̄1, ŷ' = W1 h'
    c1 = _circuit(widths=(5, 4, 3), down=(6,))
    hs, _ = c1.forward(x)
    e1 = torch.nn.functional.one_hot(y, 3).to(D64) - torch.softmax(hs[-1], 1)
    hbar1 = e1 @ c1.Wbar[0].t()
    h1 = torch.relu(x @ c1.W[0].t()) + tau * hbar1 @ c1.Vbar[0].t()
    want = torch.nn.functional.cross_entropy(h1 @ c1.W[1].t(), y, reduction="none")
    torch.testing.assert_close(th.modulated_losses(c1, x, y, tau, output=False)["after"], want)
    s = th.summarise_modulation(c, x, y, [1e-3, 1e-2])
    assert s["taus"] == [1e-3, 1e-2] and len(s["mean_dloss_all"]) == 2
    assert all(v < 0 for v in s["mean_dloss_output"])          # a step along −∂F/∂ŷ lowers the loss (small τ)


# --- Fig. 1 schematics -------------------------------------------------------------------------------------------

def test_fig1a_lists_every_matrix_and_caption_element():
    nodes, arrows = sch.fig1a_diagram(5)
    assert sch.matrix_counts(arrows) == {"W": 4, "Wbar": 3, "V": 3, "Vbar": 3, "identity": 3}
    assert sch.caption_elements_missing(nodes, arrows) == []
    assert sch.directions_match_a0(arrows)
    assert sch.shapes_match_circuit(arrows, [7, 6, 5, 4, 3], [11, 9, 8])
    no_error = [n for n in nodes if n.role != "error"]
    assert "error module" in sch.caption_elements_missing(no_error, arrows)
    no_dash = [a for a in arrows if a.style != "identity"]
    assert "black dashed non-learnable (identity) arrows" in sch.caption_elements_missing(nodes, no_dash)
    with pytest.raises(ValueError, match="n_layers"):
        sch.fig1a_diagram(2)


def test_fig1c_directions_and_shapes_catch_a_swapped_arrow():
    _, arrows = sch.fig1c_diagram(2)
    assert {a.kind: (a.source, a.target) for a in arrows} == {
        "W": ("h2", "h3"), "Wbar": ("hb3", "hb2"), "V": ("h2", "hb2"), "Vbar": ("hb3", "h3")}
    assert sch.shape_label("V", 2) == r"$\bar d_{2} \times d_{2}$"
    assert sch.shape_label("W", 3) == r"$d_{4} \times d_{3}$"
    assert sch.directions_match_a0(arrows) and sch.shapes_match_circuit(arrows, [7, 6, 5, 4, 3], [11, 9, 8])
    # the paper's prose reading (V down -> up) is caught by both checks
    swapped = [dataclasses.replace(a, source=a.target, target=a.source) if a.kind in ("V", "Vbar") else a
               for a in arrows]
    assert not sch.directions_match_a0(swapped)
    assert not sch.shapes_match_circuit(swapped, [7, 6, 5, 4, 3], [11, 9, 8])
    with pytest.raises(ValueError, match="distinct widths"):
        sch.shapes_match_circuit(arrows, [7, 6, 6, 4, 3], [6, 9, 8])
    with pytest.raises(ValueError, match="down_widths"):
        sch.shapes_match_circuit(arrows, [7, 6, 5, 4, 3], [11, 9])


def test_drawn_styles_are_read_back():
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    nodes, arrows = sch.fig1a_diagram(4)
    fig, ax = plt.subplots()
    patches = sch.draw_arrows(ax, nodes, arrows)
    assert sch.styles_follow_caption(arrows, patches)
    patches[0].set_linestyle("--")
    assert not sch.styles_follow_caption(arrows, patches)
    plt.close(fig)
