"""Plasticity rules paper: the S1+S2 closed form and the MSE-optimal output rule (Thm 2; catalog A8), checked
against rule-based training, by hand, and against autograd."""

import pytest
import torch

from bioplausible.plasticity_rules import closed_form as cf
from bioplausible.plasticity_rules import meta, network, rules, training

pytestmark = pytest.mark.usefixtures("one_thread")
D = torch.float64
ETA = 0.01


def tiny_problem(n_classes=3, N=40, n=12, d=5, k=6, seed=0):
    graph = network.sample_graph(n=n, d=d, n_classes=n_classes, T=1, k=k, p=0.5, seed=seed)
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(N, d, generator=gen, dtype=D)
    y = torch.randint(0, n_classes, (N,), generator=gen)
    drive = network.input_drive(graph, x)
    features, codes = network.rounds(graph, None, drive)
    return graph, drive, y, features, codes


def test_class_sums_by_hand():
    chi = torch.tensor([[1, 0], [1, 1], [0, 1]], dtype=D)      # 3 examples, 2 units
    y = torch.tensor([0, 1, 0])
    S = cf.class_sums(chi, y, 2)
    # class 0 = examples 0 and 2: fired sums (1, 1), not-fired sums (1, 1); others (example 1): fired (1, 1), not (0, 0)
    assert S[0, 1, 0].tolist() == [1, 1] and S[0, 0, 0].tolist() == [1, 1]
    assert S[0, 1, 1].tolist() == [1, 1] and S[0, 0, 1].tolist() == [0, 0]
    # class 1 = example 1: fired (1, 1), not (0, 0); others (0 and 2): fired (1, 1), not (1, 1)
    assert S[1, 1, 0].tolist() == [1, 1] and S[1, 0, 0].tolist() == [0, 0]
    assert S[1, 1, 1].tolist() == [1, 1] and S[1, 0, 1].tolist() == [1, 1]
    U = cf.weights_from_rule(S, torch.tensor([[-1.0, 1.0], [1.0, -1.0]], dtype=D), eta=1.0)
    # perceptron rule, U_c = S^{1,0} - S^{0,0} + S^{0,1} - S^{1,1}
    assert U.tolist() == [[-1.0, -1.0], [1.0, 1.0]]


@pytest.mark.parametrize("n_classes", [2, 3])
def test_closed_form_equals_training_with_both_schemes_in_any_order(n_classes):
    graph, drive, y, features, codes = tiny_problem(n_classes=n_classes)
    rule = torch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=D)
    orders = training.shuffled_orders(len(y), epochs=1, seeds=[0, 1])      # two different orders, one call
    res = training.train_with_rules(graph, None, rule, drive, y, orders, eta=ETA, scheme="all", edges="all")
    S = cf.class_sums(codes.to(D), y, n_classes)
    U = cf.weights_from_rule(S, rule, ETA)
    assert not torch.equal(orders[0], orders[1])
    torch.testing.assert_close(res.U[0], U, rtol=0, atol=1e-12)
    torch.testing.assert_close(res.U[1], U, rtol=0, atol=1e-12)
    # the firing indicators of the features are the T = 1 codes ("fired" = nonzero)
    assert torch.equal(cf.firing_indicators(features), codes.to(D))


def test_default_scheme_is_order_dependent():
    # the contrast that makes S1+S2 special: misclassified-only training depends on the order
    graph, drive, y, _, _ = tiny_problem(n_classes=3)
    orders = training.shuffled_orders(len(y), epochs=1, seeds=[0, 1])
    res = training.train_with_rules(graph, None, torch.tensor(rules.PERCEPTRON_OUTPUT_RULE, dtype=D), drive, y, orders, eta=ETA)
    assert not torch.allclose(res.U[0], res.U[1])


def test_design_gives_the_logits_and_loss():
    graph, drive, y, features, _ = tiny_problem(n_classes=3)
    rule = torch.tensor([[0.5, -0.1], [1.5, -2.0]], dtype=D)
    S = cf.class_sums(cf.firing_indicators(features), y, 3)
    Phi = cf.design(features, S, ETA)
    U = cf.weights_from_rule(S, rule, ETA)
    torch.testing.assert_close(Phi @ rule.reshape(-1), features @ U.T)
    system = cf.mse_system(Phi, y)
    torch.testing.assert_close(system.loss(rule), cf.mse_loss_direct(U, features, y))


def test_optimal_rule_zeroes_the_gradient_and_is_the_minimum():
    graph, drive, y, features, _ = tiny_problem(n_classes=3, N=60)
    r_star, system, S = cf.optimal_rule(features, y, 3, ETA)
    # autograd of the paper's loss, computed from the weights, vanishes at r*
    r = r_star.clone().requires_grad_(True)
    loss = cf.mse_loss_direct(cf.weights_from_rule(S, r, ETA), features, y)
    (g,) = torch.autograd.grad(loss, r)
    r0 = torch.zeros(2, 2, dtype=D, requires_grad=True)
    (g0,) = torch.autograd.grad(cf.mse_loss_direct(cf.weights_from_rule(S, r0, ETA), features, y), r0)
    assert float(g.norm() / g0.norm()) < 1e-8
    torch.testing.assert_close(g, system.grad(r_star), atol=1e-12, rtol=0)
    torch.testing.assert_close(g0, system.grad(torch.zeros(2, 2, dtype=D)))
    # and every perturbation increases the loss
    gen = torch.Generator().manual_seed(3)
    for _ in range(5):
        step = 1e-3 * torch.randn(2, 2, generator=gen, dtype=D) * r_star.abs().max()
        assert float(system.loss(r_star + step)) > float(system.loss(r_star))


def test_cross_entropy_along_rules_matches_torch():
    graph, drive, y, features, _ = tiny_problem(n_classes=3)
    S = cf.class_sums(cf.firing_indicators(features), y, 3)
    Phi = cf.design(features, S, ETA)
    rs = torch.randn(4, 4, generator=torch.Generator().manual_seed(0), dtype=D)
    ce = cf.cross_entropy_along(Phi, y, rs)
    for p in range(4):
        z = features @ cf.weights_from_rule(S, rs[p].view(2, 2), ETA).T
        torch.testing.assert_close(ce[p], torch.nn.functional.cross_entropy(z, y))


def test_sign_pattern_and_bad_input():
    assert cf.sign_pattern(torch.tensor([[-1.0, 0.01], [2.0, -3.0]]), 0.05) == "[-,0;+,-]"
    assert cf.sign_pattern(torch.tensor([[-1.0, 0.01], [2.0, -3.0]])) == "[-,+;+,-]"
    with pytest.raises(ValueError, match="2 x 2"):
        cf.weights_from_rule(torch.zeros(2, 2, 2, 3, dtype=D), torch.zeros(4, 2, dtype=D), ETA)
    with pytest.raises(ValueError, match="labels must lie"):
        cf.class_sums(torch.zeros(2, 3, dtype=D), torch.tensor([0, 5]), 2)


def test_learn_rule_can_log_the_tables():
    graph, drive, y, _, _ = tiny_problem(n_classes=2, N=20)
    rule = rules.TableRule(1, "output")
    log = meta.learn_rule(graph, drive, y, rnn_rule=None, output_rule=rule, eta=ETA, steps=3, batch=10, lr=0.01,
                          weight_decay=0.01, seed=0, log_every=1, log_tables=True)
    assert [e["step"] for e in log] == [0, 1, 2]
    assert log[-1]["output_table"] == rule.table().detach().tolist()
