"""Amit's layers with separate feedback weights: tied = autograd, fixed feedback stays fixed, untied = conv, and one
URFB step by hand."""

import pytest
import torch
import torch.nn.functional as F

from bioplausible.amit.deep_nets import (
    ARCHITECTURES,
    build_net,
    freeze,
    set_connectivity_masks,
    untie,
)
from bioplausible.amit.deep_training import REGIMES, evaluate, hinge_loss, sgd_step, train_epochs
from bioplausible.amit.feedback import (
    FeedbackLayer,
    LocalMap,
    feedback_conv2d,
    feedback_dense,
    feedback_local,
    same_padding,
)



@pytest.fixture(autouse=True)
def float64():
    """Exact comparisons in float64; the default dtype is restored for the other test modules."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _gen(seed=0):
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def _layers(tied):
    g = _gen(1)
    conv = feedback_conv2d(3, 4, 3, tied=tied, generator=g, name="c")
    conv2 = feedback_conv2d(3, 4, 2, tied=tied, generator=g, name="c2")
    local = feedback_local(feedback_conv2d(3, 4, 5, tied=tied, generator=g), 6, 6, name="lc")
    with torch.no_grad():  # make the untied weights differ between locations
        local.weight.add_(0.1 * torch.randn(local.weight.shape, generator=g))
        local.feedback.add_(0.1 * torch.randn(local.feedback.shape, generator=g))
    dense = feedback_dense(3 * 36, 5, tied=tied, generator=g, name="d")
    return {"conv": conv, "conv2x2": conv2, "local": local, "dense": dense}


def _reference(kind, layer, x, weight):
    """The same map written with plain differentiable torch ops (autograd's reference)."""
    if kind == "dense":
        return F.linear(x, weight)
    k = layer.linear_map.kernel_size
    before, after = same_padding(k)
    xp = F.pad(x, (before, after, before, after))
    if kind.startswith("conv"):
        return F.conv2d(xp, weight)
    patches = F.unfold(xp, k)                                  # (N, I, L)
    out = torch.einsum("nil,loi->nol", patches, weight)
    return out.reshape(x.shape[0], weight.shape[1], 6, 6)


def _through_layer(layer, kind, n, seed):
    """Input x, the layer's output for it, a random upstream error, and the input gradient the layer sends down."""
    g = _gen(seed)
    x = torch.randn(n, 3 * 36, generator=g) if kind == "dense" else torch.randn(n, 3, 6, 6, generator=g)
    x_in = x.clone().requires_grad_(True)
    out = layer(x_in)
    upstream = torch.randn(out.shape, generator=g)
    (out * upstream).sum().backward()
    return x, out, upstream, x_in.grad


def _autograd_grads(kind, layer, x, weight, upstream):
    """Autograd's input and weight gradients of the reference map with ``weight``."""
    x_ref = x.clone().requires_grad_(True)
    w_ref = weight.detach().clone().requires_grad_(True)
    ref = _reference(kind, layer, x_ref, w_ref)
    (ref * upstream).sum().backward()
    return ref, x_ref.grad, w_ref.grad


@pytest.mark.parametrize("kind", ["conv", "conv2x2", "local", "dense"])
def test_tied_gradients_equal_autograd(kind):
    layer = _layers(tied=True)[kind]
    x, out, upstream, grad_x = _through_layer(layer, kind, 7, seed=2)
    ref, ref_grad_x, ref_grad_w = _autograd_grads(kind, layer, x, layer.weight, upstream)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    assert torch.allclose(grad_x, ref_grad_x, rtol=1e-6, atol=1e-10)
    assert torch.allclose(layer.weight.grad, ref_grad_w, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("kind", ["conv", "local", "dense"])
def test_untied_input_gradient_uses_feedback_weights(kind):
    """With B ≠ W the error sent down is autograd's gradient of the same map with W replaced by B, while the
    weight gradient is still the one of W."""
    layer = _layers(tied=False)[kind]
    x, _, upstream, grad_x = _through_layer(layer, kind, 5, seed=3)
    _, via_feedback, _ = _autograd_grads(kind, layer, x, layer.feedback, upstream)
    _, _, weight_grad = _autograd_grads(kind, layer, x, layer.weight, upstream)
    assert torch.allclose(grad_x, via_feedback, rtol=1e-6, atol=1e-10)
    assert torch.allclose(layer.weight.grad, weight_grad, rtol=1e-6, atol=1e-10)
    assert not torch.allclose(layer.weight, layer.feedback)


def test_untied_layer_with_equal_locations_is_the_convolution():
    """Forward output, the error sent down and the per-location weight gradients summed over locations."""
    g = _gen(4)
    for k in (5, 3, 2):
        conv = feedback_conv2d(3, 4, k, tied=False, generator=g, name="c")
        local = feedback_local(conv, 7, 7)
        x = torch.randn(6, 3, 7, 7, generator=g)
        xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
        ya, yb = conv(xa), local(xb)
        torch.testing.assert_close(ya, yb, rtol=1e-12, atol=1e-12)
        up = torch.randn(ya.shape, generator=g)
        (ya * up).sum().backward()
        (yb * up).sum().backward()
        torch.testing.assert_close(xa.grad, xb.grad, rtol=1e-10, atol=1e-12)
        summed = local.weight.grad.sum(0).reshape(conv.weight.shape)
        torch.testing.assert_close(summed, conv.weight.grad, rtol=1e-10, atol=1e-12)


def test_hinge_loss_gradient_is_eq5():
    """∂C/∂h = (1/B)(−1{c=y}1{h<1} + μ 1{c≠y}1{h>−1}), μ = 1/(C−1)."""
    h = torch.tensor([[0.5, -0.5, 2.0], [1.5, -2.0, 0.0]], requires_grad=True)
    y = torch.tensor([0, 0])
    mu = 0.5
    hinge_loss(h, y, mu).backward()
    expected = torch.tensor([[-1.0, mu, mu], [0.0, 0.0, mu]]) / 2
    torch.testing.assert_close(h.grad, expected)
    # value by hand: ex. 1: 0.5 + .5(0.5 + 3) = 2.25; ex. 2: 0 + .5(0 + 1) = 0.5
    assert float(hinge_loss(h.detach(), y, mu)) == pytest.approx((2.25 + 0.5) / 2)


def test_one_urfb_step_by_hand():
    """A 2 → 3 dense layer, one example: ∂W = g xᵀ; W and B both move by −η ∂W (URFB), only W for FRFB."""
    w = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    b = torch.tensor([[0.5, -0.5], [2.0, 0.0], [0.0, 1.0]])
    x = torch.tensor([[1.0, 2.0]])
    g_out = torch.tensor([[1.0, -1.0, 0.5]])
    for factor, b_expected in ((1.0, b - 0.1 * g_out.t() @ x), (0.0, b)):
        layer = FeedbackLayer(feedback_dense(2, 3, tied=False, generator=_gen()).linear_map, w, b, tied=False)
        xin = x.clone().requires_grad_(True)
        (layer(xin) * g_out).sum().backward()
        torch.testing.assert_close(xin.grad, g_out @ b)          # error down through B
        torch.testing.assert_close(xin.grad, torch.tensor([[0.5 - 2.0, -0.5 + 0.5]]))
        net = torch.nn.Module()
        net.feedback_layers = lambda layer=layer: iter([layer])
        sgd_step(net, 0.1, factor)
        torch.testing.assert_close(layer.weight.detach(), w - 0.1 * torch.tensor([[1.0, 2.0], [-1.0, -2.0],
                                                                                   [0.5, 1.0]]))
        torch.testing.assert_close(layer.feedback, b_expected)


def _toy_data(n=40, n_classes=10, seed=5):
    g = _gen(seed)
    return (torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8),
            torch.randint(0, n_classes, (n,), generator=g))


def _small(name):
    widths = {"simpnet": [4], "deepnet": [3] * 5, "deepernet": [2, 3, 4, 4], "deepernet_s": [2, 3, 3]}[name]
    return {"conv": widths, "dense": 8}


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_architectures_shapes_and_fixed_feedback(name):
    """Every net runs; with FRFB every feedback tensor stays exactly as drawn and W changes."""
    torch.manual_seed(0)
    net = build_net(name, 10, tied=False, generator=_gen(), **_small(name))
    b0 = {k: l.feedback.clone() for k, l in zip(net.units(), net.feedback_layers())}
    w0 = {k: l.weight.detach().clone() for k, l in zip(net.units(), net.feedback_layers())}
    x, y = _toy_data()
    assert net(x.double() / 255).shape == (40, 10)
    train_epochs(net, (x, y), (x[:10], y[:10]), regime=REGIMES["frfb"], epochs=1, lr=0.1, batch_size=20,
                 n_classes=10, generator=_gen())
    for k, layer in zip(net.units(), net.feedback_layers()):
        assert torch.equal(layer.feedback, b0[k]), k
        assert not torch.equal(layer.weight.detach(), w0[k]), k


def test_urfb_from_tied_start_is_bp():
    """URFB with B(0) = W(0) gets identical increments on W and B, so it follows BP's trajectory exactly."""
    x, y = _toy_data()
    trajectories = []
    for regime in ("bp_hinge", "urfb"):
        torch.manual_seed(0)
        net = build_net("deepernet_s", 10, tied=REGIMES[regime].tied, generator=_gen(), **_small("deepernet_s"))
        for layer in net.feedback_layers():
            layer.feedback.copy_(layer.weight.detach())
        train_epochs(net, (x, y), (x[:10], y[:10]), regime=REGIMES[regime], epochs=2, lr=0.1, batch_size=20,
                     n_classes=10, generator=_gen())
        trajectories.append([layer.weight.detach().clone() for layer in net.feedback_layers()])
    for a, b in zip(*trajectories):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_masks_stay_zero_and_output_is_full():
    x, y = _toy_data()
    net = build_net("simpnet", 10, tied=False, generator=_gen(), **_small("simpnet"))
    set_connectivity_masks(net, _gen(7))
    train_epochs(net, (x, y), (x[:10], y[:10]), regime=REGIMES["urfb"], epochs=1, lr=0.1, batch_size=20,
                 n_classes=10, generator=_gen())
    for name, unit in net.units().items():
        layer = unit.layer
        if name == "output":
            assert layer.weight_mask is None and layer.feedback_mask is None
            continue
        assert 0.4 < float(layer.weight_mask.mean()) < 0.6
        assert torch.all(layer.weight.detach()[layer.weight_mask == 0] == 0)
        assert torch.all(layer.feedback[layer.feedback_mask == 0] == 0)
        assert not torch.equal(layer.weight_mask, layer.feedback_mask)


def test_untie_keeps_the_function_and_freeze_stops_updates():
    x, y = _toy_data()
    net = build_net("deepernet_s", 10, tied=False, generator=_gen(), **_small("deepernet_s"))
    before = evaluate(net, x, y, lambda h, t: hinge_loss(h, t, 1 / 9))
    names = [n for n in net.units() if n.startswith("conv") and n != "conv1"]
    untie(net, names)
    assert all(isinstance(net.units()[n].layer.linear_map, LocalMap) for n in names)
    after = evaluate(net, x, y, lambda h, t: hinge_loss(h, t, 1 / 9))
    assert after["loss"] == pytest.approx(before["loss"], rel=1e-10)
    freeze(net, ["conv1"])
    w1 = net.units()["conv1"].layer.weight.detach().clone()
    lc0 = net.units()["conv2"].layer.weight.detach().clone()
    train_epochs(net, (x, y), (x[:10], y[:10]), regime=REGIMES["urfb"], epochs=1, lr=0.1, batch_size=20,
                 n_classes=10, generator=_gen())
    assert torch.equal(net.units()["conv1"].layer.weight.detach(), w1)
    lc1 = net.units()["conv2"].layer.weight.detach()
    assert not torch.equal(lc1, lc0)
    # locations are updated independently: they no longer all hold the same filter
    assert float((lc1 - lc1.mean(0, keepdim=True)).abs().max()) > 0


def test_bad_names_are_errors():
    net = build_net("simpnet", 10, tied=False, generator=_gen(), **_small("simpnet"))
    with pytest.raises(KeyError, match="conv9"):
        untie(net, ["conv9"])
    with pytest.raises(KeyError, match="resnet"):
        build_net("resnet", 10, tied=False, generator=_gen())
    with pytest.raises(ValueError, match="conv widths"):
        build_net("deepnet", 10, tied=False, generator=_gen(), conv=[3, 3])
