"""The simple RNN of the paper (Sec. 2 "Training"; catalog A0-A2).

    h^(0) = 0,    h^(t) = c_k( ReLU( (M_G ⊙ W) h^(t-1) + Ã x ) ),  t = 1..T,    z = U h^(T)

``c_k`` (the *cap*) keeps the k largest entries and zeroes the rest. Ã = M_A ⊙ A are the fixed input weights
(n × d, Bernoulli(p) mask, A ~ N(0, 1) or all ones for Table 2's T = 1*), M_G the adjacency of a random
directed graph (M_G[j, i] = 1 for the edge i -> j, zero diagonal), U the output weights (l × n), no biases.
A unit *fires* in round t when h_j^(t) ≠ 0 (``fired="topk"``: when it is among the k selected, as the
authors' code does); its firing code is c_j = Σ_t s_j^(t) 2^(T-t) (round 1 is the most significant bit).
``recurrence="code"`` is the authors' code's form h^(t) = c_k(ReLU(W (h^(t-1) + Ã x))) for t ≥ 2.

Shapes: every tensor has a batch dimension for examples, optionally preceded by one for independent runs;
``W`` holds M_G ⊙ W (all updates are masked, so the mask is never re-applied), shape (n, n) or (R, n, n).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

RECURRENCES = ("paper", "code")
FIRED = ("nonzero", "topk")
INPUT_INITS = ("normal", "ones")
DTYPES = {"float64": torch.float64, "float32": torch.float32}


@dataclass(frozen=True)
class Graph:
    """The fixed random parts of one network: Ã, M_G, and the sizes."""

    input_weights: torch.Tensor   # Ã = M_A ⊙ A, (n, d)
    graph_mask: torch.Tensor      # M_G, (n, n); M_G[j, i] = 1 for the edge i -> j
    k: int
    T: int
    n_classes: int
    recurrence: str = "paper"
    fired: str = "nonzero"

    def __post_init__(self) -> None:
        n, d = self.input_weights.shape
        if self.graph_mask.shape != (n, n):
            raise ValueError(f"graph_mask has shape {tuple(self.graph_mask.shape)}, expected ({n}, {n})")
        if not 1 <= self.k <= n:
            raise ValueError(f"cap k={self.k} must be in [1, n={n}]")
        if self.T < 1:
            raise ValueError(f"rounds T={self.T} must be >= 1")
        if self.recurrence not in RECURRENCES:
            raise ValueError(f"recurrence {self.recurrence!r}: choose one of {RECURRENCES}")
        if self.fired not in FIRED:
            raise ValueError(f"fired {self.fired!r}: choose one of {FIRED}")

    @property
    def n(self) -> int:
        return self.input_weights.shape[0]

    @property
    def d(self) -> int:
        return self.input_weights.shape[1]

    @property
    def n_codes(self) -> int:
        """Number of firing sequences, 2^T (the side of a rule table)."""
        return 2 ** self.T

    @property
    def dtype(self) -> torch.dtype:
        return self.input_weights.dtype

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "Graph":
        return replace(self, input_weights=self.input_weights.to(device=device, dtype=dtype),
                       graph_mask=self.graph_mask.to(device=device, dtype=dtype))

    def with_rounds(self, T: int) -> "Graph":
        return replace(self, T=T)

    def state(self) -> dict:
        return {"input_weights": self.input_weights, "graph_mask": self.graph_mask, "k": self.k, "T": self.T,
                "n_classes": self.n_classes, "recurrence": self.recurrence, "fired": self.fired}

    @classmethod
    def from_state(cls, state: dict) -> "Graph":
        return cls(**state)


def sample_graph(*, n: int, d: int, n_classes: int, T: int, k: int, p: float, seed: int,
                 input_init: str = "normal", recurrence: str = "paper", fired: str = "nonzero",
                 dtype: str | torch.dtype = "float64") -> Graph:
    """Sample M_G (edges i->j i.i.d. Bernoulli(p), no self-loops), M_A ~ Bernoulli(p) and A (N(0, 1) or ones).

    The same ``seed`` gives the same graph and input weights whatever T, so T = 1 and T = 3 nets of one seed
    are "the same network" (Fig. 4)."""
    if input_init not in INPUT_INITS:
        raise ValueError(f"input_init {input_init!r}: choose one of {INPUT_INITS}")
    if not 0 < p <= 1:
        raise ValueError(f"edge probability p={p} must be in (0, 1]")
    dtype = DTYPES[dtype] if isinstance(dtype, str) else dtype
    gen = torch.Generator().manual_seed(seed)
    graph_mask = (torch.rand(n, n, generator=gen, dtype=torch.float64) < p).to(dtype)
    graph_mask.fill_diagonal_(0)
    input_mask = (torch.rand(n, d, generator=gen, dtype=torch.float64) < p).to(dtype)
    a = torch.randn(n, d, generator=gen, dtype=torch.float64).to(dtype)
    if input_init == "ones":
        a = torch.ones_like(a)
    return Graph(input_mask * a, graph_mask, k=k, T=T, n_classes=n_classes, recurrence=recurrence, fired=fired)


def cap(u: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """c_k(u) along the last dimension, and the boolean mask of the k selected entries.

    Differentiable through the kept values (the selection is piecewise constant). Ties at the k-th value are
    broken as ``torch.topk`` breaks them."""
    values, idx = u.topk(k, dim=-1)
    selected = torch.zeros_like(u, dtype=torch.bool).scatter_(-1, idx, True)
    return torch.zeros_like(u).scatter(-1, idx, values), selected


def rounds(graph: Graph, W: torch.Tensor | None, drive: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the T rounds on the input drive Ã x (``drive``: (..., B, n)); return h^(T) and the firing codes.

    ``W`` (M_G ⊙ W, (n, n) or (R, n, n)) may be None for W = 0. Codes are int64 in [0, 2^T)."""
    k = graph.k
    h, selected = cap(torch.relu(drive), k)
    codes = _fired(graph, h, selected).long()
    for _ in range(1, graph.T):
        if W is None:
            u = drive
        elif graph.recurrence == "paper":
            u = h @ W.transpose(-1, -2) + drive
        else:
            u = (h + drive) @ W.transpose(-1, -2)
        h, selected = cap(torch.relu(u), k)
        codes = 2 * codes + _fired(graph, h, selected).long()
    return h, codes


def _fired(graph: Graph, h: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    return selected if graph.fired == "topk" else h != 0


def input_drive(graph: Graph, x: torch.Tensor, chunk: int = 8192) -> torch.Tensor:
    """Ã x for every row of ``x`` ((N, d) in the graph's dtype), computed once per dataset."""
    x = x.to(graph.input_weights.dtype)
    return torch.cat([x[i:i + chunk] @ graph.input_weights.T for i in range(0, len(x), chunk)]) if len(x) else \
        x.new_zeros(0, graph.n)


def logits(graph: Graph, W: torch.Tensor | None, U: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    """z = U h^(T) for a batch of drives ((..., B, n) -> (..., B, l))."""
    h, _ = rounds(graph, W, drive)
    return h @ U.transpose(-1, -2)


@torch.no_grad()
def predict(graph: Graph, W: torch.Tensor | None, U: torch.Tensor, drive: torch.Tensor,
            chunk: int = 2048) -> torch.Tensor:
    """argmax_c z_c (ties -> lowest index, torch semantics) for every row of ``drive``; (..., N)."""
    return torch.cat([logits(graph, W, U, drive[i:i + chunk]).argmax(-1) for i in range(0, drive.shape[0], chunk)],
                     dim=-1)


@torch.no_grad()
def accuracy(graph: Graph, W: torch.Tensor | None, U: torch.Tensor, drive: torch.Tensor,
             labels: torch.Tensor, chunk: int = 2048) -> torch.Tensor:
    """Fraction correct, per run when W/U carry a run dimension."""
    return (predict(graph, W, U, drive, chunk) == labels).to(torch.float64).mean(-1)


class PlasticityNet(torch.nn.Module):
    """A trained network as an ``nn.Module`` for attacks: [0, 1] images (any shape (B, ...)) -> logits.

    Gradients pass through ReLU and the cap as usual (subgradient a.e.)."""

    def __init__(self, graph: Graph, W: torch.Tensor | None, U: torch.Tensor) -> None:
        super().__init__()
        self.k, self.T, self.recurrence, self.fired = graph.k, graph.T, graph.recurrence, graph.fired
        self.n_classes = graph.n_classes
        self.register_buffer("input_weights", graph.input_weights.clone())
        self.register_buffer("graph_mask", graph.graph_mask.clone())
        self.register_buffer("W", (W if W is not None else torch.zeros_like(graph.graph_mask)).clone())
        self.register_buffer("U", U.clone())

    @property
    def graph(self) -> Graph:
        return Graph(self.input_weights, self.graph_mask, k=self.k, T=self.T, n_classes=self.n_classes,
                     recurrence=self.recurrence, fired=self.fired)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1).to(self.input_weights.dtype)
        return logits(self.graph, self.W, self.U, x @ self.input_weights.T)
