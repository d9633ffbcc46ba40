"""Fig. 3's matrix diagnostics (off-diagonal ratio, effective rank, correlation, alignment cosine) on hand-computable
matrices; the Fig. 4 deep linear net against autograd; the Fig. 3/4 run parameters from config."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from bioplausible import config as config_mod
from bioplausible.self_assembly import matrices as mx
from bioplausible.self_assembly import matrix_runs as mr
from bioplausible.self_assembly.circuit import Circuit, CircuitConfig

pytestmark = pytest.mark.usefixtures("one_thread")
D64 = torch.float64


# --- off-diagonal dominance ratio ---------------------------------------------------------------------------------
def test_offdiag_ratio_by_hand():
    assert mx.offdiag_ratio(torch.eye(4)) == 0.0
    assert mx.offdiag_ratio(torch.ones(3, 3)) == pytest.approx(1.0)
    assert mx.offdiag_ratio([[2.0, 1.0], [1.0, 2.0]]) == pytest.approx(0.5)
    # off-diagonal |-1| twice -> mean 1; diagonal mean (2 + 4) / 2 = 3
    assert mx.offdiag_ratio([[2.0, -1.0], [-1.0, 4.0]]) == pytest.approx(1 / 3)


def test_offdiag_ratio_of_random_gram_is_about_sqrt_2_over_pi_n():
    """Catalog sa_fig3a: for A with i.i.d. entries and n columns, rho(A A^T) ≈ sqrt(2/pi)/sqrt(n) (0.10 at n = 60)."""
    a = torch.randn(60, 60, generator=torch.Generator().manual_seed(0), dtype=D64)
    assert mx.offdiag_ratio(mx.gram(a)) == pytest.approx(math.sqrt(2 / math.pi) / math.sqrt(60), rel=0.15)


@pytest.mark.parametrize("bad, match", [
    (torch.ones(2, 3), "square"), (torch.ones(1, 1), "size >= 2"), (torch.ones(3), "2 dimensions"),
    (-torch.eye(3), "not positive"), (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "non-finite"),
])
def test_offdiag_ratio_rejects_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        mx.offdiag_ratio(bad)


# --- correlation normalisation -------------------------------------------------------------------------------------
def test_correlation_by_hand():
    c = mx.correlation([[4.0, 2.0], [2.0, 9.0]])
    torch.testing.assert_close(c, torch.tensor([[1.0, 1 / 3], [1 / 3, 1.0]], dtype=D64))
    with pytest.raises(ValueError, match="diagonal entries \\[1\\]"):
        mx.correlation([[1.0, 0.0], [0.0, 0.0]])


# --- effective rank ------------------------------------------------------------------------------------------------
def test_effective_rank_by_hand():
    assert mx.effective_rank(torch.diag(torch.tensor([1.0, 1.0, 0.0]))) == pytest.approx(2.0)
    assert mx.effective_rank(torch.outer(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, -1.0]))) == pytest.approx(1.0)
    assert mx.effective_rank(torch.eye(5)) == pytest.approx(5.0)
    assert mx.effective_rank(3.0 * torch.eye(2, 4)) == pytest.approx(2.0)          # scale- and shape-free
    # diag(3, 1): p = (3/4, 1/4), H = -(3/4 ln 3/4 + 1/4 ln 1/4)
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert mx.effective_rank(torch.diag(torch.tensor([3.0, 1.0]))) == pytest.approx(math.exp(h))
    with pytest.raises(ValueError, match="zero matrix"):
        mx.effective_rank(torch.zeros(3, 3))


# --- alignment cosine ----------------------------------------------------------------------------------------------
def test_alignment_cosine_by_hand():
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert mx.alignment_cosine(a, a) == pytest.approx(1.0)
    assert mx.alignment_cosine(a, -2 * a) == pytest.approx(-1.0)
    assert mx.alignment_cosine([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(0.0)
    assert mx.alignment_cosine([[1.0, 1.0]], [[1.0, 0.0]]) == pytest.approx(1 / math.sqrt(2))
    with pytest.raises(ValueError, match="shapes differ"):
        mx.alignment_cosine(torch.ones(2, 3), torch.ones(3, 2))
    with pytest.raises(ValueError, match="zero"):
        mx.alignment_cosine(torch.zeros(2, 2), torch.ones(2, 2))


def test_site_alignment_pairs_V_with_Vbar_transposed():
    """Downstream widths differ from upstream ones: V[k] is d̄×d and Vbar[k] is d×d̄ (Lemma 1's pairing)."""
    c = Circuit(CircuitConfig(widths=(5, 4, 3, 2), down_widths=(6, 7)), torch.Generator().manual_seed(0), dtype=D64)
    assert [tuple(v.shape) for v in c.V] == [(6, 4), (7, 3)]
    assert [tuple(v.shape) for v in c.Vbar] == [(4, 6), (3, 7)]
    cos = mx.site_alignment(c.matrices())
    assert len(cos) == 2 and all(abs(x) < 0.9 for x in cos)       # independent draws
    c.Vbar = [v.t().clone() for v in c.V]
    assert mx.site_alignment(c.matrices()) == pytest.approx([1.0, 1.0])
    stats = mx.site_stats(c.matrices())
    assert set(stats) == {"rho_H", "rho_WWt", "erank_W", "erank_Wbar", "cos_V_Vbar"}
    assert all(len(v) == 2 for v in stats.values())


def test_lemma1_alignment_rises_with_equal_rates():
    """With η_V = η_V̄ the difference V − V̄ᵀ shrinks by (1 − ηγ) per step while the shared increment accumulates,
    so the cosine rises toward 1."""
    cfg = CircuitConfig(widths=(6, 5, 5, 3), rates={"W": 0.01, "V": 0.05, "Wbar": 0.01, "Vbar": 0.05}, gamma=0.5)
    c = Circuit(cfg, torch.Generator().manual_seed(1), dtype=D64)
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(64, 6, generator=g, dtype=D64), torch.randint(0, 3, (64,), generator=g)
    before = mx.site_alignment(c.matrices())
    d0 = [float((v - vb.t()).norm()) for v, vb in zip(c.V, c.Vbar)]
    for s in range(400):
        c.step(x[(s * 8) % 64:(s * 8) % 64 + 8], y[(s * 8) % 64:(s * 8) % 64 + 8])
    d1 = [float((v - vb.t()).norm()) for v, vb in zip(c.V, c.Vbar)]
    assert d1 == pytest.approx([d * (1 - 0.05 * 0.5) ** 400 for d in d0], rel=1e-8)
    after = mx.site_alignment(c.matrices())
    assert all(a > 0.99 and a > b for a, b in zip(after, before))


# --- Fig. 4's deep linear network ----------------------------------------------------------------------------------
def test_deep_linear_sgd_step_equals_autograd():
    widths, lr, gamma = (5, 4, 4, 3), 0.1, 0.01
    net = mr.DeepLinearSGD(widths, torch.Generator().manual_seed(0), lr=lr, gamma=gamma, dtype=D64)
    w0 = [w.clone().requires_grad_(True) for w in net.W]
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(8, 5, generator=g, dtype=D64), torch.randint(0, 3, (8,), generator=g)
    h = x
    for w in w0:
        h = h @ w.t()                                     # identity activations, linear logits
    F.cross_entropy(h, y).backward()
    logits = net.step(x, y)
    torch.testing.assert_close(logits, h.detach())
    for w, ref in zip(net.W, w0):
        torch.testing.assert_close(w, ref.detach() + lr * (-ref.grad - gamma * ref.detach()))


def test_deep_linear_draws_the_circuits_W0_at_lecun_scale():
    """Same draw as the circuit's Kaiming W(0), scaled by 1/√2 (N(0, 1/d_in): variance-preserving without ReLU)."""
    widths = (7, 5, 5, 3)
    net = mr.DeepLinearSGD(widths, torch.Generator().manual_seed(3), lr=0.1, gamma=0.0)
    c = Circuit(CircuitConfig(widths=widths), torch.Generator().manual_seed(3))
    for a, b in zip(net.W, c.W):
        torch.testing.assert_close(a, b / math.sqrt(2.0))


# --- run parameters from config ------------------------------------------------------------------------------------
@pytest.fixture
def sa_quick():
    return config_mod.thaw(config_mod.section(config_mod.load("quick"), "self_assembly"))


def test_fig4_params_cover_all_subsets_linear_and_sgd(sa_quick):
    p = mr.fig4_params(sa_quick)
    assert list(p["runs"]) == [*mr.SUBSETS, "linear", "sgd"]
    for key, plastic in mr.SUBSETS.items():
        r = p["runs"][key]
        assert r["algorithm"] == "sal" and r["algorithms"]["sal"]["plastic"] == plastic
        assert r["epochs"] == p["epochs"] and r["seeds"] == p["seeds"]
    assert p["runs"]["linear"]["architecture"] == "deep_linear" and p["runs"]["linear"]["algorithm"] == "sgd"
    assert p["runs"]["sgd"]["algorithm"] == "sgd" and "architecture" not in p["runs"]["sgd"]
    assert len(mr.SUBSETS) == 8 and len({tuple(v) for v in mr.SUBSETS.values()}) == 8


def test_sal_rates_override_and_errors(sa_quick):
    sa = copy.deepcopy(sa_quick)
    sa["fig4"]["sal_rates"] = [0.5, 0.25, 0.125, 0.0625]
    assert mr.fig4_params(sa)["runs"]["W_Vbar"]["algorithms"]["sal"]["rates"] == {"W": 0.5, "V": 0.25, "Wbar": 0.125,
                                                                                 "Vbar": 0.0625}
    sa["fig4"]["sal_rates"] = None
    table_rates = sa["train"]["algorithms"]["sal"]["rates"]
    assert mr.fig4_params(sa)["runs"]["W"]["algorithms"]["sal"]["rates"] == table_rates
    sa["fig4"]["sal_rates"] = [0.1]
    with pytest.raises(ValueError, match="self_assembly.fig4.sal_rates"):
        mr.fig4_params(sa)
    sa["fig3"]["layer"] = len(sa["fig3"]["hidden"])
    with pytest.raises(ValueError, match="self_assembly.fig3.layer"):
        mr.fig3_params(sa)


def test_fig3_params_keep_weights_and_equal_down_widths(sa_quick):
    p = mr.fig3_params(sa_quick)
    assert p["keep_weights"] is True and p["algorithm"] == "sal"
    assert p["hidden"] == sa_quick["fig3"]["hidden"] and p["algorithms"]["sal"]["down_widths"] is None
    assert p["seeds"] == [sa_quick["fig3"]["seed"]] and p["dataset"] == sa_quick["fig3"]["dataset"]
