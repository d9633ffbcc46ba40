"""Every generated path of the workflow, built in one place.

Path scheme (relative to the project root; Snakemake rules, notebooks and tests all call these):

    results/data/<dataset>/<split>.pt            whole-split uint8 tensors + manifest (data.smk)
    results/fixtures/<dataset>/...               smoke fixtures in the real on-disk formats
    results/sims/<paper>/<name>.npz              simulations (float64 arrays)
    results/models/<paper>/<name>.pt             trained models (with checkpoints beside them)
    results/attacks/<paper>/<name>.pt            attack results
    results/metrics/<paper>/<artifact>.json      measured numbers of one artifact (claims read these)
    results/provenance/<paper>/<name>.json       provenance of any output above / figure / table
    results/notebooks/<paper>/<artifact>.ipynb   executed notebook (and .html)
    results/logs/<paper>/<name>.log              logs; results/benchmarks/<paper>/<name>.tsv timings
    figures/<paper>/<artifact>.pdf|.png          figures
    paper_tables/<paper>/<artifact>.csv|.md      tables; paper_tables/claims.md|.csv the scoreboard
    notebooks/<paper>/<artifact>.ipynb           notebook sources (stored without outputs)

The root is ``$BIOPLAUSIBLE_ROOT`` if set, else the nearest folder at or above the working directory
that holds ``workflow/Snakefile`` (so a notebook opened in ``notebooks/amit/`` finds the project).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# Paper folder names (DESIGN.md) and the artifact-id prefix of each.
PAPER_PREFIXES: dict[str, str] = {
    "plasticity_rules": "pr_",
    "amit": "amit_",
    "oja": "oja_",
    "self_assembly": "sa_",
    "softhebb": "sh_",
}
PAPERS: tuple[str, ...] = tuple(PAPER_PREFIXES)


@lru_cache(maxsize=None)
def _find_root(start: str) -> Path:
    here = Path(start).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "workflow" / "Snakefile").is_file():
            return candidate
    raise FileNotFoundError(
        f"cannot find the project root (a folder holding workflow/Snakefile) at or above {here}; "
        "run from inside the repository or set BIOPLAUSIBLE_ROOT"
    )


def export_to_jobs(project_root: Path) -> None:
    """Make Snakemake's jobs (scripts, papermill kernels) import this checkout and see its root.

    Jobs also get the interpreter's own bin folder first on PATH, so ``papermill``, ``jupyter`` and
    ``python`` in shell commands are those of the environment running Snakemake (``.venv/bin/snakemake``
    works without activating the venv).
    """
    import sys

    bin_dir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if path.split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = bin_dir + (os.pathsep + path if path else "")
    src = str(Path(project_root) / "src")
    current = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = src if not current else src + os.pathsep + current
    os.environ["BIOPLAUSIBLE_ROOT"] = str(project_root)


def root() -> Path:
    env = os.environ.get("BIOPLAUSIBLE_ROOT")
    if env:
        return Path(env).resolve()
    return _find_root(os.getcwd())


def paper_of(artifact: str) -> str:
    """Paper folder of an artifact id, from its prefix (``sh_fig5b`` -> ``softhebb``)."""
    for paper, prefix in PAPER_PREFIXES.items():
        if artifact.startswith(prefix):
            return paper
    raise ValueError(
        f"artifact id {artifact!r} has no known paper prefix; expected one of "
        + ", ".join(f"{p}* ({name})" for name, p in PAPER_PREFIXES.items())
    )


def _check_paper(paper: str) -> str:
    if paper not in PAPER_PREFIXES:
        raise ValueError(f"unknown paper {paper!r}; choose one of {', '.join(PAPERS)}")
    return paper


# --- top-level folders -------------------------------------------------------------------------
def results_dir() -> Path:
    return root() / "results"


def figures_dir() -> Path:
    return root() / "figures"


def tables_dir() -> Path:
    return root() / "paper_tables"


def workflow_dir() -> Path:
    return root() / "workflow"


# --- relative paths (what Snakemake rules use: outputs relative to the working directory) ------
def rel_data_cache(dataset: str, split: str) -> str:
    return f"results/data/{dataset}/{split}.pt"


def rel_fixture_dir() -> str:
    return "results/fixtures"


def rel_sim(paper: str, name: str) -> str:
    return f"results/sims/{_check_paper(paper)}/{name}.npz"


def rel_model(paper: str, name: str) -> str:
    return f"results/models/{_check_paper(paper)}/{name}.pt"


def rel_attack(paper: str, name: str) -> str:
    return f"results/attacks/{_check_paper(paper)}/{name}.pt"


def rel_metrics(artifact: str) -> str:
    return f"results/metrics/{paper_of(artifact)}/{artifact}.json"


def rel_provenance(paper: str, name: str) -> str:
    return f"results/provenance/{_check_paper(paper)}/{name}.json"


def rel_executed_notebook(artifact: str, ext: str = "ipynb") -> str:
    return f"results/notebooks/{paper_of(artifact)}/{artifact}.{ext}"


def rel_notebook_source(artifact: str) -> str:
    return f"notebooks/{paper_of(artifact)}/{artifact}.ipynb"


def rel_figure(artifact: str, ext: str = "pdf") -> str:
    return f"figures/{paper_of(artifact)}/{artifact}.{ext}"


def rel_table(artifact: str, ext: str = "csv") -> str:
    return f"paper_tables/{paper_of(artifact)}/{artifact}.{ext}"


def rel_log(paper: str, name: str) -> str:
    return f"results/logs/{_check_paper(paper)}/{name}.log"


def rel_benchmark(paper: str, name: str) -> str:
    return f"results/benchmarks/{_check_paper(paper)}/{name}.tsv"


def rel_claims_registry(paper: str) -> str:
    return f"workflow/claims/{_check_paper(paper)}.yaml"


SCOREBOARD_MD = "paper_tables/claims.md"
SCOREBOARD_CSV = "paper_tables/claims.csv"
ARTIFACT_INDEX_MD = "paper_tables/artifacts.md"


# --- absolute versions (for notebooks and library code run outside Snakemake) ------------------
def absolute(rel: str) -> Path:
    return root() / rel
