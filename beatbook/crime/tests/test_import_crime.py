"""import-crime: the 31 real Leicestershire months against SOURCES.md, and small hand-made files.

Real files are read in place from ../shared/data (copies and corrupted copies are made in
tmp_path only). Parquet files go to a temporary CRIME_DATA_DIR. Imports run inside
`django_capture_on_commit_callbacks(execute=True)` so the Parquet files, which are moved
into place only when the transaction commits, are written as in production.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from beatbook.accounts.models import AuditEvent
from beatbook.areas.importers.boundaries import import_boundaries
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportFailed
from beatbook.crime import storage
from beatbook.crime.importers import rows, street
from beatbook.crime.importers.street import CrimeImportReport, force_slug, import_crime
from beatbook.crime.models import CrimeCategory, CrimeCount, CrimeImport, CrimeOutcome

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "street"
TESTSHIRE_JAN = FIXTURES / "2023-01-testshire-street.csv"
LEICS = "E23000021"

# SOURCES.md section 1 and facts 1-6.
ROWS_PER_MONTH = {
    "2019-12": 8092,
    **{
        f"2020-{m:02d}": n
        for m, n in enumerate([8852, 7857, 8146, 7809, 8116, 8245, 8441, 8777, 8577, 8159, 7918, 7082], start=1)
    },
    **{
        f"2021-{m:02d}": n
        for m, n in enumerate([6792, 6509, 8113, 8217, 8402, 9299, 8694, 8459, 8564, 9055, 8718, 8185], start=1)
    },
    **{f"2022-{m:02d}": n for m, n in enumerate([8730, 8482, 10019, 9494, 10332, 9980], start=1)},
}
JUNE_2022_BY_CATEGORY = {
    "Violence and sexual offences": 3853,
    "Public order": 1214,
    "Criminal damage and arson": 949,
    "Anti-social behaviour": 888,
    "Other theft": 777,
    "Vehicle crime": 555,
    "Burglary": 461,
    "Shoplifting": 353,
    "Drugs": 278,
    "Other crime": 231,
    "Bicycle theft": 153,
    "Possession of weapons": 106,
    "Theft from the person": 105,
    "Robbery": 57,
}
YEAR_2021_BY_CATEGORY = {
    "Violence and sexual offences": 38807,
    "Public order": 12147,
    "Anti-social behaviour": 10132,
    "Criminal damage and arson": 9671,
    "Other theft": 7274,
    "Vehicle crime": 5233,
    "Burglary": 3623,
    "Drugs": 3159,
    "Shoplifting": 3055,
    "Other crime": 2195,
    "Bicycle theft": 1614,
    "Possession of weapons": 813,
    "Robbery": 685,
    "Theft from the person": 599,
}

Importer = Callable[..., CrimeImportReport]


@pytest.fixture(autouse=True)
def crime_dir(settings: Any, tmp_path: Path) -> Path:
    settings.CRIME_DATA_DIR = tmp_path / "crime"
    return Path(settings.CRIME_DATA_DIR)


@pytest.fixture
def run(django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]]) -> Importer:
    """import_crime, with the on-commit work (moving Parquet files into place) carried out."""

    def go(paths: list[Path], *, commit: bool = True, **options: Any) -> CrimeImportReport:
        with django_capture_on_commit_callbacks(execute=True):
            return import_crime(paths, commit=commit, **options)

    return go


def street_file(shared_data: Path, month: str) -> Path:
    return shared_data / "street_crime" / f"{month}-leicestershire-street.csv.gz"


def real_text(shared_data: Path, month: str) -> str:
    with gzip.open(street_file(shared_data, month), "rt", encoding="utf-8", newline="") as handle:
        return handle.read()


@pytest.fixture
def leics_force(shared_data: Path) -> Area:
    """The Leicestershire force from the PFA file (no LSOAs: every LSOA then counts as outside)."""
    boundaries = shared_data / "boundaries"
    import_boundaries(
        boundaries / "police_force_areas_simplified.geojson.gz", level="force", commit=True, only_codes=[LEICS]
    )
    return Area.objects.get(level=Level.FORCE, code=LEICS)


@pytest.fixture
def leics(leics_force: Area, shared_data: Path) -> Area:
    """The force and its 611 LSOAs, imported from the real boundary files."""
    import_boundaries(
        shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz",
        level="lsoa",
        commit=True,
        force_code=LEICS,
    )
    assert Area.objects.filter(level=Level.LSOA, force=leics_force).count() == 611
    return leics_force


def by_category(**filters: Any) -> dict[str, int]:
    return {
        row["category__name"]: row["n"]
        for row in CrimeCount.objects.filter(**filters).values("category__name").annotate(n=Sum("count"))
    }


def total(**filters: Any) -> int:
    return CrimeCount.objects.filter(**filters).aggregate(n=Sum("count"))["n"] or 0


def parquet_rows(path: Path) -> int:
    result = duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()
    assert result is not None
    return int(result[0])


def files_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes (Parquet output compared before and after)."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def state(crime_dir: Path) -> tuple[Any, ...]:
    """Everything an import writes, with primary keys: equal before and after means nothing changed."""
    return (
        sorted(
            CrimeCount.objects.values_list(
                "id", "force_id", "month", "lsoa_id", "lsoa_code", "category_id", "outcome_id", "count"
            )
        ),
        sorted(CrimeImport.objects.values_list("id", "force_id", "month", "sha256", "rows_read", "imported_at")),
        CrimeCategory.objects.count(),
        CrimeOutcome.objects.count(),
        AuditEvent.objects.count(),
        files_digest(crime_dir),
    )


# --- the real 31 months -------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.slow
def test_all_31_months_reproduce_sources_facts(leics: Area, shared_data: Path, run: Importer, crime_dir: Path) -> None:
    report = run([shared_data / "street_crime"])

    assert (report.files, report.created, report.updated, report.unchanged) == (31, 31, 0, 0)
    assert report.read == 262_115
    assert report.rows_no_lsoa == 6_034
    assert report.rows_no_location == 6_034
    assert report.rows_in_force + report.rows_outside_force + report.rows_no_lsoa == 262_115
    # Fact 1: every row is counted, ASB rows (no Crime ID, no outcome) included.
    assert total(force=leics) == 262_115
    asb = CrimeCategory.objects.get(name="Anti-social behaviour")
    assert total(force=leics, category=asb) == 29_779
    assert not CrimeCount.objects.filter(category=asb, outcome__isnull=False).exists()
    assert total(force=leics, lsoa_code="") == 6_034
    # Section 1: rows per month, in the import records and in the counts.
    assert {f"{ci.month:%Y-%m}": ci.rows_read for ci in CrimeImport.objects.filter(force=leics)} == ROWS_PER_MONTH
    per_month = {
        f"{row['month']:%Y-%m}": row["n"]
        for row in CrimeCount.objects.filter(force=leics).values("month").annotate(n=Sum("count"))
    }
    assert per_month == ROWS_PER_MONTH
    # Fact 4: calendar year 2021 by category.
    assert by_category(force=leics, month__year=2021) == YEAR_2021_BY_CATEGORY
    # Fact 5: top LSOAs over all months.
    top = list(
        CrimeCount.objects.filter(force=leics, lsoa__isnull=False)
        .values("lsoa__code")
        .annotate(n=Sum("count"))
        .order_by("-n")[:3]
    )
    assert [(t["lsoa__code"], t["n"]) for t in top] == [
        ("E01032867", 10_599),
        ("E01025720", 2_833),
        ("E01013607", 2_799),
    ]
    # Fact 6: 730 distinct codes, all 611 force LSOAs linked, 119 outside the force.
    codes = CrimeCount.objects.exclude(lsoa_code="").values("lsoa_code").distinct()
    assert codes.count() == 730
    assert CrimeCount.objects.filter(lsoa__isnull=False).values("lsoa").distinct().count() == 611
    assert (
        CrimeCount.objects.exclude(lsoa_code="").filter(lsoa__isnull=True).values("lsoa_code").distinct().count() == 119
    )
    assert total(force=leics, month=date(2022, 6, 1), lsoa__isnull=False) == 9_521
    # One Parquet file per month, holding every row.
    assert storage.stored_months(LEICS) == sorted(date.fromisoformat(f"{m}-01") for m in ROWS_PER_MONTH)
    for month, expected in [("2019-12", 8092), ("2022-06", 9980)]:
        assert parquet_rows(storage.month_path(LEICS, month)) == expected

    # Importing the same files again changes nothing, the audit trail included.
    before = state(crime_dir)
    again = run([shared_data / "street_crime"])
    assert (again.created, again.updated, again.unchanged, again.read, again.changed) == (0, 0, 31, 0, 0)
    assert state(crime_dir) == before


@pytest.mark.realdata
def test_june_2022_by_category_and_in_force_lsoas(leics: Area, shared_data: Path, run: Importer) -> None:
    report = run([street_file(shared_data, "2022-06")])

    assert (report.read, report.created, report.rows_in_force) == (9_980, 1, 9_521)
    assert report.rows_in_force + report.rows_outside_force + report.rows_no_lsoa == 9_980
    assert by_category(force=leics) == JUNE_2022_BY_CATEGORY
    assert total(force=leics, lsoa__isnull=False) == 9_521
    imported = CrimeImport.objects.get(force=leics, month=date(2022, 6, 1))
    assert (imported.rows_read, imported.rows_no_lsoa, imported.rows_outside_force) == (
        9_980,
        report.rows_no_lsoa,
        report.rows_outside_force,
    )
    assert imported.sha256 == hashlib.sha256(real_text(shared_data, "2022-06").encode()).hexdigest()
    # Every count row outside the force's LSOAs keeps its published code but no link.
    assert not CrimeCount.objects.filter(lsoa__isnull=False).exclude(lsoa__force=leics).exists()
    # The Parquet file holds every row with typed columns; the point reader drops unlocated rows.
    path = storage.month_path(LEICS, "2022-06")
    assert parquet_rows(path) == 9_980
    types = duckdb.connect().execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    assert [(t[0], t[1]) for t in types] == list(storage.PARQUET_COLUMNS)
    points = storage.read_points(LEICS, ["2022-06"])
    assert len(points) == 9_980 - report.rows_no_location
    assert all(p.longitude is not None and p.month == date(2022, 6, 1) for p in points)
    burglaries = storage.read_points(LEICS, [date(2022, 6, 1)], categories=["Burglary"], located_only=False)
    assert len(burglaries) == 461
    centre = storage.read_points(LEICS, ["2022-06"], lsoa_codes=["E01032867"])
    assert len(centre) == total(lsoa__code="E01032867")


@pytest.mark.realdata
def test_dry_run_reports_but_writes_nothing(leics: Area, shared_data: Path, run: Importer, crime_dir: Path) -> None:
    before = state(crime_dir)
    report = run([street_file(shared_data, "2020-04")], commit=False)
    assert (report.committed, report.read, report.created) == (False, 7_809, 1)
    assert state(crime_dir) == before
    assert not crime_dir.exists() or not any(crime_dir.rglob("*.parquet"))


@pytest.mark.realdata
def test_reimporting_an_edited_month_replaces_only_that_month(
    leics: Area, shared_data: Path, run: Importer, tmp_path: Path, crime_dir: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for month in ("2020-04", "2020-05"):
        shutil.copy(street_file(shared_data, month), folder)
    run([folder])
    may = date(2020, 5, 1)
    april_rows = sorted(CrimeCount.objects.filter(month=date(2020, 4, 1)).values_list("id", "count"))
    april_file = files_digest(crime_dir)["E23000021/2020-04.parquet"]
    asb = CrimeCategory.objects.get(name="Anti-social behaviour")
    assert total(month=date(2020, 4, 1), category=asb) == 1_736  # fact 3

    # Drop May's anti-social behaviour rows (1,256 of them, fact 3) and save it uncompressed.
    lines = gzip.decompress(street_file(shared_data, "2020-05").read_bytes()).decode().splitlines(keepends=True)
    kept = [line for line in lines if ",Anti-social behaviour," not in line]
    assert len(lines) - len(kept) == 1_256
    (folder / "2020-05-leicestershire-street.csv.gz").unlink()
    (folder / "2020-05-leicestershire-street.csv").write_text("".join(kept), encoding="utf-8")

    report = run([folder])
    assert (report.created, report.updated, report.unchanged, report.read) == (0, 1, 1, 8_116 - 1_256)
    assert sorted(CrimeCount.objects.filter(month=date(2020, 4, 1)).values_list("id", "count")) == april_rows
    assert files_digest(crime_dir)["E23000021/2020-04.parquet"] == april_file
    assert total(month=may) == 8_116 - 1_256
    assert total(month=may, category=asb) == 0
    assert CrimeImport.objects.get(month=may).rows_read == 8_116 - 1_256
    assert parquet_rows(storage.month_path(LEICS, may)) == 8_116 - 1_256
    assert CrimeImport.objects.count() == 2


@pytest.mark.realdata
def test_archive_layout_folder_and_zip(leics: Area, shared_data: Path, run: Importer, tmp_path: Path) -> None:
    months = ["2019-12", "2020-01", "2020-02"]
    archive = tmp_path / "archive"
    for month in months:
        (archive / month).mkdir(parents=True)
        (archive / month / f"{month}-leicestershire-street.csv").write_text(
            real_text(shared_data, month), encoding="utf-8", newline=""
        )
    # The download also holds outcomes and stop-and-search files: skipped, and counted.
    header = "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Outcome type\n"
    (archive / "2020-01" / "2020-01-leicestershire-outcomes.csv").write_text(header, encoding="utf-8")
    (archive / "2020-02" / "2020-02-leicestershire-outcomes.csv").write_text(header, encoding="utf-8")
    (archive / "2020-02" / "2020-02-leicestershire-stop-and-search.csv").write_text("Type,Date\n", encoding="utf-8")
    download = tmp_path / "download.zip"
    with zipfile.ZipFile(download, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(archive.rglob("*.csv")):
            zipped.write(path, path.relative_to(archive).as_posix())

    report = run([download])
    assert (report.files, report.created, report.read) == (3, 3, 8092 + 8852 + 7857)
    assert report.skipped == 3
    assert sorted(report.skipped_reasons.values()) == [1, 2]
    assert any("outcomes" in reason for reason in report.skipped_reasons)
    assert any("stop-and-search" in reason for reason in report.skipped_reasons)
    assert {f"{ci.month:%Y-%m}": ci.rows_read for ci in CrimeImport.objects.all()} == {
        m: ROWS_PER_MONTH[m] for m in months
    }
    assert (
        "download.zip!2020-01/2020-01-leicestershire-street.csv"
        in CrimeImport.objects.get(month=date(2020, 1, 1)).source
    )
    assert {f"{m:%Y-%m}" for m in storage.stored_months(LEICS)} == set(months)

    # The same months unpacked (and as the original .gz files) are the same text: unchanged.
    again = run([archive])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    gz = run([street_file(shared_data, "2019-12")])
    assert gz.unchanged == 1


# --- corrupted copies of a real month -----------------------------------------------------


def _truncate_last_line(text: str) -> tuple[str, int, str]:
    lines = text.splitlines(keepends=True)
    cut = lines[-1][: len(lines[-1]) // 2]  # the download stopped part-way through the last row
    assert cut.count(",") < 11 and '"' not in cut
    return "".join(lines[:-1]) + cut, len(lines), rows.HEADER[cut.count(",") + 1]


def _replace_on_line(text: str, line: int, old: str, new: str) -> str:
    lines = text.splitlines(keepends=True)
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return "".join(lines)


def _bad_month(text: str) -> tuple[str, int, str]:
    return _replace_on_line(text, 5000, ",2022-06,", ",2022-6,"), 5000, "Month"


def _non_numeric_coordinates(text: str) -> tuple[str, int, str]:
    lines = text.splitlines()
    line = next(n for n in range(1234, len(lines)) if lines[n - 1].split(",")[4])  # a row with a location
    longitude = lines[line - 1].split(",")[4]
    return _replace_on_line(text, line, f",{longitude},", ",-1.2x,"), line, "Longitude"


def _wrong_header(text: str) -> tuple[str, int, str]:
    return text.replace("LSOA code,LSOA name", "LSOA,LSOA name", 1), 1, "LSOA code"


@pytest.mark.realdata
@pytest.mark.parametrize(
    "corrupt",
    [_truncate_last_line, _bad_month, _non_numeric_coordinates, _wrong_header],
    ids=["truncated-line", "bad-month", "non-numeric-coordinates", "wrong-header"],
)
def test_corrupted_copy_fails_with_file_line_and_column_and_keeps_the_data(
    corrupt: Callable[[str], tuple[str, int, str]],
    leics_force: Area,
    shared_data: Path,
    run: Importer,
    tmp_path: Path,
    crime_dir: Path,
) -> None:
    run([street_file(shared_data, "2022-05"), street_file(shared_data, "2022-06")])
    before = state(crime_dir)
    assert total() == 10_332 + 9_980
    text, line, column = corrupt(real_text(shared_data, "2022-06"))
    bad = tmp_path / "2022-06-leicestershire-street.csv"
    bad.write_text(text, encoding="utf-8", newline="")

    # With a good month before it in the same call: nothing of either is kept.
    with pytest.raises(ImportFailed) as caught:
        run([street_file(shared_data, "2021-01"), bad])
    failure = caught.value
    assert (failure.path, failure.line, failure.field) == (str(bad), line, column)
    assert str(bad) in str(failure) and f"line {line}" in str(failure) and repr(column) in str(failure)
    assert state(crime_dir) == before
    assert not list(crime_dir.glob(".staging-*"))


# --- small hand-made files (the conftest's Testshire force) -------------------------------


@pytest.fixture
def testshire(area_tree: Any) -> Any:
    return area_tree


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def jan_text() -> str:
    return TESTSHIRE_JAN.read_text(encoding="utf-8")


def test_small_file_counts_links_and_parquet(testshire: Any, run: Importer, crime_dir: Path) -> None:
    report = run([TESTSHIRE_JAN])
    assert (report.read, report.rows_no_location, report.rows_no_lsoa, report.rows_outside_force) == (7, 1, 1, 1)
    assert report.rows_in_force == 5
    got = sorted(
        CrimeCount.objects.values_list("lsoa__code", "lsoa_code", "category__name", "outcome__name", "count"),
        key=str,
    )
    assert got == sorted(
        [
            ("E01900001", "E01900001", "Burglary", "Under investigation", 2),
            ("E01900001", "E01900001", "Burglary", "Unable to prosecute suspect", 1),
            ("E01900002", "E01900002", "Anti-social behaviour", None, 1),
            ("E01900004", "E01900004", "Violence and sexual offences", "Under investigation", 1),
            (None, "", "Other crime", "Under investigation", 1),
            (None, "E01999999", "Shoplifting", "Under investigation", 1),
        ],
        key=str,
    )
    assert set(CrimeCount.objects.values_list("force__code", "month")) == {("TESTSHIRE", date(2023, 1, 1))}
    points = storage.read_points("TESTSHIRE", ["2023-01"], located_only=False)
    assert len(points) == 7
    asb = next(p for p in points if p.category == "Anti-social behaviour")
    # The quoted newline and quotes survive; empty values are NULL.
    assert (asb.crime_id, asb.outcome, asb.location) == (None, None, 'On or near "The Crescent"\n(rear car park)')
    assert next(p for p in points if p.crime_id == "a1c4").context == "Reported late, by a neighbour"
    assert next(p for p in points if p.crime_id == "a1c5").longitude is None
    abbey = storage.read_points("TESTSHIRE", ["2023-01"], lsoa_codes=["E01900001"], categories=["Burglary"])
    assert sorted(p.crime_id or "" for p in abbey) == ["a1c1", "a1c2", "a1c3"]
    assert storage.read_points("TESTSHIRE", ["2023-02"]) == []
    audit = AuditEvent.objects.get(action="import.street_crime")
    assert audit.force_id == testshire.force.pk
    assert audit.after is not None and audit.after["months"] == ["2023-01"]


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "message"),
    [
        # The row after the quoted newline starts on line 7 (a record count would say 6).
        ("-1.190000,52.610000", "-1.190000,", 7, "Latitude", "give both or neither"),
        ("-1.190000,52.610000", "-1.190000,152.61", 7, "Latitude", "outside"),
        ("-1.190000,52.610000", "1e0,52.61", 7, "Longitude", "not a number"),
        (
            "a1c4,2023-01,Testshire Police,Testshire Police",
            "a1c4,2023-01,Testshire Police,",
            7,
            "Falls within",
            "empty",
        ),
        ("a1c4,2023-01,Testshire Police", "a1c4,2023-01,", 7, "Reported by", "empty"),
        ("a1c4,2023-01", "a1c4,2023-02", 7, "Month", "not the month in the file name (2023-01)"),
        ("a1c4,2023-01", "a1c4,Jan 2023", 7, "Month", "not a month"),
        ("Violence and sexual offences", " ", 7, "Crime type", "empty"),
        ("E01900004,Brookside", "E01900004E01900004,Brookside", 7, "LSOA code", "longer than 12"),
        ('"Reported late, by a neighbour"', '"Reported late, by a neighbour",extra', 7, None, "13 columns"),
        ("a1c6,2023-01", "a1c6,2023-1", 9, "Month", "not a month"),
        # Spaces around a value are ignored; a tab is not (DuckDB and Python agree).
        ("-1.190000,52.610000", " -1.190000 ,\t52.610000", 7, "Latitude", "not a number"),
    ],
)
def test_row_rules_name_the_physical_line_and_column(
    testshire: Any,
    run: Importer,
    tmp_path: Path,
    crime_dir: Path,
    old: str,
    new: str,
    line: int,
    column: str | None,
    message: str,
) -> None:
    text = jan_text()
    assert old in text
    bad = write(tmp_path / "in", TESTSHIRE_JAN.name, text.replace(old, new, 1))
    before = state(crime_dir)
    with pytest.raises(ImportFailed) as caught:
        run([bad])
    assert (caught.value.line, caught.value.field) == (line, column), caught.value
    assert message in caught.value.reason
    assert state(crime_dir) == before
    # The Python reading alone agrees (it is what names the line after DuckDB finds a problem).
    with pytest.raises(ImportFailed) as python:
        rows.diagnose(bad, label=str(bad), month_key="2023-01")
    assert (python.value.line, python.value.field) == (line, column)


def test_duckdb_line_numbers_are_mapped_to_physical_lines(tmp_path: Path) -> None:
    # DuckDB counts the quoted-newline record as one line; the mapping gives the file's line.
    text = jan_text()
    lines = text.splitlines(keepends=True)
    cut = "".join(lines[:-1]) + lines[-1][:40]  # the last row (line 9) cut short
    bad = write(tmp_path, TESTSHIRE_JAN.name, cut)
    connection = duckdb.connect()
    columns = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in rows.FIELDS) + "}"
    connection.execute(
        f"SELECT * FROM read_csv(?, header = true, columns = {columns}, auto_detect = false, "  # noqa: S608
        "store_rejects = true, rejects_table = 'errs', rejects_scan = 'scans')",
        [str(bad)],
    ).fetchall()
    result = connection.execute("SELECT min(line) FROM errs").fetchone()
    assert result is not None
    duckdb_line = int(result[0])
    assert duckdb_line == 8  # one less than the real line
    assert rows.physical_line(bad, label=str(bad), duckdb_line=duckdb_line) == 9
    with pytest.raises(ImportFailed) as caught:
        rows.diagnose(bad, label=str(bad), month_key="2023-01")
    assert (caught.value.line, caught.value.field) == (9, rows.HEADER[cut.splitlines()[-1].count(",") + 1])


def test_header_checks(testshire: Any, run: Importer, tmp_path: Path) -> None:
    header, body = jan_text().split("\n", 1)
    cases = {
        "missing column": (header.rsplit(",", 1)[0] + "\n" + body, "Context"),
        "extra column": (header + ",Extra\n" + body, "Extra"),
        "renamed": (header.replace("Crime type", "Crime Type") + "\n" + body, "Crime type"),
        "empty": ("", None),
    }
    for name, (text, column) in cases.items():
        bad = write(tmp_path / name.replace(" ", "-"), TESTSHIRE_JAN.name, text)
        with pytest.raises(ImportFailed) as caught:
            run([bad])
        assert (caught.value.line, caught.value.field) == (1, column), name
    # A byte-order mark before the header is allowed.
    bom = write(tmp_path / "bom", TESTSHIRE_JAN.name, "\ufeff" + jan_text())
    assert run([bom]).read == 7


def test_header_only_file_is_an_empty_month(testshire: Any, run: Importer, tmp_path: Path) -> None:
    empty = write(tmp_path, "2023-03-testshire-street.csv", jan_text().split("\n", 1)[0] + "\n")
    report = run([empty])
    assert (report.created, report.read) == (1, 0)
    assert CrimeImport.objects.get(month=date(2023, 3, 1)).rows_read == 0
    assert parquet_rows(storage.month_path("TESTSHIRE", "2023-03")) == 0


def test_gzip_plain_and_truncated_gzip(testshire: Any, run: Importer, tmp_path: Path, crime_dir: Path) -> None:
    data = TESTSHIRE_JAN.read_bytes()
    gz = tmp_path / "gz" / "2023-01-testshire-street.csv.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(data))
    assert run([gz]).created == 1
    # The same text, plain: unchanged (the hash is of the text, not the packing).
    assert run([TESTSHIRE_JAN]).unchanged == 1
    before = state(crime_dir)
    broken = tmp_path / "broken" / "2023-02-testshire-street.csv.gz"
    broken.parent.mkdir()
    broken.write_bytes(gzip.compress(data.replace(b"2023-01", b"2023-02"))[:-30])
    with pytest.raises(ImportFailed) as caught:
        run([broken])
    assert caught.value.path == str(broken)
    assert state(crime_dir) == before


def test_one_bad_file_keeps_nothing_from_the_call(
    testshire: Any, run: Importer, tmp_path: Path, crime_dir: Path
) -> None:
    good = write(tmp_path, "2023-02-testshire-street.csv", jan_text().replace("2023-01", "2023-02"))
    bad = write(
        tmp_path, "2023-03-testshire-street.csv", jan_text().replace("2023-01", "2023-03").replace("52.610000", "x")
    )
    before = state(crime_dir)
    with pytest.raises(ImportFailed) as caught:
        run([good, bad])
    assert (caught.value.path, caught.value.line, caught.value.field) == (str(bad), 7, "Latitude")
    assert state(crime_dir) == before
    assert files_digest(crime_dir) == {}


def test_which_force(area_tree: Any, run: Importer, tmp_path: Path) -> None:
    other = Area.objects.create(level=Level.FORCE, code="E23000099", name="Devon & Cornwall Police")
    assert force_slug(other.name) == "devon-and-cornwall"
    assert force_slug("Metropolitan Police Service") == "metropolitan"
    # The file name's force slug picks the force among several.
    assert run([TESTSHIRE_JAN]).created == 1
    assert CrimeImport.objects.get().force == area_tree.force
    devon = write(tmp_path, "2023-01-devon-and-cornwall-street.csv", jan_text())
    assert run([devon]).created == 1
    assert CrimeImport.objects.filter(force=other).count() == 1
    # An unknown slug with several forces needs --force.
    unknown = write(tmp_path, "2023-01-elsewhere-street.csv", jan_text())
    with pytest.raises(ImportFailed, match="--force"):
        run([unknown])
    report = run([unknown], force_code="E23000099")
    assert report.updated == 0 and report.unchanged == 1  # the same text as Devon's January
    with pytest.raises(ImportFailed, match="no force has the code"):
        run([unknown], force_code="NOPE")


def test_names_and_duplicates(testshire: Any, run: Importer, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="not named like"):
        run([write(tmp_path / "named", "crimes.csv", jan_text())])
    with pytest.raises(ImportFailed, match="is not a month"):
        run([write(tmp_path / "named", "2023-13-testshire-street.csv", jan_text())])
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "2023-01-testshire-street.csv.gz").write_bytes(gzip.compress(TESTSHIRE_JAN.read_bytes()))
    shutil.copy(TESTSHIRE_JAN, folder / TESTSHIRE_JAN.name)
    with pytest.raises(ImportFailed, match="same force and month"):
        run([folder])
    with pytest.raises(ImportFailed, match="not found"):
        run([tmp_path / "missing"])
    notes = write(tmp_path / "only-notes", "README.txt", "not data\n")
    with pytest.raises(ImportFailed, match=r"no data\.police\.uk street files"):
        run([notes.parent])


def test_new_crime_type_is_added_with_a_note(testshire: Any, run: Importer, tmp_path: Path) -> None:
    path = write(tmp_path, TESTSHIRE_JAN.name, jan_text().replace(",Shoplifting,", ",Fraud,"))
    report = run([path])
    assert CrimeCategory.objects.filter(name="Fraud", slug="fraud").exists()
    assert any("Fraud" in note for note in report.notes)
    seeded = CrimeCategory.objects.filter(name="Burglary")
    assert seeded.count() == 1


def test_command_json_and_failure(testshire: Any, tmp_path: Path, settings: Any) -> None:
    out = io.StringIO()
    call_command("import-crime", str(TESTSHIRE_JAN), "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["committed"], report["read"], report["created"], report["rows_outside_force"]) == (False, 7, 1, 1)
    assert not CrimeImport.objects.exists()
    bad = write(tmp_path, TESTSHIRE_JAN.name, jan_text().replace("52.610000", "north"))
    out = io.StringIO()
    with pytest.raises(CommandError, match="line 7"):
        call_command("import-crime", str(bad), "--commit", "--json", stdout=out)
    assert json.loads(out.getvalue())["failure"] == {
        "file": str(bad),
        "line": 7,
        "feature": None,
        "field": "Latitude",
        "error": "'north' is not a number",
    }


def test_many_batches(testshire: Any, run: Importer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One file per DuckDB batch: the per-batch tables are rebuilt and the names cached across them.
    monkeypatch.setattr(street, "BATCH_TEXT_BYTES", 1)
    months = ["2023-01", "2023-02", "2023-03"]
    paths = [write(tmp_path, f"{m}-testshire-street.csv", jan_text().replace("2023-01", m)) for m in months]
    report = run(paths)
    assert (report.created, report.read, report.counts_written) == (3, 21, 18)
    assert {
        f"{m:%Y-%m}": n for m, n in CrimeCount.objects.values_list("month").annotate(n=Sum("count"))
    } == dict.fromkeys(months, 7)
    assert storage.stored_months("TESTSHIRE") == [date(2023, m, 1) for m in (1, 2, 3)]


def test_progress_bar_runs(testshire: Any, run: Importer, capsys: pytest.CaptureFixture[str]) -> None:
    run([TESTSHIRE_JAN], show_progress=True)
    assert "Street files" in capsys.readouterr().err
