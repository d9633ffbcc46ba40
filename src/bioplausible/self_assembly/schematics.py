"""Fig. 1 of the self-assembly paper as data: one list of nodes and one of arrows per panel (catalog sa_fig1a-c).

The notebooks draw these lists and the claims check metrics computed from the same lists, so what is drawn is what is
checked. Directions follow the equations (catalog A0, Ambiguity 1; the paper's prose says the opposite):

    W^ℓ    h^ℓ → h^{ℓ+1}          d_{ℓ+1} × d_ℓ
    W̄^ℓ    h̄^{ℓ+1} → h̄^ℓ          d̄_ℓ × d̄_{ℓ+1}
    V^ℓ    h^ℓ → h̄^ℓ              d̄_ℓ × d_ℓ
    V̄^ℓ    h̄^{ℓ+1} → h^{ℓ+1}      d_{ℓ+1} × d̄_{ℓ+1}

Node names use catalog (1-based) indices: ``h{l}`` is h^l, ``hb{l}`` is h̄^l. An arrow is (kind, layer, source, target,
style) with style ``learnable`` (red solid, Fig. 1A caption) or ``identity`` (black dashed, non-learnable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .circuit import Circuit, CircuitConfig

__all__ = ["A0_TABLE", "Node", "Arrow", "fig1a_diagram", "fig1b_diagram", "fig1c_diagram", "directions_match_a0",
           "shapes_match_circuit", "caption_elements_missing", "matrix_counts", "FIG1A_CAPTION_ELEMENTS", "node_dims",
           "shape_label"]

# A0: kind -> ((source stream, layer offset), (target stream, layer offset)), stream "u" upstream h, "d" downstream h̄
A0_TABLE = {
    "W": (("u", 0), ("u", 1)),
    "Wbar": (("d", 1), ("d", 0)),
    "V": (("u", 0), ("d", 0)),
    "Vbar": (("d", 1), ("u", 1)),
}
SYMBOL = {"W": r"W", "Wbar": r"\bar W", "V": r"V", "Vbar": r"\bar V"}


@dataclass(frozen=True)
class Node:
    name: str          # h3, hb3, error, ...
    label: str         # mathtext
    x: float
    y: float
    role: str = ""     # upstream | downstream | error | annotation


@dataclass(frozen=True)
class Arrow:
    kind: str          # W, Wbar, V, Vbar (learnable) or identity
    layer: int | None  # catalog ℓ of the matrix (None for identity arrows)
    source: str
    target: str
    style: str         # learnable | identity
    label: str = ""


def _node_of(stream: str, layer: int) -> str:
    return f"h{layer}" if stream == "u" else f"hb{layer}"


def _motif_arrows(layer: int) -> list[Arrow]:
    out = []
    for kind, ((s_stream, s_off), (t_stream, t_off)) in A0_TABLE.items():
        out.append(Arrow(kind, layer, _node_of(s_stream, layer + s_off), _node_of(t_stream, layer + t_off),
                         "learnable", f"${SYMBOL[kind]}^{{{layer}}}$"))
    return out


def fig1a_diagram(n_layers: int) -> tuple[list[Node], list[Arrow]]:
    """Fig. 1A for an L-layer net (catalog A0): upstream h^1 … h^L (h^L = ŷ) going up, downstream h̄^L = ε … h̄^2
    going down, the error module between ŷ and h̄^L; red W^1 … W^{L-1}, W̄^2 … W̄^{L-1}, V^2 … V^{L-1},
    V̄^1 … V̄^{L-2}; black dashed identities ŷ → error, error → h̄^L and h̄^L → h^L (V̄^{L-1} = I, the error that trains
    the last layer)."""
    L = int(n_layers)
    if L < 3:
        raise ValueError(f"fig1a_diagram: n_layers must be >= 3 (input, hidden, output), got {L}")
    dy = 1.5                                   # vertical spacing of the layers
    nodes = [Node(f"h{l}", f"$h^{{{l}}}$" if l < L else r"$h^{%d} = \hat y$" % L, 0.0, dy * l, "upstream")
             for l in range(1, L + 1)]
    nodes += [Node(f"hb{l}", f"$\\bar h^{{{l}}}$" if l < L else r"$\bar h^{%d} = \varepsilon$" % L, 3.6, dy * l,
                   "downstream") for l in range(2, L + 1)]
    nodes.append(Node("error", "error module\n(PFC?)", 1.8, dy * L + 1.5, "error"))
    nodes.append(Node("regions", "upstream:\nV1-V2-V4-IT", -1.7, dy * (L + 1) / 2, "annotation"))
    nodes.append(Node("feedback", "downstream\n(feedback)", 5.3, dy * (L + 2) / 2, "annotation"))
    arrows = [Arrow("W", l, f"h{l}", f"h{l + 1}", "learnable", f"$W^{{{l}}}$") for l in range(1, L)]
    arrows += [Arrow("Wbar", k, f"hb{k + 1}", f"hb{k}", "learnable", f"$\\bar W^{{{k}}}$") for k in range(2, L)]
    arrows += [Arrow("V", k, f"h{k}", f"hb{k}", "learnable", f"$V^{{{k}}}$") for k in range(2, L)]
    arrows += [Arrow("Vbar", l, f"hb{l + 1}", f"h{l + 1}", "learnable", f"$\\bar V^{{{l}}}$") for l in range(1, L - 1)]
    arrows += [Arrow("identity", None, f"h{L}", "error", "identity", r"$\hat y$"),
               Arrow("identity", None, "error", f"hb{L}", "identity", r"$\varepsilon$"),
               Arrow("identity", None, f"hb{L}", f"h{L}", "identity",
                     r"$\bar V^{%d} = I$: trains last layer" % (L - 1))]
    return nodes, arrows


# what the Fig. 1A caption names, and how a diagram shows it
FIG1A_CAPTION_ELEMENTS = {
    "upstream layers": lambda n, a: any(x.role == "upstream" for x in n),
    "multi-region pathway (V1-V2-V4-IT)": lambda n, a: any("V1-V2-V4-IT" in x.label for x in n),
    "error module": lambda n, a: any(x.role == "error" for x in n),
    "PFC": lambda n, a: any("PFC" in x.label for x in n),
    "error trains the last layer": lambda n, a: any(r.style == "identity" and "last layer" in r.label for r in a),
    "error sent to the downstream pathway": lambda n, a: any(r.source == "error" and r.target.startswith("hb")
                                                             for r in a),
    "downstream layers (going down)": lambda n, a: any(r.kind == "Wbar" for r in a)
    and all(_layer(r.target) < _layer(r.source) for r in a if r.kind == "Wbar"),
    "black dashed non-learnable (identity) arrows": lambda n, a: any(r.style == "identity" for r in a),
    "red solid learnable arrows": lambda n, a: {r.kind for r in a if r.style == "learnable"} == set(A0_TABLE),
}


def _layer(node: str) -> int:
    return int(node.lstrip("hb"))


def caption_elements_missing(nodes: Sequence[Node], arrows: Sequence[Arrow]) -> list[str]:
    """The Fig. 1A caption elements the diagram does not show (empty list = all present)."""
    return [name for name, present in FIG1A_CAPTION_ELEMENTS.items() if not present(nodes, arrows)]


def fig1b_diagram(layer: int) -> tuple[list[Node], list[Arrow]]:
    """Fig. 1B: two upstream and two downstream pyramidal neurons of the motif at layer ℓ, four synapse types."""
    l = int(layer)
    nodes = [Node(f"h{l}", f"$h^{{{l}}}$", 0.0, 0.0, "upstream"), Node(f"h{l + 1}", f"$h^{{{l + 1}}}$", 0.0, 2.2, "upstream"),
             Node(f"hb{l}", f"$\\bar h^{{{l}}}$", 2.4, 0.0, "downstream"),
             Node(f"hb{l + 1}", f"$\\bar h^{{{l + 1}}}$", 2.4, 2.2, "downstream")]
    return nodes, _motif_arrows(l)


def fig1c_diagram(layer: int) -> tuple[list[Node], list[Arrow]]:
    """Fig. 1C: the four vectors h^ℓ, h^{ℓ+1}, h̄^ℓ, h̄^{ℓ+1} and the four full connections (A0 directions)."""
    return fig1b_diagram(layer)


def directions_match_a0(arrows: Sequence[Arrow]) -> bool:
    """Every learnable arrow goes from and to the nodes the A0 table gives for its kind and layer."""
    for a in arrows:
        if a.style != "learnable":
            continue
        (s_stream, s_off), (t_stream, t_off) = A0_TABLE[a.kind]
        if (a.source, a.target) != (_node_of(s_stream, a.layer + s_off), _node_of(t_stream, a.layer + t_off)):
            return False
    return True


def node_dims(up_widths: Sequence[int], down_widths: Sequence[int]) -> dict[str, int]:
    """Catalog node name -> width: h^l = up_widths[l-1]; h̄^k = down_widths[k-2] for hidden sites k = 2 … L-1, and
    h̄^L = ε has the output width."""
    L = len(up_widths)
    dims = {f"h{l}": int(up_widths[l - 1]) for l in range(1, L + 1)}
    dims.update({f"hb{k}": int(down_widths[k - 2]) for k in range(2, L)})
    dims[f"hb{L}"] = int(up_widths[-1])
    return dims


def shapes_match_circuit(arrows: Sequence[Arrow], up_widths: Sequence[int], down_widths: Sequence[int]) -> bool:
    """Build a ``Circuit`` with these widths and check that every learnable arrow's matrix (catalog index ℓ → the
    circuit's lists: W^ℓ = W[ℓ-1], V^k = V[k-2], W̄^k = Wbar[k-2], V̄^ℓ = Vbar[ℓ-1]) has shape (dim target, dim source):
    with all widths of a motif distinct, this fixes every arrow's direction against the implementation."""
    L = len(up_widths)
    if len(down_widths) != L - 2:
        raise ValueError(f"shapes_match_circuit: down_widths needs {L - 2} entries, got {len(down_widths)}")
    c = Circuit(CircuitConfig(widths=tuple(up_widths), down_widths=tuple(down_widths)), torch.Generator().manual_seed(0))
    dims = node_dims(up_widths, down_widths)
    mats = c.matrices()
    offset = {"W": 1, "V": 2, "Wbar": 2, "Vbar": 1}
    for a in arrows:
        if a.style != "learnable":
            continue
        idx = a.layer - offset[a.kind]
        if not 0 <= idx < len(mats[a.kind]):
            return False
        motif = {dims[a.source], dims[a.target]}
        if len(motif) < 2:
            raise ValueError(f"shapes_match_circuit: {a.kind}^{a.layer} joins two nodes of equal width; "
                             "choose distinct widths so that the shape fixes the direction")
        if tuple(mats[a.kind][idx].shape) != (dims[a.target], dims[a.source]):
            return False
    return True


def matrix_counts(arrows: Sequence[Arrow]) -> dict[str, int]:
    """Number of learnable arrows of each kind, and of identity arrows."""
    out = {k: sum(a.kind == k for a in arrows) for k in A0_TABLE}
    out["identity"] = sum(a.style == "identity" for a in arrows)
    return out


def shape_label(kind: str, layer: int) -> str:
    """The A0 shape of a matrix in symbols, e.g. W^2: d_3 × d_2."""
    (s_stream, s_off), (t_stream, t_off) = A0_TABLE[kind]

    def sym(stream: str, off: int) -> str:
        return ("d" if stream == "u" else r"\bar d") + f"_{{{layer + off}}}"

    return f"${sym(t_stream, t_off)} \\times {sym(s_stream, s_off)}$"


# --- drawing (the notebooks call these; the returned artists are checked against the caption's styles) -----------

LEARNABLE_COLOR = "#d62728"      # Fig. 1A caption: red solid arrows = learnable connections
IDENTITY_COLOR = "black"         # black dashed arrows = non-learnable (identity) connections


def arrow_offsets(arrows: Sequence[Arrow], nodes: Sequence[Node], sep: float = 0.13) -> dict[int, float]:
    """Perpendicular offsets (index -> shift) so that two arrows joining the same pair of rows/columns do not overlap
    (V^k goes right and V̄^{k-1} goes left on the same row of Fig. 1A)."""
    pos = {n.name: (n.x, n.y) for n in nodes}
    groups: dict[tuple, list[int]] = {}
    for i, a in enumerate(arrows):
        (x0, y0), (x1, y1) = pos[a.source], pos[a.target]
        groups.setdefault((frozenset({(x0, y0), (x1, y1)})), []).append(i)
    out = {}
    for members in groups.values():
        for j, i in enumerate(members):
            out[i] = (j - (len(members) - 1) / 2) * 2 * sep
    return out


def draw_arrows(ax, nodes: Sequence[Node], arrows: Sequence[Arrow], *, shrink: float = 16.0, fontsize: float = 7,
                label_shift: float = 0.18) -> list:
    """One FancyArrowPatch per arrow (red solid if learnable, black dashed if identity) with its label; returns the
    patches in the order of ``arrows``."""
    from matplotlib.patches import FancyArrowPatch

    pos = {n.name: (n.x, n.y) for n in nodes}
    offs = arrow_offsets(arrows, nodes)
    patches = []
    for i, a in enumerate(arrows):
        (x0, y0), (x1, y1) = pos[a.source], pos[a.target]
        dx, dy = x1 - x0, y1 - y0
        norm = (dx * dx + dy * dy) ** 0.5
        (cx0, cy0), (cx1, cy1) = sorted([(x0, y0), (x1, y1)])           # one perpendicular per node pair, so that
        px, py = -(cy1 - cy0) / norm * offs[i], (cx1 - cx0) / norm * offs[i]   # opposite arrows split apart
        learn = a.style == "learnable"
        patch = FancyArrowPatch((x0 + px, y0 + py), (x1 + px, y1 + py), arrowstyle="-|>", mutation_scale=9,
                                shrinkA=shrink, shrinkB=shrink, lw=1.2 if learn else 1.0,
                                color=LEARNABLE_COLOR if learn else IDENTITY_COLOR,
                                linestyle="-" if learn else "--")
        ax.add_patch(patch)
        patches.append(patch)
        if a.label:
            side = 1.0 if offs[i] >= 0 else -1.0
            lx = (x0 + x1) / 2 + px - (cy1 - cy0) / norm * label_shift * side
            ly = (y0 + y1) / 2 + py + (cx1 - cx0) / norm * label_shift * side
            ax.text(lx, ly, a.label, ha="center", va="center", fontsize=fontsize,
                    color=LEARNABLE_COLOR if learn else IDENTITY_COLOR,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.3, "alpha": 0.8})
    return patches


def styles_follow_caption(arrows: Sequence[Arrow], patches: Sequence) -> bool:
    """Every drawn learnable arrow is red and solid, every identity arrow black and dashed (Fig. 1A caption)."""
    from matplotlib.colors import to_rgba

    for a, p in zip(arrows, patches, strict=True):
        want_color = to_rgba(LEARNABLE_COLOR if a.style == "learnable" else IDENTITY_COLOR)
        dashed = p.get_linestyle() not in ("-", "solid")
        if tuple(p.get_edgecolor()) != want_color or dashed != (a.style == "identity"):
            return False
    return True
