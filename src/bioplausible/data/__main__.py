"""Command line: fill a mirror, check a mirror, or write the smoke fixtures.

python -m bioplausible.data fetch --mirror DIR [--dataset NAME]
    download every file of every split into DIR (torchvision's layout), each checked against its published md5;
    files already there and verified are kept. For clusters whose compute nodes are offline: fetch on a node with
    internet, then run with `data.mirror: DIR` and `data.download: false`.

python -m bioplausible.data verify --mirror DIR [--dataset NAME] [--fixtures]
    one line per file: OK / MISMATCH expected actual / MISSING; exit status 1 on any problem
    (a needed file with no form whose md5 matches, and no verified archive to extract it from).
python -m bioplausible.data fixtures --out DIR [--dataset NAME]
    write the fixtures under DIR/<dataset>/ and print their md5 (to refresh registry.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..io import md5_file
from .errors import check_choice
from .fixtures import write_fixtures
from .registry import DATASETS, DatasetSpec
from .sources import resolve_split_files


def _verify_dataset(spec: DatasetSpec, root: Path, fixture: bool, out) -> int:
    problems = 0
    archive_ok = False
    if spec.archive is not None and not fixture and (root / spec.archive.filename).is_file():
        actual = md5_file(root / spec.archive.filename)
        archive_ok = actual == spec.archive.md5
        detail = f"md5 {actual}" if archive_ok else f"expected {spec.archive.md5} actual {actual}"
        print(
            f"{'OK' if archive_ok else 'MISMATCH':9s} {spec.name:16s} {spec.archive.filename}  {detail} (archive)",
            file=out,
        )
    for f in spec.all_files():
        lines, good = [], None
        forms = [(c, c.fixture_md5 if fixture else c.md5) for c in f.candidates]
        forms = [(c, e) for c, e in forms if e is not None]
        for c, expected in forms:
            path = root / c.path
            if not path.is_file():
                continue
            actual = md5_file(path)
            if actual == expected:
                good = good or c.path
                lines.append(f"{'OK':9s} {spec.name:16s} {c.path}  md5 {actual}")
            else:
                lines.append(f"{'MISMATCH':9s} {spec.name:16s} {c.path}  expected {expected} actual {actual}")
        if not lines:
            note = " (its archive verified; the loader extracts it)" if archive_ok else ""
            print(f"{'MISSING':9s} {spec.name:16s} " + " | ".join(c.path for c, _ in forms) + note, file=out)
            problems += 0 if archive_ok else 1
            continue
        for line in lines:
            if good and line.startswith("MISMATCH"):
                line += f"  (not needed: {good} verified)"
            print(line, file=out)
        problems += 0 if good else 1
    return problems


def fetch_into_mirror(spec: DatasetSpec, mirror: Path) -> None:
    """Every split's files of ``spec`` in ``mirror``: found there and verified, or downloaded there and verified."""
    mirror.mkdir(parents=True, exist_ok=True)
    for split in spec.splits:
        resolve_split_files(spec, split, locations=[("mirror", mirror)], fixture=False, download_dir=mirror,
                            download=True, allow_unverified=False)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bioplausible.data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="check every file of a mirror against its published md5")
    v.add_argument("--mirror", required=True, type=Path, help="mirror root (torchvision layout)")
    v.add_argument("--dataset", help=f"one of {', '.join(DATASETS)} (default: all)")
    v.add_argument(
        "--fixtures",
        action="store_true",
        help="check against the fixture md5s; the mirror is then a fixture root holding <dataset>/ folders",
    )
    fe = sub.add_parser("fetch", help="download the original files into a mirror, md5-checked")
    fe.add_argument("--mirror", required=True, type=Path, help="mirror root (created; torchvision layout)")
    fe.add_argument("--dataset", help=f"one of {', '.join(DATASETS)} (default: all)")
    fx = sub.add_parser("fixtures", help="write the smoke fixtures and print their md5")
    fx.add_argument("--out", required=True, type=Path, help="fixture root (default layout: results/fixtures)")
    fx.add_argument("--dataset", help="one dataset (default: all)")
    args = p.parse_args(argv)

    names = [check_choice("dataset", args.dataset, DATASETS)] if args.dataset else list(DATASETS)
    if args.command == "fixtures":
        for name in names:
            root = write_fixtures(name, args.out)
            for path in sorted(q for q in root.rglob("*") if q.is_file()):
                print(f"{md5_file(path)}  {name}  {path.relative_to(root)}")
        return 0
    if args.command == "fetch":
        for name in names:
            fetch_into_mirror(DATASETS[name], args.mirror)
            print(f"OK        {name:16s} every split in {args.mirror}")
        return 0
    if not args.mirror.is_dir():
        print(f"mirror {args.mirror} is not a directory", file=sys.stderr)
        return 2
    problems = 0
    for name in names:
        root = args.mirror / name if args.fixtures else args.mirror
        problems += _verify_dataset(DATASETS[name], root, args.fixtures, sys.stdout)
    print(f"{problems} problem(s)" if problems else "all files verified", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
