"""Tests of Amit's Tables 1-3 (deep_tables): the transcription, the cell and difference metrics, the rising
validation flag of Table 3 (Ambiguity 19), on fake payloads whose numbers are checked by hand."""

from __future__ import annotations

import pytest
import torch

from bioplausible.amit import deep_tables as dt
from bioplausible.amit.deep_experiment import TABLE_RUNS, run_key
from bioplausible.claims.registry import load_registry

pytestmark = pytest.mark.usefixtures("one_thread")

# The catalog's transcription (amit_tab1 / amit_tab2 / amit_tab3, "transcribed exactly"), copied verbatim.
CATALOG = {
    ("tab1", "c10"): """
| BP Softmax | .02 | .25 |
| BP Hinge | .11 | .27 |
| URFB | .07/.04 | .31/.33 |
| FRFB | .27/.30 | .36/.37 |
| URFB 50% | .14/.06 | .31/.36 |
| FRFB 50% | .38 | .45 |""",
    ("tab1", "c100"): """
| BP Softmax | .05 | .57 |
| BP Hinge | .19 | .57 |
| URFB | .20 | .61 |
| URFB 50% | .45 | .62 |
| FRFB | .54 | .68 |
| FRFB 50% | .73 | .76 |""",
    ("tab2", "deep"): """
| BP Softmax | .18 | .5 |
| BP Hinge | .38 | .51 |
| URFB | .29 | .52 |
| URFB 50% | .41 | .58 |
| FRFB | .79 | .81 |
| FRFB 50% | .79 | .89 |""",
    ("tab2", "deeper"): """
| BP Softmax | .01 | .42 |
| BP Hinge | .06 | .42 |
| URFB | .16 | .47 |
| URFB 50% | .23 | .56 |
| FRFB | .81 | .84 |
| FRFB 50% | .96 | .96 |""",
    ("tab3", ""): """
| BP Softmax | .21 | .21 |
| BP Hinge | .22 | .22 |
| URFB | .21/.06 | .23/.29 |
| FRFB | .51/.53 | .56/.75 |""",
}
LABEL_ROW = {"BP Softmax": ("bp_softmax", "full"), "BP Hinge": ("bp_hinge", "full"), "URFB": ("urfb", "full"),
             "FRFB": ("frfb", "full"), "URFB 50%": ("urfb", "p50"), "FRFB 50%": ("frfb", "p50")}


def _parse(text):
    """Catalog rows -> [(regime, conn, tying, train, test)] in printed order."""
    out = []
    for line in text.strip().splitlines():
        label, train, test = (s.strip() for s in line.strip("|").split("|"))
        regime, conn = LABEL_ROW[label]
        trains, tests = train.split("/"), test.split("/")
        assert len(trains) == len(tests)
        for tying, a, b in zip(("tied", "untied"), trains, tests):
            out.append((regime, conn, tying, float(a), float(b)))
    return out


@pytest.mark.parametrize("table,block", sorted(CATALOG))
def test_constants_match_catalog(table, block):
    got = [(c.regime, c.conn, c.tying, c.train, c.test) for c in dt.PAPER[table] if c.block == block]
    assert got == _parse(CATALOG[table, block])


@pytest.mark.parametrize("table", dt.TABLES)
def test_cells_are_exactly_the_table_runs(table):
    blocks = {b.prefix: b for b in dt.BLOCKS[table]}
    cells = [(blocks[c.block].dataset, blocks[c.block].net, c.regime, c.conn, c.tying) for c in dt.PAPER[table]]
    assert len(cells) == len(set(cells))
    assert set(cells) == set(TABLE_RUNS[table])


def fake_payloads(table, shift=0.0, log=None):
    """One payload per run of ``table`` whose errors are the paper's (+ shift), eval-mode train error = train + .5,
    validation error = test + .01."""
    blocks = {b.prefix: b for b in dt.BLOCKS[table]}
    out = {}
    for c in dt.PAPER[table]:
        b = blocks[c.block]
        key = run_key(b.dataset, b.net, c.regime, c.conn, c.tying)
        out[key] = {
            "params": {"dataset": b.dataset, "net": b.net, "regime": c.regime, "conn": c.conn, "tying": c.tying,
                       "conv": [4], "dense": 16, "batch_size": 16, "lr": 0.1},
            "metrics": {"train_error": c.train + shift, "train_error_eval": c.train + 0.5, "test_error": c.test + shift,
                        "val_error": c.test + 0.01, "epochs": 7 if c.tying == "untied" else 5, "n_train": 48,
                        "n_val": 16, "n_test": 32, "train_seconds": 1.25},
            "log": log or [{"epoch": 1, "val_error": 0.5}, {"epoch": 2, "val_error": 0.4}],
        }
    return out


def test_cell_names_by_hand():
    m = dt.table_metrics("tab1", fake_payloads("tab1"))
    assert m["c10_urfb_tied_test_error"] == pytest.approx(0.31)
    assert m["c10_urfb_untied_train_error"] == pytest.approx(0.04)
    assert m["c10_urfb_p50_untied_test_error"] == pytest.approx(0.36)
    assert m["c10_frfb_p50_tied_train_eval_error"] == pytest.approx(0.88)
    assert m["c100_frfb_p50_test_error"] == pytest.approx(0.76)
    assert m["c100_bp_softmax_val_error"] == pytest.approx(0.58)
    assert "c100_urfb_tied_test_error" not in m
    m2 = dt.table_metrics("tab2", fake_payloads("tab2"))
    assert m2["deep_urfb_test_error"] == pytest.approx(0.52)
    assert m2["deeper_frfb_test_error"] == pytest.approx(0.84)
    m3 = dt.table_metrics("tab3", fake_payloads("tab3"))
    assert m3["urfb_tied_test_error"] == pytest.approx(0.23)
    assert m3["frfb_untied_test_error"] == pytest.approx(0.75)
    assert m3["bp_hinge_tied_train_error"] == pytest.approx(0.22)


def test_differences_by_hand():
    # With the paper's numbers as measurements, the differences are the paper's gaps.
    m = dt.table_metrics("tab1", fake_payloads("tab1"))
    expected = {"c10_bp_hinge_minus_bp_softmax_test": 0.02, "c10_frfb_minus_urfb_test": 0.05,
                "c10_frfb_p50_minus_urfb_p50_test": 0.14, "c10_urfb_untied_minus_tied_test": 0.02,
                "c10_urfb_tied_minus_untied_train": 0.03, "c100_bp_hinge_minus_bp_softmax_test": 0.0,
                "c100_frfb_minus_urfb_test": 0.07, "c100_frfb_p50_minus_urfb_p50_test": 0.14}
    assert {k: m[k] for k in expected} == pytest.approx(expected)
    m2 = dt.table_metrics("tab2", fake_payloads("tab2"))
    expected2 = {"deep_frfb_minus_urfb_test": 0.29, "deeper_frfb_minus_urfb_test": 0.37,
                 "deep_frfb_p50_minus_urfb_p50_test": 0.31, "deeper_frfb_p50_minus_urfb_p50_test": 0.40,
                 "deep_urfb_minus_bp_hinge_test": 0.01, "deeper_urfb_minus_bp_hinge_test": 0.05,
                 "deep_minus_deeper_bp_softmax_test": 0.08, "deep_minus_deeper_bp_hinge_test": 0.09,
                 "deep_minus_deeper_urfb_test": 0.05}
    assert {k: m2[k] for k in expected2} == pytest.approx(expected2)
    m3 = dt.table_metrics("tab3", fake_payloads("tab3"))
    expected3 = {"urfb_tied_minus_bp_hinge_test": 0.01, "frfb_minus_urfb_tied_test": 0.33,
                 "frfb_minus_urfb_untied_test": 0.46, "urfb_tied_minus_untied_train": 0.15}
    assert {k: m3[k] for k in expected3} == pytest.approx(expected3)
    # a common shift leaves every difference unchanged
    shifted = dt.table_metrics("tab3", fake_payloads("tab3", shift=0.1))
    assert {k: shifted[k] for k in expected3} == pytest.approx(expected3)


def test_every_difference_is_computed_and_flat():
    for table in dt.TABLES:
        m = dt.table_metrics(table, fake_payloads(table))
        assert set(dt.DIFFERENCES[table]) <= set(m)
        assert all(isinstance(v, float) and "." not in k for k, v in m.items())


def test_missing_run_is_named():
    payloads = fake_payloads("tab3")
    del payloads["cifar10__deepernet_s_frfb_full_untied"]
    with pytest.raises(KeyError, match="cifar10__deepernet_s_frfb_full_untied"):
        dt.table_metrics("tab3", payloads)
    with pytest.raises(KeyError, match="cifar10__deepernet_s_frfb_full_untied"):
        dt.render_table("tab3", payloads)


def test_missing_metric_is_named():
    payloads = fake_payloads("tab2")
    del payloads["cifar100__deepnet_urfb_full_tied"]["metrics"]["train_error_eval"]
    with pytest.raises(KeyError, match="cifar100__deepnet_urfb_full_tied.*train_error_eval"):
        dt.table_metrics("tab2", payloads)


def test_unknown_table_and_column():
    with pytest.raises(ValueError, match="tab4"):
        dt.table_run_keys("tab4")
    with pytest.raises(ValueError, match="untied"):
        dt.cell_name("tab1", "c100", "urfb", "untied", "test")


def test_val_minimum_and_rising_flag():
    log = [{"epoch": e, "val_error": v} for e, v in enumerate([0.9, 0.5, 0.4, 0.45, 0.4, 0.6, 0.7], start=1)]
    # minimum 0.4 at epochs 3 and 5: the latest counts; last epoch 7 -> 2 epochs before the end
    assert dt.val_minimum(log) == (5, 2)
    assert dt.val_minimum(log[:5]) == (5, 0)
    payloads = fake_payloads("tab3", log=log)
    r1 = dt.rising_validation("tab3", payloads, window=1)
    assert r1["urfb_untied_val_min_epochs_before_end"] == 2
    assert r1["urfb_untied_val_rising"] is True
    assert r1["n_runs_val_rising"] == 6
    r2 = dt.rising_validation("tab3", payloads, window=2)  # "more than" the window
    assert r2["bp_softmax_tied_val_rising"] is False
    assert r2["n_runs_val_rising"] == 0
    with pytest.raises(ValueError, match="empty"):
        dt.val_minimum([])


def test_render_table_rows_and_columns():
    df = dt.render_table("tab1", fake_payloads("tab1"))
    assert len(df) == 15
    assert list(df.columns) == ["block", "regime", "tying", "train error (paper)", "train error (running, dropout on)",
                                "train error (eval mode)", "test error (paper)", "test error", "epochs"]
    row = df[(df.block == "CIFAR10") & (df.regime == "URFB 50%") & (df.tying == "untied")].iloc[0]
    assert row["test error (paper)"] == 0.36 and row["test error"] == pytest.approx(0.36)
    assert row["epochs"] == 7
    assert "tying" not in dt.render_table("tab2", fake_payloads("tab2")).columns
    times = dt.run_times("tab3", fake_payloads("tab3"))
    assert len(times) == 6 and set(times.seconds) == {1.2}
    text = dt.describe_runs("tab1", fake_payloads("tab1"))
    assert "5 epochs (untied phase 7)" in text and "cifar100" in text


def test_claims_registry_cells_carry_the_constants():
    """Every cell claim of the registry compares a cell metric with the transcribed paper value."""
    reg = load_registry("amit")
    values = {}
    for table in dt.TABLES:
        for c in dt.PAPER[table]:
            row = dt.row_name(c.regime, c.conn)
            values[dt.cell_name(table, c.block, row, c.tying, "train")] = c.train
            values[dt.cell_name(table, c.block, row, c.tying, "test")] = c.test
    seen = set()
    for table in dt.TABLES:
        for claim in reg.claims_of(f"amit_{table}"):
            if claim.metric in values:
                assert claim.paper_value == values[claim.metric], claim.id
                if "abs_diff_le" in claim.check:
                    assert claim.check.get("value", claim.paper_value) == values[claim.metric], claim.id
                seen.add(claim.metric)
            elif isinstance(claim.metric, str) and claim.metric not in ("n_runs_val_rising",):
                assert claim.metric in dt.DIFFERENCES[table], claim.id
    assert seen == set(values)


def test_load_payloads_from_files(tmp_path):
    payloads = fake_payloads("tab3")
    for k, v in payloads.items():
        torch.save(v, tmp_path / f"{k}.pt")
    loaded = dt.load_payloads("tab3", lambda k: tmp_path / f"{k}.pt")
    assert dt.table_metrics("tab3", loaded) == dt.table_metrics("tab3", payloads)
    torch.save({"params": {}}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match=r"bad\.pt.*\['metrics', 'log'\]"):
        dt.load_run(tmp_path / "bad.pt")
