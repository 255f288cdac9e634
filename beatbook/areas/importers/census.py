"""Import census counts per LSOA: Census 2011 (OAC input variables) and Census 2021 (Nomis bulk CSV).

Two layouts, told apart by the header:

* **2011 OAC raw uVariables** (`2011_OAC_Raw_uVariables_*.csv`): one row per output area
  with `LSOA11CD` and count variables `u001`…`u167`. The variables Beatbook uses are
  mapped below to topics and categories (meanings from `2011_OAC_Raw_uVariables_Lookup.csv`,
  which cites the KS/QS table cells) and summed to LSOA.
* **Nomis Census 2021 bulk** (`census2021-ts021-lsoa.csv` and friends): `date, geography,
  geography code`, then `<Topic>: <category>` columns. Sub-total columns (a category that
  has children such as `Asian, Asian British or Asian Welsh`) are dropped so that a topic's
  cells add up to its total; for age the top-level bands are kept rather than single years.

Each file replaces the cells of each LSOA, census year and topic it covers, plus a
`population`/`total` cell with the usual resident population. One run takes one table per
census year and topic: TS007 and TS007A both give age, in different bands, and read together
would count everyone twice. (Several OAC files are parts of one table, split by area.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

from ..models import CENSUS_TOTAL, Area, CensusTopic, Level
from ..services import CensusCell, census_counts_replace, import_audit_by_force
from .common import CsvRows, normalise_header, parse_count

# Census 2011 OAC input variable → (topic, category). Position is the order listed here.
OAC_2011: dict[str, list[tuple[str, str]]] = {
    CensusTopic.SEX: [("u001", "Male"), ("u002", "Female")],
    CensusTopic.AGE: [
        ("u007", "Aged 0 to 4"),
        ("u008", "Aged 5 to 9"),
        ("u009", "Aged 10 to 14"),
        ("u010", "Aged 15 to 19"),
        ("u011", "Aged 20 to 24"),
        ("u012", "Aged 25 to 29"),
        ("u013", "Aged 30 to 44"),
        ("u014", "Aged 45 to 59"),
        ("u015", "Aged 60 to 64"),
        ("u016", "Aged 65 to 74"),
        ("u017", "Aged 75 to 84"),
        ("u018", "Aged 85 to 89"),
        ("u019", "Aged 90 and over"),
    ],
    CensusTopic.ETHNIC_GROUP: [
        ("u028", "White British and Irish"),  # KS201EW0002-3
        ("u029", "Other White"),  # KS201EW0004-5 (Gypsy or Irish Traveller, Other White)
        ("u030", "Mixed or multiple ethnic groups"),  # KS201EW0006-9
        ("u031", "Indian"),
        ("u032", "Pakistani"),
        ("u033", "Bangladeshi"),
        ("u034", "Chinese"),
        ("u035", "Other Asian"),
        ("u036", "Black, Black British, Caribbean or African"),  # KS201EW0015-17: African, Caribbean, other Black
        ("u037", "Arab or other ethnic group"),  # KS201EW0018-19
    ],
    CensusTopic.RELIGION: [
        ("u038", "Christian"),
        ("u039", "Other religion"),  # KS209EW0003-8: Buddhist, Hindu, Jewish, Muslim, Sikh, other
        ("u040", "No religion"),
        ("u041", "Religion not stated"),
    ],
    CensusTopic.ENGLISH_PROFICIENCY: [  # usual residents aged 3 and over (QS205EW)
        ("u047", "Main language is English, or can speak English very well"),
        ("u048", "Can speak English well"),
        ("u049", "Cannot speak English well"),
        ("u050", "Cannot speak English"),
    ],
}
OAC_KEYS = ("LSOA11CD", "Total_Population")

# Nomis topic label (before the first colon) → topic.
NOMIS_TOPICS = {
    "age": CensusTopic.AGE,
    "sex": CensusTopic.SEX,
    "ethnic group": CensusTopic.ETHNIC_GROUP,
    "religion": CensusTopic.RELIGION,
    "proficiency in english language": CensusTopic.ENGLISH_PROFICIENCY,
    "proficiency in english": CensusTopic.ENGLISH_PROFICIENCY,
}
NOMIS_KEYS = ("date", "geography", "geography code")
MEASURE_SUFFIX = re.compile(r";\s*measures:\s*(\w+)\s*$", re.IGNORECASE)


def import_census(paths: Sequence[Path], *, commit: bool, show_progress: bool = False) -> ImportReport:
    """Import census counts for imported LSOAs from 2011 OAC or 2021 Nomis CSVs."""
    report = ImportReport(source=", ".join(p.name for p in paths), kind="census counts")
    # (year) → (lsoa code, topic) → category → (position, count)
    totals: dict[int, dict[tuple[str, str], dict[str, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    lsoas = list(Area.objects.filter(level=Level.LSOA).values_list("code", "pk", "force_id"))
    lsoa_ids = {code: pk for code, pk, _ in lsoas}
    force_of = {code: force_id for code, _, force_id in lsoas}
    tables: dict[tuple[int, str], tuple[Path, str]] = {}  # (year, topic) → the file giving it, its layout
    for path in paths:
        with CsvRows(path) as rows:
            names = {normalise_header(h) for h in rows.header}
            if {k.lower() for k in OAC_KEYS} <= names and "u001" in names:
                _read_oac_2011(rows, totals[2011], lsoa_ids, report, show_progress)
                _claim_tables(tables, path, "oac", [(2011, topic) for topic in OAC_2011])
            elif set(NOMIS_KEYS) <= names:
                year, topic = _read_nomis(rows, totals, lsoa_ids, report, show_progress)
                _claim_tables(tables, path, "nomis", [(year, topic)])
                report.notes.append(f"{path.name}: Census {year}")
            else:
                raise ImportFailed(
                    "is neither a 2011 OAC uVariables CSV (needs columns LSOA11CD, Total_Population, u001…) "
                    "nor a Nomis Census 2021 bulk CSV (needs columns date, geography, geography code, "
                    "<Topic>: <category>…)",
                    path=path,
                    line=1,
                )

    with import_transaction(commit):
        touched: set[int | None] = set()
        for year, cells in sorted(totals.items()):
            blocks: dict[tuple[int, str], list[CensusCell]] = {}
            for (code, topic), categories in cells.items():
                blocks[(lsoa_ids[code], topic)] = [
                    (category, position, count) for category, (position, count) in categories.items()
                ]
                touched.add(force_of[code])
            result = census_counts_replace(census_year=year, blocks=blocks)
            report.created += result.created
            report.updated += result.updated
            report.unchanged += result.unchanged
        report.notes.append("created/updated/unchanged count blocks of cells, one per LSOA and topic")
        report.committed = commit
        import_audit_by_force(report=report, force_ids=touched)
    return report


def _claim_tables(
    tables: dict[tuple[int, str], tuple[Path, str]], path: Path, layout: str, keys: list[tuple[int, str]]
) -> None:
    """Refuse a second table of a year and topic already given by another file in this run.

    Two OAC files are two areas' parts of the same table, so they may share their topics.
    """
    for year, topic in keys:
        claimed = tables.get((year, topic))
        if claimed is not None and (layout != "oac" or claimed[1] != "oac"):
            raise ImportFailed(
                f"gives Census {year} {CensusTopic(topic).label.lower()}, which {claimed[0].name} already gives "
                "in this run: read together they would count people twice, so import one table per topic "
                "(a later run replaces the earlier one's cells)",
                path=path,
                line=1,
            )
        tables[(year, topic)] = (path, layout)


def _read_oac_2011(
    rows: CsvRows,
    cells: dict[tuple[str, str], dict[str, list[int]]],
    lsoa_ids: dict[str, int],
    report: ImportReport,
    show_progress: bool,
) -> None:
    wanted = {key: key for key in OAC_KEYS}
    for topic_vars in OAC_2011.values():
        wanted.update({var: var for var, _ in topic_vars})
    columns = rows.find_columns(wanted)
    if isinstance(columns, list):
        raise ImportFailed(f"lacks the columns {', '.join(columns)}", path=rows.path, line=1)
    lsoa_col = columns["LSOA11CD"]
    for line, row in progress(rows, enabled=show_progress, desc=rows.path.name):
        report.read += 1
        code = row[lsoa_col].strip()
        if not code:
            raise ImportFailed("has no LSOA code", path=rows.path, line=line, field="LSOA11CD")
        if code not in lsoa_ids:
            report.skip("not an imported LSOA")
            continue
        total = parse_count(row[columns["Total_Population"]], path=rows.path, line=line, field="Total_Population")
        cells[(code, CensusTopic.POPULATION)][CENSUS_TOTAL][1] += total
        for topic, variables in OAC_2011.items():
            block = cells[(code, topic)]
            for position, (var, category) in enumerate(variables):
                cell = block[category]
                cell[0] = position
                cell[1] += parse_count(row[columns[var]], path=rows.path, line=line, field=var)


def _split_label(header: str) -> tuple[str, str, str | None]:
    """'Ethnic group: Asian…: Indian; measures: Value' → ('ethnic group', 'Asian…: Indian', 'value')."""
    match = MEASURE_SUFFIX.search(header)
    measure = match.group(1).lower() if match else None
    text = header[: match.start()] if match else header
    topic, _, category = text.partition(":")
    return normalise_header(topic), category.strip(), measure


def _read_nomis(
    rows: CsvRows,
    totals: dict[int, dict[tuple[str, str], dict[str, list[int]]]],
    lsoa_ids: dict[str, int],
    report: ImportReport,
    show_progress: bool,
) -> tuple[int, str]:
    """Add one Nomis table to `totals`; returns its census year and topic."""
    path = rows.path
    found = rows.find_columns({key: key for key in NOMIS_KEYS})
    assert isinstance(found, dict)
    topic_label: str | None = None
    labelled: list[tuple[int, str]] = []
    total_col: int | None = None
    population_total = False
    for i, header in enumerate(rows.header):
        if i in found.values():
            continue
        label, category, measure = _split_label(header)
        if measure not in (None, "value") or not category:
            continue  # percentages, or columns that are not topic cells
        if topic_label is None:
            topic_label = label
        elif label != topic_label:
            raise ImportFailed(
                f"mixes topics {topic_label!r} and {label!r}; give one table per file", path=path, line=1, field=header
            )
        lowered = category.lower()
        if lowered.startswith("total") or lowered in ("all persons", "all usual residents"):
            total_col = i
            population_total = "aged 3" not in lowered and "household" not in lowered
            continue
        labelled.append((i, category))
    if topic_label is None or topic_label not in NOMIS_TOPICS:
        raise ImportFailed(
            f"topic {topic_label!r} is not one Beatbook stores (age, sex, ethnic group, religion, "
            "proficiency in English)",
            path=path,
            line=1,
        )
    topic = NOMIS_TOPICS[topic_label]
    categories = _leaf_categories(labelled, top_level=topic == CensusTopic.AGE)
    if not categories:
        raise ImportFailed(f"has no category columns for {topic_label!r}", path=path, line=1)
    year = 0
    mismatched = 0
    for line, row in progress(rows, enabled=show_progress, desc=path.name):
        report.read += 1
        year = _year(row[found["date"]], path=path, line=line)
        code = row[found["geography code"]].strip()
        if not code:
            raise ImportFailed("has no geography code", path=path, line=line, field="geography code")
        if code not in lsoa_ids:
            report.skip("not an imported LSOA")
            continue
        cells = totals[year]
        block = cells[(code, topic)]
        for position, (col, category) in enumerate(categories):
            block[category] = [position, parse_count(row[col], path=path, line=line, field=rows.header[col])]
        if total_col is not None:
            count = parse_count(row[total_col], path=path, line=line, field=rows.header[total_col])
            if sum(cell[1] for cell in block.values()) != count:
                mismatched += 1
            if population_total:
                cells[(code, CensusTopic.POPULATION)][CENSUS_TOTAL] = [0, count]
    if mismatched:
        report.notes.append(f"{path.name}: in {mismatched} LSOAs the categories do not add up to the total column")
    return year, topic


def _leaf_categories(labelled: list[tuple[int, str]], *, top_level: bool) -> list[tuple[int, str]]:
    """Categories without sub-totals: the leaves (or, for age, the top-level bands).

    A leaf keeps only its last part ('Indian') unless two leaves would then share a name.
    """
    names = [name for _, name in labelled]
    if top_level:
        chosen = [(i, name) for i, name in labelled if not any(name.startswith(p + ":") for p in names if p != name)]
    else:
        chosen = [(i, name) for i, name in labelled if not any(other.startswith(name + ":") for other in names)]
    short = [name.rsplit(":", 1)[-1].strip() for _, name in chosen]
    use_short = len(set(short)) == len(short)
    return [(i, (s if use_short else name)[:120]) for (i, name), s in zip(chosen, short, strict=True)]


def _year(value: str, *, path: Path, line: int) -> int:
    match = re.match(r"\s*(\d{4})", value)
    if not match:
        raise ImportFailed(f"{value!r} is not a census year", path=path, line=line, field="date")
    return int(match.group(1))
