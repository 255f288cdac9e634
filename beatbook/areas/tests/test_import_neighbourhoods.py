"""import-neighbourhoods: CSV by LSOA or ward, and KML, on hand-made files; a ward CSV over real wards."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from beatbook.accounts.models import AuditEvent, Role, User
from beatbook.areas.models import Area, Level
from beatbook.areas.tests.test_import_boundaries import (
    FIXTURES,
    LEICS,
    OTHERFORD,
    expect_failure,
    num,
    otherford,
    parsed_geometry_boxes,
    run,
    snapshot,
    tiny_geography,
)

pytestmark = pytest.mark.django_db


def parents(level: str = Level.LSOA) -> dict[str, str | None]:
    return dict(Area.objects.filter(level=level).values_list("code", "parent__code"))


def test_lsoa_csv_builds_the_hierarchy() -> None:
    tiny_geography()
    before = snapshot()
    dry = run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv")
    assert (dry["committed"], dry["created"]) == (False, 4)
    assert snapshot() == before

    report = run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    assert (report["read"], report["created"]) == (4, 4)  # 2 NPAs, 2 neighbourhoods
    assert parents() == {"E01999901": "TS-S", "E01999902": "TS-S", "E01999903": "TS-N", "E01999904": "TS-N"}
    assert parents(Level.NEIGHBOURHOOD) == {"TS-S": "TSA", "TS-N": "TSB"}
    assert parents(Level.NPA) == {"TSA": "E23999999", "TSB": "E23999999"}
    south = Area.objects.get(level=Level.NEIGHBOURHOOD, code="TS-S")
    lsoas = Area.objects.filter(code__in=["E01999901", "E01999902"])
    # The neighbourhood is the union of its two LSOAs: their areas add up, the boxes join.
    assert south.area_sq_km == pytest.approx(sum(num(a.area_sq_km) for a in lsoas), rel=1e-6)
    assert (south.min_lon, south.max_lon, south.min_lat, south.max_lat) == (-1.0, -0.96, 52.0, 52.01)
    assert south.geometry is not None and south.geometry["type"] == "Polygon"
    npa = Area.objects.get(level=Level.NPA, code="TSA")
    assert npa.area_sq_km == pytest.approx(south.area_sq_km, rel=1e-9)
    assert npa.force is not None and npa.force.code == "E23999999"

    again = run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)


def test_ward_csv_places_lsoas_by_largest_overlap() -> None:
    tiny_geography(wards=True)
    report = run("import-neighbourhoods", FIXTURES / "neighbourhoods_ward.csv", "--commit")
    assert report["created"] == 3
    # West Ward covers a quarter of E01999902 and E01999904; East Ward the other three quarters.
    assert parents() == {"E01999901": "TS-W", "E01999902": "TS-E", "E01999903": "TS-W", "E01999904": "TS-E"}
    east = Area.objects.get(level=Level.NEIGHBOURHOOD, code="TS-E")
    assert (east.min_lon, east.max_lon) == (-0.98, -0.96)  # its LSOAs, not its ward
    again = run("import-neighbourhoods", FIXTURES / "neighbourhoods_ward.csv", "--commit")
    assert (again["created"], again["updated"]) == (0, 0)


def test_kml_keeps_its_polygons() -> None:
    tiny_geography()
    report = run("import-neighbourhoods", FIXTURES / "testshire.kml", "--force", "E23999999", "--commit")
    assert (report["read"], report["created"]) == (2, 2)
    west = Area.objects.get(level=Level.NEIGHBOURHOOD, code="TSW")
    assert (west.min_lon, west.max_lon) == (-1.0, -0.975)  # the KML polygon, not its LSOAs
    assert west.parent is not None and west.parent.code == "E23999999"
    assert parents() == {"E01999901": "TSW", "E01999902": "TSE", "E01999903": "TSW", "E01999904": "TSE"}
    east = Area.objects.get(level=Level.NEIGHBOURHOOD, code="TSE")
    assert east.geometry is not None and east.geometry["type"] == "Polygon"
    again = run("import-neighbourhoods", FIXTURES / "testshire.kml", "--commit")  # force found from LSOAs
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_single_placemark_kml_takes_its_code_from_the_file_name() -> None:
    tiny_geography()
    run("import-neighbourhoods", FIXTURES / "TS99.kml", "--commit")
    area = Area.objects.get(level=Level.NEIGHBOURHOOD, code="TS99")
    assert area.name == "Testshire Centre"
    # It covers a quarter of each LSOA: each is placed in it, being the only one they touch.
    assert Area.objects.filter(level=Level.LSOA, parent=area).count() == 4


def test_unknown_lsoa_code_names_line_and_field() -> None:
    tiny_geography()
    expect_failure(
        "import-neighbourhoods",
        FIXTURES / "neighbourhoods_unknown_lsoa.csv",
        mentions=["neighbourhoods_unknown_lsoa.csv", "line 3", "lsoa_code", "E01999999"],
    )


def test_wrong_columns_list_the_expected_ones() -> None:
    tiny_geography()
    expect_failure(
        "import-neighbourhoods",
        FIXTURES / "neighbourhoods_wrong_columns.csv",
        mentions=["neighbourhoods_wrong_columns.csv", "line 1", "neighbourhood_code, neighbourhood_name, npa_code"],
    )


def test_non_utf8_csv_names_the_line() -> None:
    tiny_geography()
    expect_failure(
        "import-neighbourhoods",
        FIXTURES / "neighbourhoods_latin1.csv",
        mentions=["neighbourhoods_latin1.csv", "line 3", "UTF-8"],
    )


def test_ward_csv_over_real_wards(shared_data: Path, tmp_path: Path) -> None:
    """One neighbourhood per district, built from the 171 real wards: every LSOA must land in its own district."""
    Area.objects.create(level=Level.FORCE, code=LEICS, name="Leicestershire")
    folder = shared_data / "boundaries"
    for level, name in (("lsoa", "lsoa2011"), ("ward", "wards")):
        path = folder / f"leicestershire_{name}_bgc.geojson.gz"
        run("import-boundaries", path, "--level", level, "--force", LEICS, "--commit")
    with gzip.open(folder / "leicestershire_wards_bgc.geojson.gz", "rt", encoding="utf-8") as handle:
        wards = [f["properties"] for f in json.load(handle)["features"]]
    mapping = tmp_path / "neighbourhoods.csv"
    with mapping.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["neighbourhood_code", "neighbourhood_name", "npa_code", "npa_name", "ward_code"])
        for ward in wards:
            npa = "CITY" if ward["LAD_CD"] == "E06000016" else "COUNTY"
            writer.writerow([f"N-{ward['LAD_CD']}", ward["LAD_NM"], npa, npa.title(), ward["WD13CD"]])
    report = run("import-neighbourhoods", mapping, "--commit")
    assert (report["read"], report["created"]) == (171, 11)
    placed = Area.objects.filter(level=Level.LSOA).values_list("parent__code", "lad__code")
    assert len(placed) == 611
    assert [(p, lad) for p, lad in placed if p != f"N-{lad}"] == []
    city = Area.objects.get(level=Level.NPA, code="CITY")
    assert 70 < num(city.area_sq_km) < 76  # Leicester, about 73 km²


# --- a force's file defines its whole hierarchy ------------------------------------------------

HEADER = "neighbourhood_code,neighbourhood_name,npa_code,npa_name,{unit}\n"


def mapping(tmp_path: Path, name: str, rows: list[str], unit: str = "lsoa_code") -> Path:
    path = tmp_path / name
    path.write_text(HEADER.format(unit=unit) + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_reimport_is_a_replacement(tmp_path: Path) -> None:
    tiny_geography()
    run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    # The new file drops E01999903-4 and with them neighbourhood TS-N and its NPA TSB.
    smaller = mapping(
        tmp_path,
        "smaller.csv",
        ["TS-S,Testshire South Beat,TSA,Testshire A,E01999901", "TS-S,Testshire South Beat,TSA,Testshire A,E01999902"],
    )
    before = snapshot()
    dry = run("import-neighbourhoods", smaller)
    assert (dry["committed"], dry["deleted"]) == (False, 2)
    assert snapshot() == before

    report = run("import-neighbourhoods", smaller, "--commit")
    assert parents() == {"E01999901": "TS-S", "E01999902": "TS-S", "E01999903": None, "E01999904": None}
    assert sorted(Area.objects.filter(level__in=[Level.NPA, Level.NEIGHBOURHOOD]).values_list("code", flat=True)) == [
        "TS-S",
        "TSA",
    ]
    assert (report["created"], report["updated"], report["deleted"]) == (0, 2, 2)  # 2 LSOAs lose their parent
    assert "2 LSOAs of the force are not in this file: their neighbourhood was cleared" in report["notes"]
    assert "deleted 1 neighbourhood not in this file: TS-N" in report["notes"]
    assert "deleted 1 policing area not in this file: TSB" in report["notes"]

    again = run("import-neighbourhoods", smaller, "--commit")
    assert (again["created"], again["updated"], again["deleted"], again["unchanged"]) == (0, 0, 0, 2)


def test_moving_lsoas_between_files_leaves_no_stale_parent(tmp_path: Path) -> None:
    tiny_geography()
    run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    renamed = mapping(
        tmp_path,
        "renamed.csv",
        [
            "TS-1,One,TSA,Testshire A,E01999901",
            "TS-1,One,TSA,Testshire A,E01999903",
            "TS-2,Two,TSC,Testshire C,E01999902",
        ],
    )
    report = run("import-neighbourhoods", renamed, "--commit")
    assert parents() == {"E01999901": "TS-1", "E01999902": "TS-2", "E01999903": "TS-1", "E01999904": None}
    assert parents(Level.NEIGHBOURHOOD) == {"TS-1": "TSA", "TS-2": "TSC"}
    assert parents(Level.NPA) == {"TSA": "E23999999", "TSC": "E23999999"}
    assert report["deleted"] == 3  # TS-S, TS-N and TSB
    one = Area.objects.get(code="TS-1")
    assert (one.min_lon, one.max_lon, one.min_lat, one.max_lat) == (-1.0, -0.98, 52.0, 52.02)


def test_a_stale_area_someone_refers_to_is_kept_and_reported(tmp_path: Path) -> None:
    tiny_geography()
    run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    User.objects.create(username="pc-north", role=Role.OFFICER, area=Area.objects.get(code="TS-N"))
    smaller = mapping(tmp_path, "smaller.csv", ["TS-S,Testshire South Beat,TSA,Testshire A,E01999901"])
    report = run("import-neighbourhoods", smaller, "--commit")
    assert report["deleted"] == 0
    assert parents() == {"E01999901": "TS-S", "E01999902": None, "E01999903": None, "E01999904": None}
    assert Area.objects.filter(code__in=["TS-N", "TSB"]).count() == 2
    assert any("kept neighbourhood TS-N" in note and "1 user" in note for note in report["notes"]), report["notes"]
    assert any("kept policing area TSB" in note for note in report["notes"]), report["notes"]


def test_lsoa_of_another_force_is_refused(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    path = mapping(
        tmp_path,
        "mixed.csv",
        ["TS-S,South,TSA,A,E01999901", "TS-S,South,TSA,A,E01999800", "TS-S,South,TSA,A,E01999902"],
    )
    expect_failure(
        "import-neighbourhoods",
        path,
        "--force",
        "E23999999",
        mentions=["mixed.csv", "line 3", "'lsoa_code'", "E01999800", OTHERFORD, "E23999999"],
    )
    # Without --force the force is the one most rows belong to: the odd one out is still named.
    expect_failure("import-neighbourhoods", path, mentions=["mixed.csv", "line 3", "'lsoa_code'", "E01999800"])


def test_ward_of_another_force_is_refused(tmp_path: Path) -> None:
    tiny_geography(wards=True)
    otherford(tmp_path)
    path = mapping(
        tmp_path,
        "wards.csv",
        ["TS-W,West,TSA,A,E05999901", "TS-E,East,TSA,A,E05999902", "TS-O,Other,TSA,A,E05999801"],
        unit="ward_code",
    )
    expect_failure(
        "import-neighbourhoods", path, mentions=["wards.csv", "line 4", "'ward_code'", "E05999801", OTHERFORD]
    )


def test_neighbourhood_code_of_another_force_is_refused(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    run("import-neighbourhoods", mapping(tmp_path, "other.csv", ["OF-1,Other One,OFA,Other A,E01999800"]), "--commit")
    path = mapping(tmp_path, "clash.csv", ["TS-S,South,TSA,A,E01999901", "OF-1,Taken,TSA,A,E01999902"])
    expect_failure("import-neighbourhoods", path, mentions=["clash.csv", "line 3", "'neighbourhood_code'", OTHERFORD])


def test_one_force_import_leaves_the_other_force_alone(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    run("import-neighbourhoods", mapping(tmp_path, "other.csv", ["OF-1,Other One,OFA,Other A,E01999800"]), "--commit")
    run("import-neighbourhoods", FIXTURES / "neighbourhoods_lsoa.csv", "--commit")
    assert parents()["E01999800"] == "OF-1"
    assert Area.objects.filter(code__in=["OF-1", "OFA"]).count() == 2
    events = AuditEvent.objects.filter(action="import.neighbourhoods").values_list("object_id", "force__code")
    assert sorted(events) == [("neighbourhoods_lsoa.csv", "E23999999"), ("other.csv", OTHERFORD)]


@pytest.fixture
def parsed_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, float, float]]:
    return parsed_geometry_boxes(monkeypatch)


def test_kml_parses_only_nearby_lsoas_of_its_force(tmp_path: Path, parsed_boxes: list[Any]) -> None:
    tiny_geography()
    otherford(tmp_path)
    for args in (["--force", "E23999999"], []):
        parsed_boxes.clear()
        report = run("import-neighbourhoods", FIXTURES / "testshire.kml", *args, "--commit")
        assert report["read"] == 2
        # Testshire's 4 LSOAs, then its 2 neighbourhoods for the best fit: Otherford is not read.
        assert [box for box in parsed_boxes if box[0] > 0] == []
        assert len(parsed_boxes) == 6
    assert parents() == {
        "E01999901": "TSW",
        "E01999902": "TSE",
        "E01999903": "TSW",
        "E01999904": "TSE",
        "E01999800": None,
        "E01999801": None,
        "E01999802": None,
    }
