"""Layers whose backward pass uses their own feedback weights B instead of the forward weights W (Amit, eqs. 6-7).

Every layer here computes a map that is linear in its input x and linear in its weights, y = f(x, W). Exact
back-propagation sends the error down with the transpose of the same map, g_x = (∂f(x, W)/∂x)ᵀ g_y, and changes
the weights by the Hebbian product ∂W = (∂f(x, W)/∂W)ᵀ g_y (post-synaptic error × pre-synaptic activity). Amit's
networks replace W by separate feedback weights B of the same shape in the first of these only (catalog A4):

    g_x = (∂f(x, B)/∂x)ᵀ g_y        error sent down through the feedback weights
    ∂W  = (∂f(x, W)/∂W)ᵀ g_y        the usual local weight gradient

and then update W ← W − η ∂W and B ← B − η ε_R ∂W (``update_feedback`` in ``deep_training``):

- BP (tied): B ≡ W, so this is exactly autograd's back-propagation;
- URFB: B random at first, ε_R = 1 (the feedback gets the feedforward weight's increment, eq. 7);
- FRFB: B random and fixed, ε_R = 0 (feedback alignment).

One autograd function, ``FeedbackFunction``, carries this for every layer type. A layer type is a ``LinearMap``: its
forward map and the two transposes above. There are three: dense, convolution ('same' zero padding, stride 1, no
bias) and the untied (locally connected) convolution, whose weights are separate at every output location.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "Conv2dMap",
    "DenseMap",
    "FeedbackFunction",
    "FeedbackLayer",
    "LinearMap",
    "LocalMap",
    "feedback_conv2d",
    "feedback_dense",
    "feedback_local",
    "same_padding",
]


class LinearMap:
    """A map y = f(x, W), linear in x and in W: its forward and the transposes of its two Jacobians."""

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def input_grad(self, x_shape: torch.Size, weight: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
        """(∂f(x, weight)/∂x)ᵀ grad_out; the feedback path calls it with the feedback weights."""
        raise NotImplementedError

    def weight_grad(self, x: torch.Tensor, grad_out: torch.Tensor, weight_shape: torch.Size) -> torch.Tensor:
        """(∂f(x, W)/∂W)ᵀ grad_out, summed over the batch."""
        raise NotImplementedError


class FeedbackFunction(torch.autograd.Function):
    """y = f(x, W) forward; backward sends the error down through ``feedback`` and returns ∂W for ``weight``.

    ``feedback`` receives no gradient: it changes only by the explicit rule in ``deep_training``. Passing
    ``feedback=weight`` gives exact back-propagation."""

    @staticmethod
    def forward(ctx, x, weight, feedback, linear_map: LinearMap):  # type: ignore[override]
        ctx.save_for_backward(x, feedback)
        ctx.linear_map = linear_map
        ctx.weight_shape = weight.shape
        return linear_map.forward(x, weight)

    @staticmethod
    def backward(ctx, grad_out):  # type: ignore[override]
        x, feedback = ctx.saved_tensors
        m: LinearMap = ctx.linear_map
        grad_x = m.input_grad(x.shape, feedback, grad_out) if ctx.needs_input_grad[0] else None
        grad_w = m.weight_grad(x, grad_out, ctx.weight_shape) if ctx.needs_input_grad[1] else None
        return grad_x, grad_w, None, None


def same_padding(kernel_size: int) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding at stride 1 (before, after): odd kernels pad evenly, a 2×2 kernel pads 0 before
    and 1 after (catalog Ambiguity 6)."""
    total = kernel_size - 1
    return total // 2, total - total // 2


def _pad(x: torch.Tensor, pads: tuple[int, int]) -> torch.Tensor:
    before, after = pads
    return F.pad(x, (before, after, before, after)) if before or after else x


def _crop(x: torch.Tensor, pads: tuple[int, int]) -> torch.Tensor:
    before, after = pads
    h, w = x.shape[-2:]
    return x[..., before:h - after, before:w - after]


@dataclass(frozen=True)
class DenseMap(LinearMap):
    """y = x Wᵀ for x of shape (batch, n_in) and W of shape (n_out, n_in)."""

    def forward(self, x, weight):
        return x @ weight.t()

    def input_grad(self, x_shape, weight, grad_out):
        return grad_out @ weight

    def weight_grad(self, x, grad_out, weight_shape):
        return grad_out.t() @ x


@dataclass(frozen=True)
class Conv2dMap(LinearMap):
    """Stride-1 convolution with 'same' zero padding, W of shape (C_out, C_in, k, k)."""

    kernel_size: int

    @property
    def pads(self) -> tuple[int, int]:
        return same_padding(self.kernel_size)

    def forward(self, x, weight):
        return F.conv2d(_pad(x, self.pads), weight)

    def input_grad(self, x_shape, weight, grad_out):
        before, after = self.pads
        padded = (*x_shape[:2], x_shape[2] + before + after, x_shape[3] + before + after)
        return _crop(torch.nn.grad.conv2d_input(padded, weight, grad_out), self.pads)

    def weight_grad(self, x, grad_out, weight_shape):
        return torch.nn.grad.conv2d_weight(_pad(x, self.pads), weight_shape, grad_out)


@dataclass(frozen=True)
class LocalMap(LinearMap):
    """The untied convolution (a locally connected layer): the conv's support, but separate weights at every output
    location. W has shape (H·W, C_out, C_in·k·k); location l = row·W + col sees the k×k patch the conv would see
    ('same' padding: padded inputs are zero, i.e. absent connections)."""

    kernel_size: int
    height: int
    width: int

    @property
    def pads(self) -> tuple[int, int]:
        return same_padding(self.kernel_size)

    def _patches(self, x: torch.Tensor) -> torch.Tensor:
        """(L, N, C_in·k·k): every location's input patch, gathered by one strided copy (unfold followed by a
        permute costs ~8× more on CPU)."""
        xp = _pad(x, self.pads).contiguous()
        n, c = xp.shape[:2]
        k = self.kernel_size
        s = xp.stride()
        view = xp.as_strided((self.height, self.width, n, c, k, k), (s[2], s[3], s[0], s[1], s[2], s[3]))
        return view.reshape(self.height * self.width, n, c * k * k)

    def forward(self, x, weight):
        out = torch.bmm(self._patches(x), weight.transpose(1, 2))      # (L, N, O)
        return out.permute(1, 2, 0).reshape(x.shape[0], weight.shape[1], self.height, self.width)

    def input_grad(self, x_shape, weight, grad_out):
        g = grad_out.flatten(2).permute(2, 0, 1)                         # (L, N, O)
        n, c = x_shape[:2]
        k = self.kernel_size
        patches = torch.bmm(g, weight).view(self.height, self.width, n, c, k, k)
        before, after = self.pads
        padded = grad_out.new_zeros(x_shape[2] + before + after, x_shape[3] + before + after, n, c)
        for dy in range(k):            # the transpose of the gather: add each kernel offset's share back
            for dx in range(k):
                padded[dy:dy + self.height, dx:dx + self.width] += patches[..., dy, dx]
        return _crop(padded.permute(2, 3, 0, 1), self.pads)

    def weight_grad(self, x, grad_out, weight_shape):
        g = grad_out.flatten(2).permute(2, 1, 0)                         # (L, O, N)
        return torch.bmm(g, self._patches(x))                            # (L, O, I)


class FeedbackLayer(nn.Module):
    """Forward weights ``weight`` (a parameter), feedback weights ``feedback`` (a buffer of the same shape) and
    optional fixed 0/1 connectivity masks for both (the paper's "50%" rows). ``tied=True`` is back-propagation:
    the backward pass uses ``weight`` itself and ``feedback`` is ignored."""

    def __init__(self, linear_map: LinearMap, weight: torch.Tensor, feedback: torch.Tensor, *, tied: bool,
                 name: str = "") -> None:
        super().__init__()
        if weight.shape != feedback.shape:
            raise ValueError(f"layer {name!r}: feedback shape {tuple(feedback.shape)} != weight shape "
                             f"{tuple(weight.shape)}")
        self.linear_map = linear_map
        self.name = name
        self.tied = tied
        self.weight = nn.Parameter(weight.clone())
        self.register_buffer("feedback", feedback.clone())
        self.register_buffer("weight_mask", None)
        self.register_buffer("feedback_mask", None)

    def set_masks(self, weight_mask: torch.Tensor | None, feedback_mask: torch.Tensor | None) -> None:
        """Fix entries of W (and B) at zero for good: applied now and after every update."""
        with torch.no_grad():
            for mask, tensor, attr in ((weight_mask, self.weight, "weight_mask"),
                                       (feedback_mask, self.feedback, "feedback_mask")):
                if mask is not None:
                    if mask.shape != tensor.shape:
                        raise ValueError(f"layer {self.name!r}: {attr} shape {tuple(mask.shape)} != "
                                         f"{tuple(tensor.shape)}")
                    mask = mask.to(tensor.dtype)
                    tensor.mul_(mask)
                setattr(self, attr, mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feedback = self.weight if self.tied else self.feedback
        return FeedbackFunction.apply(x, self.weight, feedback, self.linear_map)

    def extra_repr(self) -> str:
        masked = self.weight_mask is not None
        return f"{self.name}: {type(self.linear_map).__name__} {tuple(self.weight.shape)}, tied={self.tied}, " \
               f"masked={masked}"


def glorot_bound(fan_in: int, fan_out: int) -> float:
    """Glorot-uniform bound sqrt(6 / (fan_in + fan_out)), TensorFlow's default initialiser (catalog A4)."""
    return math.sqrt(6.0 / (fan_in + fan_out))


def _uniform(shape, bound: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(shape, generator=generator) * 2 - 1) * bound


def feedback_dense(n_in: int, n_out: int, *, tied: bool, generator: torch.Generator, name: str = "") -> FeedbackLayer:
    """Dense layer; W and B drawn independently from Glorot-uniform."""
    bound = glorot_bound(n_in, n_out)
    w = _uniform((n_out, n_in), bound, generator)
    b = _uniform((n_out, n_in), bound, generator)
    return FeedbackLayer(DenseMap(), w, b, tied=tied, name=name)


def feedback_conv2d(c_in: int, c_out: int, kernel_size: int, *, tied: bool, generator: torch.Generator,
                    name: str = "") -> FeedbackLayer:
    """'Same' convolution without bias; W and B drawn independently, Glorot-uniform with the conv's fans."""
    k2 = kernel_size * kernel_size
    bound = glorot_bound(k2 * c_in, k2 * c_out)
    shape = (c_out, c_in, kernel_size, kernel_size)
    return FeedbackLayer(Conv2dMap(kernel_size), _uniform(shape, bound, generator), _uniform(shape, bound, generator),
                         tied=tied, name=name)


def feedback_local(conv: FeedbackLayer, height: int, width: int, *, name: str = "") -> FeedbackLayer:
    """Untie a convolution layer (Sec. 4.1): the same connectivity, every location starting from the conv's kernel,
    W and B each copied from the conv's own (catalog A7, Ambiguity 16). Masks are not carried over."""
    if not isinstance(conv.linear_map, Conv2dMap):
        raise TypeError(f"layer {conv.name!r} is not a convolution; cannot untie {type(conv.linear_map).__name__}")
    k = conv.linear_map.kernel_size
    c_out = conv.weight.shape[0]
    n_loc = height * width

    def per_location(kernel: torch.Tensor) -> torch.Tensor:
        return kernel.detach().reshape(1, c_out, -1).expand(n_loc, -1, -1).clone()

    return FeedbackLayer(LocalMap(k, height, width), per_location(conv.weight), per_location(conv.feedback),
                         tied=conv.tied, name=name or conv.name)
