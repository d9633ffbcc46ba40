"""The four generated tasks of Sec. 3 / Appendix C.2 (catalog "Datasets"), with fixed seeds.

Inputs x ~ N(0, I_d), d = 10 (the paper; the authors' code drew U(-1, 1)); train and test are independent draws
labelled by the same labeller, whose weights are kept with the data:

- ``halfspace``: y = 1[w*·x > 0], w* ~ U(-1, 1)^d (threshold 0, the code's choice).
- ``relu1`` / ``relu2``: y = argmax(ReLU(x W1) W2), W1 ∈ R^{d×width}, W2 ∈ R^{width×2}, entries U(-1, 1), no biases
  (the code's); two labellers from two seeds.
- ``rnn``: y = argmax of a random simple RNN (T = 3, |V| = 100, k = 50, p = 0.5, paper recurrence) whose input,
  recurrent and output weights and both bias vectors are U(-0.5, 0.5) on the graph's edges (the code's
  ``full_gd`` initialisation).

Labels are not rebalanced; each task reports its majority-class rate.
"""

from __future__ import annotations

import numpy as np
import torch

from .network import cap


def _inputs(gen: torch.Generator, n: int, dim: int) -> torch.Tensor:
    return torch.randn(n, dim, generator=gen, dtype=torch.float64)


def _uniform(gen: torch.Generator, *shape: int, half_width: float) -> torch.Tensor:
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * half_width


def rnn_labeller_logits(x: torch.Tensor, w: dict[str, torch.Tensor], k: int, T: int) -> torch.Tensor:
    """Logits of the random simple-RNN labeller: h^(t) = c_k(ReLU(W h^(t-1) + Ã x + b)), z = U h^(T) + b_o."""
    drive = x @ w["input"].T + w["bias"]
    h = torch.zeros_like(drive)
    for _ in range(T):
        h, _ = cap(torch.relu(h @ w["recurrent"].T + drive), k)
    return h @ w["output"].T + w["output_bias"]


def generate_task(task: str, *, n_train: int, n_test: int, dim: int, relu_width: int, seed: int,
                  rnn_labeller: dict, p: float) -> dict[str, np.ndarray]:
    """Arrays of one task: x_train, y_train, x_test, y_test (float64 / int64) and the labeller's weights."""
    gen = torch.Generator().manual_seed(seed)
    weights: dict[str, torch.Tensor] = {}
    if task == "halfspace":
        weights["w_star"] = _uniform(gen, dim, half_width=1.0)

        def label(x: torch.Tensor) -> torch.Tensor:
            return (x @ weights["w_star"] > 0).long()
    elif task in ("relu1", "relu2"):
        weights["W1"] = _uniform(gen, dim, relu_width, half_width=1.0)
        weights["W2"] = _uniform(gen, relu_width, 2, half_width=1.0)

        def label(x: torch.Tensor) -> torch.Tensor:
            return (torch.relu(x @ weights["W1"]) @ weights["W2"]).argmax(-1)
    elif task == "rnn":
        n, k, T = rnn_labeller["n"], rnn_labeller["k"], rnn_labeller["T"]
        graph_mask = (torch.rand(n, n, generator=gen, dtype=torch.float64) < p).double().fill_diagonal_(0)
        input_mask = (torch.rand(n, dim, generator=gen, dtype=torch.float64) < p).double()
        weights = {"input": input_mask * _uniform(gen, n, dim, half_width=0.5),
                   "recurrent": graph_mask * _uniform(gen, n, n, half_width=0.5),
                   "bias": _uniform(gen, n, half_width=0.5),
                   "output": _uniform(gen, 2, n, half_width=0.5),
                   "output_bias": _uniform(gen, 2, half_width=0.5)}

        def label(x: torch.Tensor) -> torch.Tensor:
            return rnn_labeller_logits(x, weights, k, T).argmax(-1)
    else:
        raise ValueError(f"unknown generated task {task!r}; choose halfspace, relu1, relu2 or rnn")
    x_train, x_test = _inputs(gen, n_train, dim), _inputs(gen, n_test, dim)
    out = {"x_train": x_train, "y_train": label(x_train), "x_test": x_test, "y_test": label(x_test)}
    out.update({f"labeller__{k}": v for k, v in weights.items()})
    arrays = {k: v.numpy() for k, v in out.items()}
    arrays["majority_rate_train"] = np.array(np.bincount(arrays["y_train"], minlength=2).max() / n_train)
    arrays["majority_rate_test"] = np.array(np.bincount(arrays["y_test"], minlength=2).max() / n_test)
    return arrays
