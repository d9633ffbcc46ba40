"""Self-assembly sweeps (Fig. 2 width × D_d, Fig. 5 learning-rate grid): points, validation split, metrics, claims."""

import math

import pytest
import torch

from bioplausible import config as config_lib
from bioplausible.claims.evaluate import evaluate_claim
from bioplausible.claims.registry import load_registry
from bioplausible.self_assembly import sweeps as sw
from bioplausible.self_assembly.circuit import Circuit, CircuitConfig
from bioplausible.self_assembly.data import Arrays

pytestmark = pytest.mark.usefixtures("one_thread")


def sa_cfg(**fig2):
    """A minimal ``self_assembly`` section (the train protocol plus fig2 / fig5)."""
    train = {"datasets": ["cifar10"], "hidden": [4, 4], "epochs": 2, "batch_size": 16, "n_train": 100, "n_test": 50,
             "seeds": [0], "loss": "ce", "per_dataset": {},
             "algorithms": {"sal": {"rates": {"W": .01, "V": .001, "Wbar": .001, "Vbar": .001}, "gamma": 1e-3,
                                    "dd": "identity", "down_widths": None, "plastic": ["V", "Wbar", "Vbar"],
                                    "vbar_post": True},
                            **{a: {"lr": .03, "gamma": 1e-3} for a in ("sgd", "fa", "kp")},
                            "wm": {"lr": .03, "gamma": 1e-3, "noise": .1, "mirror_lr": .01}}}
    f2 = {"datasets": ["cifar10"], "ratios": [0.5, 1, 2.5], "dd": ["identity", "relu"], "rates": None, "epochs": 1,
          "n_train": 40, "n_test": 20, "seeds": [0, 1]}
    f2.update(fig2)
    f5 = {"dataset": "cifar10", "hidden": [3], "eta_W": 0.02, "gamma": 0.002, "dd": "identity", "ratios": [1, 0.1],
          "epochs": 1, "n_train": None, "n_val": 16, "n_test": 20, "seeds": [0]}
    return {"train": train, "fig2": f2, "fig5": f5}


# --- points ---------------------------------------------------------------------------------------------------------
def test_paths_and_tags():
    assert [sw.ratio_tag(r) for r in (0.5, 1, 1.0, 0.03, 7.5)] == ["0.5", "1", "1", "0.03", "7.5"]
    assert sw.fig2_model("svhn", "relu") == "results/models/self_assembly/fig2/svhn/relu.pt"
    assert sw.fig5_model(0.1) == sw.fig5_model("0.1") == "results/models/self_assembly/fig5/eta_v_0.1.pt"
    cfg = {"self_assembly": sa_cfg()}
    assert sorted(sw.fig2_inputs(cfg)) == ["cifar10__identity", "cifar10__relu"]
    assert sw.fig5_inputs(cfg) == {"eta_v_1": sw.fig5_model(1), "eta_v_0.1": sw.fig5_model(0.1)}
    with pytest.raises(KeyError, match="self_assembly.fig2"):
        sw.fig2_inputs({"self_assembly": {}})


def test_down_widths():
    assert sw.down_widths([200, 200, 200], 0.5) == [100, 100, 100]
    assert sw.down_widths([200, 200, 200], 7.5) == [1500] * 3
    assert sw.down_widths([8, 8], 0.1) == [1, 1]
    with pytest.raises(ValueError, match="self_assembly.fig2.ratios"):
        sw.down_widths([200], 0)


def test_parameter_counts_by_hand_and_against_the_circuit():
    c = sw.parameter_counts((4, 3, 2), (6,))
    # W: 3x4 + 2x3 = 18; Wbar (site 1): 6x2 = 12; V: 6x3 = 18; Vbar (site 1): 3x6 = 18 (the top Vbar is I)
    assert (c["upstream"], c["wbar"], c["v"], c["vbar"]) == (18, 12, 18, 18)
    assert c["ratio_wbar"] == pytest.approx(12 / 18) and c["ratio_downstream_all"] == pytest.approx(48 / 18)
    widths, down = (12, 5, 7, 3), (10, 2)
    circ = Circuit(CircuitConfig(widths=widths, down_widths=down), torch.Generator().manual_seed(0))
    mats = circ.matrices()
    c = sw.parameter_counts(widths, down)
    for key, name in (("upstream", "W"), ("wbar", "Wbar"), ("v", "V"), ("vbar", "Vbar")):
        assert c[key] == sum(m.numel() for m in mats[name])
    # the paper's net on CIFAR-10 at r = 1: W = 3072*200 + 2*200*200 + 200*10; Wbar = 2*200*200 + 200*10
    c = sw.parameter_counts((3072, 200, 200, 200, 10), (200, 200, 200))
    assert (c["upstream"], c["wbar"]) == (696_400, 82_000)
    with pytest.raises(ValueError, match="one per hidden layer"):
        sw.parameter_counts((4, 3, 2), (6, 6))


def test_fig2_job_resolves_every_point_through_run_params():
    job = sw.fig2_job(sa_cfg(), "cifar10", "relu")
    assert [pt["ratio"] for pt in job["points"]] == [0.5, 1.0, 2.5]
    assert [pt["down_widths"] for pt in job["points"]] == [[2, 2], [4, 4], [10, 10]]
    p = job["points"][2]["params"]
    assert p["algorithms"]["sal"]["dd"] == "relu" and p["algorithms"]["sal"]["down_widths"] == [10, 10]
    assert p["algorithms"]["sal"]["rates"]["W"] == .01            # Table 1's rates when fig2.rates is null
    assert (p["epochs"], p["n_train"], p["n_test"], p["seeds"], p["hidden"]) == (1, 40, 20, [0, 1], [4, 4])
    rates = {"W": .003, "V": .0001, "Wbar": .0001, "Vbar": .0001}
    assert sw.fig2_job(sa_cfg(rates=rates), "cifar10", "identity")["points"][0]["params"]["algorithms"]["sal"][
        "rates"] == rates
    with pytest.raises(ValueError, match="must contain 1"):
        sw.fig2_job(sa_cfg(ratios=[0.5, 2]), "cifar10", "identity")
    with pytest.raises(ValueError, match="self_assembly.fig2.dd"):
        sw.fig2_job(sa_cfg(), "cifar10", "sigmoid")


def test_fig5_job_rates_are_eta_w_times_the_ratios():
    assert len(sw.fig5_combos([1, 0.3, 0.1, 0.03])) == 64
    assert sw.fig5_combos([1, 0.1], 0.1) == [(0.1, 1.0, 1.0), (0.1, 1.0, 0.1), (0.1, 0.1, 1.0), (0.1, 0.1, 0.1)]
    job = sw.fig5_job(sa_cfg(), 0.1)
    assert len(job["points"]) == 4 and job["n_val"] == 16
    pt = job["points"][1]
    s = pt["params"]["algorithms"]["sal"]
    assert (pt["eta_v"], pt["eta_wbar"], pt["eta_vbar"]) == (0.1, 1.0, 0.1)
    assert s["rates"] == pytest.approx({"W": .02, "V": .002, "Wbar": .02, "Vbar": .002})
    assert s["gamma"] == .002 and s["dd"] == "identity" and s["down_widths"] is None
    assert pt["params"]["hidden"] == [3] and pt["params"]["keep_weights"]
    with pytest.raises(ValueError, match="self_assembly.fig5.ratios"):
        sw.fig5_job(sa_cfg(), 0.3)


def test_scale_configs_have_valid_sweep_sections():
    for scale in ("smoke", "quick", "paper"):
        cfg = config_lib.thaw(config_lib.load(scale))
        f2 = cfg["self_assembly"]["fig2"]
        assert 1 in f2["ratios"] and "identity" in f2["dd"]
        assert len(sw.fig5_inputs(cfg)) == len(cfg["self_assembly"]["fig5"]["ratios"])
    paper = config_lib.thaw(config_lib.load("paper"))["self_assembly"]
    assert paper["fig2"]["ratios"] == [0.5, 1, 2.5, 5, 7.5, 8, 10]
    assert len(sw.fig5_combos(paper["fig5"]["ratios"])) == 64


# --- validation split -----------------------------------------------------------------------------------------------
def test_holdout_takes_the_last_images_and_standardises_with_the_training_part():
    g = torch.Generator().manual_seed(0)
    raw = torch.rand(10, 2, 3, generator=g, dtype=torch.float64) * torch.tensor([1.0, 5.0]).view(1, 2, 1)
    y = torch.arange(10)
    # load_arrays standardises with the whole split; holdout must equal standardising with the training part only
    m_all, s_all = raw.mean(dim=(0, 2)), raw.std(dim=(0, 2))
    x_all = ((raw - m_all.view(1, 2, 1)) / s_all.view(1, 2, 1)).flatten(1)
    xtr, ytr, xva, yva, _ = sw.holdout_validation(x_all, y, n_train=4, n_val=3, channels=2)
    assert ytr.tolist() == [0, 1, 2, 3] and yva.tolist() == [7, 8, 9]     # images 4-6 are unused, 7-9 held out
    m_tr, s_tr = raw[:4].mean(dim=(0, 2)), raw[:4].std(dim=(0, 2))
    expect = ((raw - m_tr.view(1, 2, 1)) / s_tr.view(1, 2, 1)).flatten(1)
    torch.testing.assert_close(xtr, expect[:4])
    torch.testing.assert_close(xva, expect[7:])
    _, ytr, _, yva, _ = sw.holdout_validation(x_all, y, n_train=None, n_val=3, channels=2)
    assert ytr.tolist() == list(range(7)) and yva.tolist() == [7, 8, 9]
    with pytest.raises(ValueError, match="self_assembly.fig5.n_val"):
        sw.holdout_validation(x_all, y, n_train=None, n_val=10, channels=2)
    with pytest.raises(ValueError, match="self_assembly.fig5.n_train"):
        sw.holdout_validation(x_all, y, n_train=8, n_val=3, channels=2)


def test_mlp_accuracy_by_hand():
    eye = torch.eye(2)
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 2.0], [3.0, -1.0]])
    # ReLU(x) then identity: argmax of [1,0],[0,1],[0,2],[3,0] = 0, 1, 1, 0
    assert sw.mlp_accuracy([eye, eye], x, torch.tensor([0, 1, 1, 1])) == 75.0
    assert sw.mlp_accuracy([eye, eye], x, torch.tensor([0, 1, 1, 0]), batch_size=3) == 100.0
    assert math.isnan(sw.mlp_accuracy([eye, torch.full((2, 2), float("nan"))], x, torch.tensor([0, 1, 1, 0])))


# --- metrics --------------------------------------------------------------------------------------------------------
def rec(dd, r, accs, ds="cifar10"):
    return [{"dataset": ds, "dd": dd, "ratio": r, "seed": s, "acc": a, "diverged": math.isnan(a)}
            for s, a in enumerate(accs)]


NAN = float("nan")


def test_fig2_metrics_by_hand():
    records = (rec("identity", 0.5, [40, 42]) + rec("identity", 1, [44, 46]) + rec("identity", 5, [50, 50])
               + rec("relu", 0.5, [30, 30]) + rec("relu", 1, [44, 44]) + rec("relu", 5, [46, 48]))
    summary = sw.fig2_summary(records)
    assert summary[("cifar10", "identity", 0.5)] == {"mean": 41, "std": 1, "n": 2, "n_diverged": 0}
    m = sw.fig2_metrics(summary)
    assert m["cifar10_measurable"] and m["cifar10_r1_identity_acc"] == 45
    # (i) gain 50 - 45 = 5; threshold max(.5, 2 * max(std 0, std 1)) = 2; margin 3
    assert (m["cifar10_wide_best_ratio"], m["cifar10_wide_gain"], m["cifar10_wide_threshold"]) == (5, 5, 2)
    assert m["cifar10_wide_margin"] == 3 and m["cifar10_wide_helps"] and m["n_datasets_wide_helps"] == 1
    # (ii) 41 - 45 = -4, noise 2 * 1 = 2, excess -6
    assert (m["cifar10_r05_minus_r1"], m["cifar10_r05_noise"], m["cifar10_r05_excess"]) == (-4, 2, -6)
    # (iii) r >= 1 only: |45 - 44| = 1 at r = 1, |50 - 47| = 3 at r = 5 (r = 0.5's 11-point gap is ignored)
    assert (m["cifar10_dd_spread_max"], m["cifar10_dd_spread_max_at_ratio"]) == (3, 5)
    assert m["cifar10_best_ratio_identity"] == 5
    # (i) per D_d, reported: relu 47 - 44 = 3, threshold 2 * max(1, 0) = 2
    assert (m["cifar10_relu_wide_gain"], m["cifar10_relu_wide_margin"]) == (3, 1)
    assert (m["cifar10_identity_wide_gain"], m["cifar10_identity_wide_margin"]) == (5, 3)
    # datasets not run: every value None, not measurable
    assert m["svhn_r1_identity_acc"] is None and m["stl10_wide_margin"] is None and not m["svhn_measurable"]
    assert (m["n_points"], m["n_diverged_points"], m["n_datasets_run"]) == (6, 0, 1)


def test_fig2_metrics_small_gain_and_noise():
    records = rec("identity", 1, [40, 42]) + rec("identity", 2.5, [49, 49]) + rec("identity", 5, [41, 42])
    m = sw.fig2_metrics(sw.fig2_summary(records))
    # r = 2.5 is outside [5, 10]: r* = 5, gain 41.5 - 41 = .5, threshold max(.5, 2 * max(.5, 1)) = 2
    assert (m["cifar10_wide_gain"], m["cifar10_wide_threshold"], m["cifar10_wide_margin"]) == (0.5, 2, -1.5)
    assert not m["cifar10_wide_helps"] and m["n_datasets_wide_helps"] == 0
    assert m["cifar10_r05_excess"] is None                      # no r = 0.5 in the grid
    assert m["cifar10_dd_spread_max"] is None                   # one D_d: no spread
    assert m["cifar10_best_ratio_identity"] == 2.5


def test_fig2_metrics_diverged_points():
    records = (rec("identity", 0.5, [NAN, 20]) + rec("identity", 1, [30, 30]) + rec("identity", 5, [31, NAN])
               + rec("relu", 1, [29, 29]) + rec("relu", 5, [NAN, NAN]))
    summary = sw.fig2_summary(records)
    assert math.isnan(summary[("cifar10", "identity", 5)]["mean"]) and summary[("cifar10", "relu", 5)]["n_diverged"] == 2
    m = sw.fig2_metrics(summary)
    assert m["cifar10_wide_margin"] == -math.inf and not m["cifar10_wide_helps"]    # wider diverged: did not help
    assert m["cifar10_r05_excess"] == -math.inf                                     # narrower diverged: not better
    assert m["cifar10_dd_spread_max"] == 1                # r = 5: every D_d diverged, nothing to compare
    assert m["cifar10_n_diverged_points"] == 3
    assert m["cifar10_relu_wide_margin"] == -math.inf and m["cifar10_relu_wide_gain"] is None
    records = rec("identity", 1, [30, 30]) + rec("identity", 5, [40, 40]) + rec("relu", 1, [30, 30]) + rec(
        "relu", 5, [NAN, 40])
    m = sw.fig2_metrics(sw.fig2_summary(records))
    assert m["cifar10_dd_spread_max"] == math.inf and m["cifar10_dd_spread_max_at_ratio"] == 5
    records = rec("identity", 0.5, [20, 20]) + rec("identity", 1, [NAN, 30]) + rec("identity", 5, [40, 40])
    m = sw.fig2_metrics(sw.fig2_summary(records))
    assert not m["cifar10_measurable"] and m["cifar10_r1_identity_acc"] is None and m["cifar10_wide_margin"] is None
    m = sw.fig2_metrics(sw.fig2_summary(rec("identity", 1, [12, 12])))
    assert not m["cifar10_measurable"]                                               # below 15 %: did not learn
    with pytest.raises(ValueError, match="self_assembly.fig2.ratios"):
        sw.fig2_metrics(sw.fig2_summary(rec("identity", 2, [40])))


def f5(v, wb, vb, acc, test=None):
    return {"eta_v": v, "eta_wbar": wb, "eta_vbar": vb, "seed": 0, "val_acc": acc,
            "test_acc": acc - 1 if test is None else test, "diverged": math.isnan(acc)}


def test_fig5_metrics_by_hand():
    rows = [f5(.1, 1, 1, 30), f5(.1, 1, .1, 20), f5(.1, .1, 1, 25), f5(.1, .1, .1, NAN),
            f5(1, 1, 1, NAN), f5(1, 1, .1, NAN), f5(1, .1, 1, 15), f5(1, .1, .1, 12)]
    m = sw.fig5_metrics(rows, n_classes=10)
    assert (m["best_eta_v"], m["best_eta_wbar"], m["best_eta_vbar"]) == (.1, 1, 1)
    assert (m["best_val_acc"], m["best_test_acc"]) == (30, 29) and m["best_uses_smallest_eta_v"]
    # diverged combos at chance (10 %): eta_V = .1: (30 + 20 + 25 + 10) / 4; eta_V = 1: (10 + 10 + 15 + 12) / 4
    assert m["mean_val_acc_by_eta_v"] == [21.25, 11.75] and m["mean_non_increasing_in_eta_v"]
    assert m["mean_val_acc_by_eta_v_finite_only"] == [25, 13.5] and m["n_diverged_by_eta_v"] == [1, 2]
    assert (m["n_combos"], m["n_diverged"], m["eta_v_values"]) == (8, 3, [.1, 1]) and m["either_criterion"]
    assert m["measurable"]
    rows = [f5(.1, 1, 1, 20), f5(.1, .1, .1, 20), f5(1, 1, 1, 40), f5(1, .1, .1, 10)]
    m = sw.fig5_metrics(rows, n_classes=10)
    assert m["best_eta_v"] == 1 and not m["best_uses_smallest_eta_v"]
    assert m["mean_val_acc_by_eta_v"] == [20, 25] and not m["mean_non_increasing_in_eta_v"]
    assert not m["either_criterion"]
    m = sw.fig5_metrics([f5(.1, 1, 1, 20), f5(1, 1, 1, 20)], n_classes=10)       # tie: the smaller eta_V
    assert m["best_uses_smallest_eta_v"] and m["mean_non_increasing_in_eta_v"]
    m = sw.fig5_metrics([f5(.1, 1, 1, NAN), f5(1, 1, 1, NAN)], n_classes=10)
    assert m["best_val_acc"] is None and not m["measurable"] and m["mean_val_acc_by_eta_v"] == [10, 10]
    with pytest.raises(ValueError, match="no records"):
        sw.fig5_metrics([], n_classes=10)


def test_claims_read_the_metrics():
    reg = load_registry("self_assembly")
    claims = {c.id: c for c in reg.claims if c.artifact in ("sa_fig2", "sa_fig5")}
    records = (rec("identity", 0.5, [40, 42]) + rec("identity", 1, [44, 46]) + rec("identity", 5, [50, 50])
               + rec("relu", 1, [44, 44]) + rec("relu", 5, [NAN, NAN]))
    m = sw.fig2_metrics(sw.fig2_summary(records))
    verdict = {cid: evaluate_claim(c, m, "quick").status for cid, c in claims.items() if c.artifact == "sa_fig2"}
    assert verdict["sa_fig2.cifar10_wider_downstream_helps"] == "pass"
    assert verdict["sa_fig2.cifar10_half_width_not_better"] == "pass"
    assert verdict["sa_fig2.cifar10_robust_to_downstream_activation"] == "fail"          # relu diverged at r = 5
    assert verdict["sa_fig2.svhn_robust_to_downstream_activation"] == "not expected at this scale"
    assert evaluate_claim(claims["sa_fig2.svhn_half_width_not_better"], m, "paper").status == "inconclusive"
    m = sw.fig2_metrics(sw.fig2_summary(rec("identity", 1, [NAN, 30]) + rec("identity", 5, [40, 40])))
    assert evaluate_claim(claims["sa_fig2.cifar10_wider_downstream_helps"], m, "quick").status == "inconclusive"
    rows = [f5(.1, 1, 1, 30), f5(.1, .1, .1, NAN), f5(1, 1, 1, NAN), f5(1, .1, .1, 12)]
    m = sw.fig5_metrics(rows, n_classes=10)
    for cid in ("sa_fig5.best_combo_uses_smallest_eta_v", "sa_fig5.mean_accuracy_non_increasing_in_eta_v",
                "sa_fig5.either_criterion"):
        assert evaluate_claim(claims[cid], m, "quick").status == "pass", cid


# --- a tiny job end to end (random data instead of CIFAR-10) -------------------------------------------------------------
def fake_arrays(n_train, n_test, dataset="cifar10"):
    g = torch.Generator().manual_seed(1)
    n = 64 if n_train is None else n_train
    x, xt = torch.randn(n, 12, generator=g), torch.randn(n_test or 20, 12, generator=g)
    return Arrays(x, torch.randint(0, 3, (n,), generator=g), xt, torch.randint(0, 3, (len(xt),), generator=g), 3,
                  False, False)


def test_jobs_end_to_end(monkeypatch):
    monkeypatch.setattr(sw, "load_arrays", lambda ds, cfg, n_train, n_test, device="cpu": fake_arrays(n_train, n_test))
    cfg = sa_cfg()
    pl = sw.run_fig2_job(sw.fig2_job(cfg, "cifar10", "relu"), {})
    rows = sw.fig2_records([pl])
    assert len(rows) == 3 * 2 and {r["ratio"] for r in rows} == {0.5, 1.0, 2.5}
    assert rows[0]["param_ratio_wbar"] == pytest.approx(sw.parameter_counts((12, 4, 4, 3), (2, 2))["ratio_wbar"])
    assert all(0 <= r["acc"] <= 100 for r in rows if not r["diverged"])
    pl = sw.run_fig5_job(sw.fig5_job(cfg, 1.0), {})
    rows = sw.fig5_records([pl])
    assert len(rows) == 4
    run = pl["points"][0]["runs"][0]
    assert "weights_end" not in run and run["metrics"]["n_val"] == 16 and run["metrics"]["n_test"] == 20
    assert run["metrics"]["n_train"] == 64 - 16
    assert all("val_acc" in row for row in run["log"] if not row.get("diverged"))
    assert sw.fig5_metrics(rows, n_classes=3)["n_combos"] == 4
