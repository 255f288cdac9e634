"""import-census: Census 2011 OAC files against SOURCES facts 15-16; Nomis 2021 layout on hand-made files."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from django.db.models import Sum

from beatbook.accounts.models import AuditEvent
from beatbook.areas.models import CENSUS_TOTAL, Area, CensusCount, CensusTopic, Level
from beatbook.areas.tests.test_import_boundaries import (
    FIXTURES,
    OTHERFORD,
    expect_failure,
    otherford,
    real_lsoas,
    run,
    snapshot,
    tiny_geography,
)

pytestmark = pytest.mark.django_db


def oac_files(shared_data: Path) -> list[Path]:
    folder = shared_data / "census2011"
    return [
        folder / "2011_OAC_Raw_uVariables_Leicester.csv.gz",
        folder / "2011_OAC_Raw_uVariables_Leicestershire.csv.gz",
    ]


def total(**filters: object) -> int:
    return CensusCount.objects.filter(**filters).aggregate(Sum("count"))["count__sum"] or 0


def test_census_2011_summed_to_lsoa(shared_data: Path) -> None:
    real_lsoas(shared_data)
    before = snapshot()
    dry = run("import-census", *oac_files(shared_data))
    assert dry["committed"] is False
    assert snapshot() == before

    report = run("import-census", *oac_files(shared_data), "--commit")
    assert report["read"] == 3054  # output areas
    population = CensusCount.objects.filter(census_year=2011, topic=CensusTopic.POPULATION, category=CENSUS_TOTAL)
    assert population.count() == 588  # the force area less Rutland's 23 LSOAs
    assert total(topic=CensusTopic.POPULATION) == 980_328
    assert total(topic=CensusTopic.POPULATION, lsoa__lad__code="E06000016") == 329_839
    assert not CensusCount.objects.filter(lsoa__lad__name="Rutland").exists()
    assert total(category="Indian", lsoa__lad__code="E06000016") == 93_335
    e01013716 = {
        c.category: c.count
        for c in CensusCount.objects.filter(
            lsoa__code="E01013716", topic__in=[CensusTopic.ETHNIC_GROUP, CensusTopic.POPULATION]
        )
    }
    assert (e01013716["Indian"], e01013716[CENSUS_TOTAL]) == (1550, 1812)
    assert total(category__in=["Cannot speak English well", "Cannot speak English"]) == 27_949

    # In every LSOA, ethnic group, religion, age and sex each add up to the population.
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for lsoa_id, topic, count in CensusCount.objects.values_list("lsoa_id", "topic", "count"):
        sums[(lsoa_id, topic)] += count
    for lsoa_id in population.values_list("lsoa_id", flat=True):
        people = sums[(lsoa_id, CensusTopic.POPULATION)]
        for topic in (CensusTopic.ETHNIC_GROUP, CensusTopic.RELIGION, CensusTopic.AGE, CensusTopic.SEX):
            assert sums[(lsoa_id, topic)] == people, (lsoa_id, topic)
    ages = list(CensusCount.objects.filter(lsoa__code="E01013716", topic=CensusTopic.AGE).order_by("position"))
    assert [a.category for a in ages][:2] == ["Aged 0 to 4", "Aged 5 to 9"]
    assert len(ages) == 13

    again = run("import-census", *oac_files(shared_data), "--commit")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, report["created"])
    assert report["created"] == 588 * 6


def cells(code: str, topic: str, year: int = 2021) -> dict[str, int]:
    rows = CensusCount.objects.filter(lsoa__code=code, topic=topic, census_year=year).order_by("position")
    return {c.category: c.count for c in rows}


def test_nomis_2021_ethnic_group_keeps_leaf_categories() -> None:
    tiny_geography()
    report = run("import-census", FIXTURES / "census2021-ts021-lsoa.csv", "--commit")
    assert report["skipped_reasons"] == {"not an imported LSOA": 1}
    ethnic = cells("E01999901", CensusTopic.ETHNIC_GROUP)
    assert len(ethnic) == 19  # the 5 group sub-totals are dropped
    assert "Asian, Asian British or Asian Welsh" not in ethnic
    assert ethnic["Indian"] == 800
    assert ethnic["English, Welsh, Scottish, Northern Irish or British"] == 400
    assert sum(ethnic.values()) == 1500
    assert cells("E01999901", CensusTopic.POPULATION) == {CENSUS_TOTAL: 1500}
    assert list(ethnic)[:2] == ["Bangladeshi", "Chinese"]  # file order


def test_nomis_2021_other_topics() -> None:
    tiny_geography()
    names = ["ts008", "ts007a", "ts029", "ts030"]
    run("import-census", *[FIXTURES / f"census2021-{n}-lsoa.csv" for n in names], "--commit")
    assert cells("E01999901", CensusTopic.SEX) == {"Female": 760, "Male": 740}
    ages = cells("E01999901", CensusTopic.AGE)
    assert (len(ages), sum(ages.values())) == (18, 1500)
    english = cells("E01999901", CensusTopic.ENGLISH_PROFICIENCY)
    assert english == {
        "Main language is English (English or Welsh in Wales)": 900,
        "Can speak English very well": 300,
        "Can speak English well": 150,
        "Cannot speak English well": 70,
        "Cannot speak English": 20,
    }
    assert cells("E01999901", CensusTopic.RELIGION)["Hindu"] == 500
    # The English total counts residents aged 3 and over, so it is not the population.
    assert cells("E01999901", CensusTopic.POPULATION) == {CENSUS_TOTAL: 1500}


def test_reimport_replaces_the_topic_cells(tmp_path: Path) -> None:
    tiny_geography()
    source = FIXTURES / "census2021-ts008-lsoa.csv"
    run("import-census", source, "--commit")
    changed = tmp_path / "census2021-ts008-lsoa.csv"
    changed.write_text(source.read_text().replace("1500,760,740", "1501,761,740"))
    report = run("import-census", changed, "--commit")
    # E01999901's sex and population blocks changed; E01999902's are untouched.
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 2, 2)
    assert cells("E01999901", CensusTopic.SEX) == {"Female": 761, "Male": 740}
    assert CensusCount.objects.filter(lsoa__code="E01999901", topic=CensusTopic.SEX).count() == 2


def test_wrong_columns() -> None:
    tiny_geography()
    expect_failure(
        "import-census",
        FIXTURES / "census_wrong_columns.csv",
        mentions=["census_wrong_columns.csv", "line 1", "geography code", "LSOA11CD"],
    )


def test_bad_number_names_line_and_field() -> None:
    tiny_geography()
    expect_failure(
        "import-census",
        FIXTURES / "census2021-ts008-bad-number.csv",
        mentions=["census2021-ts008-bad-number.csv", "line 3", "Sex: Female; measures: Value", "'five hundred'"],
    )
    assert not CensusCount.objects.exists()
    assert Area.objects.filter(level=Level.LSOA).count() == 4


def ts007(tmp_path: Path) -> Path:
    """A hand-made TS007 (age by single year, grouped): the same people as the TS007A fixture."""
    path = tmp_path / "census2021-ts007-lsoa.csv"
    header = "date,geography,geography code,Age: Total,Age: Aged 4 years and under,Age: Aged 5 to 84 years,Age: Aged 85 years and over"
    path.write_text(f"{header}\n2021,Testshire 001A,E01999901,1500,100,1355,45\n", encoding="utf-8")
    return path


def test_two_tables_of_one_topic_and_year_are_refused(tmp_path: Path) -> None:
    tiny_geography()
    ts007a = FIXTURES / "census2021-ts007a-lsoa.csv"
    message = expect_failure(
        "import-census", ts007a, ts007(tmp_path), mentions=["census2021-ts007-lsoa.csv", "census2021-ts007a-lsoa.csv"]
    )
    assert "age" in message and "2021" in message
    # One at a time, the second replaces the first: the ages still add up to the population.
    run("import-census", ts007a, "--commit")
    run("import-census", ts007(tmp_path), "--commit")
    assert cells("E01999901", CensusTopic.AGE) == {
        "Aged 4 years and under": 100,
        "Aged 5 to 84 years": 1355,
        "Aged 85 years and over": 45,
    }


def test_audit_names_each_force_whose_lsoas_the_file_covers(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    path = tmp_path / "census2021-ts008-lsoa.csv"
    path.write_text(
        (FIXTURES / "census2021-ts008-lsoa.csv").read_text() + "2021,Otherford 0,E01999800,10,5,5\n", encoding="utf-8"
    )
    run("import-census", path, "--commit")
    forces = AuditEvent.objects.filter(action="import.census_counts").values_list("force__code", flat=True)
    assert sorted(forces) == [OTHERFORD, "E23999999"]
