"""Copy the measured quick-scale time of every compute job of the quick DAG into benchmarks/quick_times/<paper>.tsv.

    PYTHONPATH=src python benchmarks/collect_quick_times.py RESULTS_DIR [RESULTS_DIR ...]

Each RESULTS_DIR is a ``results/`` folder of a real quick-scale run. A job is taken from the first folder that holds
its Snakemake benchmark TSV *and* a provenance record of its output(s) that says ``scale: quick`` (smoke runs that
overwrote a record are skipped). Jobs found nowhere are listed on stderr and left out: never invented.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bioplausible import cost  # noqa: E402
from bioplausible.provenance import provenance_path_of  # noqa: E402

OUT = ROOT / "benchmarks" / "quick_times"
HEADER = """# Measured quick-scale wall times of the compute jobs of {paper} (scale: quick, workflow/config/quick.yaml).
# Machine: the project's 2-core AMD EPYC VM, CPU only (no GPU), jobs of the quick DAG running side by side on the
#   2 cores (so times include contention). Measured {first} .. {last} (UTC start times from provenance).
# bench_s: Snakemake benchmark wall seconds of the job (column s of results/benchmarks/...tsv);
# compute_s: wall_time_s of the job's provenance record (the script's own work; bench_s - compute_s = start-up);
# max_rss_mb: the benchmark's max_rss. source: the results/ folder the numbers were copied from.
# Written by benchmarks/collect_quick_times.py; read by benchmarks/paper_cost.py.
"""


def _bench(results: Path, job: cost.Job):
    path = results / "benchmarks" / job.paper / f"{job.name}.tsv"
    if not path.is_file():
        return None
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return rows[-1] if rows else None


def _provenance(results: Path, job: cost.Job):
    recs = []
    for out in job.outputs:
        if not out.startswith("results/") or out.startswith("results/provenance/"):
            continue
        rel = provenance_path_of(out)
        path = results / rel[len("results/"):]
        if path.is_file():
            recs.append(json.loads(path.read_text(encoding="utf-8")))
    return recs


def main(sources: list[str]) -> int:
    jobs = cost.dag_jobs("quick", ROOT)
    found: dict[str, list[dict]] = {}
    missing = []
    for job in jobs:
        for src in sources:
            results = Path(src)
            bench = _bench(results, job)
            recs = _provenance(results, job)
            if bench is None or not recs or any(r.get("scale") != "quick" for r in recs):
                continue
            found.setdefault(job.paper, []).append({
                "paper": job.paper, "rule": job.rule, "name": job.name,
                "wildcards": ",".join(f"{k}={v}" for k, v in sorted(job.wildcards.items())),
                "threads": job.threads, "bench_s": float(bench["s"]),
                "compute_s": max(float(r["wall_time_s"]) for r in recs),
                "max_rss_mb": float(bench["max_rss"]),
                "started_utc": min(r["started_utc"] for r in recs), "source": str(results)})
            break
        else:
            missing.append(f"{job.rule} ({job.name})")
    OUT.mkdir(parents=True, exist_ok=True)
    for paper, rows in sorted(found.items()):
        starts = sorted(r["started_utc"] for r in rows)
        with open(OUT / f"{paper}.tsv", "w", encoding="utf-8", newline="") as fh:
            fh.write(HEADER.format(paper=paper, first=starts[0], last=starts[-1]))
            w = csv.DictWriter(fh, fieldnames=cost.QUICK_TSV_FIELDS, delimiter="\t", lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({**r, "bench_s": f"{r['bench_s']:.2f}", "compute_s": f"{r['compute_s']:.3f}"})
        print(f"{OUT / (paper + '.tsv')}: {len(rows)} jobs")
    for m in missing:
        print(f"no quick-scale measurement: {m}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
