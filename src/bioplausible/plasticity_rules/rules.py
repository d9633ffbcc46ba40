"""Plasticity rules over firing sequences (Sec. 2 "Landscape of rules"; catalog A3).

RNN (graph) rule, applied to every edge i -> j:   ΔW_ji = η r(s_i, s_j)      (additive)
                                                  W_ji ← W_ji (1 + η r(s_i, s_j))   (multiplicative, the code's form)
Output rule, on a mistake (default edges):        ΔU_{y,j} = η r_o(s_j, 0),  ΔU_{ŷ,j} = η r_o(s_j, 1)

s_i, s_j ∈ {0,1}^T are the firing sequences of the pre- and postsynaptic unit. A rule is a table indexed by
firing codes: ``R[c_pre, c_post]`` (2^T × 2^T) and ``R_o[c_j, b]`` (2^T × 2), with b = 0 the true-label output
node and b = 1 the predicted (wrong) one, or every other node in the all-edges scheme. A small-network rule
r(s_pre, s_post) = w_2ᵀ ReLU(W_1 [s_pre; s_post] + b_1) + b_2 is materialised into the same table by evaluating
it on all 4^T pairs (exact, since it only ever sees binary sequences; differentiable in its weights).
"""

from __future__ import annotations

import torch
from torch import nn

# Table 1, additive perceptron, in the two-output convention: rows = not fired / fired (x_i = -1 / +1),
# columns = true-label node / predicted-label node (catalog A3).
PERCEPTRON_OUTPUT_RULE = ((-1.0, 1.0), (1.0, -1.0))
# Table 1 as printed (rows x_i = -1, +1; columns = the incorrect prediction p(x) = -1, +1).
TABLE1_PERCEPTRON = ((-1.0, 1.0), (1.0, -1.0))                 # additive increments
TABLE1_MULTIPLICATIVE_WEIGHTS = ((1.0, 1.0), (2.0, 0.5))        # multiplicative factors (Winnow)
# "Hebbian plasticity corresponds to the AND function with T = 1": r(1, 1) = 1, else 0 (illustrative only).
HEBBIAN_RULE = ((0.0, 0.0), (0.0, 1.0))

T3_OUTPUT_RULES = ("last_round", "any_round")


def code_bits(T: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The firing sequence of every code, (2^T, T): row c holds (s^(1), ..., s^(T)), round 1 = the MSB."""
    codes = torch.arange(2 ** T)
    shifts = torch.arange(T - 1, -1, -1)
    return ((codes[:, None] >> shifts[None, :]) & 1).to(dtype)


def perceptron_output_rule(T: int, fired_in: str = "last_round", dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The "perceptron-style" output rule for T rounds (catalog A3 / Ambiguity 8), a (2^T, 2) table.

    R_o[c, 0] = +1 if the unit fired in the last round (``any_round``: in any round) else -1; R_o[c, 1] = -R_o[c, 0].
    For T = 1 both readings give Table 1's [[-1, 1], [1, -1]]."""
    if fired_in not in T3_OUTPUT_RULES:
        raise ValueError(f"output rule {fired_in!r}: choose one of {T3_OUTPUT_RULES}")
    bits = code_bits(T, dtype)
    fired = bits[:, -1] if fired_in == "last_round" else (bits.sum(1) > 0).to(dtype)
    true_col = 2 * fired - 1
    return torch.stack([true_col, -true_col], dim=1)


def check_rnn_table(table: torch.Tensor, T: int) -> torch.Tensor:
    if table.shape != (2 ** T, 2 ** T):
        raise ValueError(f"RNN rule table has shape {tuple(table.shape)}, expected ({2 ** T}, {2 ** T}) for T={T}")
    return table


def check_output_table(table: torch.Tensor, T: int) -> torch.Tensor:
    if table.shape != (2 ** T, 2):
        raise ValueError(f"output rule table has shape {tuple(table.shape)}, expected ({2 ** T}, 2) for T={T}")
    return table


class TableRule(nn.Module):
    """A rule as a learnable table (RNN: 2^T × 2^T, init N(0, 1); output: 2^T × 2, init 0 — the code's inits)."""

    def __init__(self, T: int, kind: str, generator: torch.Generator | None = None,
                 dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        if kind == "rnn":
            init = torch.randn(2 ** T, 2 ** T, generator=generator, dtype=dtype)
        elif kind == "output":
            init = torch.zeros(2 ** T, 2, dtype=dtype)
        else:
            raise ValueError(f"table rule kind {kind!r}: choose 'rnn' or 'output'")
        self.T, self.kind = T, kind
        self.values = nn.Parameter(init)

    def table(self) -> torch.Tensor:
        return self.values


class NetworkRule(nn.Module):
    """The "small NN" RNN rule: Linear(2T -> H) -> ReLU -> Linear(H -> 1) on [s_pre; s_post] (catalog Amb. 9)."""

    def __init__(self, T: int, hidden: int = 20, dtype: torch.dtype = torch.float64) -> None:
        super().__init__()
        self.T = T
        self.net = nn.Sequential(nn.Linear(2 * T, hidden), nn.ReLU(), nn.Linear(hidden, 1)).to(dtype)
        bits = code_bits(T, dtype)
        S = 2 ** T
        pairs = torch.cat([bits.repeat_interleave(S, 0), bits.repeat(S, 1)], dim=1)   # row c_pre * S + c_post
        self.register_buffer("pairs", pairs)

    def forward(self, s_pre: torch.Tensor, s_post: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([s_pre, s_post], dim=-1)).squeeze(-1)

    def table(self) -> torch.Tensor:
        """R[c_pre, c_post] = r(bits(c_pre), bits(c_post)), differentiable in the network's weights."""
        S = 2 ** self.T
        return self.net(self.pairs).view(S, S)


def rule_table(rule: nn.Module | torch.Tensor) -> torch.Tensor:
    """The table of a rule module, or the tensor itself."""
    return rule.table() if isinstance(rule, nn.Module) else rule
