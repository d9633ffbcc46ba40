"""Errors of the data layer. Each names the file, the values expected and found, and the way out."""

from __future__ import annotations

import warnings
from dataclasses import dataclass


class FormatError(ValueError):
    """A file's bytes do not have the layout its format requires (magic number, dtype, dims, size)."""


class UnknownChoiceError(ValueError):
    """An unknown dataset or split name; the message lists the valid choices."""


class DataNotFoundError(FileNotFoundError):
    """Required files are missing and downloading is off; the message lists every path looked at."""


class UnverifiedCacheError(ValueError):
    """A cache built from unverified files was requested with ``allow_unverified=False``."""


class UnverifiedDataWarning(UserWarning):
    """A file failed its checksum and was accepted only because ``allow_unverified`` is true."""


ALLOW_HINT = (
    "Set `data.allow_unverified: true` in the config (allow_unverified=True) to accept it; "
    "everything built from it is then marked verified: false."
)


@dataclass(frozen=True)
class Mismatch:
    path: str
    expected_md5: str
    actual_md5: str
    expected_from: str  # "published" (the dataset's own sum) or "fixture" (our generated fixture)

    def line(self) -> str:
        return (
            f"  {self.path}\n"
            f"    expected md5 {self.expected_md5} ({self.expected_from})\n"
            f"    actual   md5 {self.actual_md5}"
        )


class ChecksumError(ValueError):
    """A file's md5 differs from the published one. ``.mismatches`` holds every offending file."""

    def __init__(self, mismatches: list[Mismatch] | tuple[Mismatch, ...]):
        self.mismatches = tuple(mismatches)
        lines = [f"md5 checksum mismatch in {len(self.mismatches)} file(s):"]
        lines += [m.line() for m in self.mismatches]
        if any(m.expected_from == "fixture" for m in self.mismatches):
            lines.append(
                "A generated smoke fixture differs from its declared md5: delete the fixture folder "
                "(results/fixtures/<dataset>/) to regenerate it; if the fixture writer changed on "
                "purpose, update the fixture md5s in bioplausible/data/registry.py "
                "(python -m bioplausible.data fixtures --out DIR prints them)."
            )
        lines.append(ALLOW_HINT)
        super().__init__("\n".join(lines))


def warn_unverified(m: Mismatch) -> None:
    warnings.warn(
        f"UNVERIFIED data file {m.path}: expected md5 {m.expected_md5} ({m.expected_from}), "
        f"actual md5 {m.actual_md5}; accepted because allow_unverified is true, "
        "and outputs built from it are marked verified: false",
        UnverifiedDataWarning,
        stacklevel=3,
    )


def check_choice(kind: str, value: str, choices) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise UnknownChoiceError(f"unknown {kind} {value!r}; choose one of: {', '.join(choices)}")
    return value
