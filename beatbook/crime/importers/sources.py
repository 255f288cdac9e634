"""Finding data.police.uk files: single files, folders, the archive layout and downloaded .zip files.

A data.police.uk download is a .zip whose members are `YYYY-MM/YYYY-MM-<force>-street.csv`
(plus `-outcomes.csv` and `-stop-and-search.csv` when asked for). The same layout unpacked
is a folder; a single month is one file, possibly gzipped. Everything here works from names
first (cheap, so a bad name fails before any data is read), then copies one zip member at a
time to a work folder when its batch is about to be read.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from beatbook.core.imports import ImportFailed

# YYYY-MM-<force slug>-<kind>.csv, optionally .gz. The slug is lower case with hyphens
# ("avon-and-somerset", "city-of-london"); data.police.uk never uses other characters.
FILE_NAME = re.compile(
    r"^(?P<month>\d{4}-\d{2})-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*?)-(?P<kind>street|outcomes|stop-and-search)"
    r"\.csv(?P<gz>\.gz)?$",
    re.IGNORECASE,
)
SKIPPED_KINDS = {
    "outcomes": "outcomes files (not read: the street files carry each crime's last outcome)",
    "stop-and-search": "stop-and-search files (not crime; not read)",
}
OTHER_FILES = "other files in folders or archives (not data.police.uk CSV files)"
# Gzipped street files are about a fifth of their text; used only to size batches.
GZIP_RATIO = 5
CHUNK = 1 << 20


@dataclass
class StreetFile:
    """One street-level file to import, wherever it is."""

    label: str  # how errors name it: its path, or "download.zip!2022-06/2022-06-x-street.csv"
    name: str
    month: date
    month_key: str  # "YYYY-MM", as the Month column must say
    slug: str
    text_size: int  # bytes of CSV text (estimated for .gz); sizes the batches
    gzipped: bool
    path: Path | None = None  # a file on disk (None for a zip member until it is copied out)
    zip_path: Path | None = None
    member: str | None = None

    @property
    def local(self) -> Path:
        assert self.path is not None, f"{self.label} has not been copied out of its archive"
        return self.path


@dataclass
class Discovery:
    files: list[StreetFile] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def _month(text: str) -> date | None:
    year, month = int(text[:4]), int(text[5:7])
    return date(year, month, 1) if 1 <= month <= 12 and year >= 1900 else None


def _classify(name: str, *, label: str, explicit: bool, discovery: Discovery) -> tuple[date, str, str, bool] | None:
    """(month, month key, force slug, gzipped) for a street file; None for files to skip."""
    match = FILE_NAME.match(name)
    if match is None:
        if explicit:
            raise ImportFailed(
                "is not named like a data.police.uk street file (YYYY-MM-<force>-street.csv, optionally .gz)",
                path=label,
            )
        discovery.skipped[OTHER_FILES] += 1
        return None
    kind = match.group("kind").lower()
    if kind != "street":
        discovery.skipped[SKIPPED_KINDS[kind]] += 1
        return None
    month = _month(match.group("month"))
    if month is None:
        raise ImportFailed(f"the month in the file name ({match.group('month')}) is not a month", path=label)
    return month, match.group("month"), match.group("slug").lower(), bool(match.group("gz"))


def _add_file(path: Path, *, explicit: bool, discovery: Discovery) -> None:
    if path.suffix.lower() == ".zip":
        _add_zip(path, discovery)
        return
    found = _classify(path.name, label=str(path), explicit=explicit, discovery=discovery)
    if found is None:
        return
    month, key, slug, gzipped = found
    size = path.stat().st_size
    discovery.files.append(
        StreetFile(
            label=str(path),
            name=path.name,
            month=month,
            month_key=key,
            slug=slug,
            text_size=size * GZIP_RATIO if gzipped else size,
            gzipped=gzipped,
            path=path,
        )
    )


def _add_zip(path: Path, discovery: Discovery) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed(f"is not a readable .zip archive: {exc}", path=path) from exc
    for info in sorted(members, key=lambda i: i.filename):
        name = info.filename.rsplit("/", 1)[-1]
        # Finder and editors leave these behind; they are never data.
        if name.startswith(".") or info.filename.startswith("__MACOSX/"):
            continue
        label = f"{path}!{info.filename}"
        found = _classify(name, label=label, explicit=False, discovery=discovery)
        if found is None:
            continue
        month, key, slug, gzipped = found
        discovery.files.append(
            StreetFile(
                label=label,
                name=name,
                month=month,
                month_key=key,
                slug=slug,
                text_size=info.file_size * (GZIP_RATIO if gzipped else 1),
                gzipped=gzipped,
                zip_path=path,
                member=info.filename,
            )
        )


def discover(paths: Sequence[Path]) -> Discovery:
    """Every street file named by `paths` (files, folders searched recursively, .zip archives)."""
    discovery = Discovery()
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                    _add_file(child, explicit=False, discovery=discovery)
        elif path.is_file():
            _add_file(path, explicit=True, discovery=discovery)
        else:
            raise ImportFailed("file or folder not found", path=path)
    return discovery


def extract(street_file: StreetFile, work_dir: Path, index: int) -> None:
    """Copy a zip member to its own file in `work_dir` (streamed, never whole in memory)."""
    assert street_file.zip_path is not None and street_file.member is not None
    target_dir = work_dir / f"{index:06d}"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / street_file.name
    try:
        with (
            zipfile.ZipFile(street_file.zip_path) as archive,
            archive.open(street_file.member) as src,
            target.open("wb") as out,
        ):
            shutil.copyfileobj(src, out, CHUNK)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise ImportFailed(f"cannot be read from the archive: {exc}", path=street_file.label) from exc
    street_file.path = target


def file_sha256(street_file: StreetFile) -> str:
    """SHA-256 of the file's CSV text (decompressed for .gz), so packing does not matter.

    Raises OSError, EOFError or zlib.error for a damaged file; the caller finds the line.
    """
    digest = hashlib.sha256()
    path = street_file.local
    with gzip.open(path, "rb") if street_file.gzipped else path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
