"""Amit's four CIFAR networks (catalog A5) built from ``feedback`` layers, and the operations on them: the 50%
connectivity masks, untying convolutions into locally connected layers, and freezing a layer.

All convolutions are stride 1, 'same' padding, no bias, followed by the saturated linearity σ(x) = clip(s·x, −1, 1)
(A1; s = ``sat_slope``, 1 in the paper, 0.5 in the author's code). Every hidden dense layer has σ; the output layer
is linear. "maxpool 3" is a 3×3 window at stride 2 that halves the size; "drop p" drops with probability p.
SUM adds the outputs of two consecutive convolutions, the second reading the first (Ambiguity 8).

Widths are configuration so that smoke and quick scales run the same code on narrower nets; the paper's are the
defaults of ``ARCHITECTURES``.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import torch
from torch import nn

from .feedback import FeedbackLayer, feedback_conv2d, feedback_dense, feedback_local

__all__ = [
    "ARCHITECTURES",
    "FeedbackNet",
    "Saturate",
    "SumPair",
    "Unit",
    "build_net",
    "freeze",
    "set_connectivity_masks",
    "untie",
]

INPUT_SHAPE = (3, 32, 32)

# The paper's widths (A5): conv channels per stage and the hidden dense width.
ARCHITECTURES = {
    "simpnet": {"conv": [32], "dense": 500},
    "deepnet": {"conv": [32, 32, 32, 32, 32], "dense": 500},
    "deepernet": {"conv": [16, 32, 64, 128], "dense": 500},
    "deepernet_s": {"conv": [16, 64, 64], "dense": 500},
}


class Saturate(nn.Module):
    """σ(x) = min(max(s·x, −1), 1); σ'(x) = s on |s·x| < 1, else 0."""

    def __init__(self, slope: float) -> None:
        super().__init__()
        self.slope = float(slope)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x * self.slope if self.slope != 1.0 else x, -1.0, 1.0)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Unit(nn.Module):
    """One feedback layer followed by σ (or nothing, for the linear output layer). Holding the layer as an
    attribute lets ``untie`` swap a convolution for its locally connected version in place."""

    def __init__(self, layer: FeedbackLayer, activation: nn.Module | None) -> None:
        super().__init__()
        self.layer = layer
        self.activation = activation if activation is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.activation(self.layer(x))


class SumPair(nn.Module):
    """SUM: out_a + out_b with out_a = unit_a(x) and out_b = unit_b(out_a); no trainable parameters of its own."""

    def __init__(self, unit_a: Unit, unit_b: Unit) -> None:
        super().__init__()
        self.unit_a = unit_a
        self.unit_b = unit_b

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.unit_a(x)
        return a + self.unit_b(a)


class FeedbackNet(nn.Sequential):
    """The layers in order; ``units()`` lists the trainable ones (name → Unit) in forward order."""

    def units(self) -> dict[str, Unit]:
        return {m.layer.name: m for m in self.modules() if isinstance(m, Unit)}

    def feedback_layers(self) -> Iterator[FeedbackLayer]:
        for unit in self.units().values():
            yield unit.layer


def _builder(generator: torch.Generator, tied: bool, slope: float):
    counter = {"conv": 0}

    def conv(c_in: int, c_out: int, k: int) -> Unit:
        counter["conv"] += 1
        layer = feedback_conv2d(c_in, c_out, k, tied=tied, generator=generator, name=f"conv{counter['conv']}")
        return Unit(layer, Saturate(slope))

    def dense(n_in: int, n_out: int, name: str, hidden: bool = True) -> Unit:
        layer = feedback_dense(n_in, n_out, tied=tied, generator=generator, name=name)
        return Unit(layer, Saturate(slope) if hidden else None)

    return conv, dense


def build_net(name: str, n_classes: int, *, tied: bool, generator: torch.Generator, sat_slope: float = 1.0,
              conv: Sequence[int] | None = None, dense: int | None = None) -> FeedbackNet:
    """One of ``ARCHITECTURES`` with W and B drawn from ``generator``; ``conv``/``dense`` override the widths."""
    if name not in ARCHITECTURES:
        raise KeyError(f"unknown network {name!r}; expected one of {sorted(ARCHITECTURES)}")
    widths = list(conv if conv is not None else ARCHITECTURES[name]["conv"])
    n_dense = int(dense if dense is not None else ARCHITECTURES[name]["dense"])
    expected = len(ARCHITECTURES[name]["conv"])
    if len(widths) != expected:
        raise ValueError(f"network {name!r} takes {expected} conv widths, got {widths}")
    c, d = _builder(generator, tied, sat_slope)
    pool = lambda: nn.MaxPool2d(3, 2, padding=1)  # noqa: E731  "maxpool 3": 32 -> 16 -> 8 -> 4
    if name == "simpnet":
        (w,) = widths
        layers = [c(3, w, 5), pool(), nn.Dropout(0.8), nn.Flatten(), d(w * 16 * 16, n_dense, "dense1"),
                  nn.Dropout(0.3)]
    elif name == "deepnet":
        w1, w2, w3, w4, w5 = widths
        layers = [c(3, w1, 5), pool(), c(w1, w2, 3), c(w2, w3, 3), pool(), nn.Dropout(0.8), c(w3, w4, 3),
                  c(w4, w5, 3), pool(), nn.Dropout(0.3), nn.Flatten(), d(w5 * 4 * 4, n_dense, "dense1")]
    elif name == "deepernet":
        w1, w2, w3, w4 = widths
        layers = [SumPair(c(3, w1, 3), c(w1, w1, 3)), SumPair(c(w1, w2, 3), c(w2, w2, 3)), pool(), nn.Dropout(0.5),
                  SumPair(c(w2, w3, 3), c(w3, w3, 3)), pool(), SumPair(c(w3, w4, 3), c(w4, w4, 3)), pool(),
                  nn.Dropout(0.8), nn.Flatten(), d(w4 * 4 * 4, n_dense, "dense1")]
    else:  # deepernet_s: pools 3/3 and 2/2 with TF 'SAME' sizes 32 -> 11 -> 6 -> 3 (Ambiguity 6)
        w1, w2, w3 = widths
        layers = [SumPair(c(3, w1, 3), c(w1, w1, 3)), nn.MaxPool2d(3, 3, ceil_mode=True), nn.Dropout(0.5),
                  SumPair(c(w1, w2, 3), c(w2, w2, 3)), nn.MaxPool2d(2, 2, ceil_mode=True),
                  SumPair(c(w2, w3, 2), c(w3, w3, 2)), nn.MaxPool2d(2, 2, ceil_mode=True), nn.Dropout(0.5),
                  nn.Flatten(), d(w3 * 3 * 3, n_dense, "dense1")]
    layers.append(d(n_dense, n_classes, "output", hidden=False))
    return FeedbackNet(*layers)


def set_connectivity_masks(net: FeedbackNet, generator: torch.Generator, *, keep: float = 0.5,
                           mask_output_layer: bool = False, only: Sequence[str] | None = None) -> None:
    """The paper's "50%" rows: fix half of each set of weights at 0 -- independent Bernoulli(keep) masks for W and
    for B, per entry (kernel entries for convolutions), drawn once. The output layer is left full unless
    ``mask_output_layer`` (Ambiguity 10). ``only`` restricts the masks to the named layers."""
    for name, unit in net.units().items():
        if (name == "output" and not mask_output_layer) or (only is not None and name not in only):
            continue
        shape = unit.layer.weight.shape
        unit.layer.set_masks(torch.rand(shape, generator=generator) < keep,
                             torch.rand(shape, generator=generator) < keep)


def _conv_output_sizes(net: FeedbackNet) -> dict[str, tuple[int, int]]:
    sizes: dict[str, tuple[int, int]] = {}
    hooks = [unit.register_forward_hook(lambda m, i, o, name=name: sizes.__setitem__(name, tuple(o.shape[-2:])))
             for name, unit in net.units().items()]
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            net(torch.zeros(1, *INPUT_SHAPE, device=next(net.parameters()).device))
    finally:
        net.train(was_training)
        for h in hooks:
            h.remove()
    return sizes


def untie(net: FeedbackNet, names: Sequence[str]) -> None:
    """Replace the named convolutions by locally connected layers that start from their kernels (W and B)."""
    units = net.units()
    missing = [n for n in names if n not in units]
    if missing:
        raise KeyError(f"cannot untie {missing}: the network's layers are {list(units)}")
    sizes = _conv_output_sizes(net)
    for name in names:
        conv = units[name].layer
        h, w = sizes[name]
        units[name].layer = feedback_local(conv, h, w).to(conv.weight.device)


def freeze(net: FeedbackNet, names: Sequence[str]) -> None:
    """Stop updating the named layers (W and B); Table 3's untied phase freezes the first convolution."""
    units = net.units()
    for name in names:
        if name not in units:
            raise KeyError(f"cannot freeze {name!r}: the network's layers are {list(units)}")
        units[name].layer.weight.requires_grad_(False)
