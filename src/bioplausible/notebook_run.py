"""Run one artifact's notebook for its Snakemake rule: papermill, the HTML export and the claims' verdicts in one
Python process (three separate command-line tools would start three interpreters per notebook).

    python -m bioplausible.notebook_run --notebook notebooks/amit/amit_fig4.ipynb \\
        --output results/notebooks/amit/amit_fig4.ipynb --cwd notebooks/amit --log results/logs/amit/amit_fig4.log \\
        --artifact amit_fig4 --scale quick --parameters "{artifact: amit_fig4, ...}"

The executed notebook's cell outputs go to the log (as ``papermill --log-output``); the verdicts go to stdout.
"""

from __future__ import annotations

import argparse
import logging

import yaml


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bioplausible.notebook_run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notebook", required=True, help="the notebook source")
    ap.add_argument("--output", required=True, help="the executed notebook to write")
    ap.add_argument("--cwd", required=True, help="working directory of the kernel")
    ap.add_argument("--log", required=True, help="file for papermill's log and the cells' outputs")
    ap.add_argument("--artifact", required=True)
    ap.add_argument("--scale", required=True)
    ap.add_argument("--parameters", required=True, help="the parameters cell's values, as YAML")
    args = ap.parse_args(argv)

    handler = logging.FileHandler(args.log, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

    import papermill

    try:
        papermill.execute_notebook(args.notebook, args.output, parameters=yaml.safe_load(args.parameters),
                                   kernel_name="python3", cwd=args.cwd, log_output=True, progress_bar=False)
    except Exception:  # the failing cell's traceback belongs in the log too, not only on the terminal
        logging.getLogger("bioplausible.notebook_run").exception("notebook %s failed", args.notebook)
        raise
    handler.flush()
    from .claims.__main__ import main as claims_main

    return claims_main(["verdicts", "--artifact", args.artifact, "--scale", args.scale, "--html", args.output])


if __name__ == "__main__":
    raise SystemExit(main())
