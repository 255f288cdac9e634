"""Individual crime rows as Parquet, one file per force-month, read with DuckDB.

The database keeps monthly counts; the rows themselves (about six million a year
nationally) only matter to the point map and to ad-hoc analysis, so they live outside
the database as `settings.CRIME_DATA_DIR / <force code> / <YYYY-MM>.parquet`. The importer
writes them (atomically, after its transaction commits); everything else reads them
through the functions here. ARCHITECTURE.md ("Crime storage") gives the measurements.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

import duckdb
from django.conf import settings

# The columns of every month file, in order, with their DuckDB types. Empty published
# values are NULL (a row with no LSOA has lsoa_code NULL here, '' in CrimeCount).
PARQUET_COLUMNS: tuple[tuple[str, str], ...] = (
    ("crime_id", "VARCHAR"),
    ("month", "DATE"),
    ("longitude", "DOUBLE"),
    ("latitude", "DOUBLE"),
    ("location", "VARCHAR"),
    ("lsoa_code", "VARCHAR"),
    ("category", "VARCHAR"),
    ("outcome", "VARCHAR"),
    ("context", "VARCHAR"),
)
# Zstandard at level 1: as fast to write as Snappy and 40% smaller for these files
# (crime IDs are 64 hex digits); measured for bench/crime_import.py.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"

# Force codes become directory names, so only plain codes are accepted (E23000021, TESTSHIRE).
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})\.parquet$")


class CrimePoint(NamedTuple):
    crime_id: str | None
    month: date
    longitude: float | None
    latitude: float | None
    location: str | None
    lsoa_code: str | None
    category: str
    outcome: str | None
    context: str | None


def data_dir() -> Path:
    return Path(settings.CRIME_DATA_DIR)


def force_dir(force_code: str) -> Path:
    if not _CODE.match(force_code):
        raise ValueError(f"{force_code!r} is not a force code that can name a folder")
    return data_dir() / force_code


def as_month(value: date | str) -> date:
    """A month as its first day, from a date or 'YYYY-MM'."""
    if isinstance(value, date):
        return value.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{value!r} is not a month (YYYY-MM)")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_path(force_code: str, month: date | str) -> Path:
    """Where the rows of one force-month are kept (the file may not exist)."""
    return force_dir(force_code) / f"{as_month(month):%Y-%m}.parquet"


def stored_months(force_code: str) -> list[date]:
    """The months with a Parquet file for this force, oldest first."""
    folder = force_dir(force_code)
    if not folder.is_dir():
        return []
    months = []
    for path in folder.iterdir():
        match = _MONTH_FILE.match(path.name)
        if match and 1 <= int(match.group(2)) <= 12:
            months.append(date(int(match.group(1)), int(match.group(2)), 1))
    return sorted(months)


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for reading the month files."""
    return duckdb.connect(":memory:")


def points_relation(
    connection: duckdb.DuckDBPyConnection,
    force_code: str,
    months: Iterable[date | str],
    lsoa_codes: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    *,
    located_only: bool = True,
) -> duckdb.DuckDBPyRelation | None:
    """The rows of these months as a DuckDB relation (for grouping in DuckDB), or None if none are stored.

    `lsoa_codes` and `categories` restrict the rows when given (an empty list matches
    nothing); `located_only` drops rows published without coordinates.
    """
    paths = sorted({month_path(force_code, m) for m in months})
    paths = [p for p in paths if p.is_file()]
    if not paths:
        return None
    conditions = []
    parameters: list[object] = []
    if located_only:
        conditions.append("longitude IS NOT NULL AND latitude IS NOT NULL")
    if lsoa_codes is not None:
        conditions.append("list_contains(?::VARCHAR[], lsoa_code)")
        parameters.append(list(lsoa_codes))
    if categories is not None:
        conditions.append("list_contains(?::VARCHAR[], category)")
        parameters.append(list(categories))
    columns = ", ".join(name for name, _ in PARQUET_COLUMNS)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # union_by_name: files written by a later version with extra columns still read.
    sql = f"SELECT {columns} FROM read_parquet(?, union_by_name = true){where}"  # noqa: S608 (fixed names)
    return connection.query(sql, params=[[str(p) for p in paths], *parameters])


def read_points(
    force_code: str,
    months: Iterable[date | str],
    lsoa_codes: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    *,
    located_only: bool = True,
) -> list[CrimePoint]:
    """The stored rows of a force for these months, as `CrimePoint`s (month, then file order).

    Rows without coordinates are left out unless `located_only=False`. Months never
    imported are simply absent.
    """
    connection = connect()
    try:
        relation = points_relation(connection, force_code, months, lsoa_codes, categories, located_only=located_only)
        if relation is None:
            return []
        return [CrimePoint(*row) for row in relation.order("month").fetchall()]
    finally:
        connection.close()
