"""Scale configuration: load ``workflow/config/<scale>.yaml`` and validate it against the JSON schema.

The schema (``workflow/schemas/config.schema.yaml``) sets ``additionalProperties: false`` and lists
every key as required, so a misspelt key, a missing key or a wrong type stops the workflow at parse
time, before any job starts, with a message that names the key by its full dotted path.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

import jsonschema

from . import io, paths

SCALES = ("smoke", "quick", "paper")
DEFAULT_SCALE = "quick"


class ConfigError(ValueError):
    """The scale configuration is invalid; the message names the offending key(s)."""


def schema_path() -> Path:
    return paths.workflow_dir() / "schemas" / "config.schema.yaml"


def config_path(scale: str) -> Path:
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return paths.workflow_dir() / "config" / f"{scale}.yaml"


def _dotted(path: Any) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in path]
    return ".".join(parts).replace(".[", "[") or "<top level>"


def _describe(error: jsonschema.ValidationError) -> str:
    where = _dotted(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        prefix = "" if where == "<top level>" else where + "."
        keys = ", ".join(f"'{prefix}{k}'" for k in extra)
        return f"unknown config key {keys} (allowed here: {', '.join(allowed)})"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        prefix = "" if where == "<top level>" else where + "."
        return "missing config key " + ", ".join(f"'{prefix}{k}'" for k in missing)
    return f"config key '{where}': {error.message}"


def validate(config: Mapping[str, Any], schema: Mapping[str, Any] | None = None, source: str = "config") -> None:
    """Raise :class:`ConfigError` listing every problem, each naming its key by dotted path."""
    if schema is None:
        schema = io.load_yaml(schema_path())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = "\n".join(f"  - {_describe(e)}" for e in errors)
        raise ConfigError(f"invalid {source}:\n{lines}")


def freeze(obj: Any) -> Any:
    """Read-only view of a nested config (dicts become MappingProxyType, lists tuples)."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return tuple(freeze(v) for v in obj)
    return obj


def thaw(obj: Any) -> Any:
    """Plain dict/list copy of a (possibly frozen) config, e.g. for JSON or hashing."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(v) for v in obj]
    return obj


def load(scale: str | None = None) -> Mapping[str, Any]:
    """Load and validate one scale's config (default: ``$BIOPLAUSIBLE_SCALE`` or ``quick``)."""
    scale = scale or os.environ.get("BIOPLAUSIBLE_SCALE", DEFAULT_SCALE)
    path = config_path(scale)
    cfg = io.load_yaml(path)
    validate(cfg, source=str(path))
    if cfg["scale"] != scale:
        raise ConfigError(f"{path}: key 'scale' is {cfg['scale']!r} but the file is for scale {scale!r}")
    return freeze(cfg)


def section(cfg: Mapping[str, Any], dotted: str) -> Any:
    """``section(cfg, "amit.fig3")`` with an error naming the missing key."""
    node: Any = cfg
    for i, key in enumerate(dotted.split(".")):
        if not isinstance(node, Mapping) or key not in node:
            raise ConfigError(f"config has no key '{'.'.join(dotted.split('.')[: i + 1])}'")
        node = node[key]
    return node
