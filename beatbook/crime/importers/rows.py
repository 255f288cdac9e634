"""The rules a street-level row must follow, in Python and as one DuckDB SQL expression.

DuckDB checks whole batches of files at once (fast, but it numbers records, not lines,
so a quoted newline would put it off by one). When it finds anything wrong, `diagnose`
reads that one file again in Python, row by row, and raises the `ImportFailed` with the
true line and column. Both follow the same rules, in the same order, from the same
constants; the tests hold each kind of damage against both.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from beatbook.core.imports import ImportFailed, TextSource

from ..models import CrimeCategory, CrimeCount, CrimeOutcome
from ..street_format import HEADER

# Names of the columns inside DuckDB (the header is checked separately, then skipped).
FIELDS = (
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "category",
    "outcome",
    "context",
)
COLUMN_OF = dict(zip(FIELDS, HEADER, strict=True))
# Plain decimals only, as data.police.uk writes them ("-1.215820"): no exponents, no "nan".
NUMBER = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_NUMBER = re.compile(NUMBER)
# Published points are in England, Wales and Northern Ireland; a box round the British
# Isles catches swapped or garbled coordinates without rejecting any real point.
LONGITUDE_RANGE = (-11.0, 3.0)
LATITUDE_RANGE = (49.0, 61.0)
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


def _max_length(model: type[CrimeCount] | type[CrimeCategory] | type[CrimeOutcome], name: str) -> int:
    model_field = model._meta.get_field(name)
    length = getattr(model_field, "max_length", None)
    assert length is not None
    return int(length)


# Longer values would not fit the database columns (PostgreSQL enforces the limits).
MAX_LENGTHS = {
    "lsoa_code": _max_length(CrimeCount, "lsoa_code"),
    "category": _max_length(CrimeCategory, "name"),
    "outcome": _max_length(CrimeOutcome, "name"),
}
REQUIRED = ("reported_by", "falls_within")


def check_header(cells: list[str], *, path: str) -> None:
    """The exact 12 columns of a data.police.uk street file, in order."""
    if cells and cells[0].startswith("\ufeff"):
        cells = [cells[0][1:], *cells[1:]]
    if tuple(cells) == HEADER:
        return
    for position, expected in enumerate(HEADER):
        found = cells[position] if position < len(cells) else None
        if found != expected:
            what = "is missing" if found is None else f"is {found!r}"
            raise ImportFailed(
                f"column {position + 1} of the header {what}; expected {expected!r} "
                f"(a street file has exactly: {', '.join(HEADER)})",
                path=path,
                line=1,
                field=expected,
            )
    raise ImportFailed(
        f"the header has {len(cells)} columns; a street file has exactly 12 ({', '.join(HEADER)})",
        path=path,
        line=1,
        field=cells[len(HEADER)],
    )


def read_header(local: Path, *, label: str) -> None:
    """Check the first line of a file (cheap: one line is decoded)."""
    with _open(local, label=label) as source:
        reader = csv.reader(source)
        try:
            cells = next(reader)
        except StopIteration:
            raise ImportFailed("is empty: expected the street file header", path=label, line=1) from None
        except csv.Error as exc:
            raise ImportFailed(f"the header is not valid CSV: {exc}", path=label, line=1) from exc
    check_header(cells, path=label)


def _open(local: Path, *, label: str) -> TextSource:
    source = TextSource(local)
    # Errors name the file as the user gave it (a zip member, not its temporary copy).
    source.path = Path(label) if label != str(local) else local
    return source


def check_row(values: list[str], month_key: str) -> tuple[str, str] | None:
    """The first broken rule of a row as (column, message), or None. Same order as `SQL_PROBLEM`."""
    # Spaces only, as DuckDB's trim(): a tab or no-break space is part of the value.
    cleaned = {name: values[i].strip(" ") for i, name in enumerate(FIELDS)}
    month = cleaned["month"]
    if month != month_key:
        if not _MONTH.fullmatch(month):
            return "Month", f"{month!r} is not a month (YYYY-MM)"
        return "Month", f"{month!r} is not the month in the file name ({month_key})"
    for name in REQUIRED:
        if not cleaned[name]:
            return COLUMN_OF[name], "is empty"
    longitude, latitude = cleaned["longitude"], cleaned["latitude"]
    if bool(longitude) != bool(latitude):
        missing = "longitude" if not longitude else "latitude"
        return COLUMN_OF[missing], "is empty but the other coordinate is not (give both or neither)"
    for name, (low, high) in (("longitude", LONGITUDE_RANGE), ("latitude", LATITUDE_RANGE)):
        value = cleaned[name]
        if not value:
            continue
        if not _NUMBER.fullmatch(value):
            return COLUMN_OF[name], f"{value!r} is not a number"
        if not low <= float(value) <= high:
            return COLUMN_OF[name], f"{value} is outside {low} to {high} (England, Wales and Northern Ireland)"
    if not cleaned["category"]:
        return COLUMN_OF["category"], "is empty"
    for name, limit in MAX_LENGTHS.items():
        if len(cleaned[name]) > limit:
            return COLUMN_OF[name], f"is longer than {limit} characters"
    return None


def _sql_number_check(name: str, low: float, high: float) -> str:
    return (
        f"{name} IS NOT NULL AND NOT coalesce(regexp_full_match({name}, '{NUMBER}') "
        f"AND TRY_CAST({name} AS DOUBLE) BETWEEN {low} AND {high}, false)"
    )


# DuckDB checks in two places. Rules about a single row are counted while the file is
# read and grouped (SQL_ROW_PROBLEM, on the cleaned row); rules about values that are part
# of the grouping key are checked on the groups (SQL_GROUP_PROBLEM, with the file's
# expected month as `f.month_key`). Each gives the column of the first broken rule, or NULL.
SQL_ROW_PROBLEM = f"""CASE
    {" ".join(f"WHEN {name} IS NULL THEN '{COLUMN_OF[name]}'" for name in REQUIRED)}
    WHEN longitude IS NULL AND latitude IS NOT NULL THEN 'Longitude'
    WHEN latitude IS NULL AND longitude IS NOT NULL THEN 'Latitude'
    WHEN {_sql_number_check("longitude", *LONGITUDE_RANGE)} THEN 'Longitude'
    WHEN {_sql_number_check("latitude", *LATITUDE_RANGE)} THEN 'Latitude'
END"""
SQL_GROUP_PROBLEM = f"""CASE
    WHEN g.month IS NULL OR g.month <> f.month_key THEN 'Month'
    WHEN g.category IS NULL THEN 'Crime type'
    {" ".join(f"WHEN length(g.{name}) > {limit} THEN '{COLUMN_OF[name]}'" for name, limit in MAX_LENGTHS.items())}
END"""


def sql_cleaned(source: str, *, keep_filename: bool = True) -> str:
    """SELECT the columns of `source` (a read_csv call) trimmed, with empty values as NULL."""
    columns = [f"nullif(trim({name}), '') AS {name}" for name in FIELDS if name != "lsoa_name"]
    if keep_filename:
        columns.append("filename")
    return f"SELECT {', '.join(columns)} FROM {source}"  # noqa: S608 (fixed names; the caller builds `source`)


def records(local: Path, *, label: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, values) for every data row, checking the column count."""
    with _open(local, label=label) as source:
        reader = csv.reader(source, strict=True)
        start = 1
        try:
            next(reader)  # the header, checked by read_header
            start = source.line_number + 1
            for values in reader:
                line = start
                start = source.line_number + 1
                if not values:
                    continue  # a blank line, as DuckDB skips them
                if len(values) != len(HEADER):
                    if len(values) < len(HEADER):
                        raise ImportFailed(
                            f"has {len(values)} columns instead of 12 (the line is cut short)",
                            path=label,
                            line=line,
                            field=HEADER[len(values)],
                        )
                    raise ImportFailed(f"has {len(values)} columns instead of 12", path=label, line=line)
                yield line, values
        except csv.Error as exc:
            raise ImportFailed(f"is not valid CSV: {exc}", path=label, line=start) from exc


def diagnose(local: Path, *, label: str, month_key: str) -> None:
    """Read one file in Python and raise ImportFailed at its first bad row (returns if none)."""
    read_header(local, label=label)
    for line, values in records(local, label=label):
        problem = check_row(values, month_key)
        if problem is not None:
            raise ImportFailed(problem[1], path=label, line=line, field=problem[0])


def physical_line(local: Path, *, label: str, duckdb_line: int) -> int | None:
    """The line where DuckDB's `duckdb_line` starts: DuckDB counts a record with quoted newlines as one line."""
    with _open(local, label=label) as source:
        reader = csv.reader(source)
        start = 1
        try:
            for index, _values in enumerate(reader, start=1):
                if index == duckdb_line:
                    return start
                start = source.line_number + 1
        except (csv.Error, ImportFailed):
            return start
    return None
