"""import-imd: the real IoD2019 Files 1, 2 and 6 against SOURCES facts 10, 11 and 13."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.db.models import Max, Min, Sum

from beatbook.accounts.models import AuditEvent
from beatbook.areas.models import Area, Deprivation, Level
from beatbook.areas.services import deprivation_upsert_many
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


def imd_file(shared_data: Path, number: int) -> Path:
    return next((shared_data / "imd2019").glob(f"File_{number}_*.csv.gz"))


def test_file_1_ranks_and_deciles(shared_data: Path) -> None:
    real_lsoas(shared_data)
    report = run("import-imd", imd_file(shared_data, 1), "--commit")
    assert (report["read"], report["created"]) == (32844, 611)
    assert report["skipped_reasons"] == {"not an imported LSOA": 32844 - 611}
    most = Deprivation.objects.order_by("imd_rank").select_related("lsoa").first()
    assert most is not None
    assert (most.lsoa.code, most.lsoa.name, most.imd_rank) == ("E01013693", "Leicester 035E", 172)
    least = Deprivation.objects.order_by("-imd_rank").select_related("lsoa").first()
    assert least is not None
    assert (least.lsoa.code, least.imd_rank) == ("E01025803", 32774)
    deciles = Counter(Deprivation.objects.values_list("imd_decile", flat=True))
    assert deciles == {1: 43, 2: 32, 3: 62, 4: 49, 5: 53, 6: 51, 7: 73, 8: 84, 9: 80, 10: 84}
    decile_1 = Counter(Deprivation.objects.filter(imd_decile=1).values_list("lsoa__lad__name", flat=True))
    assert decile_1 == {"Leicester": 39, "Charnwood": 2, "North West Leicestershire": 2}


def test_files_2_and_6_in_any_order_and_idempotent(shared_data: Path) -> None:
    real_lsoas(shared_data)
    files = [imd_file(shared_data, 6), imd_file(shared_data, 2)]  # File 6 first: it is read last
    before = snapshot()
    dry = run("import-imd", *files)
    assert (dry["committed"], dry["created"]) == (False, 611)
    assert snapshot() == before

    report = run("import-imd", *files, "--commit")
    assert report["created"] == 611
    assert Deprivation.objects.aggregate(Min("imd_rank"))["imd_rank__min"] == 172
    worst_crime = Deprivation.objects.order_by("crime_rank").select_related("lsoa").first()
    assert worst_crime is not None
    assert (worst_crime.lsoa.code, worst_crime.crime_rank) == ("E01013725", 217)
    assert Deprivation.objects.aggregate(Sum("population_total"))["population_total__sum"] == 1_054_029
    assert Deprivation.objects.filter(population_total__isnull=True).count() == 0
    assert Deprivation.objects.aggregate(Max("income_decile"))["income_decile__max"] == 10

    again = run("import-imd", *files, imd_file(shared_data, 1), "--commit")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 611)


def test_file_6_alone_needs_ranks_first(shared_data: Path) -> None:
    real_lsoas(shared_data)
    report = run("import-imd", imd_file(shared_data, 6), "--commit")
    assert report["created"] == 0
    assert report["skipped_reasons"]["no IMD rank for this LSOA yet: import File 1 or File 2 with File 6"] == 611


def test_wrong_columns_are_named() -> None:
    tiny_geography()
    expect_failure(
        "import-imd",
        FIXTURES / "imd_wrong_columns.csv",
        mentions=["imd_wrong_columns.csv", "line 1", "Index of Multiple Deprivation (IMD) Rank"],
    )


def test_bad_number_names_line_and_field() -> None:
    tiny_geography()
    expect_failure(
        "import-imd",
        FIXTURES / "imd_bad_number.csv",
        mentions=["imd_bad_number.csv", "line 3", "Index of Multiple Deprivation (IMD) Rank", "'12x'"],
    )


def test_thousands_separator_and_bom(tmp_path: Path) -> None:
    tiny_geography()
    # The first data row alone (a header with a byte-order mark, a rank of "1,234") imports.
    lines = (FIXTURES / "imd_bad_number.csv").read_bytes().splitlines(keepends=True)[:2]
    assert lines[0].startswith(b"\xef\xbb\xbf")
    good = tmp_path / "imd_good.csv"
    good.write_bytes(b"".join(lines))
    run("import-imd", good, "--commit")
    assert Deprivation.objects.get(lsoa__code="E01999901").imd_rank == 1234


IMD_HEADER = "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n"


def test_audit_names_each_force_whose_lsoas_the_file_covers(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    path = tmp_path / "imd.csv"
    path.write_text(IMD_HEADER + "E01999901,100,1\nE01999902,200,1\nE01999800,30000,10\nE01000001,5,1\n")
    report = run("import-imd", path, "--commit")
    assert (report["created"], report["skipped"]) == (3, 1)
    events = AuditEvent.objects.filter(action="import.deprivation_(IoD2019)")
    assert sorted(e.force.code for e in events if e.force) == [OTHERFORD, "E23999999"]
    assert events.count() == 2
    # A file that covers none of the imported LSOAs is still recorded, for the whole install.
    nothing = tmp_path / "imd_elsewhere.csv"
    nothing.write_text(IMD_HEADER + "E01000001,5,1\n")
    run("import-imd", nothing, "--commit")
    assert AuditEvent.objects.filter(object_id="imd_elsewhere.csv").values_list("force", flat=True).get() is None


def test_deprivation_upsert_many_creates_updates_and_leaves_alone() -> None:
    tiny_geography()
    ids = dict(Area.objects.filter(level=Level.LSOA).values_list("code", "pk"))
    first = deprivation_upsert_many(
        values_by_lsoa={
            ids["E01999901"]: {"imd_rank": 10, "imd_decile": 1},
            ids["E01999902"]: {"imd_rank": 20, "imd_decile": 1},
        }
    )
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    second = deprivation_upsert_many(
        values_by_lsoa={ids["E01999901"]: {"imd_rank": 10}, ids["E01999902"]: {"population_total": 1500}}
    )
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    row = Deprivation.objects.get(lsoa_id=ids["E01999902"])
    assert (row.imd_rank, row.population_total) == (20, 1500)  # fields not given are kept
    with pytest.raises(ValueError, match="imd_rank"):
        deprivation_upsert_many(values_by_lsoa={ids["E01999903"]: {"population_total": 1}})
    with pytest.raises(ValueError, match="not deprivation fields: rank"):
        deprivation_upsert_many(values_by_lsoa={ids["E01999901"]: {"rank": 1}})
