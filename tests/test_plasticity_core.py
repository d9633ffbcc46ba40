"""Plasticity rules paper: the simple RNN, rule-based training and the differentiable inner loop, on cases
computed by hand or by an independent reference implementation."""

import pytest
import torch

from bioplausible.plasticity_rules import meta, network, rules, tasks, training
from bioplausible.plasticity_rules.network import Graph

pytestmark = pytest.mark.usefixtures("one_thread")
D = torch.float64


def tiny_graph(T=2, k=2, recurrence="paper", fired="nonzero"):
    # 3 hidden units, 2 inputs, 2 classes; edges 0->1, 1->2, 2->0 (M_G[j, i] = 1 for i -> j)
    A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=D)
    M = torch.zeros(3, 3, dtype=D)
    M[1, 0] = M[2, 1] = M[0, 2] = 1
    return Graph(A, M, k=k, T=T, n_classes=2, recurrence=recurrence, fired=fired)


def test_cap_keeps_the_k_largest():
    h, sel = network.cap(torch.tensor([[0.5, -1.0, 2.0, 1.0]], dtype=D), 2)
    assert h.tolist() == [[0.0, 0.0, 2.0, 1.0]]
    assert sel.tolist() == [[False, False, True, True]]


def test_rounds_by_hand():
    g = tiny_graph(T=2, k=2)
    x = torch.tensor([[2.0, -1.0]], dtype=D)            # drive Ãx = (2, -1, 1)
    drive = network.input_drive(g, x)
    assert drive.tolist() == [[2.0, -1.0, 1.0]]
    W = torch.zeros(3, 3, dtype=D)
    W[1, 0] = 3.0                                       # edge 0 -> 1 with weight 3
    h, codes = network.rounds(g, W, drive)
    # round 1: ReLU(2, -1, 1) = (2, 0, 1), cap 2 keeps both -> fired (1, 0, 1)
    # round 2: W h1 + drive = (0, 3*2, 0) + (2, -1, 1) = (2, 5, 1); cap keeps 2 and 5 -> (2, 5, 0), fired (1, 1, 0)
    assert h.tolist() == [[2.0, 5.0, 0.0]]
    assert codes.tolist() == [[0b11, 0b01, 0b10]]      # round 1 is the most significant bit
    # the authors' code form: W (h1 + drive) = W (4, -1, 2) -> (0, 12, 0); ReLU -> (0, 12, 0), cap -> unit 1 and one zero
    hc, codes_c = network.rounds(tiny_graph(T=2, k=2, recurrence="code"), W, drive)
    assert hc[0, 1] == 12.0 and hc[0, 0] == 0 and hc[0, 2] == 0
    assert codes_c[0].tolist() == [0b10, 0b01, 0b10]    # 'nonzero': zeros kept by the cap did not fire


def test_one_update_step_by_hand():
    g = tiny_graph(T=2, k=2)
    R = torch.arange(16, dtype=D).view(4, 4)           # R[c_pre, c_post] = 4 c_pre + c_post
    Ro = torch.tensor([[-1.0, 1.0], [1.0, -1.0], [-2.0, 2.0], [3.0, -3.0]], dtype=D)
    drive = torch.tensor([[2.0, -1.0, 1.0]], dtype=D)
    # W = 0, U = 0: codes (1,0,1) in round 1 and (1,0,1) in round 2 -> codes (3, 0, 3); logits tie -> class 0
    res = training.train_with_rules(g, R, Ro, drive, torch.tensor([1]), torch.tensor([[0]]), eta=0.5)
    assert res.n_mistakes.tolist() == [1] and res.n_updates.tolist() == [1]
    codes = [3, 0, 3]
    expected_W = torch.zeros(3, 3, dtype=D)
    for j, i in [(1, 0), (2, 1), (0, 2)]:                # ΔW_ji = η R[c_i, c_j] on edges only
        expected_W[j, i] = 0.5 * R[codes[i], codes[j]]
    assert torch.equal(res.W[0], expected_W)
    expected_U = torch.zeros(2, 3, dtype=D)
    expected_U[1] = 0.5 * Ro[codes, 0]                 # true label y = 1: column 0
    expected_U[0] = 0.5 * Ro[codes, 1]                 # predicted ŷ = 0: column 1
    assert torch.equal(res.U[0], expected_U)


def test_correct_examples_do_not_update_and_S1_perceptron_cancels_on_the_output():
    g = tiny_graph(T=2, k=2)
    R = torch.ones(4, 4, dtype=D)
    Ro = rules.perceptron_output_rule(2)
    drive = torch.tensor([[2.0, -1.0, 1.0]], dtype=D)
    # y = 0 = the tie's argmax: correct, so misclassified-only does nothing
    res = training.train_with_rules(g, R, Ro, drive, torch.tensor([0]), torch.tensor([[0]]), eta=1.0)
    assert res.n_updates.item() == 0 and not res.W.any() and not res.U.any()
    # S1 (update on every example): W moves, but the perceptron's two output updates hit row y and cancel
    res = training.train_with_rules(g, R, Ro, drive, torch.tensor([0]), torch.tensor([[0]]), eta=1.0, scheme="all")
    assert res.n_updates.item() == 1 and res.W.abs().sum() == 3 and not res.U.any()


def test_all_edges_scheme_updates_every_other_row():
    g = Graph(torch.eye(3, dtype=D), torch.zeros(3, 3, dtype=D), k=3, T=1, n_classes=4)
    Ro = torch.tensor([[-1.0, 2.0], [1.0, -2.0]], dtype=D)
    drive = torch.tensor([[1.0, 0.0, 2.0]], dtype=D)    # codes (1, 0, 1)
    res = training.train_with_rules(g, None, Ro, drive, torch.tensor([2]), torch.tensor([[0]]), eta=1.0,
                                    edges="all", record=True)
    col0 = Ro[[1, 0, 1], 0]
    col1 = Ro[[1, 0, 1], 1]
    assert torch.equal(res.U[0], torch.stack([col1, col1, col0, col1]))
    _, U = training.weights_from_counts(g, None, res.counts_out, None, Ro, 1.0)
    assert torch.equal(U, res.U[0])


def test_multiplicative_update_by_hand():
    g = Graph(torch.eye(2, dtype=D), torch.zeros(2, 2, dtype=D), k=2, T=1, n_classes=2)
    Ro = torch.tensor([[-1.0, 1.0], [1.0, -1.0]], dtype=D)
    drive = torch.tensor([[1.0, 0.0]], dtype=D)         # unit 0 fires, unit 1 does not; U = 1 -> tie -> class 0
    res = training.train_with_rules(g, None, Ro, drive, torch.tensor([1]), torch.tensor([[0]]), eta=0.5,
                                    mode="multiplicative")
    # row y=1: w (1 + η R_o[c, 0]) = (1.5, 0.5); row ŷ=0: w (1 + η R_o[c, 1]) = (0.5, 1.5)
    assert res.U[0].tolist() == [[0.5, 1.5], [1.5, 0.5]]


def test_runs_dimension_equals_separate_runs():
    g = network.sample_graph(n=20, d=5, n_classes=3, T=3, k=8, p=0.5, seed=1)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 5, generator=gen, dtype=D)
    y = torch.randint(0, 3, (40,), generator=gen)
    drive = network.input_drive(g, x)
    R = torch.randn(8, 8, generator=gen, dtype=D)
    orders = training.shuffled_orders(40, epochs=2, seeds=[0, 1, 2])
    together = training.train_with_rules(g, R, rules.perceptron_output_rule(3), drive, y, orders, eta=0.1)
    for r in range(3):
        alone = training.train_with_rules(g, R, rules.perceptron_output_rule(3), drive, y, orders[r:r + 1], eta=0.1)
        assert torch.allclose(alone.W[0], together.W[r], atol=1e-12)
        assert torch.allclose(alone.U[0], together.U[r], atol=1e-12)


def test_recorded_counts_rebuild_the_weights_and_their_gradient():
    g = network.sample_graph(n=12, d=4, n_classes=3, T=3, k=5, p=0.5, seed=2)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(30, 4, generator=gen, dtype=D)
    y = torch.randint(0, 3, (30,), generator=gen)
    drive = network.input_drive(g, x)
    R = torch.randn(8, 8, generator=gen, dtype=D)
    Ro = torch.randn(8, 2, generator=gen, dtype=D)
    order = torch.arange(30)[None]
    res = training.train_with_rules(g, R, Ro, drive, y, order, eta=0.1, record=True)
    W, U = training.weights_from_counts(g, res.counts_rnn, res.counts_out, R, Ro, 0.1)
    assert torch.allclose(W, res.W[0], atol=1e-12) and torch.allclose(U, res.U[0], atol=1e-12)
    # gradient of a loss through the rebuilt weights = gradient through an explicit unrolled sum of gathers
    # (replay the same inner loop, recording codes and decisions, and sum the table entries with autograd)
    Rg, Rog = R.clone().requires_grad_(), Ro.clone().requires_grad_()
    W1, U1 = training.weights_from_counts(g, res.counts_rnn, res.counts_out, Rg, Rog, 0.1)
    loss1 = torch.nn.functional.cross_entropy(network.logits(g, W1, U1, drive), y)
    grads1 = torch.autograd.grad(loss1, (Rg, Rog))
    Rg2, Rog2 = R.clone().requires_grad_(), Ro.clone().requires_grad_()
    W2 = torch.zeros(12, 12, dtype=D)
    U2 = torch.zeros(3, 12, dtype=D)
    with torch.no_grad():
        Wn, Un = torch.zeros(12, 12, dtype=D), torch.zeros(3, 12, dtype=D)
    for t in range(30):
        with torch.no_grad():
            h, codes = network.rounds(g, Wn, drive[t:t + 1])
            pred = (h @ Un.T).argmax(-1)[0]
        if pred != y[t]:
            c = codes[0]
            W2 = W2 + 0.1 * g.graph_mask * Rg2[c[None, :], c[:, None]]
            U2 = U2.index_add(0, torch.stack([y[t], pred]), 0.1 * torch.stack([Rog2[c, 0], Rog2[c, 1]]))
            Wn, Un = W2.detach(), U2.detach()
    assert torch.allclose(W2, W, atol=1e-12) and torch.allclose(U2, U, atol=1e-12)
    loss2 = torch.nn.functional.cross_entropy(network.logits(g, W2, U2, drive), y)
    grads2 = torch.autograd.grad(loss2, (Rg2, Rog2))
    for a, b in zip(grads1, grads2):
        assert torch.allclose(a, b, atol=1e-10)


def test_T1_accuracy_is_invariant_to_rescaling_the_output_rule():
    # catalog A4 "scale note": for T = 1, U is positively homogeneous in R_o
    g = network.sample_graph(n=30, d=6, n_classes=4, T=1, k=10, p=0.5, seed=0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(100, 6, generator=gen, dtype=D)
    y = torch.randint(0, 4, (100,), generator=gen)
    drive = network.input_drive(g, x)
    Ro = torch.randn(2, 2, generator=gen, dtype=D)
    order = torch.arange(100)[None]
    a = training.train_with_rules(g, None, Ro, drive, y, order, eta=0.01)
    b = training.train_with_rules(g, None, 7.0 * Ro, drive, y, order, eta=0.3)
    assert torch.equal(a.n_updates, b.n_updates)
    assert torch.allclose(a.U * 0.3 * 7.0 / 0.01, b.U)


def test_network_rule_table_matches_the_network():
    rule = rules.NetworkRule(3, hidden=5)
    table = rule.table()
    bits = rules.code_bits(3)
    assert bits[5].tolist() == [1.0, 0.0, 1.0]
    assert torch.allclose(table[5, 2], rule(bits[5], bits[2]))


def test_perceptron_style_T3_rule_and_table1_shape():
    assert rules.perceptron_output_rule(1).tolist() == [list(r) for r in rules.PERCEPTRON_OUTPUT_RULE]
    last = rules.perceptron_output_rule(3, "last_round")
    anyr = rules.perceptron_output_rule(3, "any_round")
    assert last[0b110].tolist() == [-1.0, 1.0] and anyr[0b110].tolist() == [1.0, -1.0]
    assert last[0b001].tolist() == [1.0, -1.0]


def test_meta_learning_lowers_the_loss_on_a_halfspace():
    arrays = tasks.generate_task("halfspace", n_train=400, n_test=10, dim=10, relu_width=8, seed=0,
                                 rnn_labeller={"n": 10, "k": 5, "T": 3}, p=0.5)
    g = network.sample_graph(n=30, d=10, n_classes=2, T=1, k=15, p=0.5, seed=0)
    drive = network.input_drive(g, torch.from_numpy(arrays["x_train"]))
    y = torch.from_numpy(arrays["y_train"])
    out = rules.TableRule(1, "output")
    out.values.data = torch.tensor([[0.3, -0.2], [-0.1, 0.2]], dtype=D)   # start away from the perceptron
    log = meta.learn_rule(g, drive, y, rnn_rule=None, output_rule=out, eta=0.01, steps=60, batch=100, lr=0.05,
                          weight_decay=0.0, seed=0, log_every=1)
    first = sum(e["loss"] for e in log[:5]) / 5
    last = sum(e["loss"] for e in log[-5:]) / 5
    assert last < first


def test_generated_tasks_are_labelled_by_their_labeller():
    arrays = tasks.generate_task("halfspace", n_train=50, n_test=20, dim=10, relu_width=8, seed=4,
                                 rnn_labeller={"n": 10, "k": 5, "T": 3}, p=0.5)
    assert ((arrays["x_train"] @ arrays["labeller__w_star"] > 0) == arrays["y_train"]).all()
    rnn = tasks.generate_task("rnn", n_train=50, n_test=20, dim=10, relu_width=8, seed=4,
                              rnn_labeller={"n": 10, "k": 5, "T": 3}, p=0.5)
    assert set(rnn["y_test"].tolist()) <= {0, 1} and 0.5 <= float(rnn["majority_rate_train"]) <= 1.0
    with pytest.raises(ValueError, match="unknown generated task"):
        tasks.generate_task("spiral", n_train=5, n_test=5, dim=2, relu_width=2, seed=0, rnn_labeller={}, p=0.5)


def test_bad_inputs_name_the_problem():
    g = tiny_graph(T=2)
    with pytest.raises(ValueError, match="needs an RNN rule"):
        training.train_with_rules(g, None, torch.zeros(4, 2, dtype=D), torch.zeros(1, 3, dtype=D),
                                  torch.tensor([0]), torch.tensor([[0]]), eta=0.1)
    with pytest.raises(ValueError, match=r"output rule table has shape \(2, 2\), expected \(4, 2\)"):
        training.train_with_rules(g, torch.zeros(4, 4, dtype=D), torch.zeros(2, 2, dtype=D),
                                  torch.zeros(1, 3, dtype=D), torch.tensor([0]), torch.tensor([[0]]), eta=0.1)
    with pytest.raises(ValueError, match="recurrence"):
        tiny_graph(recurrence="loop")
