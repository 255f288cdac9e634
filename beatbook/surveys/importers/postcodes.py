"""Import the ONS Postcode Directory (ONSPD) CSV: postcode → LSOA, terminated, latitude/longitude.

The ONSPD's data file has one row per postcode, live or terminated, with a header naming
its columns (pcd, pcd2, pcds, dointr, doterm, …, lsoa11, …, lat, long, …, lsoa21, …). Beatbook
reads `pcds` (or `pcd`/`pcd2`), `doterm` (blank while the postcode is live), the LSOA code
(`lsoa21` when the file has it, else `lsoa11`) and `lat`/`long` (99.999999/0.000000 stands for
"no grid reference"). The national file has 2.7 million rows, so by default only postcodes
in imported LSOAs are kept (`keep_all=True` keeps every row). Postcodes are normalised to
the "LE1 1AA" form. Re-importing a file changes nothing; a newer file updates changed rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from beatbook.areas.importers.common import CsvRows, normalise_header
from beatbook.areas.models import Area, Level
from beatbook.areas.services import import_audit_by_force
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

POSTCODE_SHAPE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")
POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2")
LSOA_COLUMNS = ("lsoa21", "lsoa21cd", "lsoa11", "lsoa11cd")
# ONSPD's placeholder for a postcode with no grid reference.
NO_LATITUDE = 99.999999


def normalise_postcode(text: str) -> str:
    """ "le11aa", " LE1  1AA " → "LE1 1AA"; ValueError for text that is not a UK postcode."""
    compact = re.sub(r"\s+", "", text or "").upper()
    if not POSTCODE_SHAPE.match(compact):
        raise ValueError(f"{text.strip()!r} is not a UK postcode" if text and text.strip() else "no postcode given")
    return f"{compact[:-3]} {compact[-3:]}"


def _column(header: list[str], choices: tuple[str, ...], path: Path, what: str) -> int:
    names = [normalise_header(h) for h in header]
    for choice in choices:
        if choice in names:
            return names.index(choice)
    raise ImportFailed(
        f"is not an ONS Postcode Directory CSV: no {what} column (expected one of {', '.join(choices)})",
        path=path,
        line=1,
    )


def _coordinate(text: str, *, low: float, high: float, path: Path, line: int, field: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ImportFailed(f"{text!r} is not a number", path=path, line=line, field=field) from None
    if field == "lat" and abs(value - NO_LATITUDE) < 1e-6:
        return None
    if not low <= value <= high:
        raise ImportFailed(f"{value} is outside {low} to {high}", path=path, line=line, field=field)
    return value


def import_postcodes(path: Path, *, commit: bool, keep_all: bool = False, show_progress: bool = False) -> ImportReport:
    """Import one ONSPD CSV (plain or .gz). Dry run unless `commit`; any bad line stops the file."""
    from ..services import PostcodeRow, postcodes_upsert

    report = ImportReport(source=path.name, kind="postcodes")
    lsoas = list(Area.objects.filter(level=Level.LSOA).values_list("code", "pk", "force_id"))
    lsoa_ids = {code: pk for code, pk, _force in lsoas}
    force_of = {pk: force_id for _code, pk, force_id in lsoas}
    rows: list[PostcodeRow] = []
    seen: dict[str, int] = {}
    with CsvRows(path) as csv_rows:
        header = csv_rows.header
        at_postcode = _column(header, POSTCODE_COLUMNS, path, "postcode")
        at_lsoa = _column(header, LSOA_COLUMNS, path, "LSOA")
        at_lat = _column(header, ("lat",), path, "latitude")
        at_long = _column(header, ("long",), path, "longitude")
        names = [normalise_header(h) for h in header]
        at_doterm = names.index("doterm") if "doterm" in names else None
        postcode_field = header[at_postcode]
        for line, cells in progress(csv_rows, enabled=show_progress, desc="postcodes"):
            report.read += 1
            try:
                postcode = normalise_postcode(cells[at_postcode])
            except ValueError as error:
                raise ImportFailed(str(error), path=path, line=line, field=postcode_field) from None
            if postcode in seen:
                raise ImportFailed(
                    f"{postcode} is also on line {seen[postcode]}", path=path, line=line, field=postcode_field
                )
            seen[postcode] = line
            lsoa_code = cells[at_lsoa].strip().upper()
            lsoa_id = lsoa_ids.get(lsoa_code)
            if lsoa_id is None and not keep_all:
                report.skip("LSOA not imported")
                continue
            doterm = cells[at_doterm].strip() if at_doterm is not None else ""
            if doterm and not re.fullmatch(r"\d{6}", doterm):
                raise ImportFailed(f"{doterm!r} is not a month (YYYYMM)", path=path, line=line, field="doterm")
            rows.append(
                PostcodeRow(
                    postcode=postcode,
                    lsoa_code=lsoa_code,
                    lsoa_id=lsoa_id,
                    terminated=bool(doterm),
                    latitude=_coordinate(cells[at_lat], low=49.0, high=61.0, path=path, line=line, field="lat"),
                    longitude=_coordinate(cells[at_long], low=-9.0, high=3.0, path=path, line=line, field="long"),
                )
            )
    with import_transaction(commit):
        counts = postcodes_upsert(rows=rows)
        report.created, report.updated, report.unchanged = counts.created, counts.updated, counts.unchanged
        report.committed = commit
        import_audit_by_force(report=report, force_ids={force_of.get(row.lsoa_id) for row in rows if row.lsoa_id})
    return report
