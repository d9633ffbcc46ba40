"""Remove Snakemake's directory lock only when the run that held it is gone.

A run killed with ``kill -9`` leaves ``.snakemake/locks/`` behind, and the next run refuses to start
("Directory cannot be locked"). ``make figures`` calls this first: if no live snakemake process has this
directory as its working directory, the lock is stale and ``snakemake --unlock`` is run; otherwise
nothing is touched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path


def live_snakemake_here(root: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if int(proc.name) == os.getpid():
                continue
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if "snakemake" not in cmd or "workflow_lock" in cmd:
                continue
            if Path(os.readlink(proc / "cwd")).resolve() == root:
                pids.append(int(proc.name))
        except (OSError, ValueError):
            continue
    return pids


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--unlock-if-stale", action="store_true")
    args = ap.parse_args(argv)
    root = Path.cwd().resolve()
    locks = list((root / ".snakemake" / "locks").glob("*")) if (root / ".snakemake" / "locks").is_dir() else []
    if not locks:
        return 0
    pids = live_snakemake_here(root)
    if pids:
        print(f"snakemake is running here (pid {', '.join(map(str, pids))}); leaving its lock alone", file=sys.stderr)
        return 0
    if args.unlock_if_stale:
        print("removing a stale Snakemake lock left by a killed run", file=sys.stderr)
        snakemake = Path(sys.executable).with_name("snakemake")
        subprocess.run([str(snakemake), "--unlock"], check=True, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
