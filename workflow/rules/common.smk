# Snakemake glue shared by every paper: config validation, the claims registry, wildcard limits,
# and the list of targets. Logic lives in src/bioplausible (reachable by pytest), not here.
#
# Path scheme (built by src/bioplausible/paths.py; never concatenate output folders by hand):
#   results/data/<dataset>/<split>.pt|.json     data caches and their manifests
#   results/sims|models|attacks/<paper>/<name>  cached compute results
#   results/provenance/...                      one provenance record per output
#   results/metrics/<paper>/<artifact>.json     measured numbers (claims read these)
#   results/notebooks/<paper>/<artifact>.ipynb|.html   executed notebooks
#   results/logs/..., results/benchmarks/...    logs and timings
#   figures/<paper>/<artifact>.pdf|.png, paper_tables/<paper>/<artifact>.csv|.md, paper_tables/claims.md
import json
import os
import shlex
import sys
from pathlib import Path

import yaml

ROOT = Path(workflow.basedir).parent.resolve()
if Path.cwd().resolve() != ROOT:
    raise WorkflowError(
        f"run snakemake from the repository root {ROOT} (working directory is {Path.cwd()}); "
        "results/, figures/ and paper_tables/ are created there"
    )
# This checkout's library, installed or not; jobs (scripts, papermill kernels) get it too.
sys.path.insert(0, str(ROOT / "src"))
from bioplausible.paths import export_to_jobs

export_to_jobs(ROOT)

from bioplausible import config as config_lib
from bioplausible import paths
from bioplausible.claims.registry import implemented_artifacts, load_all
from bioplausible.provenance import provenance_path_of
from bioplausible.specs import all_specs, compute_outputs

if not config:
    raise WorkflowError(
        "no scale config was given. The default profile (workflow/profiles/default) sets it; "
        "pass --workflow-profile workflow/profiles/<smoke|quick|paper> or --configfile workflow/config/<scale>.yaml"
    )
try:
    config_lib.validate(
        config,
        source="scale config (workflow/config/<scale>.yaml plus --config overrides)",
    )
except config_lib.ConfigError as err:
    raise WorkflowError(str(err))

SCALE = config["scale"]

# GPUs. Rules that benefit from a GPU declare `resources: gpu=GPU` (1 or 0); `device` (scale config) decides:
# cuda -> 1, auto -> 1 when this machine has a GPU, cpu -> 0. A local run allows as many GPU jobs at once as this
# machine has GPUs (unless --resources gpu=N says fewer) and bioplausible.device.bind_job_gpu gives each job its own;
# onstart (below, in the Snakefile) stops a local run before any job when device is cuda and no GPU is present, or
# when --resources gpu=N exceeds the GPUs. Cluster executors (workflow/profiles/slurm) pass `gpu` on to the
# scheduler (sbatch --gpus), which binds GPUs itself.
from bioplausible import device as device_lib
from snakemake.resources import Resource

# GPUs of the machine that plans the DAG (a cluster's login node has none)
GPUS_PRESENT = device_lib.gpus_present()
try:
    GPU = device_lib.gpu_per_job(config["device"], present=GPUS_PRESENT)
except device_lib.DeviceError as err:
    raise WorkflowError(str(err))
GPU_LIMIT = workflow.global_resources.get("gpu").value  # --resources gpu=N, or None
if GPU and GPU_LIMIT is None and GPUS_PRESENT:
    workflow.register_resource("gpu", Resource("gpu", GPUS_PRESENT))
# The one software environment of every rule (for --software-deployment-method conda); the .venv of
# `make` already holds the same pins, so plain runs need no conda.
CONDA_ENV = str(ROOT / "envs" / "environment.yml")
REGISTRIES = load_all()
ALL_ARTIFACTS = [a.id for paper in paths.PAPERS for a in REGISTRIES[paper].artifacts]
SPECS = all_specs()

# One name per artifact everywhere: a spec, a notebook and a registry entry go together.
_notebooks = implemented_artifacts()
_problems = [
    f"{a}: spec without notebook {paths.rel_notebook_source(a)}"
    for a in SPECS
    if a not in _notebooks
]
_problems += [
    f"{a}: notebook without spec in bioplausible.<paper>.specs"
    for a in _notebooks
    if a not in SPECS
]
_problems += [
    f"{a}: not in its paper's claims registry" for a in SPECS if a not in ALL_ARTIFACTS
]
_problems += [
    f"{a}: no report caption workflow/report/{s.paper}/{a}.rst"
    for a, s in SPECS.items()
    if not (ROOT / "workflow" / "report" / s.paper / f"{a}.rst").is_file()
]
if _problems:
    raise WorkflowError("artifact definitions disagree:\n  " + "\n  ".join(_problems))


wildcard_constraints:
    paper="|".join(paths.PAPERS),
    artifact="|".join(ALL_ARTIFACTS),


def cfg(dotted):
    """The config section of a dotted key, as plain JSON-able data (for params:)."""
    return config_lib.thaw(config_lib.section(config, dotted))


def log_of(paper, name):
    return paths.rel_log(paper, name)


def benchmark_of(paper, name):
    return paths.rel_benchmark(paper, name)


def all_targets():
    targets = [paths.SCOREBOARD_MD, paths.SCOREBOARD_CSV]
    if config["data"]["fixtures"]:
        # smoke: every rule runs, so every dataset's loader runs on its generated fixture files
        from bioplausible.data import DATASETS

        targets += [
            paths.rel_data_cache(name, split)
            for name, spec in DATASETS.items()
            for split in spec.splits
        ]
    for spec in SPECS.values():
        targets += list(spec.outputs().values()) + [
            paths.rel_executed_notebook(spec.artifact, "html")
        ]
    return targets
