"""Evaluate claims against measured metrics.

Check language (one mapping per claim; ``measured`` is the value of the claim's ``metric``):

- ``{op: "<", value: 0.05}``        measured < 0.05 (ops: <, <=, >, >=, ==, !=)
- ``{op: ">", metric: other_key}``  measured > another metric of the same artifact
- ``{abs_diff_le: 0.04}``           |measured - paper_value| <= 0.04 (or against ``value:``/``metric:``)
- ``{rel_diff_le: 0.02, metric: k}``|measured - ref| <= 0.02 |ref|, ref a metric or ``value:``
- ``{equals: true}``                measured == true (booleans, exact values)
- ``{matches_paper_value: true}``   measured == the claim's ``paper_value`` (e.g. a whole table, cell by cell)
- ``{between: [lo, hi]}``           lo <= measured <= hi
- ``{ordering: decreasing, strict: true}`` with ``metric: [k1, k2, ...]``: the values are ordered

``requires`` is a list of preconditions in the same form plus ``metric:``; if one fails the verdict is
``inconclusive`` (or ``fail`` with ``on_fail: fail``, where the claim is false without it) (a collapsed model looks perfectly robust, so a robustness check without its
clean-accuracy precondition would mean nothing).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .. import io, paths
from .registry import Claim, Registry

VERDICTS = ("pass", "fail", "inconclusive", "not expected at this scale", "not run", "not implemented")

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


class CheckError(ValueError):
    pass


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    status: str
    measured: Any = None
    detail: str = ""
    scale: str = ""
    data_verified: bool | None = None


def _num(x: Any) -> Any:
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    return x


def lookup(metrics: Mapping[str, Any], key: str) -> Any:
    """Metric by key; dotted keys descend into nested dicts."""
    if key in metrics:
        return _num(metrics[key])
    node: Any = metrics
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(key)
        node = node[part]
    return _num(node)


def _reference(check: Mapping[str, Any], metrics: Mapping[str, Any], paper_value: Any) -> Any:
    if "metric" in check:
        return lookup(metrics, check["metric"])
    if "value" in check:
        return check["value"]
    return paper_value


def apply_check(check: Mapping[str, Any], measured: Any, metrics: Mapping[str, Any], paper_value: Any = None) -> tuple[bool, str]:
    """Return (holds, human-readable detail). Raises CheckError on a malformed check."""
    if "op" in check:
        op = check["op"]
        if op not in _OPS:
            raise CheckError(f"unknown op {op!r}; choose one of {', '.join(_OPS)}")
        ref = _reference(check, metrics, paper_value)
        ok = bool(_OPS[op](measured, ref))
        return ok, f"{_fmt(measured)} {op} {_fmt(ref)}"
    if "abs_diff_le" in check:
        ref = _reference(check, metrics, paper_value)
        diff = abs(float(measured) - float(ref))
        return diff <= check["abs_diff_le"], f"|{_fmt(measured)} - {_fmt(ref)}| = {_fmt(diff)} <= {check['abs_diff_le']}"
    if "rel_diff_le" in check:
        ref = float(_reference(check, metrics, paper_value))
        rel = abs(float(measured) - ref) / abs(ref) if ref != 0 else math.inf
        return rel <= check["rel_diff_le"], f"relative difference {_fmt(rel)} <= {check['rel_diff_le']} (reference {_fmt(ref)})"
    if check.get("matches_paper_value"):
        if measured == paper_value:
            return True, "identical to the paper's value"
        if isinstance(measured, dict) and isinstance(paper_value, dict):
            diff = _dict_diff(measured, paper_value)
            return False, "differs at " + "; ".join(diff[:5])
        return False, f"{_fmt(measured)} != {_fmt(paper_value)}"
    if "equals" in check:
        return measured == check["equals"], f"{_fmt(measured)} == {_fmt(check['equals'])}"
    if "between" in check:
        lo, hi = check["between"]
        return lo <= measured <= hi, f"{_fmt(lo)} <= {_fmt(measured)} <= {_fmt(hi)}"
    if "ordering" in check:
        direction = check["ordering"]
        strict = bool(check.get("strict", True))
        if direction not in ("increasing", "decreasing"):
            raise CheckError(f"ordering must be 'increasing' or 'decreasing', got {direction!r}")
        values = list(measured)
        op = {("increasing", True): operator.lt, ("increasing", False): operator.le,
              ("decreasing", True): operator.gt, ("decreasing", False): operator.ge}[(direction, strict)]
        ok = all(op(a, b) for a, b in zip(values, values[1:]))
        sym = {operator.lt: " < ", operator.le: " <= ", operator.gt: " > ", operator.ge: " >= "}[op]
        return ok, sym.join(_fmt(v) for v in values)
    raise CheckError(f"unknown check {dict(check)!r}")


def _dict_diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted keys where two nested mappings differ (with both values)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            out += _dict_diff(a.get(k, "<missing>"), b.get(k, "<missing>"), f"{prefix}{k}.")
        return out
    return [] if a == b else [f"{prefix.rstrip('.')}: measured {a!r}, paper {b!r}"]


def _fmt(x: Any) -> str:
    if isinstance(x, bool) or x is None:
        return str(x).lower() if isinstance(x, bool) else "null"
    if isinstance(x, float):
        if math.isinf(x) or math.isnan(x):
            return str(x)
        return f"{x:.4g}"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if isinstance(x, dict):
        return f"<mapping of {_n_leaves(x)} values>"
    return str(x)


def _n_leaves(x: Any) -> int:
    return sum(_n_leaves(v) for v in x.values()) if isinstance(x, dict) else 1


def measured_value(claim: Claim, metrics: Mapping[str, Any]) -> Any:
    if isinstance(claim.metric, list):
        return [lookup(metrics, k) for k in claim.metric]
    return lookup(metrics, claim.metric)


def evaluate_claim(claim: Claim, metrics: Mapping[str, Any] | None, scale: str, implemented: bool = True) -> Verdict:
    if not implemented:
        return Verdict(claim, "not implemented", scale=scale)
    if metrics is None:
        status = "not run" if scale in claim.scales else "not expected at this scale"
        return Verdict(claim, status, detail="no metrics file", scale=scale)
    meta = metrics.get("_meta", {})
    verified = meta.get("data_verified")
    if meta.get("scale") not in (None, scale):
        return Verdict(claim, "not run", detail=f"metrics were measured at scale {meta.get('scale')!r}", scale=scale)
    try:
        measured = measured_value(claim, metrics)
    except KeyError as exc:
        return Verdict(claim, "fail", detail=f"metric {exc.args[0]!r} missing from the metrics file", scale=scale, data_verified=verified)
    if scale not in claim.scales:
        return Verdict(claim, "not expected at this scale", measured, f"expected at {', '.join(claim.scales)}", scale, verified)
    for pre in claim.requires:
        try:
            value = lookup(metrics, pre["metric"])
        except KeyError:
            return Verdict(claim, "inconclusive", measured, f"precondition metric {pre['metric']!r} missing", scale, verified)
        # in a precondition, `metric` names the subject; the rest of the mapping is the check
        ok, text = apply_check({k: v for k, v in pre.items() if k not in ("metric", "on_fail")}, value, metrics)
        if not ok:
            status = pre.get("on_fail", "inconclusive")  # "fail": the claim itself is false without it
            return Verdict(claim, status, measured, f"precondition failed: {pre['metric']}: {text}", scale, verified)
    ok, text = apply_check(claim.check, measured, metrics, claim.paper_value)
    return Verdict(claim, "pass" if ok else "fail", measured, text, scale, verified)


def load_metrics(artifact: str) -> dict[str, Any] | None:
    path = paths.absolute(paths.rel_metrics(artifact))
    return io.read_json(path) if Path(path).exists() else None


def evaluate_all(registries: Mapping[str, Registry], scale: str, implemented: set[str]) -> list[Verdict]:
    verdicts = []
    for paper in paths.PAPERS:
        reg = registries[paper]
        cache: dict[str, Any] = {}
        for claim in reg.claims:
            if claim.artifact not in cache:
                cache[claim.artifact] = load_metrics(claim.artifact) if claim.artifact in implemented else None
            verdicts.append(evaluate_claim(claim, cache[claim.artifact], scale, claim.artifact in implemented))
    return verdicts
