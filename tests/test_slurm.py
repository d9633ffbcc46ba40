"""The SLURM profile (workflow/profiles/slurm) on a real SLURM: a single-node cluster on localhost.

Marked ``slurm`` (and ``slow``). It needs root: it installs Debian's slurmctld, slurmd and munge when they are
missing, starts them (tests/slurm_localhost.py), runs smoke-scale targets of all five papers through Snakemake's
SLURM executor plugin, and stops them again. Where SLURM cannot start it says why and skips, except when
``BIOPLAUSIBLE_REQUIRE_SLURM=1`` (set by .ci/run): then it fails.

Why a subset of the smoke DAG and not all of it: every SLURM job starts Snakemake twice (the batch script, then
``srun`` of the job step), ~4 s each on these 2 cores, so the whole 267-job smoke DAG would take ~20 minutes
more than locally and CI would pass its 30-minute budget. SLURM_TARGETS takes one artifact of each paper,
together 30 jobs of 10 rules kinds: data caches, simulations, training (GPU rules, a 2-thread rule, a rule
with its own set-resources), notebooks.
"""

from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

import pytest
import torch
import yaml

from bioplausible.specs import all_specs
from slurm_localhost import LocalSlurm, SlurmUnavailable
from test_workflow import ROOT, fresh_checkout, smk

pytestmark = [pytest.mark.slow, pytest.mark.slurm]

SLURM_TARGETS = ("amit_fig6", "sh_fig4a", "pr_thm1", "oja_fig1b", "sa_thm_lemma1")
REQUIRED = os.environ.get("BIOPLAUSIBLE_REQUIRE_SLURM") == "1"
PROFILE = yaml.safe_load((ROOT / "workflow/profiles/slurm/profile.yaml").read_text())
DEFAULT_RESOURCES = dict(item.split("=", 1) for item in PROFILE["default-resources"])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    slurm = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:
        slurm.__enter__()
    except SlurmUnavailable as err:
        if REQUIRED:
            pytest.fail(f"SLURM could not start on this machine: {err}")
        pytest.skip(f"SLURM could not start on this machine: {err} "
                    "(with BIOPLAUSIBLE_REQUIRE_SLURM=1, as in CI, this fails instead)")
    yield slurm
    slurm.stop()


def slurm_args(*targets: str) -> list[str]:
    """The profile as a user runs it, at smoke scale on this GPU-less node, with this test cluster's settings."""
    return [
        "--workflow-profile", "workflow/profiles/slurm",
        "--configfiles", "workflow/config/smoke.yaml",   # replaces the profile's paper.yaml
        "--config", "device=cpu",                        # replaces the profile's device=cuda: no GPU here
        "--slurm-no-account",                            # no accounting database, hence no accounts ...
        "--slurm-status-command", "squeue",              # ... and job states from squeue (MinJobAge 1 h)
        "--slurm-init-seconds-before-status-checks", "2",
        "--slurm-keep-successful-logs",
        *targets,
    ]


TIMING_KEY = re.compile(r"seconds|wall_time|elapsed")


def assert_same_payload(a, b, where: str) -> None:
    """Equal tensors (bit for bit) and values everywhere, except wall-clock timings (keys naming seconds)."""
    if isinstance(a, dict):
        assert set(a) == set(b), f"{where}: keys differ"
        for key in a:
            if not (isinstance(key, str) and TIMING_KEY.search(key)):
                assert_same_payload(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_payload(x, y, f"{where}[{i}]")
    elif torch.is_tensor(a):
        assert torch.equal(a, b), f"{where} differs (SLURM vs local)"
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r} (SLURM vs local)"


def _minutes(limit: str) -> int:
    """SLURM's TimeLimit ([D-]HH:MM:SS) in minutes."""
    days, _, hms = limit.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return (int(days) if days else 0) * 1440 + h * 60 + m + (s > 0)


def _requested(rule: str, key: str) -> int:
    per_rule = (PROFILE.get("set-resources") or {}).get(rule, {})
    if key in per_rule:
        return int(per_rule[key])
    return int(DEFAULT_RESOURCES[key])


def test_smoke_targets_through_slurm_equal_a_local_run(cluster, tmp_path):
    local = fresh_checkout(tmp_path / "local")
    t0 = time.time()
    smk(["--cores", "2", "--workflow-profile", "workflow/profiles/smoke", *SLURM_TARGETS], local)
    print(f"local run: {time.time() - t0:.0f} s")

    remote = fresh_checkout(tmp_path / "slurm")
    before = set(cluster.submitted_job_ids())
    t0 = time.time()
    out = smk(slurm_args(*SLURM_TARGETS), remote, timeout=1500)
    print(f"SLURM run: {time.time() - t0:.0f} s")
    text = out.stdout + out.stderr

    # every job of the DAG went through sbatch: one SLURM job per Snakemake job, each COMPLETED, its log under
    # .snakemake/slurm_logs/rule_<rule>/<jobid>.log
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", text)
    planned = int(re.search(r"^total\s+(\d+)", text, re.M).group(1))
    assert len(submitted) == planned, f"{planned} jobs planned, {len(submitted)} submitted to SLURM"
    ids = {int(j) for j, _ in submitted}
    assert ids <= set(cluster.submitted_job_ids()) - before, "job ids the executor reported that slurmctld never saw"
    rules_seen = set()
    for job_id, log in submitted:
        info = cluster.job_info(int(job_id))
        assert info.get("JobState") == "COMPLETED", (job_id, log, info.get("JobState"))
        rule = re.search(r"slurm_logs/rule_(\w+)/", log).group(1)
        rules_seen.add(rule)
        # the profile's requests reached sbatch: wall time (-t), memory (--mem), CPUs = the rule's threads
        assert _minutes(info["TimeLimit"]) == _requested(rule, "runtime"), (rule, info["TimeLimit"])
        assert info["MinMemoryNode"] == f"{_requested(rule, 'mem_mb')}M", (rule, info["MinMemoryNode"])
    assert {"data_cache", "amit_train", "sh_train_wta", "amit_fig6"} <= rules_seen, rules_seen
    threads_two = [cluster.job_info(int(j)) for j, log in submitted if "rule_sh_train_wta/" in log]
    assert all(info["NumCPUs"] == "2" for info in threads_two), "sh_train_wta declares threads: 2"

    # the outputs equal the local run's: metrics, tables, cached results (bytes)
    specs = all_specs()
    compared = 0
    for target in SLURM_TARGETS:
        for name, rel in specs[target].outputs().items():
            if name != "provenance" and rel.endswith((".json", ".csv", ".md")):
                assert (remote / rel).read_bytes() == (local / rel).read_bytes(), f"{rel} differs (SLURM vs local)"
                compared += 1
    for sub in ("sims", "models"):
        for path in sorted((local / "results" / sub).rglob("*")):
            if path.suffix == ".pt":   # trained models: equal but for the wall times in their logs
                rel = path.relative_to(local)
                load = functools.partial(torch.load, map_location="cpu", weights_only=False)
                assert_same_payload(load(path), load(remote / rel), str(rel))
                compared += 1
            elif path.is_file():
                rel = path.relative_to(local)
                assert (remote / rel).read_bytes() == path.read_bytes(), f"{rel} differs (SLURM vs local)"
                compared += 1
    assert compared >= 2 * len(SLURM_TARGETS)

    # provenance says where a job ran: the SLURM job id and node
    records = [yaml.safe_load(p.read_text()) for p in (remote / "results/provenance").rglob("*.json")]
    slurm_records = [r for r in records if r.get("device", {}).get("slurm_job_id")]
    assert slurm_records and all(int(r["device"]["slurm_job_id"]) in ids for r in slurm_records)


def test_profile_requests_resources_for_every_rule():
    # default-resources give every job memory and wall time; set-resources only names rules that exist
    assert {"mem_mb", "runtime"} <= set(DEFAULT_RESOURCES)
    rules = set(smk(["--list-rules"], ROOT).stdout.split())
    unknown = set(PROFILE.get("set-resources") or {}) - rules
    assert not unknown, f"set-resources names rules that do not exist: {sorted(unknown)}"
    assert PROFILE["executor"] == "slurm" and "device=cuda" in PROFILE["config"]


def test_profile_requests_are_the_generated_estimates():
    generated = yaml.safe_load((ROOT / "benchmarks/paper_runtimes.yaml").read_text())["set-resources"]
    assert PROFILE["set-resources"] == generated, (
        "workflow/profiles/slurm/profile.yaml set-resources differ from benchmarks/paper_runtimes.yaml: "
        "paste the block benchmarks/paper_cost.py wrote")


def test_profile_plans_the_paper_dag():
    out = smk(["-n", "--forceall", "--workflow-profile", "workflow/profiles/slurm", "all"], ROOT)
    text = out.stdout + out.stderr
    for artifact in all_specs():
        assert re.search(rf"^{artifact}\s+\d+$", text, re.M), f"{artifact} not planned through the SLURM profile"
