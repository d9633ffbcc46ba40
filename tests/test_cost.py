"""Paper-scale cost estimates (bioplausible.cost): work ratios from the two configs, the table builder, and a missing
quick time being an error that names the rule."""

import math

import pytest

from bioplausible import config as config_lib
from bioplausible import cost


@pytest.fixture(scope="module")
def cfgs():
    return config_lib.load("quick"), config_lib.load("paper")


def test_sa_train_ratio_by_hand(cfgs):
    q, p = cfgs
    tq, tp = q["self_assembly"]["train"], p["self_assembly"]["train"]
    # MNIST: 60 000 training images at paper scale (n_train null), the first n_train at quick
    n_q = min(tq["n_train"], 60000) if tq["n_train"] is not None else 60000
    n_p = min(tp["n_train"], 60000) if tp["n_train"] is not None else 60000
    by_hand = (n_p * tp["epochs"] * len(tp["seeds"])) / (n_q * tq["epochs"] * len(tq["seeds"]))
    got = cost.work_ratio("sa_train", {"sa_dataset": "mnist", "sa_algorithm": "sal"}, q, p)
    assert math.isclose(got, by_hand)
    # STL-10 has only 5 000 training images: the quick subset is the whole set, so only epochs and seeds scale
    stl = cost.work_ratio("sa_train", {"sa_dataset": "stl10", "sa_algorithm": "sal"}, q, p)
    assert math.isclose(stl, tp["epochs"] * len(tp["seeds"]) / (tq["epochs"] * len(tq["seeds"])))


def test_sh_robustness_ratio_by_hand(cfgs):
    q, p = cfgs
    rq, rp = q["softhebb"]["robustness"], p["softhebb"]["robustness"]

    def work(r):
        return (r["n_test"] or 10000) * r["pgd"]["steps"] * r["pgd"]["restarts"] * len(r["pgd"]["epsilons_255"])

    assert math.isclose(cost.work_ratio("sh_robustness", {"dataset": "mnist", "model": "mlp_relu_s0"}, q, p),
                        work(rp) / work(rq))


def test_amit_width_factor():
    assert cost.conv_macs_proxy([16], 250) == 3 * 16 + 16 * 250
    assert cost.conv_macs_proxy([32], 500) / cost.conv_macs_proxy([16], 250) == pytest.approx(16096 / 4048)


def test_every_rule_has_a_kind_and_a_speedup():
    assert set(cost.WORK) == set(cost.RULE_KIND)
    for rule in cost.WORK:
        assert cost.kind_of(rule, {"net": "T3"}) in cost.GPU_SPEEDUP


def _fake_cfg(steps):
    return {"plasticity_rules": {"meta": {"steps": steps}}}


def test_estimate_and_table_on_fake_input():
    quick = [cost.QuickTime("plasticity_rules", "pr_learn_rule", "learn_rule_R1", 1, bench_s=12.0, compute_s=10.0,
                            max_rss_mb=700.0),
             cost.QuickTime("plasticity_rules", "pr_learn_rule", "learn_rule_R2", 1, bench_s=22.0, compute_s=20.0,
                            max_rss_mb=900.0)]
    jobs = [cost.Job("plasticity_rules", "pr_learn_rule", "learn_rule_R1", {"rule": "R1"}),
            cost.Job("plasticity_rules", "pr_learn_rule", "learn_rule_R3", {"rule": "R3"})]  # R3: no quick twin
    est = cost.estimate_jobs(jobs, quick, _fake_cfg(500), _fake_cfg(2000))
    assert [e.basis for e in est] == ["measured", "rule mean"]
    assert est[0].cpu_s == pytest.approx(2.0 + 10.0 * 4)           # start-up unscaled, compute x 4
    assert est[1].cpu_s == pytest.approx(2.0 + 15.0 * 4)           # the rule's mean quick job
    # pr_learn_rule declares no GPU: it runs on the CPU, no GPU time; the same job on a GPU rule is divided
    assert est[0].gpu_s == 0.0 and est[0].wall_s == est[0].cpu_s
    on_gpu = cost.estimate_jobs([cost.Job("plasticity_rules", "pr_learn_rule", "learn_rule_R1", {"rule": "R1"},
                                          gpu=True)], quick, _fake_cfg(500), _fake_cfg(2000))
    speed = cost.GPU_SPEEDUP[cost.ONLINE_LOOP]
    assert on_gpu[0].gpu_s == pytest.approx(on_gpu[0].cpu_s / speed) == on_gpu[0].wall_s

    (s,) = cost.summarise(est, quick)
    assert (s.n_quick, s.n_paper, s.quick_s, s.max_rss_mb) == (2, 2, 34.0, 900.0)
    assert s.cpu_s == pytest.approx(42.0 + 62.0) == s.cpu_core_s   # one thread
    table = cost.paper_table([s], {"plasticity_rules": "< 1 GPU-h"})
    assert "| plasticity_rules | 0.6 min |" in table and "estimated" in table and "< 1 GPU-h" in table
    assert "estimated" in cost.rule_table([s])
    assert cost.slurm_request(s) == {"runtime": 30, "mem_mb": 4000}   # floors


def test_slurm_request_rounds_up():
    s = cost.RuleSummary("p", "r", cost.CONV_NET, 1, 1, 1.0, 1.0, 1.0, 0.0, 0.0, max_job_wall_s=3600.0,
                         max_rss_mb=2600.0, gpu=True)
    assert cost.slurm_request(s) == {"runtime": 180, "mem_mb": 8000}   # a GPU rule: the CUDA-context floor
    s.gpu = False
    assert cost.slurm_request(s) == {"runtime": 180, "mem_mb": 6000}   # 2 x 2600 MB, rounded up


def test_missing_quick_time_names_the_rule():
    jobs = [cost.Job("oja", "oja_meta_train", "meta_train_bp_s0", {"method": "bp", "seed": "0"})]
    with pytest.raises(cost.MissingQuickTime, match="oja_meta_train"):
        cost.estimate_jobs(jobs, [], {}, {})


def test_committed_quick_times_are_quick_and_cover_every_rule():
    from bioplausible import paths

    quick = cost.read_quick_times(paths.root() / "benchmarks" / "quick_times")
    assert quick, "benchmarks/quick_times/*.tsv missing"
    assert {q.rule for q in quick} == set(cost.WORK)
    assert all(q.bench_s >= q.compute_s > 0 for q in quick)
