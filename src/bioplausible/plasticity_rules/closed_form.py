"""The output rule in closed form under both alternative schemes (Appendix B, Thm 2; catalog A4 S1+S2, A8 Thm 2).

With T = 1, U = 0 at the start, and updates on every example (S1) to every output edge (S2), example i adds
η r(χ_ij, 0) to U[y_i, j] and η r(χ_ij, 1) to U[c, j] for every c ≠ y_i, where χ_ij ∈ {0, 1} says whether unit j
fired (catalog Amb. 19: a 0/1 indicator, as the authors' ``closed_form.py``). The final U does not depend on the
order of the examples and is linear in the 2 × 2 rule r (rows a = fired?, columns b = 0 true label / 1 other):

    U_c = η Σ_{a,b} r(a, b) S_c^{a,b},   S_c^{a,0} = Σ_{i: y_i = c} χ^a_i,   S_c^{a,1} = Σ_{i: y_i ≠ c} χ^a_i

(χ^1 = χ, χ^0 = 1 - χ; vectors over the hidden units). With the penultimate features Y_i = h(x_i) the logits are
f_c(x_i) = U_c · Y_i = Φ_{i,c} · r with Φ_{i,c}[a, b] = η S_c^{a,b} · Y_i, so

- the mean-squared error L(r) = (1/n) Σ_i (1/l) Σ_c (f_c(x_i) - 1[y_i = c])² is a quadratic in r whose minimiser r*
  solves the 4 × 4 normal equations (Σ Φ Φᵀ) r = Σ_{i} Φ_{i,y_i} (Thm 2, second part);
- the cross-entropy of the logits Φ r is convex in r (first part: CE is convex in the logits, which are linear in r).

Everything here is whole-dataset tensor algebra in the features' dtype (float64 in the workflow).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


def firing_indicators(features: torch.Tensor) -> torch.Tensor:
    """χ = 1[h ≠ 0] (0/1, the features' dtype): the paper's "fired" for T = 1 (catalog A2, Amb. 19)."""
    return (features != 0).to(features.dtype)


def class_sums(chi: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """S (l, 2, 2, n): S[c, a, 0] = Σ_{i: y_i = c} χ^a_i and S[c, a, 1] = Σ_{i: y_i ≠ c} χ^a_i."""
    if chi.dim() != 2 or labels.shape != (chi.shape[0],):
        raise ValueError(f"chi must be (N, n) and labels (N,), got {tuple(chi.shape)} and {tuple(labels.shape)}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes}), got [{int(labels.min())}, {int(labels.max())}]")
    onehot = torch.nn.functional.one_hot(labels, n_classes).to(chi.dtype)        # (N, l)
    fired_in = onehot.T @ chi                                                     # (l, n): Σ_{y_i = c} χ_i
    count_in = onehot.sum(0)[:, None]                                             # (l, 1): #{y_i = c}
    fired_all, n_all = chi.sum(0)[None, :], float(len(labels))
    S = chi.new_empty(n_classes, 2, 2, chi.shape[1])
    S[:, 1, 0] = fired_in
    S[:, 0, 0] = count_in - fired_in
    S[:, 1, 1] = fired_all - fired_in
    S[:, 0, 1] = (n_all - count_in) - (fired_all - fired_in)
    return S


def weights_from_rule(S: torch.Tensor, rule: torch.Tensor, eta: float) -> torch.Tensor:
    """U (l, n) = η Σ_{a,b} r(a, b) S[:, a, b] — the output weights after one S1+S2 pass from U = 0."""
    if rule.shape != (2, 2):
        raise ValueError(f"the T = 1 output rule is 2 x 2 (rows: fired?, columns: true / other label), got {tuple(rule.shape)}")
    return eta * torch.einsum("ab,cabn->cn", rule.to(S.dtype), S)


def design(features: torch.Tensor, S: torch.Tensor, eta: float) -> torch.Tensor:
    """Φ (N, l, 4): Φ[i, c, 2a + b] = η S_c^{a,b} · Y_i, so that the logits are Φ @ r.flatten()."""
    l = S.shape[0]
    return eta * (features @ S.reshape(l * 4, -1).T).view(len(features), l, 4)


@dataclass
class MSESystem:
    """L(r) = (rᵀ G r - 2 bᵀ r + const) / (n l) for the training set the system was built from."""

    G: torch.Tensor        # (4, 4) Σ_{i,c} Φ Φᵀ
    b: torch.Tensor        # (4,)   Σ_i Φ_{i, y_i}
    const: float           # Σ_{i,c} 1[y_i = c]² = n
    n: int
    l: int

    def loss(self, rule: torch.Tensor) -> torch.Tensor:
        r = rule.reshape(-1).to(self.G.dtype)
        return (r @ self.G @ r - 2 * self.b @ r + self.const) / (self.n * self.l)

    def grad(self, rule: torch.Tensor) -> torch.Tensor:
        r = rule.reshape(-1).to(self.G.dtype)
        return (2 * (self.G @ r - self.b) / (self.n * self.l)).view(2, 2)

    def solve(self) -> torch.Tensor:
        """r* (2 × 2), the unique minimiser (G is positive definite whenever the 4 columns of Φ are independent)."""
        return torch.linalg.solve(self.G, self.b).view(2, 2)

    def condition_number(self) -> float:
        return float(torch.linalg.cond(self.G))


def mse_system(Phi: torch.Tensor, labels: torch.Tensor) -> MSESystem:
    """The 4 × 4 normal equations of the MSE over the examples of Φ (N, l, 4) with one-hot targets."""
    N, l, _ = Phi.shape
    flat = Phi.reshape(N * l, 4)
    G = flat.T @ flat
    b = Phi[torch.arange(N), labels].sum(0)
    return MSESystem(G=G, b=b, const=float(N), n=N, l=l)


def optimal_rule(features: torch.Tensor, labels: torch.Tensor, n_classes: int, eta: float,
                 chi: torch.Tensor | None = None) -> tuple[torch.Tensor, MSESystem, torch.Tensor]:
    """r* = argmin L(r) (2 × 2), the system, and S, from the training features Y (N, n) (χ from Y unless given)."""
    chi = firing_indicators(features) if chi is None else chi.to(features.dtype)
    S = class_sums(chi, labels, n_classes)
    system = mse_system(design(features, S, eta), labels)
    return system.solve(), system, S


def mse_loss_direct(U: torch.Tensor, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The paper's L from the weights themselves: (1/n) Σ_i (1/l) Σ_c (U_c · Y_i - 1[y_i = c])² (no softmax)."""
    z = features @ U.T
    target = torch.nn.functional.one_hot(labels, U.shape[0]).to(z.dtype)
    return ((z - target) ** 2).mean()


def cross_entropy_along(Phi: torch.Tensor, labels: torch.Tensor, rules: torch.Tensor) -> torch.Tensor:
    """Mean CE of the logits Φ r for a batch of flattened rules (P, 4) -> (P,)."""
    z = torch.einsum("ilk,pk->pil", Phi, rules)                                   # (P, N, l)
    return torch.logsumexp(z, -1).mean(-1) - z[:, torch.arange(len(labels)), labels].mean(-1)


def sign_pattern(rule: torch.Tensor, ambiguous_below: float = 0.0) -> str:
    """"[-,+;+,-]" style; an entry with |r| < ambiguous_below is written "0" (ambiguous)."""
    def s(v: float) -> str:
        return "0" if abs(v) < ambiguous_below else ("+" if v > 0 else "-")
    r = rule.reshape(2, 2).tolist()
    return f"[{s(r[0][0])},{s(r[0][1])};{s(r[1][0])},{s(r[1][1])}]"
