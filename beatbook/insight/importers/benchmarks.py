"""Import published benchmark figures: the CSEW perceptions open data table and the MOPAC PAS dashboard.

Both readers turn a file into series and points, checking every value they use; any bad line
stops the whole file with its line and column, and nothing is saved. Points are keyed by
series and period end, so importing a file again changes nothing.

CSEW perceptions (ONS "Perceptions of the criminal justice system" open data table): one row
per variable, breakdown and group. Beatbook keeps the all-adults (sex "All adults", age 16+)
rows of the region breakdown (`gor`, which also has England and Wales separately) and of the
England and Wales total; other breakdowns are counted as skipped. The 95% interval is the
estimate plus or minus 1.96 published standard errors (the ONS errors already allow for the
survey design), clipped to 0..1.

MOPAC PAS borough dashboard: quarterly rolling proportions with decimal commas ("0,56") and
day/month/year dates without zero padding ("31/3/2016"). A borough spelled two ways
("Richmond Upon Thames", "Richmond upon Thames") is one series; the `MPS` column gives the
force-wide series, which must agree across the boroughs of a quarter.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError

from beatbook.areas.importers.common import CsvRows, normalise_header
from beatbook.areas.services import import_audit
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

from ..models import AreaKind, BenchmarkSource
from ..services import PointData, SeriesData, benchmark_series_save

FORMATS = ("csew-perceptions", "mopac-pas")
Z95 = 1.959963984540054

# Readings of the CSEW variable names from the ONS table (cjsovb1dv and fairova1dv are
# confirmed by the data's author; the others are our reading and say so).
CSEW_MEASURES = {
    "ratpol3": "Local police do a good or excellent job (our reading of ratpol3)",
    "catt2": "Police and council deal with local anti-social behaviour and crime (our reading of catt2)",
    "cjsovb1dv": "Confident the criminal justice system as a whole is effective",
    "fairova1dv": "Confident the criminal justice system as a whole is fair",
}
CSEW_COUNTRIES = {"england and wales", "england", "wales"}
MPS_AREA = "Metropolitan Police Service"
SMALL_WORDS = {"and", "of", "upon", "the", "on", "in"}


@dataclass
class Collected:
    """Series read from a file, each with its points and the line each point came from."""

    path: Path
    series: dict[SeriesData, dict[dt.date, tuple[PointData, int]]] = field(default_factory=dict)

    def add(self, series: SeriesData, point: PointData, *, line: int, column: str) -> bool:
        """Add a point; False when the same point is already there (an exact repeat)."""
        points = self.series.setdefault(series, {})
        earlier = points.get(point.period_end)
        if earlier is None:
            points[point.period_end] = (point, line)
            return True
        if earlier[0] == point:
            return False
        raise ImportFailed(
            f"{series.area_name} {series.measure} for {point.period_end:%d/%m/%Y} is also on line {earlier[1]} "
            "with a different value",
            path=self.path,
            line=line,
            field=column,
        )


def parse_proportion(text: str, *, path: Path, line: int, column: str) -> float:
    """A proportion written with a decimal point or a decimal comma ("0,56")."""
    value = text.strip()
    if not re.fullmatch(r"\d+(?:[.,]\d+)?(?:[eE]-?\d+)?", value):
        raise ImportFailed(f"{text!r} is not a proportion like 0.56 or 0,56", path=path, line=line, field=column)
    number = float(value.replace(",", "."))
    if not 0 <= number <= 1:
        raise ImportFailed(f"{value} is not a proportion between 0 and 1", path=path, line=line, field=column)
    return number


def parse_day_month_year(text: str, *, path: Path, line: int, column: str) -> dt.date:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    try:
        if match is None:
            raise ValueError
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    except ValueError:
        raise ImportFailed(
            f"{text!r} is not a date like 31/3/2016 (day/month/year)", path=path, line=line, field=column
        ) from None


def quarter_end(year_text: str, quarter_text: str, *, path: Path, line: int) -> dt.date:
    if not re.fullmatch(r"\d{4}", year_text.strip()):
        raise ImportFailed(f"{year_text!r} is not a year", path=path, line=line, field="year")
    if quarter_text.strip() not in {"1", "2", "3", "4"}:
        raise ImportFailed(f"{quarter_text!r} is not a quarter (1 to 4)", path=path, line=line, field="quarter")
    year, quarter = int(year_text), int(quarter_text)
    first_of_next = dt.date(year + quarter // 4, quarter * 3 % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def borough_spelling(name: str) -> str:
    """One spelling per borough: joining words lower case ("Richmond Upon Thames" → "Richmond upon Thames")."""
    words = name.split()
    return " ".join(word.lower() if index and word.lower() in SMALL_WORDS else word for index, word in enumerate(words))


def _columns(rows: CsvRows, wanted: dict[str, str], *, path: Path, kind: str) -> dict[str, int]:
    found = rows.find_columns(wanted)
    if isinstance(found, list):
        raise ImportFailed(
            f"is not a {kind} file: missing column(s) {', '.join(found)} (check --format)", path=path, line=1
        )
    return found


def _optional_float(text: str, *, path: Path, line: int, column: str) -> float | None:
    value = text.strip()
    if value in {"", "NA"}:
        return None
    try:
        number = float(value)
    except ValueError:
        raise ImportFailed(f"{text!r} is not a number", path=path, line=line, field=column) from None
    if not math.isfinite(number) or number < 0:
        raise ImportFailed(f"{text!r} is not a standard error", path=path, line=line, field=column)
    return number


def _check_width(cells: list[str], header: list[str], *, path: Path, line: int) -> None:
    # An unquoted decimal comma splits a number in two and shifts every later column.
    if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
        raise ImportFailed(
            f"has {len(cells)} cells but the header has {len(header)} (a decimal comma without quotes?)",
            path=path,
            line=line,
        )


def read_csew_perceptions(path: Path, report: ImportReport, *, show_progress: bool) -> Collected:
    wanted = {
        name: name
        for name in (
            "year",
            "quarter",
            "measurement_var",
            "sex",
            "age",
            "characteristic_var",
            "characteristic",
            "estimate",
            "standard_error",
            "unweighted_count",
        )
    }
    collected = Collected(path)
    with CsvRows(path) as rows:
        col = _columns(rows, wanted, path=path, kind="CSEW perceptions open data table")
        geography = {normalise_header(h): i for i, h in enumerate(rows.header)}.get("geography")
        for line, cells in progress(rows, enabled=show_progress, desc="CSEW rows"):
            report.read += 1
            _check_width(cells, rows.header, path=path, line=line)
            breakdown = cells[col["characteristic_var"]].strip()
            if breakdown not in {"gor", "Total"}:
                report.skip("another breakdown (not region or total)")
                continue
            if cells[col["sex"]].strip() != "All adults" or cells[col["age"]].strip() != "16+":
                report.skip("one sex or age group only")
                continue
            if cells[col["estimate"]].strip() == "NA":
                report.skip("no estimate published (NA)")
                continue
            if breakdown == "Total":
                area = cells[geography].strip() if geography is not None else ""
                area = area or "England and Wales"
            else:
                area = cells[col["characteristic"]].strip()
            if not area:
                raise ImportFailed("has no region name", path=path, line=line, field="characteristic")
            measure = cells[col["measurement_var"]].strip()
            if not measure:
                raise ImportFailed("has no variable name", path=path, line=line, field="measurement_var")
            value = parse_proportion(cells[col["estimate"]], path=path, line=line, column="estimate")
            error = _optional_float(cells[col["standard_error"]], path=path, line=line, column="standard_error")
            count_text = cells[col["unweighted_count"]].strip()
            if count_text in {"", "NA"}:
                n = None
            elif count_text.isdigit():
                n = int(count_text)
            else:
                raise ImportFailed(
                    f"{count_text!r} is not a whole number", path=path, line=line, field="unweighted_count"
                )
            low = high = None
            if error is not None:
                low, high = max(0.0, value - Z95 * error), min(1.0, value + Z95 * error)
            series = SeriesData(
                source=BenchmarkSource.CSEW,
                measure=measure,
                area_name=area,
                area_kind=AreaKind.COUNTRY if area.lower() in CSEW_COUNTRIES else AreaKind.REGION,
                name=CSEW_MEASURES.get(measure, f"CSEW variable {measure}"),
            )
            period = quarter_end(cells[col["year"]], cells[col["quarter"]], path=path, line=line)
            point = PointData(period_end=period, value=value, standard_error=error, low=low, high=high, n=n)
            if not collected.add(series, point, line=line, column="estimate"):
                report.skip("repeated row")
    return collected


def read_mopac_pas(path: Path, report: ImportReport, *, show_progress: bool) -> Collected:
    wanted = {"date": "Date", "borough": "Borough", "measure": "Measure", "proportion": "Proportion", "mps": "MPS"}
    collected = Collected(path)
    spellings: dict[str, set[str]] = {}
    with CsvRows(path) as rows:
        col = _columns(rows, wanted, path=path, kind="MOPAC PAS borough dashboard")
        for line, cells in progress(rows, enabled=show_progress, desc="PAS rows"):
            report.read += 1
            _check_width(cells, rows.header, path=path, line=line)
            period = parse_day_month_year(cells[col["date"]], path=path, line=line, column="Date")
            given = " ".join(cells[col["borough"]].split())
            measure = cells[col["measure"]].strip()
            if not given:
                raise ImportFailed("has no borough", path=path, line=line, field="Borough")
            if not measure:
                raise ImportFailed("has no measure", path=path, line=line, field="Measure")
            borough = borough_spelling(given)
            spellings.setdefault(borough, set()).add(given)
            if cells[col["proportion"]].strip() == "":
                report.skip("no proportion given")
            else:
                value = parse_proportion(cells[col["proportion"]], path=path, line=line, column="Proportion")
                series = SeriesData(
                    source=BenchmarkSource.MOPAC_PAS,
                    measure=measure,
                    area_name=borough,
                    area_kind=AreaKind.BOROUGH,
                    name=f"PAS: {measure}",
                )
                if not collected.add(series, PointData(period_end=period, value=value), line=line, column="Proportion"):
                    report.skip("repeated row")
            if cells[col["mps"]].strip():
                force_value = parse_proportion(cells[col["mps"]], path=path, line=line, column="MPS")
                force_series = SeriesData(
                    source=BenchmarkSource.MOPAC_PAS,
                    measure=measure,
                    area_name=MPS_AREA,
                    area_kind=AreaKind.FORCE,
                    name=f"PAS: {measure}",
                )
                # Every borough row repeats the force-wide figure; only a disagreement matters.
                collected.add(force_series, PointData(period_end=period, value=force_value), line=line, column="MPS")
    for borough, spelt in sorted(spellings.items()):
        if len(spelt) > 1:
            report.notes.append(f"merged spellings {', '.join(sorted(spelt))} as {borough}")
    return collected


READERS: dict[str, Callable[..., Collected]] = {
    "csew-perceptions": read_csew_perceptions,
    "mopac-pas": read_mopac_pas,
}


def import_benchmarks(path: Path, *, file_format: str, commit: bool, show_progress: bool = False) -> ImportReport:
    """Import one benchmark file. Dry run unless `commit`; all or nothing."""
    if file_format not in READERS:
        raise ImportFailed(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}", path=path)
    report = ImportReport(source=path.name, kind=f"benchmarks {file_format}")
    collected = READERS[file_format](path, report, show_progress=show_progress)
    series_created = 0
    with import_transaction(commit):
        for series, points in collected.series.items():
            try:
                counts = benchmark_series_save(series=series, points=[point for point, _ in points.values()])
            except ValidationError as error:
                line = min(line for _, line in points.values())
                raise ImportFailed(
                    "; ".join(error.messages) + ". Nothing was imported.", path=path, line=line
                ) from error
            series_created += counts.series_created
            report.created += counts.created
            report.updated += counts.updated
            report.unchanged += counts.unchanged
        report.notes.append(f"{len(collected.series)} series ({series_created} new)")
        report.committed = commit
        import_audit(report=report)
    return report
