"""Load and validate the claims registries.

A registry file holds ``paper``, ``citation``, ``artifacts`` (the index of every artifact id of the
paper's catalog) and ``claims``. Each claim has ``id`` (``<artifact>.<name>``), ``artifact``,
``statement``, ``paper_value``, ``metric`` (key into the artifact's metrics JSON), ``check``,
``scales``, optional ``requires`` (preconditions) and ``note``. See ``workflow/schemas/claims.schema.yaml``
and :mod:`bioplausible.claims.evaluate` for the check language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from .. import io, paths


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Artifact:
    id: str
    paper: str
    kind: str
    source: str
    title: str


@dataclass(frozen=True)
class Claim:
    id: str
    artifact: str
    statement: str
    paper_value: Any
    metric: str | list[str]
    check: dict[str, Any]
    scales: tuple[str, ...]
    requires: tuple[dict[str, Any], ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Registry:
    paper: str
    citation: str
    artifacts: tuple[Artifact, ...]
    claims: tuple[Claim, ...] = field(default_factory=tuple)

    def artifact_ids(self) -> list[str]:
        return [a.id for a in self.artifacts]

    def claims_of(self, artifact: str) -> list[Claim]:
        return [c for c in self.claims if c.artifact == artifact]


def _schema() -> dict[str, Any]:
    return io.load_yaml(paths.workflow_dir() / "schemas" / "claims.schema.yaml")


def load_registry(paper: str, path: str | Path | None = None) -> Registry:
    path = Path(path) if path else paths.absolute(paths.rel_claims_registry(paper))
    raw = io.load_yaml(path)
    if isinstance(raw, dict) and raw.get("claims", []) is None:
        raw["claims"] = []  # `claims:` followed only by section comments: none written yet
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(raw), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(
            f"  - {'.'.join(map(str, e.absolute_path)) or '<top level>'}: {e.message}" for e in errors
        )
        raise RegistryError(f"invalid claims registry {path}:\n{lines}")
    if raw["paper"] != paper:
        raise RegistryError(f"{path}: 'paper' is {raw['paper']!r}, expected {paper!r}")
    prefix = paths.PAPER_PREFIXES[paper]
    artifacts = tuple(Artifact(paper=paper, **a) for a in raw["artifacts"])
    ids = [a.id for a in artifacts]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RegistryError(f"{path}: duplicate artifact ids {dup}")
    bad = [i for i in ids if not i.startswith(prefix)]
    if bad:
        raise RegistryError(f"{path}: artifact ids {bad} lack the paper prefix {prefix!r}")
    claims = []
    for c in raw.get("claims") or []:
        claim = Claim(
            id=c["id"], artifact=c["artifact"], statement=c["statement"].strip(), paper_value=c["paper_value"],
            metric=c["metric"], check=dict(c["check"]), scales=tuple(c["scales"]),
            requires=tuple(c.get("requires") or ()), note=(c.get("note") or "").strip(),
        )
        if claim.artifact not in ids:
            raise RegistryError(f"{path}: claim {claim.id!r} names unknown artifact {claim.artifact!r}")
        if not claim.id.startswith(claim.artifact + "."):
            raise RegistryError(f"{path}: claim id {claim.id!r} must start with its artifact '{claim.artifact}.'")
        claims.append(claim)
    cids = [c.id for c in claims]
    dup = sorted({i for i in cids if cids.count(i) > 1})
    if dup:
        raise RegistryError(f"{path}: duplicate claim ids {dup}")
    return Registry(paper=paper, citation=raw["citation"], artifacts=artifacts, claims=tuple(claims))


def load_all() -> dict[str, Registry]:
    return {paper: load_registry(paper) for paper in paths.PAPERS}


def implemented_artifacts() -> set[str]:
    """An artifact is implemented when its notebook exists (one name per artifact everywhere)."""
    found = set()
    for paper in paths.PAPERS:
        folder = paths.root() / "notebooks" / paper
        if folder.is_dir():
            found.update(p.stem for p in folder.glob("*.ipynb"))
    return found
