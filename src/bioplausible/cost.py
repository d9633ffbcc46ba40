"""Paper-scale cost ESTIMATES from measured quick-scale times (no GPU was used to derive any number here).

Method, per compute job (a Snakemake job with a ``benchmark:`` file):

* **measured** (quick scale, 2-core CPU): ``bench_s`` = the job's wall time from its Snakemake benchmark TSV and
  ``compute_s`` = the ``wall_time_s`` of its provenance record (the script's own work: data loading, training,
  attacks). ``bench_s - compute_s`` is the fixed start-up cost (interpreter, imports), which is NOT scaled.
* **work ratio**: :data:`WORK` gives, per rule, the amount of work of one job as a product of config sizes
  (training examples x epochs x seeds x width factor, attack images x steps x restarts, ...), read from
  ``workflow/config/quick.yaml`` and ``paper.yaml``. ratio = work(paper config) / work(quick config).
* **linearity assumption**: paper-scale CPU seconds of a job = (bench_s - compute_s) + compute_s x ratio, i.e. run
  time is proportional to the work counted. Costs that do not scale with the counted sizes (per-step Python
  overhead, caches) and costs the count leaves out (e.g. evaluation passes of training jobs) make this coarse.
  A paper-scale job with no quick job of the same name (e.g. more seeds) takes the mean measured time of its
  rule's quick jobs, with the ratio evaluated for its own wildcards.
* **GPU hours**, for the jobs of rules that declare a GPU (``resources: gpu``; read from the DAG planned with
  ``device: cuda``) = estimated CPU seconds / :data:`GPU_SPEEDUP` of the rule's kind (:data:`RULE_KIND`). The
  speed-ups are ASSUMPTIONS (reason beside each), not measurements. The other rules run on the CPU whatever the
  device: their estimate stays CPU time (core-hours = wall hours x the rule's threads).

A rule of the paper DAG without a measured quick time is an error (:class:`MissingQuickTime`), never a zero.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .config import section

# ---------------------------------------------------------------------------------------------------------------
# Assumed GPU speed-ups (one H100-class GPU vs the 2 shared CPU cores the quick times were measured on).
# ASSUMPTIONS, not measurements: no GPU was lent when these estimates were made.
CONV_NET = "conv_net"
BATCHED_MLP = "batched_mlp"
BATCHED_ATTACK = "batched_attack"
ONLINE_LOOP = "online_loop"
CPU_ONLY = "cpu_only"

GPU_SPEEDUP: Mapping[str, float] = {
    # conv nets on CIFAR/MNIST at batch 64-500 (cuDNN): compute-bound; 2 shared cores sustain ~20-40 GFLOPS, an H100
    # tens of TFLOPS, but small convs and the custom feedback backward leave it far from peak. The amit catalog's
    # ~0.5 s per paper-width simpnet epoch is ~200x the quick CPU time per image scaled to that width; take 100x.
    CONV_NET: 100.0,
    # dense nets with minibatches (SoftHebb K = 2000, MLPs, self-assembly circuits): per-step Python overhead bounds
    # the gain; the self-assembly catalog puts a GPU epoch at 0.3-1 s vs 3-6 s on 2 cores.
    BATCHED_MLP: 8.0,
    # PGD / L2 attacks over hundreds of images x epsilons in one tensor: the plasticity catalog says ~50x; keep 20x.
    BATCHED_ATTACK: 20.0,
    # batch-1 online loops (plasticity rules, Oja online, SoftHebb's first-epoch protocol, RNN BPTT of one sequence):
    # latency-bound; the plasticity catalog says a GPU gives ~2-5x per run. Take 2x.
    ONLINE_LOOP: 2.0,
    # ODE/closed-form/theory simulations and sklearn-style fits that run on the CPU either way: no speed-up (the
    # "GPU hours" of these jobs are the hours they hold the GPU node).
    CPU_ONLY: 1.0,
}

# Rule -> kind; a callable gets the job's wildcards (pr_train_net's GD net is a batched MLP, the others online).
RULE_KIND: Mapping[str, str | Callable[[Mapping[str, str]], str]] = {
    "amit_sim_decoupling": CPU_ONLY, "amit_sim_eps_sweep": CPU_ONLY, "amit_sim_scalar_three_layer": CPU_ONLY,
    "amit_sim_scalar_two_layer": CPU_ONLY, "amit_sim_teacher_student": CPU_ONLY,
    "amit_train": CONV_NET,
    "sh_train_wta": BATCHED_MLP, "sh_train_wta_k": BATCHED_MLP, "sh_train_mlp": BATCHED_MLP,
    "sh_train_projection": BATCHED_MLP, "sh_fit_projection": CPU_ONLY, "sh_proxy_cnn": CONV_NET,
    "sh_online_wta": ONLINE_LOOP, "sh_online_mlp": ONLINE_LOOP,
    "sh_robustness": BATCHED_ATTACK, "sh_pgd_sweeps": BATCHED_ATTACK, "sh_synthetic": BATCHED_ATTACK,
    "sh_fig1_example": BATCHED_ATTACK,
    "pr_learn_rule": ONLINE_LOOP,
    "pr_train_net": lambda w: BATCHED_MLP if w.get("net") == "GD" else ONLINE_LOOP,
    "pr_attack": BATCHED_ATTACK,
    "pr_fig2_curves": ONLINE_LOOP, "pr_fig3_transfer": ONLINE_LOOP, "pr_fig6_curves": ONLINE_LOOP,
    "pr_thm1_result": CPU_ONLY, "pr_thm2_result": CPU_ONLY, "pr_txt_c4_result": ONLINE_LOOP,
    "oja_online_run": ONLINE_LOOP, "oja_rnn_train": ONLINE_LOOP, "oja_meta_train": BATCHED_MLP,
    "sa_train": BATCHED_MLP, "sa_fig2_sweep": BATCHED_MLP, "sa_fig3_run": BATCHED_MLP, "sa_fig4_runs": BATCHED_MLP,
    "sa_fig5_sweep": BATCHED_MLP, "sa_thm_sal_run": BATCHED_MLP,
    "sa_thm_lemma1_sim": CPU_ONLY, "sa_thm_modulation_sim": CPU_ONLY,
}

# SLURM suggestions: the estimate of the longest job of a rule x this factor (the estimates are coarse), rounded up
# to whole 10 minutes, at least 30; memory = 2 x the largest measured quick max_rss (paper scale loads whole training
# sets and wider nets), rounded up to 1000 MB, at least 4000 MB.
SLURM_SAFETY = 3.0
SLURM_MIN_MINUTES = 30
SLURM_MEM_FACTOR = 2.0
SLURM_MEM_FLOOR_MB = 4000
# A job that starts CUDA holds 2-3 GB more host memory (the CUDA context, cuDNN/cuBLAS handles) than the quick CPU
# runs measured: GPU rules ask for at least this much.
SLURM_GPU_MEM_FLOOR_MB = 8000


class MissingQuickTime(LookupError):
    """A rule of the paper-scale DAG has no measured quick-scale time."""


# ---------------------------------------------------------------------------------------------------------------
# Work of one job, per rule, from one scale's config (``cfg``: the whole validated config) and the job's wildcards.

def n_train_of(dataset: str, n: int | None, holdout: int = 0) -> int:
    """Training examples used: the first ``n`` of the published training split less ``holdout`` (null = all)."""
    from .data import DATASETS  # published sizes

    full = DATASETS[dataset].sizes["train"] - holdout
    return full if n is None else min(int(n), full)


def conv_macs_proxy(conv: Iterable[int], dense: int, in_channels: int = 3) -> float:
    """Width factor of a conv net: sum of c_in x c_out over the convolutions plus last channels x dense units.
    Spatial sizes and kernels are the same at both scales, so they cancel only approximately (coarse)."""
    chans = [in_channels, *conv]
    return float(sum(a * b for a, b in zip(chans, chans[1:])) + chans[-1] * dense)


def _amit_train(cfg, w):
    d = section(cfg, "amit.deep")
    net = d["nets"][w["amit_net"]]
    if w["amit_tying"] == "untied":
        u = d["untie"][w["amit_net"]]
        epochs = u["epochs"] + u.get("pre_epochs", 0)
    else:
        epochs = net["epochs"]
    n = n_train_of(w["amit_dataset"], d["n_train"], d["val_holdout"])
    return n * epochs * conv_macs_proxy(net["conv"], net["dense"])


def _sh_wta_epochs(cfg, w):
    if w.get("dataset") == "cifar10":
        return section(cfg, "softhebb.txt37.cifar10_epochs")
    return section(cfg, "softhebb.wta.epochs")


def _sh_train_wta(cfg, w):
    # WTA epochs + read-out epochs, counted as equal passes over the training set (the read-out's share is unknown)
    return n_train_of(w["dataset"], section(cfg, "softhebb.n_train")) * (
        _sh_wta_epochs(cfg, w) + section(cfg, "softhebb.readout.epochs"))


def _sh_train_mlp(cfg, w):
    return n_train_of(w["dataset"], section(cfg, "softhebb.n_train")) * section(cfg, "softhebb.mlp.epochs")


def _sh_online(cfg, w, readout: bool):
    o = section(cfg, "softhebb.online")
    n = n_train_of(w["dataset"], o["n_train"])
    curves = len(o["checkpoints"]) * o["n_test_curve"] / n  # post-hoc curve evaluations, in passes
    return n * (1 + curves + (section(cfg, "softhebb.readout.epochs") if readout else 0))


def _sh_fit_projection(cfg, w):
    return section(cfg, "softhebb.baselines.kmeans_max_iter") if w["method"] == "kmeans" else 1.0


def _sh_robustness(cfg, w):
    r = section(cfg, "softhebb.robustness")
    n = r["n_test"] or 10000
    return n * r["pgd"]["steps"] * r["pgd"]["restarts"] * len(r["pgd"]["epsilons_255"])


def _sh_pgd_sweeps(cfg, w):
    a = section(cfg, "softhebb.attack_sweeps")
    steps = (len(a["iterations"]["epsilons_255"]) * max(a["iterations"]["steps"])
             + len(a["step_size"]["rel_stepsizes"]) * a["step_size"]["steps"])
    return a["n_test"] * a["restarts"] * len(a["losses"]) * steps


def _sh_synthetic(cfg, w):
    s = section(cfg, "softhebb.synthetic")
    images_eps = 10 * len(s["fig8"]["epsilons_255"]) + s["deflection"]["n_images"] * len(s["deflection"]["epsilons_255"])
    return s["pgd"]["steps"] * s["pgd"]["restarts"] * images_eps


def _sh_fig1_example(cfg, w):
    s = section(cfg, "softhebb.synthetic")
    return s["pgd"]["steps"] * s["pgd"]["restarts"] * s["fig1"]["chunk_size"]


def _sh_proxy_cnn(cfg, w):
    p = section(cfg, "softhebb.synthetic.proxy")
    return n_train_of(w["dataset"], p["n_train"]) * p["epochs"] * conv_macs_proxy(p["channels"], 10, in_channels=1)


def _pr_train_net(cfg, w):
    nets = section(cfg, "plasticity_rules.nets")
    epochs = nets["gd"]["epochs"] if w["net"] == "GD" else nets["epochs"]
    return n_train_of(w["dataset"], nets["n_train"]) * epochs


def _pr_attack(cfg, w):
    a = section(cfg, "plasticity_rules.attack")
    work = a["n_images"] * 9 * len(a["epsilons"]) * a["steps"]  # 9 targets per image
    if w["dataset"] in a["probs"]["datasets"] and w["net"] in a["probs"]["nets"]:
        work += a["probs"]["n_images"] * 9 * len(a["probs"]["epsilons"]) * a["steps"]
    if w["dataset"] in a["alpha_sweep"]["datasets"]:
        work += a["n_images"] * 9 * len(a["alpha_sweep"]["alphas"]) * a["steps"]
    if w["dataset"] in a["diag"]["datasets"]:
        g = a["diag"]
        work += g["n_images"] * 9 * len(g["epsilons"]) * (g["pgd_steps"] + g["cw_binary_search_steps"] * g["cw_steps"])
    return work


def _pr_fig2(cfg, w):
    f = section(cfg, "plasticity_rules.fig2")
    return n_train_of("mnist", f["n_train"]) * (1 + f["gd"]["epochs"])  # one plasticity pass + GD epochs


# pr_fig6: a T = 3 update ~5 ms per example, a T = 3 evaluation ~0.35 ms per example (the quick config's comments)
PR_FIG6_EVAL_WEIGHT = 0.35 / 5.0


def _pr_fig6(cfg, w):
    f = section(cfg, "plasticity_rules.fig6")
    n = n_train_of("mnist", f["n_train"])
    return n + (n / f["eval_every"]) * f["n_eval"] * PR_FIG6_EVAL_WEIGHT


def _pr_fig3(cfg, w):
    f = section(cfg, "plasticity_rules.fig3")
    return f["runs"] * (f["n_train"] + (f["n_test"] or 10000))


def _pr_thm1(cfg, w):
    t = section(cfg, "plasticity_rules.thm1")
    return t["inits"] * sum(t["steps"].values())


# Oja: a batched evaluation example costs ~0.1 of an online training step (catalog: ~0.3 ms/step vs ~15 s per run for
# 50 evaluations on 10k images)
OJA_EVAL_WEIGHT = 0.1


def _oja_online(cfg, w):
    o = section(cfg, "oja.online")
    evals = o["n_train"] // o["eval_every"] + 1
    return len(o["seeds"]) * (o["n_train"] + evals * o["n_val"] * OJA_EVAL_WEIGHT)


def _oja_rnn(cfg, w):
    r = section(cfg, "oja.rnn")
    evals = r["n_train"] // r["eval_every"] + 1
    return len(r["seeds"]) * (r["n_train"] + evals * r["n_val"] * OJA_EVAL_WEIGHT)


def _oja_meta(cfg, w):
    m = section(cfg, "oja.meta")
    return m["episodes"] * m["n_way"] * (m["k_shot"] + m["q_query"])


def _sa_n(cfg, dataset, n=None, holdout=0):
    t = section(cfg, "self_assembly.train")
    return n_train_of(dataset, t["n_train"] if n is None else n, holdout)


def _sa_train(cfg, w):
    t = section(cfg, "self_assembly.train")
    return _sa_n(cfg, w["sa_dataset"]) * t["epochs"] * len(t["seeds"])


def _sa_fig2(cfg, w):
    f = section(cfg, "self_assembly.fig2")
    # downstream matrices are (200 r)^2: cost per epoch ~ 1 + r^2 / 8 (the quick config: r = 10 costs ~4x r = 5)
    per_epoch = sum(1 + r * r / 8 for r in f["ratios"])
    return n_train_of(w["sa_dataset"], f["n_train"]) * f["epochs"] * len(f["seeds"]) * per_epoch


def _sa_fig3(cfg, w):
    f = section(cfg, "self_assembly.fig3")
    return _sa_n(cfg, f["dataset"]) * f["epochs"]


def _sa_fig4(cfg, w):
    f = section(cfg, "self_assembly.fig4")
    return _sa_n(cfg, f["dataset"]) * f["epochs"] * len(f["seeds"])


def _sa_fig5(cfg, w):
    f = section(cfg, "self_assembly.fig5")
    return n_train_of(f["dataset"], f["n_train"], f["n_val"]) * f["epochs"] * len(f["seeds"]) * len(f["ratios"]) ** 2


def _sa_sal_run(cfg, w):
    g = section(cfg, "self_assembly.thm_gd_alignment")
    t = section(cfg, "self_assembly.train")
    epochs = g["epochs"] if g["epochs"] is not None else t["epochs"]
    return _sa_n(cfg, g["dataset"], g["n_train"] if g["n_train"] is not None else t["n_train"]) * epochs


def _const(cfg, w):
    return 1.0


WORK: Mapping[str, Callable[[Mapping[str, Any], Mapping[str, str]], float]] = {
    # Amit: the linear-network sims run the paper's own sizes at quick scale (amit.* sections equal)
    "amit_sim_decoupling": _const, "amit_sim_eps_sweep": _const, "amit_sim_scalar_three_layer": _const,
    "amit_sim_scalar_two_layer": _const, "amit_sim_teacher_student": _const,
    "amit_train": _amit_train,
    "sh_train_wta": _sh_train_wta, "sh_train_wta_k": _sh_train_wta, "sh_train_mlp": _sh_train_mlp,
    "sh_train_projection": lambda c, w: section(c, "softhebb.baselines.readout_epochs"),
    "sh_fit_projection": _sh_fit_projection, "sh_proxy_cnn": _sh_proxy_cnn,
    "sh_online_wta": lambda c, w: _sh_online(c, w, readout=True),
    "sh_online_mlp": lambda c, w: _sh_online(c, w, readout=False),
    "sh_robustness": _sh_robustness, "sh_pgd_sweeps": _sh_pgd_sweeps, "sh_synthetic": _sh_synthetic,
    "sh_fig1_example": _sh_fig1_example,
    "pr_learn_rule": lambda c, w: section(c, "plasticity_rules.meta.steps"),
    "pr_train_net": _pr_train_net, "pr_attack": _pr_attack,
    "pr_fig2_curves": _pr_fig2, "pr_fig3_transfer": _pr_fig3, "pr_fig6_curves": _pr_fig6,
    "pr_thm1_result": _pr_thm1,
    "pr_thm2_result": lambda c, w: n_train_of("mnist", section(c, "plasticity_rules.thm2.n_train")),
    "pr_txt_c4_result": lambda c, w: n_train_of("mnist", section(c, "plasticity_rules.txt_c4.n_train")),
    "oja_online_run": _oja_online, "oja_rnn_train": _oja_rnn, "oja_meta_train": _oja_meta,
    "sa_train": _sa_train, "sa_fig2_sweep": _sa_fig2, "sa_fig3_run": _sa_fig3, "sa_fig4_runs": _sa_fig4,
    "sa_fig5_sweep": _sa_fig5, "sa_thm_sal_run": _sa_sal_run,
    "sa_thm_lemma1_sim": lambda c, w: section(c, "self_assembly.thm_lemma1.steps")
    * section(c, "self_assembly.thm_lemma1.batch_size"),
    "sa_thm_modulation_sim": _const,
}


def work_ratio(rule: str, wildcards: Mapping[str, str], quick_cfg: Mapping[str, Any],
               paper_cfg: Mapping[str, Any]) -> float:
    """Paper-scale work / quick-scale work of one job of ``rule`` with these wildcards."""
    if rule not in WORK:
        raise KeyError(f"no work model for rule {rule!r} (add it to bioplausible.cost.WORK)")
    return float(WORK[rule](paper_cfg, wildcards)) / float(WORK[rule](quick_cfg, wildcards))


def kind_of(rule: str, wildcards: Mapping[str, str]) -> str:
    k = RULE_KIND[rule]
    return k(wildcards) if callable(k) else k


# ---------------------------------------------------------------------------------------------------------------
# Inputs and estimates

@dataclass(frozen=True)
class Job:
    """One compute job of a DAG: rule, wildcards, the job name (stem of its benchmark file), its paper folder."""
    paper: str
    rule: str
    name: str
    wildcards: Mapping[str, str] = field(default_factory=dict)
    threads: int = 1
    outputs: tuple[str, ...] = ()
    gpu: bool = False   # the rule declares a GPU (resources: gpu=1 when device is cuda)


@dataclass(frozen=True)
class QuickTime:
    """A measured quick-scale job (one row of benchmarks/quick_times/<paper>.tsv)."""
    paper: str
    rule: str
    name: str
    threads: int
    bench_s: float      # Snakemake benchmark wall seconds of the whole job
    compute_s: float    # provenance wall_time_s (the script's own work)
    max_rss_mb: float
    wildcards: str = ""
    started_utc: str = ""
    source: str = ""


QUICK_TSV_FIELDS = ("paper", "rule", "name", "wildcards", "threads", "bench_s", "compute_s", "max_rss_mb",
                    "started_utc", "source")


def read_quick_times(folder: Path) -> list[QuickTime]:
    rows: list[QuickTime] = []
    for path in sorted(Path(folder).glob("*.tsv")):
        with open(path, encoding="utf-8") as fh:
            lines = [line for line in fh if not line.startswith("#")]
        for r in csv.DictReader(lines, delimiter="\t"):
            rows.append(QuickTime(paper=r["paper"], rule=r["rule"], name=r["name"], threads=int(r["threads"]),
                                  bench_s=float(r["bench_s"]), compute_s=float(r["compute_s"]),
                                  max_rss_mb=float(r["max_rss_mb"]), wildcards=r["wildcards"],
                                  started_utc=r["started_utc"], source=r["source"]))
    return rows


@dataclass(frozen=True)
class JobEstimate:
    job: Job
    kind: str
    ratio: float
    basis: str          # "measured" (same job name at quick) or "rule mean" (mean of the rule's quick jobs)
    quick_s: float      # measured quick seconds this estimate starts from (bench_s)
    cpu_s: float        # estimated paper-scale seconds on the 2-core CPU
    gpu_s: float        # estimated seconds on one GPU (cpu_s / assumed speed-up); 0 for CPU rules
    wall_s: float       # the job's estimated wall time where it runs: gpu_s for GPU rules, cpu_s for the others


def estimate_jobs(paper_jobs: Iterable[Job], quick: Iterable[QuickTime], quick_cfg: Mapping[str, Any],
                  paper_cfg: Mapping[str, Any]) -> list[JobEstimate]:
    by_name = {(q.rule, q.name): q for q in quick}
    by_rule: dict[str, list[QuickTime]] = {}
    for q in by_name.values():
        by_rule.setdefault(q.rule, []).append(q)
    out = []
    for job in paper_jobs:
        q = by_name.get((job.rule, job.name))
        if q is not None:
            overhead, compute, basis = q.bench_s - q.compute_s, q.compute_s, "measured"
        else:
            same = by_rule.get(job.rule)
            if not same:
                raise MissingQuickTime(
                    f"rule {job.rule!r} ({job.paper}, job {job.name}) has no measured quick-scale time in "
                    "benchmarks/quick_times/: measure it (run the quick DAG) before estimating its paper cost")
            overhead = sum(s.bench_s - s.compute_s for s in same) / len(same)
            compute = sum(s.compute_s for s in same) / len(same)
            basis = "rule mean"
        ratio = work_ratio(job.rule, job.wildcards, quick_cfg, paper_cfg)
        kind = kind_of(job.rule, job.wildcards)
        cpu = max(overhead, 0.0) + compute * ratio
        gpu = cpu / GPU_SPEEDUP[kind] if job.gpu else 0.0
        out.append(JobEstimate(job, kind if job.gpu else CPU_ONLY, ratio, basis, overhead + compute, cpu, gpu,
                               gpu if job.gpu else cpu))
    return out


@dataclass
class RuleSummary:
    paper: str
    rule: str
    kind: str
    n_quick: int
    n_paper: int
    quick_s: float      # measured, sum over the rule's quick jobs
    ratio_min: float
    ratio_max: float
    cpu_s: float        # estimated paper-scale CPU seconds, sum over jobs
    gpu_s: float        # estimated GPU seconds, sum over jobs (GPU rules)
    max_job_wall_s: float  # the longest job's estimated wall time where it runs (GPU or CPU)
    max_rss_mb: float
    gpu: bool = False
    cpu_core_s: float = 0.0  # CPU rules: estimated wall seconds x threads, sum over jobs


def summarise(estimates: Iterable[JobEstimate], quick: Iterable[QuickTime]) -> list[RuleSummary]:
    quick = list(quick)
    rules: dict[tuple[str, str], RuleSummary] = {}
    for e in estimates:
        key = (e.job.paper, e.job.rule)
        qs = [q for q in quick if q.rule == e.job.rule]
        s = rules.get(key)
        if s is None:
            s = rules[key] = RuleSummary(e.job.paper, e.job.rule, e.kind, len(qs), 0, sum(q.bench_s for q in qs),
                                         math.inf, 0.0, 0.0, 0.0, 0.0, max(q.max_rss_mb for q in qs), e.job.gpu)
        if e.kind != s.kind:
            s.kind = "mixed"
        s.n_paper += 1
        s.ratio_min, s.ratio_max = min(s.ratio_min, e.ratio), max(s.ratio_max, e.ratio)
        s.cpu_s += e.cpu_s
        s.gpu_s += e.gpu_s
        s.cpu_core_s += 0.0 if e.job.gpu else e.cpu_s * e.job.threads
        s.max_job_wall_s = max(s.max_job_wall_s, e.wall_s)
    return sorted(rules.values(), key=lambda s: (s.paper, s.rule))


def slurm_request(s: RuleSummary) -> dict[str, int]:
    """Suggested per-job SLURM request for a rule at paper scale (its longest job's estimated wall time on a GPU for
    GPU rules, on the CPU for the others, x a safety factor)."""
    minutes = s.max_job_wall_s * SLURM_SAFETY / 60.0
    runtime = max(SLURM_MIN_MINUTES, int(math.ceil(minutes / 10.0)) * 10)
    floor = SLURM_GPU_MEM_FLOOR_MB if s.gpu else SLURM_MEM_FLOOR_MB
    mem = max(floor, int(math.ceil(s.max_rss_mb * SLURM_MEM_FACTOR / 1000.0)) * 1000)
    return {"runtime": runtime, "mem_mb": mem}


def _hours(seconds: float) -> str:
    h = seconds / 3600.0
    if h >= 10:
        return f"{h:.0f}"
    if h >= 1:
        return f"{h:.1f}"
    return f"{h:.2f}"


def paper_table(summaries: Iterable[RuleSummary], catalog: Mapping[str, str]) -> str:
    """Markdown: per paper, measured quick time, estimated paper-scale GPU-hours (GPU rules) and CPU core-hours
    (the rules that run on the CPU), and the catalog's own estimate."""
    by_paper: dict[str, list[RuleSummary]] = {}
    for s in summaries:
        by_paper.setdefault(s.paper, []).append(s)
    lines = ["| paper | quick, measured (sum of compute-job times, 2-core CPU) | paper scale: GPU-hours "
             "(rules that declare a GPU, 1 GPU) | paper scale: CPU core-hours (the other rules) | "
             "the catalog's own estimate | status |",
             "|---|---|---|---|---|---|"]
    tot = [0.0, 0.0, 0.0]
    for paper in sorted(by_paper):
        rows = by_paper[paper]
        q = sum(r.quick_s for r in rows)
        gpu = sum(r.gpu_s for r in rows)
        core = sum(r.cpu_core_s for r in rows)
        tot = [tot[0] + q, tot[1] + gpu, tot[2] + core]
        lines.append(f"| {paper} | {q / 60:.1f} min | ~{_hours(gpu)} | ~{_hours(core)} | "
                     f"{catalog.get(paper, 'none')} | estimated |")
    lines.append(f"| **all five** | {tot[0] / 60:.1f} min | ~{_hours(tot[1])} | ~{_hours(tot[2])} | | estimated |")
    return "\n".join(lines)


def rule_table(summaries: Iterable[RuleSummary]) -> str:
    lines = ["| paper | rule | runs on (assumed GPU speed-up) | jobs quick -> paper | quick s (measured) | "
             "work ratio per job | paper CPU h (2 cores) | GPU h | longest job, min | status |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for s in summaries:
        kind = f"GPU, {s.kind} ({GPU_SPEEDUP[s.kind]:g}x)" if s.gpu else "CPU"
        ratio = f"{s.ratio_min:.3g}" if math.isclose(s.ratio_min, s.ratio_max) else f"{s.ratio_min:.3g}-{s.ratio_max:.3g}"
        lines.append(f"| {s.paper} | {s.rule} | {kind} | {s.n_quick} -> {s.n_paper} | {s.quick_s:.0f} | {ratio} | "
                     f"{s.cpu_s / 3600:.2f} | {s.gpu_s / 3600:.2f} | {s.max_job_wall_s / 60:.1f} | estimated |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The DAG's compute jobs (Snakemake's own job list; reads the workflow, runs nothing)

def dag_jobs(scale: str, root: Path) -> list[Job]:
    """Every job with a ``benchmark:`` file in the ``--forceall`` DAG of ``scale`` (what ``snakemake -n --forceall``
    would run). Uses Snakemake's DAG object through its Python API (private attributes of Snakemake 9)."""
    import contextlib
    import io
    import os

    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import (ConfigSettings, DAGSettings, OutputSettings, ResourceSettings,
                                          StorageSettings)

    cwd = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(io.StringIO()), SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
            wf = api.workflow(resource_settings=ResourceSettings(), storage_settings=StorageSettings(),
                              config_settings=ConfigSettings(
                                  configfiles=[root / "workflow" / "config" / f"{scale}.yaml"],
                                  # plan as for a GPU machine: GPU rules then carry resources gpu=1
                                  config={"device": "cuda"}),
                              snakefile=root / "workflow" / "Snakefile", workdir=root)
            workflow = wf.dag(DAGSettings(forceall=True)).workflow_api._workflow
            workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True)
            workflow._build_dag()
            jobs = []
            for job in workflow.dag.jobs:
                if not job.benchmark:
                    continue
                bench = Path(str(job.benchmark))
                jobs.append(Job(paper=bench.parent.name, rule=job.rule.name, name=bench.stem,
                                wildcards={k: str(v) for k, v in job.wildcards_dict.items()}, threads=int(job.threads),
                                outputs=tuple(sorted(str(o) for o in job.output)),
                                gpu=bool(job.resources.get("gpu", 0))))
    finally:
        os.chdir(cwd)
    return sorted(jobs, key=lambda j: (j.paper, j.rule, j.name))
