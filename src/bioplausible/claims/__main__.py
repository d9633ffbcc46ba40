"""Command line of the claims registry.

    python -m bioplausible.claims scoreboard --scale quick      # writes paper_tables/claims.md|.csv
    python -m bioplausible.claims verdicts --artifact amit_fig4 --scale quick   # prints one artifact's verdicts
    python -m bioplausible.claims readme [--check]               # refreshes (or checks) README's artifact index
"""

from __future__ import annotations

import argparse
import sys

from .. import paths
from .evaluate import evaluate_all, evaluate_claim, load_metrics
from .registry import implemented_artifacts, load_all
from .scoreboard import artifact_index_markdown, update_readme, write_scoreboard
from .evaluate import _fmt


def export_html(notebook: str) -> None:
    """The executed notebook as HTML next to it (``x.ipynb`` -> ``x.html``), as ``jupyter nbconvert --to html``."""
    from pathlib import Path

    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    Path(notebook).with_suffix(".html").write_text(body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bioplausible.claims", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sb = sub.add_parser("scoreboard", help="evaluate every claim and write the scoreboard")
    sb.add_argument("--scale", required=True)
    sb.add_argument("--md", default=paths.SCOREBOARD_MD)
    sb.add_argument("--csv", default=paths.SCOREBOARD_CSV)
    vd = sub.add_parser("verdicts", help="print the verdicts of one artifact")
    vd.add_argument("--artifact", required=True)
    vd.add_argument("--scale", required=True)
    vd.add_argument("--strict", action="store_true", help="exit 1 if a claim expected at this scale fails")
    vd.add_argument("--html", metavar="NOTEBOOK", help="first export this executed notebook to HTML beside it (one "
                    "process for both steps of a notebook rule, instead of a separate `jupyter nbconvert`)")
    rd = sub.add_parser("readme", help="regenerate README.md's artifact index")
    rd.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date instead of writing")
    args = ap.parse_args(argv)

    registries = load_all()
    implemented = implemented_artifacts()
    if args.cmd == "scoreboard":
        verdicts = evaluate_all(registries, args.scale, implemented)
        write_scoreboard(registries, verdicts, implemented, args.scale, args.md, args.csv)
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.status] = counts.get(v.status, 0) + 1
        print(f"scoreboard ({args.scale}): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + f" -> {args.md}")
        return 0
    if args.cmd == "verdicts":
        if args.html:
            export_html(args.html)
        paper = paths.paper_of(args.artifact)
        reg = registries[paper]
        if args.artifact not in reg.artifact_ids():
            print(f"unknown artifact {args.artifact!r}; {paper} has: {', '.join(reg.artifact_ids())}", file=sys.stderr)
            return 2
        metrics = load_metrics(args.artifact)
        failed = False
        claims = reg.claims_of(args.artifact)
        print(f"== {args.artifact} ({args.scale}): {len(claims)} claim(s)")
        for c in claims:
            v = evaluate_claim(c, metrics, args.scale, args.artifact in implemented)
            measured = _fmt(v.measured) if v.measured is not None else "–"
            print(f"  {v.status.upper():<27} {c.id}: measured {measured}; {v.detail}")
            failed |= v.status == "fail"
        return 1 if (failed and args.strict) else 0
    if args.cmd == "readme":
        readme = paths.root() / "README.md"
        text = readme.read_text(encoding="utf-8")
        new = update_readme(text, artifact_index_markdown(registries, implemented))
        if args.check:
            if new != text:
                print("README.md's artifact index is out of date: run `python -m bioplausible.claims readme`", file=sys.stderr)
                return 1
            print("README.md artifact index is up to date")
            return 0
        if new != text:
            readme.write_text(new, encoding="utf-8")
        print("README.md artifact index written")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
