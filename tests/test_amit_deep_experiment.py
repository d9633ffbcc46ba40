"""Amit's CIFAR runs: parameters from the config, the split, the run protocols and resuming from a checkpoint."""

import pytest
import torch

from bioplausible import config as config_mod
from bioplausible.amit import deep_experiment as ex
from bioplausible.amit.feedback import LocalMap

pytestmark = pytest.mark.usefixtures("one_thread")


def _params(dataset="cifar10", net="simpnet", regime="urfb", conn="full", tying="tied", epochs=2):
    cfg = config_mod.thaw(config_mod.load("smoke")["amit"]["deep"])
    cfg["nets"][net]["epochs"] = epochs
    for u in cfg["untie"].values():
        u["epochs"] = epochs
    return ex.run_params(cfg, dataset, net, regime, conn, tying)


def _data(n=40, n_classes=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    y = torch.randint(0, n_classes, (n,), generator=g)
    return (x[:24], y[:24]), (x[24:32], y[24:32]), (x[32:], y[32:])


def test_run_params_and_bad_runs():
    p = _params("cifar100", "deepernet", "frfb", "p50")
    assert p["mu"] == pytest.approx(1 / 99) and p["n_classes"] == 100 and p["untie"] is None
    with pytest.raises(ValueError, match="50% masks"):
        _params(regime="bp_hinge", conn="p50")
    with pytest.raises(ValueError, match="untied"):
        _params(net="deepnet", tying="untied")
    with pytest.raises(ValueError, match="regime 'sgd'"):
        ex.check_run("cifar10", "simpnet", "sgd", "full", "tied")


def test_split_holds_out_the_last_images_for_validation():
    x = torch.arange(10)
    p = {"val_holdout": 3, "n_train": 4, "n_val": None, "n_test": 2}
    (xt, _), (xv, _), (xs, _) = ex.split_data(x, x, x + 100, x, p)
    assert xt.tolist() == [0, 1, 2, 3] and xv.tolist() == [7, 8, 9] and xs.tolist() == [100, 101]
    with pytest.raises(ValueError, match="val_holdout"):
        ex.split_data(x, x, x, x, {**p, "val_holdout": 10})


def test_every_table_run_is_valid_and_named_once():
    runs = [r for t in ex.TABLE_RUNS.values() for r in t]
    assert len(runs) == len(set(runs)) == 33          # 15 + 12 + 6 training runs (catalog Compute)
    for r in runs:
        ex.check_run(*r)


@pytest.mark.parametrize("net,conn", [("simpnet", "p50"), ("deepernet_s", "full")])
def test_resume_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path, net, conn):
    """A run stopped after epoch 1 and resumed ends with the same weights as one that ran through."""
    data = _data()
    tied = None
    if net == "deepernet_s":
        tied = ex.run(_params(net=net, conn=conn, tying="tied"), data, device="cpu",
                      checkpoint_path=tmp_path / "tied.ckpt", config_hash="t")
    p2 = _params(net=net, conn=conn, tying="untied", epochs=2)
    torch.manual_seed(0)    # the script seeds every RNG first (Step.torch_device)
    through = ex.run(p2, data, device="cpu", checkpoint_path=tmp_path / "a.ckpt", config_hash="h",
                     tied_payload=tied)
    torch.manual_seed(0)
    ex.run(_params(net=net, conn=conn, tying="untied", epochs=1), data, device="cpu",
           checkpoint_path=tmp_path / "b.ckpt", config_hash="h", tied_payload=tied)
    assert (tmp_path / "b.ckpt").exists()
    torch.manual_seed(123)  # a resumed process starts with other RNG states: the checkpoint must restore them
    resumed = ex.run(p2, data, device="cpu", checkpoint_path=tmp_path / "b.ckpt", config_hash="h",
                     tied_payload=tied)
    assert [r["train_error"] for r in resumed["log"]] == [r["train_error"] for r in through["log"]]
    for k, v in through["state_dict"].items():
        assert torch.equal(v, resumed["state_dict"][k]), k


def test_untied_deepernet_s_keeps_the_tied_first_layer_frozen_and_unties_the_rest(tmp_path):
    data = _data()
    tied = ex.run(_params(net="deepernet_s", tying="tied"), data, device="cpu",
                  checkpoint_path=tmp_path / "t.ckpt", config_hash="t")
    untied = ex.run(_params(net="deepernet_s", tying="untied"), data, device="cpu",
                    checkpoint_path=tmp_path / "u.ckpt", config_hash="u", tied_payload=tied)
    net = ex.load_net(untied)
    units = net.units()
    assert torch.equal(units["conv1"].layer.weight.detach(), ex.layer_tensor(tied, "conv1"))
    assert all(isinstance(units[n].layer.linear_map, LocalMap) for n in units if n.startswith("conv") and n != "conv1")
    with pytest.raises(ValueError, match="tied run"):
        ex.run(_params(net="deepernet_s", tying="untied"), data, device="cpu",
               checkpoint_path=tmp_path / "x.ckpt", config_hash="u")
