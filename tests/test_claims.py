"""Claims registry, check language, verdicts and the scoreboard."""

import pytest

from bioplausible import paths
from bioplausible.claims import evaluate, load_all
from bioplausible.claims.registry import Claim, implemented_artifacts
from bioplausible.claims.scoreboard import artifact_index_markdown, render_csv, render_markdown
from bioplausible.claims.__main__ import main as claims_main


def claim(check, metric="m", scales=("quick",), requires=(), paper_value=1.0):
    return Claim(id="amit_fig4.x", artifact="amit_fig4", statement="a statement of the paper",
                 paper_value=paper_value, metric=metric, check=check, scales=tuple(scales), requires=tuple(requires))


META = {"_meta": {"scale": "quick", "data_verified": None}}


@pytest.mark.parametrize("check,value,expected", [
    ({"op": "<", "value": 2}, 1, "pass"),
    ({"op": "<", "value": 2}, 3, "fail"),
    ({"op": ">=", "metric": "other"}, 5, "pass"),
    ({"op": ">=", "metric": "other"}, 4, "fail"),
    ({"abs_diff_le": 0.04}, 1.03, "pass"),        # against paper_value 1.0
    ({"abs_diff_le": 0.04}, 1.05, "fail"),
    ({"rel_diff_le": 0.02, "value": -2.0}, -2.03, "pass"),
    ({"rel_diff_le": 0.02, "value": -2.0}, -2.05, "fail"),
    ({"equals": True}, True, "pass"),
    ({"equals": True}, False, "fail"),
    ({"between": [0, 1]}, 0.5, "pass"),
    ({"between": [0, 1]}, 1.5, "fail"),
])
def test_check_language(check, value, expected):
    v = evaluate.evaluate_claim(claim(check), {"m": value, "other": 5, **META}, "quick")
    assert v.status == expected, v.detail


def test_matches_paper_value_names_the_differing_cell():
    table = {"soft_wta": {"lr0": 0.03, "batch_size": 128}}
    c = claim({"matches_paper_value": True}, paper_value=table)
    assert evaluate.evaluate_claim(c, {"m": {"soft_wta": {"lr0": 0.03, "batch_size": 128}}, **META}, "quick").status == "pass"
    v = evaluate.evaluate_claim(c, {"m": {"soft_wta": {"lr0": 0.05, "batch_size": 128}}, **META}, "quick")
    assert v.status == "fail" and "soft_wta.lr0" in v.detail


def test_ordering_check():
    metrics = {"a": 3, "b": 2, "c": 1, **META}
    c = claim({"ordering": "decreasing", "strict": True}, metric=["a", "b", "c"])
    assert evaluate.evaluate_claim(c, metrics, "quick").status == "pass"
    metrics["c"] = 2
    assert evaluate.evaluate_claim(c, metrics, "quick").status == "fail"
    c2 = claim({"ordering": "decreasing", "strict": False}, metric=["a", "b", "c"])
    assert evaluate.evaluate_claim(c2, metrics, "quick").status == "pass"


def test_precondition_makes_inconclusive_not_pass():
    """A collapsed model looks robust: without its clean accuracy the robustness check means nothing."""
    c = claim({"op": ">", "value": 0.5}, metric="robust_acc",
              requires=[{"metric": "clean_acc", "op": ">=", "value": 0.9}])
    v = evaluate.evaluate_claim(c, {"robust_acc": 0.99, "clean_acc": 0.11, **META}, "quick")
    assert v.status == "inconclusive" and "clean_acc" in v.detail
    v = evaluate.evaluate_claim(c, {"robust_acc": 0.99, "clean_acc": 0.95, **META}, "quick")
    assert v.status == "pass"


def test_scale_and_missing_metrics():
    c = claim({"op": "<", "value": 2}, scales=("paper",))
    assert evaluate.evaluate_claim(c, {"m": 1, **META}, "quick").status == "not expected at this scale"
    assert evaluate.evaluate_claim(claim({"op": "<", "value": 2}), None, "quick").status == "not run"
    stale = {"m": 1, "_meta": {"scale": "smoke"}}
    assert evaluate.evaluate_claim(claim({"op": "<", "value": 2}), stale, "quick").status == "not run"
    assert evaluate.evaluate_claim(claim({"op": "<", "value": 2}), {"x": 1, **META}, "quick").status == "fail"
    assert evaluate.evaluate_claim(claim({"op": "<", "value": 2}), None, "quick", implemented=False).status == "not implemented"


def test_registries_list_every_artifact_of_the_five_catalogs():
    regs = load_all()
    ids = {a.id for r in regs.values() for a in r.artifacts}
    # ids named by the catalogs' headings (a sample from each paper, including combined headings)
    for expected in ["amit_fig1", "amit_tab3", "amit_circuit", "sh_fig5b", "sh_fig6b", "sh_txt37", "sh_fig9c",
                     "pr_fig1a", "pr_thm5", "pr_txt_c4", "oja_fig6gh", "oja_figS1", "sa_fig2", "sa_thm_lemma1"]:
        assert expected in ids
    for paper, reg in regs.items():
        assert all(a.id.startswith(paths.PAPER_PREFIXES[paper]) for a in reg.artifacts)
    catalog_dir = paths.root().parent / "shared" / "papers"
    if catalog_dir.is_dir():  # every "### <id>" heading of every catalog is in a registry
        import re
        for cat in catalog_dir.glob("*.catalog.md"):
            for line in cat.read_text().splitlines():
                m = re.match(r"^#{3,4} +`?((?:amit|oja|pr|sa|sh)_[A-Za-z0-9_]+)", line)
                if m:
                    assert m.group(1) in ids, f"{cat.name}: {m.group(1)}"


def test_scoreboard_lists_every_artifact_with_status():
    regs = load_all()
    implemented = implemented_artifacts()
    verdicts = evaluate.evaluate_all(regs, "quick", implemented)
    md = render_markdown(regs, verdicts, implemented, "quick")
    csv_text = render_csv(regs, verdicts, implemented, "quick")
    for reg in regs.values():
        for a in reg.artifacts:
            assert f"`{a.id}`" in md
            assert f",{a.id}," in csv_text
    assert "not implemented" in md


def test_readme_artifact_index_is_up_to_date():
    assert claims_main(["readme", "--check"]) == 0, "run `python -m bioplausible.claims readme`"


def test_every_claim_metric_exists_in_the_registry_form():
    for reg in load_all().values():
        for c in reg.claims:
            assert c.scales and c.statement and c.metric
            assert c.id.split(".")[0] == c.artifact
