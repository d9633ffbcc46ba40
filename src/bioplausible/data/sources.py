"""Find a split's files (mirror, earlier downloads, fixtures), check every md5, download if allowed.

Look-up order for each file: the mirror (``data.mirror``), then the download root
(``<cache_root>/raw/<dataset>/``). Within a place, each accepted form of the file (e.g. MNIST's
uncompressed and ``.gz``) is tried in order, and the first whose md5 matches is used. A present
file whose md5 does not match is an error (:class:`ChecksumError`) unless ``allow_unverified``.
An archive (CIFAR, STL-10) found in either place is verified and extracted into the download root
before anything is downloaded. Downloading happens only with ``download=True``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from ..io import atomic_path, md5_file, sha256_file
from .errors import ChecksumError, DataNotFoundError, Mismatch, warn_unverified
from .registry import ArchiveSpec, Candidate, DatasetSpec, FileSpec

log = logging.getLogger("bioplausible.data")


@dataclass(frozen=True)
class ResolvedFile:
    spec: FileSpec
    candidate: Candidate
    path: Path
    location: str  # "mirror" | "download" | "fixture"
    md5: str
    expected_md5: str
    expected_from: str  # "published" | "fixture"

    @property
    def verified(self) -> bool:
        return self.md5 == self.expected_md5

    def mismatch(self) -> Mismatch:
        return Mismatch(str(self.path), self.expected_md5, self.md5, self.expected_from)

    def record(self) -> dict:
        """The file's entry in ``meta["files"]`` (and so in provenance)."""
        return {
            "name": self.candidate.path,
            "path": str(self.path),
            "md5": self.md5,
            "expected_md5": self.expected_md5,
            "expected_from": self.expected_from,
            "sha256": sha256_file(self.path),
            "verified": self.verified,
        }


Location = tuple[str, Path]  # (kind, root)


def _expected(c: Candidate, fixture: bool) -> str | None:
    return c.fixture_md5 if fixture else c.md5


def _find(
    f: FileSpec, locations: Sequence[Location], fixture: bool
) -> tuple[ResolvedFile | None, list[ResolvedFile], list[Path]]:
    """(first verified form, present forms that failed their md5, every path looked at)."""
    bad: list[ResolvedFile] = []
    looked: list[Path] = []
    for kind, root in locations:
        for c in f.candidates:
            expected = _expected(c, fixture)
            if expected is None:
                continue
            path = root / c.path
            looked.append(path)
            if not path.is_file():
                continue
            r = ResolvedFile(f, c, path, kind, md5_file(path), expected, "fixture" if fixture else "published")
            if r.verified:
                for b in bad:
                    log.warning(
                        "ignoring %s (md5 %s, expected %s); using verified %s", b.path, b.md5, b.expected_md5, path
                    )
                return r, bad, looked
            bad.append(r)
    return None, bad, looked


# --- downloading -----------------------------------------------------------------------------------
def _fetch(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` atomically (a killed download leaves no file that looks complete).
    Zenodo (MedMNIST) through urllib, the rest through torchvision's ``download_url`` (which follows
    redirects and handles Google Drive). No md5 is passed: the caller checks it and names the file."""
    with atomic_path(dest) as tmp:
        if "zenodo.org" in url:
            req = urllib.request.Request(url, headers={"User-Agent": "bioplausible"})
            with urllib.request.urlopen(req) as resp, open(tmp, "wb") as out:
                shutil.copyfileobj(resp, out, length=1 << 20)
        else:
            from torchvision.datasets.utils import download_url

            with tempfile.TemporaryDirectory(dir=dest.parent) as d:
                download_url(url, root=d, filename=dest.name, md5=None)
                os.replace(Path(d) / dest.name, tmp)


FETCH: Callable[[str, Path], None] = _fetch  # tests replace this to run offline


def _fetch_any(urls: Sequence[str], dest: Path) -> None:
    errors = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    for url in urls:
        try:
            log.info("downloading %s -> %s", url, dest)
            FETCH(url, dest)
            return
        except Exception as exc:  # try the next mirror, report all at the end
            errors.append(f"{url}: {type(exc).__name__}: {exc}")
    raise DataNotFoundError(f"could not download {dest.name}; tried:\n  " + "\n  ".join(errors))


def _check_md5(path: Path, expected: str, allow_unverified: bool) -> None:
    actual = md5_file(path)
    if actual != expected:
        m = Mismatch(str(path), expected, actual, "published")
        if not allow_unverified:
            raise ChecksumError([m])
        warn_unverified(m)


def _extract(archive: Path, spec: ArchiveSpec, into: Path, allow_unverified: bool) -> None:
    """Verify an archive's published md5, extract it next to a temporary folder, then move the
    files into ``into`` one by one (atomic renames)."""
    from torchvision.datasets.utils import extract_archive

    _check_md5(archive, spec.md5, allow_unverified)
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=into, prefix=".extract-") as tmp:
        log.info("extracting %s -> %s", archive, into)
        extract_archive(str(archive), tmp)
        for src in sorted(Path(tmp).rglob("*")):
            if src.is_file():
                dst = into / src.relative_to(tmp)
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)


def _from_archive(
    spec: DatasetSpec, locations: Sequence[Location], download_dir: Path, download: bool, allow_unverified: bool
) -> bool:
    """Extract the dataset's archive into ``download_dir`` if one is present, or downloaded when allowed."""
    assert spec.archive is not None
    for _, root in locations:
        archive = root / spec.archive.filename
        if archive.is_file():
            _extract(archive, spec.archive, download_dir, allow_unverified)
            return True
    if download:
        archive = download_dir / spec.archive.filename
        _fetch_any([spec.archive.url], archive)
        _extract(archive, spec.archive, download_dir, allow_unverified)
        return True
    return False


# --- the entry point -------------------------------------------------------------------------------
def resolve_split_files(
    spec: DatasetSpec,
    split: str,
    *,
    locations: Sequence[Location],
    fixture: bool,
    download_dir: Path | None,
    download: bool,
    allow_unverified: bool,
) -> list[ResolvedFile]:
    """Every file of ``spec``/``split``, found and md5-checked (see the module docstring)."""
    files = spec.split_files(split)
    found: dict[int, ResolvedFile] = {}
    bad: dict[int, list[ResolvedFile]] = {}
    looked: dict[int, list[Path]] = {}

    def search(indices):
        for i in indices:
            r, b, lk = _find(files[i], locations, fixture)
            looked[i] = lk
            if r is not None:
                found[i] = r
                bad.pop(i, None)
            else:
                bad[i] = b

    search(range(len(files)))
    missing = [i for i in range(len(files)) if i not in found and not bad[i]]
    if missing and not fixture and download_dir is not None:
        fetched = False
        if any(not files[i].urls for i in missing) and spec.archive is not None:
            fetched = _from_archive(spec, locations, download_dir, download, allow_unverified)
        if download:
            for i in missing:
                if files[i].urls:
                    dest = download_dir / (files[i].download_as or files[i].candidates[0].path)
                    _fetch_any(files[i].urls, dest)
                    fetched = True
        if fetched:
            search(missing)
            missing = [i for i in range(len(files)) if i not in found and not bad[i]]

    if missing:
        lines = []
        for i in missing:
            lines.append(f"  {files[i].role}: " + " | ".join(str(p) for p in looked[i]))
        if fixture:
            hint = "fixture files should have been generated there; this is a bug in the fixture writer"
        else:
            hint = (
                "set `data.mirror` to a folder holding the original files in torchvision's layout, "
                "or `data.download: true` to download them"
                + (f" (or put {spec.archive.filename} in the mirror)" if spec.archive else "")
            )
        raise DataNotFoundError(
            f"{spec.name}/{split}: {len(missing)} file(s) not found (download disabled); looked for:\n"
            + "\n".join(lines)
            + f"\n{hint}"
        )

    failed = [i for i in range(len(files)) if i not in found]
    if failed:
        mismatches = [r.mismatch() for i in failed for r in bad[i]]
        if not allow_unverified:
            raise ChecksumError(mismatches)
        for i in failed:
            warn_unverified(bad[i][0].mismatch())
            found[i] = bad[i][0]
    return [found[i] for i in range(len(files))]
