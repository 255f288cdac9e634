"""Import the English Indices of Deprivation 2019 (MHCLG File 1, File 2 and File 6 as CSV).

The layout of each file is told from its header. Only LSOAs already imported are stored;
the rest of England is counted as skipped. File 6 (population denominators) only adds to
LSOAs that have an IMD rank, so File 1 or 2 is read first when several files are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

from ..models import Area, Deprivation, Level
from ..services import deprivation_upsert_many, import_audit_by_force
from .common import CsvRows, parse_count

LSOA_COLUMN = "LSOA code (2011)"
# Deprivation field → start of its header in the MHCLG files ("… Rank (where 1 is most deprived)").
RANKS = {
    "imd_rank": "Index of Multiple Deprivation (IMD) Rank",
    "imd_decile": "Index of Multiple Deprivation (IMD) Decile",
}
DOMAINS = {
    **RANKS,
    "income_rank": "Income Rank",
    "income_decile": "Income Decile",
    "employment_rank": "Employment Rank",
    "employment_decile": "Employment Decile",
    "education_rank": "Education, Skills and Training Rank",
    "education_decile": "Education, Skills and Training Decile",
    "health_rank": "Health Deprivation and Disability Rank",
    "health_decile": "Health Deprivation and Disability Decile",
    "crime_rank": "Crime Rank",
    "crime_decile": "Crime Decile",
    "housing_rank": "Barriers to Housing and Services Rank",
    "housing_decile": "Barriers to Housing and Services Decile",
    "living_environment_rank": "Living Environment Rank",
    "living_environment_decile": "Living Environment Decile",
}
POPULATION = {
    "population_total": "Total population: mid 2015",
    "population_0_15": "Dependent Children aged 0-15: mid 2015",
    "population_16_59": "Population aged 16-59: mid 2015",
    "population_60_plus": "Older population aged 60 and over: mid 2015",
    "population_working_age": "Working age population 18-59/64",
}


@dataclass(frozen=True)
class Layout:
    name: str
    columns: dict[str, str]
    order: int  # files with ranks first, so that File 6 finds its rows


LAYOUTS = [
    Layout("File 2 (domains of deprivation)", DOMAINS, 0),
    Layout("File 1 (index of multiple deprivation)", RANKS, 1),
    Layout("File 6 (population denominators)", POPULATION, 2),
]


def _detect(rows: CsvRows) -> tuple[Layout, dict[str, int]]:
    best: tuple[int, Layout, list[str]] | None = None
    for layout in LAYOUTS:
        found = rows.find_columns({"lsoa": LSOA_COLUMN, **layout.columns}, prefix=True)
        if isinstance(found, dict):
            return layout, found
        present = len(layout.columns) + 1 - len(found)
        if best is None or present > best[0]:
            best = (present, layout, found)
    assert best is not None
    _, layout, missing = best
    raise ImportFailed(
        f"is not an IoD2019 File 1, 2 or 6 CSV: closest is {layout.name}, which lacks the columns "
        + "; ".join(repr(m) for m in missing),
        path=rows.path,
        line=1,
    )


def import_imd(paths: Sequence[Path], *, commit: bool, show_progress: bool = False) -> ImportReport:
    """Import deprivation ranks, deciles and population denominators for imported LSOAs."""
    report = ImportReport(source=", ".join(p.name for p in paths), kind="deprivation (IoD2019)")
    layouts: list[tuple[Layout, Path]] = []
    for path in paths:
        with CsvRows(path) as rows:
            layouts.append((_detect(rows)[0], path))
    layouts.sort(key=lambda item: item[0].order)

    with import_transaction(commit):
        lsoas = list(Area.objects.filter(level=Level.LSOA).values_list("code", "pk", "force_id"))
        lsoa_ids = {code: pk for code, pk, _ in lsoas}
        force_of = {pk: force_id for _, pk, force_id in lsoas}
        # LSOAs that have (or will have) an IMD rank, which File 6 needs to add to.
        ranked = set(Deprivation.objects.values_list("lsoa_id", flat=True))
        values: dict[int, dict[str, int]] = {}
        for layout, path in layouts:
            _read_file(path, layout, lsoa_ids, ranked, values, report, show_progress)
        result = deprivation_upsert_many(values_by_lsoa=values)
        report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
        report.committed = commit
        import_audit_by_force(report=report, force_ids={force_of[i] for i in values})
    return report


def _read_file(
    path: Path,
    layout: Layout,
    lsoa_ids: dict[str, int],
    ranked: set[int],
    values: dict[int, dict[str, int]],
    report: ImportReport,
    show_progress: bool,
) -> None:
    """Add the figures of one file to `values` (LSOA id → field → value)."""
    with CsvRows(path) as rows:
        columns = _detect(rows)[1]
        lsoa_col = columns.pop("lsoa")
        for line, row in progress(rows, enabled=show_progress, desc=path.name):
            report.read += 1
            code = row[lsoa_col].strip()
            if not code:
                raise ImportFailed("has no LSOA code", path=path, line=line, field=rows.header[lsoa_col])
            lsoa_id = lsoa_ids.get(code)
            if lsoa_id is None:
                report.skip("not an imported LSOA")
                continue
            found: dict[str, int] = {}
            for name, col in columns.items():
                header = rows.header[col]
                minimum = 0 if name.startswith("population") else 1
                number = parse_count(row[col], path=path, line=line, field=header, minimum=minimum)
                if name.endswith("_decile") and number > 10:
                    raise ImportFailed(f"decile {number} is not between 1 and 10", path=path, line=line, field=header)
                found[name] = number
            if "imd_rank" in found:
                ranked.add(lsoa_id)
            elif lsoa_id not in ranked:
                report.skip("no IMD rank for this LSOA yet: import File 1 or File 2 with File 6")
                continue
            values.setdefault(lsoa_id, {}).update(found)
