"""Tables 1-3 of Amit's paper: the published numbers (transcribed once, here) and the measured ones.

The paper's tables (catalog "amit_tab1", "amit_tab2", "amit_tab3", transcribed exactly) are ``PAPER``: one
``PaperCell`` per printed entry, with the train and the test error. "a/b" entries of the paper are two cells,
tying ``tied`` and ``untied``. A run payload (``deep_experiment.run``) carries ``metrics`` with

- ``train_error``: the last epoch's running mini-batch error with dropout on, the tables' "train error"
  (catalog Ambiguity 12);
- ``train_error_eval``: eval mode, whole training subset (an extra column, not in the paper);
- ``test_error``: eval mode, the test images, final-epoch weights.

Functions here turn the payloads of one table into (a) the rendered table (measured beside paper) and (b) the
flat metrics of its claims: every cell, and every difference the catalog's orderings are stated on.

Metric names (stable; ``split`` is ``train``, ``train_eval``, ``test`` or ``val``):

- a cell: ``{prefix}_{row}[_{tying}]_{split}_error``, ``prefix`` the block (``c10``, ``c100`` in Table 1,
  ``deep``, ``deeper`` in Table 2, none in Table 3), ``row`` one of bp_softmax, bp_hinge, urfb, frfb, urfb_p50,
  frfb_p50 (p50 = 50% connectivity), ``tying`` only in blocks with an untied column (Table 1 CIFAR-10, Table 3):
  ``c10_urfb_untied_test_error``, ``c100_frfb_p50_test_error``, ``deep_urfb_test_error``, ``urfb_tied_test_error``;
- a difference: see ``DIFFERENCES`` (``c10_frfb_p50_minus_urfb_p50_test`` = FRFB 50% test - URFB 50% test).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pandas as pd
import torch

from .deep_experiment import ROW_LABELS, TABLE_RUNS, run_key

TABLES = ("tab1", "tab2", "tab3")


@dataclass(frozen=True)
class Block:
    """One sub-table: a dataset and a net (Table 1 has two, CIFAR-10 and CIFAR-100; Table 2 two, deep and deeper)."""
    prefix: str          # metric-name prefix ('' for Table 3)
    dataset: str
    net: str
    label: str           # the paper's block heading
    has_tying: bool      # the block has a tied/untied column


@dataclass(frozen=True)
class PaperCell:
    """One printed entry of a table: a row (regime, conn) in one tying, its train and test error."""
    block: str           # Block.prefix
    regime: str
    conn: str
    tying: str
    train: float
    test: float


BLOCKS: dict[str, tuple[Block, ...]] = {
    "tab1": (Block("c10", "cifar10", "simpnet", "CIFAR10", True),
             Block("c100", "cifar100", "simpnet", "CIFAR100", False)),
    "tab2": (Block("deep", "cifar100", "deepnet", "CIFAR100 - deep", False),
             Block("deeper", "cifar100", "deepernet", "CIFAR100 - deeper", False)),
    "tab3": (Block("", "cifar10", "deepernet_s", "CIFAR10", True),),
}


def _cells(block: str, rows: Sequence[tuple[str, str, str, float, float]]) -> tuple[PaperCell, ...]:
    return tuple(PaperCell(block, r, c, t, train, test) for r, c, t, train, test in rows)


# The paper's tables, in the paper's row order (Table 1's CIFAR-100 block orders its rows differently from the
# CIFAR-10 block). (regime, conn, tying, train error, test error); "a/b" = tied/untied.
PAPER: dict[str, tuple[PaperCell, ...]] = {
    "tab1": _cells("c10", [
        ("bp_softmax", "full", "tied", .02, .25),
        ("bp_hinge", "full", "tied", .11, .27),
        ("urfb", "full", "tied", .07, .31), ("urfb", "full", "untied", .04, .33),
        ("frfb", "full", "tied", .27, .36), ("frfb", "full", "untied", .30, .37),
        ("urfb", "p50", "tied", .14, .31), ("urfb", "p50", "untied", .06, .36),
        ("frfb", "p50", "tied", .38, .45),
    ]) + _cells("c100", [
        ("bp_softmax", "full", "tied", .05, .57),
        ("bp_hinge", "full", "tied", .19, .57),
        ("urfb", "full", "tied", .20, .61),
        ("urfb", "p50", "tied", .45, .62),
        ("frfb", "full", "tied", .54, .68),
        ("frfb", "p50", "tied", .73, .76),
    ]),
    "tab2": _cells("deep", [
        ("bp_softmax", "full", "tied", .18, .50),
        ("bp_hinge", "full", "tied", .38, .51),
        ("urfb", "full", "tied", .29, .52),
        ("urfb", "p50", "tied", .41, .58),
        ("frfb", "full", "tied", .79, .81),
        ("frfb", "p50", "tied", .79, .89),
    ]) + _cells("deeper", [
        ("bp_softmax", "full", "tied", .01, .42),
        ("bp_hinge", "full", "tied", .06, .42),
        ("urfb", "full", "tied", .16, .47),
        ("urfb", "p50", "tied", .23, .56),
        ("frfb", "full", "tied", .81, .84),
        ("frfb", "p50", "tied", .96, .96),
    ]),
    "tab3": _cells("", [
        ("bp_softmax", "full", "tied", .21, .21),
        ("bp_hinge", "full", "tied", .22, .22),
        ("urfb", "full", "tied", .21, .23), ("urfb", "full", "untied", .06, .29),
        ("frfb", "full", "tied", .51, .56), ("frfb", "full", "untied", .53, .75),
    ]),
}

# The differences the catalog's orderings are stated on: name -> (minuend cell, subtrahend cell, split).
# A cell is (block prefix, row, tying); row = regime + "_p50" for 50% connectivity.
DIFFERENCES: dict[str, dict[str, tuple[tuple[str, str, str], tuple[str, str, str], str]]] = {
    "tab1": {
        "c10_bp_hinge_minus_bp_softmax_test": (("c10", "bp_hinge", "tied"), ("c10", "bp_softmax", "tied"), "test"),
        "c10_frfb_minus_urfb_test": (("c10", "frfb", "tied"), ("c10", "urfb", "tied"), "test"),
        "c10_frfb_p50_minus_urfb_p50_test": (("c10", "frfb_p50", "tied"), ("c10", "urfb_p50", "tied"), "test"),
        "c10_urfb_untied_minus_tied_test": (("c10", "urfb", "untied"), ("c10", "urfb", "tied"), "test"),
        "c10_urfb_tied_minus_untied_train": (("c10", "urfb", "tied"), ("c10", "urfb", "untied"), "train"),
        "c100_bp_hinge_minus_bp_softmax_test": (("c100", "bp_hinge", "tied"), ("c100", "bp_softmax", "tied"), "test"),
        "c100_frfb_minus_urfb_test": (("c100", "frfb", "tied"), ("c100", "urfb", "tied"), "test"),
        "c100_frfb_p50_minus_urfb_p50_test": (("c100", "frfb_p50", "tied"), ("c100", "urfb_p50", "tied"), "test"),
    },
    "tab2": {
        **{f"{b}_frfb_minus_urfb_test": ((b, "frfb", "tied"), (b, "urfb", "tied"), "test") for b in ("deep", "deeper")},
        **{f"{b}_frfb_p50_minus_urfb_p50_test": ((b, "frfb_p50", "tied"), (b, "urfb_p50", "tied"), "test")
           for b in ("deep", "deeper")},
        **{f"{b}_urfb_minus_bp_hinge_test": ((b, "urfb", "tied"), (b, "bp_hinge", "tied"), "test")
           for b in ("deep", "deeper")},
        **{f"deep_minus_deeper_{r}_test": (("deep", r, "tied"), ("deeper", r, "tied"), "test")
           for r in ("bp_softmax", "bp_hinge", "urfb")},
    },
    "tab3": {
        "urfb_tied_minus_bp_hinge_test": (("", "urfb", "tied"), ("", "bp_hinge", "tied"), "test"),
        "frfb_minus_urfb_tied_test": (("", "frfb", "tied"), ("", "urfb", "tied"), "test"),
        "frfb_minus_urfb_untied_test": (("", "frfb", "untied"), ("", "urfb", "untied"), "test"),
        "urfb_tied_minus_untied_train": (("", "urfb", "tied"), ("", "urfb", "untied"), "train"),
    },
}

SPLITS = {"train": "train_error", "train_eval": "train_error_eval", "test": "test_error", "val": "val_error"}


def _check_table(table: str) -> None:
    if table not in TABLES:
        raise ValueError(f"amit table {table!r} is not one of {list(TABLES)}")


def row_name(regime: str, conn: str) -> str:
    return regime + ("_p50" if conn == "p50" else "")


def block_of(table: str, prefix: str) -> Block:
    _check_table(table)
    for b in BLOCKS[table]:
        if b.prefix == prefix:
            return b
    raise ValueError(f"{table}: no block {prefix!r}; blocks are {[b.prefix for b in BLOCKS[table]]}")


def cell_name(table: str, prefix: str, row: str, tying: str, split: str) -> str:
    """The metric name of one measured cell (module docstring)."""
    if split not in SPLITS:
        raise ValueError(f"split {split!r} is not one of {list(SPLITS)}")
    block = block_of(table, prefix)
    if not block.has_tying and tying != "tied":
        raise ValueError(f"{table} block {prefix!r} has no {tying!r} column")
    parts = [prefix, row] + ([tying] if block.has_tying else []) + [split, "error"]
    return "_".join(p for p in parts if p)


def table_run_keys(table: str) -> list[str]:
    """The spec input names (``run_key``) of a table's runs."""
    _check_table(table)
    return [run_key(*r) for r in TABLE_RUNS[table]]


def _block_key(table: str, prefix: str, regime: str, conn: str, tying: str) -> str:
    b = block_of(table, prefix)
    return run_key(b.dataset, b.net, regime, conn, tying)


def load_run(path: str | Path) -> dict[str, Any]:
    """One run payload written by the ``amit_train`` rule, checked for the parts the tables read."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(payload, Mapping):
        raise ValueError(f"{path}: expected an amit run payload (a dict), got {type(payload).__name__}")
    missing = [k for k in ("params", "metrics", "log") if k not in payload]
    if missing:
        raise ValueError(f"{path}: amit run payload lacks {missing} (has {sorted(payload)})")
    return dict(payload)


def load_payloads(table: str, path_of: Callable[[str], str | Path]) -> dict[str, dict[str, Any]]:
    """Every run of ``table``: ``path_of(run_key)`` is its file (in a notebook, ``run.path``)."""
    return {k: load_run(path_of(k)) for k in table_run_keys(table)}


def _metrics_of(payloads: Mapping[str, Mapping[str, Any]], key: str) -> Mapping[str, Any]:
    if key not in payloads:
        raise KeyError(f"amit table: run {key!r} is missing (have {sorted(payloads)})")
    payload = payloads[key]
    if "metrics" not in payload:
        raise KeyError(f"amit table: run {key!r} has no 'metrics' (keys: {sorted(payload)})")
    m = payload["metrics"]
    missing = [v for v in SPLITS.values() if v not in m]
    if missing:
        raise KeyError(f"amit table: run {key!r} metrics lack {missing} (have {sorted(m)})")
    return m


def _check_runs(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> None:
    missing = [k for k in table_run_keys(table) if k not in payloads]
    if missing:
        raise KeyError(f"amit {table}: missing runs {missing}")


def cell_metrics(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Every measured cell of ``table`` (train, eval-mode train, test and final validation error)."""
    _check_runs(table, payloads)
    out: dict[str, float] = {}
    for c in PAPER[table]:
        m = _metrics_of(payloads, _block_key(table, c.block, c.regime, c.conn, c.tying))
        for split, field in SPLITS.items():
            out[cell_name(table, c.block, row_name(c.regime, c.conn), c.tying, split)] = float(m[field])
    return out


def difference_metrics(table: str, cells: Mapping[str, float]) -> dict[str, float]:
    """The catalog's orderings as differences of measured cells (``DIFFERENCES``)."""
    _check_table(table)
    out = {}
    for name, (a, b, split) in DIFFERENCES[table].items():
        ka, kb = (cell_name(table, *cell, split) for cell in (a, b))
        for k in (ka, kb):
            if k not in cells:
                raise KeyError(f"amit {table}: difference {name!r} needs cell {k!r}, which is not measured")
        out[name] = float(cells[ka]) - float(cells[kb])
    return out


def val_minimum(log: Sequence[Mapping[str, Any]], label: str = "") -> tuple[int, int]:
    """(epoch of the validation-error minimum, epochs from it to the end). Ties go to the latest epoch: a run whose
    validation error is still at its best at the end has not started rising."""
    if not log:
        raise ValueError(f"amit run {label}: empty training log")
    best = min(float(r["val_error"]) for r in log)
    at = max(int(r["epoch"]) for r in log if float(r["val_error"]) == best)
    last = max(int(r["epoch"]) for r in log)
    return at, last - at


def rising_validation(table: str, payloads: Mapping[str, Mapping[str, Any]], window: int) -> dict[str, Any]:
    """Ambiguity 19 (Table 3's "dashes"): per run, the epochs between its validation-error minimum and its last
    epoch, and a flag when that is more than ``window`` epochs; plus the number of flagged runs."""
    if int(window) < 0:
        raise ValueError(f"rising-validation window {window} must be >= 0 epochs")
    _check_runs(table, payloads)
    out: dict[str, Any] = {}
    n = 0
    for c in PAPER[table]:
        key = _block_key(table, c.block, c.regime, c.conn, c.tying)
        _, gap = val_minimum(payloads[key]["log"], key)
        base = cell_name(table, c.block, row_name(c.regime, c.conn), c.tying, "val")[: -len("_val_error")]
        out[f"{base}_val_min_epochs_before_end"] = gap
        out[f"{base}_val_rising"] = gap > int(window)
        n += gap > int(window)
    out["n_runs_val_rising"] = n
    return out


def table_metrics(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """The flat metrics of a table's claims: every cell and every ordering difference."""
    cells = cell_metrics(table, payloads)
    return {**cells, **difference_metrics(table, cells)}


def render_table(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """The table in the paper's row order, measured beside the paper: one row per printed entry."""
    _check_runs(table, payloads)
    rows = []
    for c in PAPER[table]:
        block = block_of(table, c.block)
        key = _block_key(table, c.block, c.regime, c.conn, c.tying)
        m = _metrics_of(payloads, key)
        row = {"block": block.label, "regime": ROW_LABELS[(c.regime, c.conn)]}
        if any(b.has_tying for b in BLOCKS[table]):
            row["tying"] = c.tying
        row.update({
            "train error (paper)": c.train,
            "train error (running, dropout on)": round(float(m["train_error"]), 4),
            "train error (eval mode)": round(float(m["train_error_eval"]), 4),
            "test error (paper)": c.test,
            "test error": round(float(m["test_error"]), 4),
            "epochs": int(m["epochs"]),
        })
        rows.append(row)
    return pd.DataFrame(rows)


def run_times(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Per-run training time (seconds, pre-phase included) and epochs, one row per run of the table."""
    _check_runs(table, payloads)
    rows = []
    for key in table_run_keys(table):
        m = payloads[key]["metrics"]
        if "train_seconds" not in m:
            raise KeyError(f"amit table: run {key!r} metrics lack 'train_seconds'")
        rows.append({"run": key, "epochs": int(m["epochs"]), "seconds": round(float(m["train_seconds"]), 1)})
    return pd.DataFrame(rows)


def describe_runs(table: str, payloads: Mapping[str, Mapping[str, Any]]) -> str:
    """One phrase per block for the caption: data sizes, widths, epochs, batch and step, from the payloads."""
    _check_runs(table, payloads)
    parts = []
    for b in BLOCKS[table]:
        keys = [run_key(*r) for r in TABLE_RUNS[table] if (r[0], r[1]) == (b.dataset, b.net)]
        p = payloads[keys[0]]["params"]
        m = payloads[keys[0]]["metrics"]
        tied = sorted({int(payloads[k]["metrics"]["epochs"]) for k in keys if payloads[k]["params"]["tying"] == "tied"})
        untied = sorted({int(payloads[k]["metrics"]["epochs"]) for k in keys
                         if payloads[k]["params"]["tying"] == "untied"})
        ep = f"{'/'.join(map(str, tied))} epochs"
        if untied:
            u = next(payloads[k]["params"].get("untie") or {} for k in keys
                     if payloads[k]["params"]["tying"] == "untied")
            pre = (f", after {u['pre_epochs']} tied epoch(s) at step {u['pre_lr']}" if u.get("pre_epochs") else "")
            ep += f" (untied phase {'/'.join(map(str, untied))}{pre})"
        parts.append(f"{b.label}: {b.net} conv {list(p['conv'])}, dense {p['dense']}; {p['dataset']} "
                     f"{m['n_train']} train / {m['n_val']} validation / {m['n_test']} test images; {ep}; "
                     f"batch {p['batch_size']}, step {p['lr']}")
    return "; ".join(parts)
