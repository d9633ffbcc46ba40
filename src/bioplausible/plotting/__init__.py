"""Shared figure style and figure saving with provenance metadata."""

from __future__ import annotations

from pathlib import Path

import matplotlib

STYLE_FILE = Path(__file__).with_name("bioplausible.mplstyle")
COLUMN_WIDTH_IN = 3.25   # one column of a two-column paper
TEXT_WIDTH_IN = 6.75     # full text width

# Consistent colours for methods that recur across papers.
METHOD_COLORS = {
    "bp": "#1f77b4", "urfb": "#2ca02c", "frfb": "#d62728",
    "softhebb": "#9467bd", "mlp": "#7f7f7f", "oja": "#ff7f0e",
}


def use_style() -> None:
    """Apply the project style (agg backend, fonts, sizes, Type-42 fonts)."""
    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    plt.style.use(str(STYLE_FILE))


def save_figure(fig, pdf_path: str | Path, png_path: str | Path, *, title: str, commit: str, params_hash: str) -> None:
    """Save ``fig`` as PDF and PNG, both carrying the git commit and parameter hash in their metadata.

    Dates are left out of the metadata so the same figure gives the same bytes.
    """
    from ..io import atomic_path

    subject = f"commit={commit}; params_hash={params_hash}"
    with atomic_path(pdf_path) as tmp:
        fig.savefig(tmp, format="pdf", metadata={"Title": title, "Subject": subject, "Creator": "bioplausible",
                                                 "Producer": "matplotlib", "CreationDate": None, "ModDate": None})
    with atomic_path(png_path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Title": title, "Description": subject, "Software": "bioplausible"})
