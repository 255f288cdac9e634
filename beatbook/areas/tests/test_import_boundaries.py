"""import-boundaries: real ONS files for Leicestershire, and small hand-written bad files."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.accounts.models import AuditEvent
from beatbook.areas.models import Area, CensusCount, Deprivation, Level

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
LEICS = "E23000021"
LEICESTER = "E06000016"


def run(command: str, *args: Any) -> dict[str, Any]:
    """Run an import command with --json and return its report."""
    out = io.StringIO()
    call_command(command, *[str(a) for a in args], "--json", stdout=out)
    report: dict[str, Any] = json.loads(out.getvalue())
    return report


def num(value: float | None) -> float:
    """A figure that must be present (typed columns are nullable)."""
    assert value is not None
    return value


def snapshot() -> tuple[int, int, int, int, list[tuple[Any, ...]]]:
    """Row counts and the links of every area: equal before and after a failed import."""
    links = list(Area.objects.order_by("pk").values_list("level", "code", "parent_id", "ward_id", "lad_id", "force_id"))
    return (
        Area.objects.count(),
        Deprivation.objects.count(),
        CensusCount.objects.count(),
        AuditEvent.objects.count(),
        links,
    )


def tiny_geography(*, wards: bool = False) -> None:
    """The hand-made Testshire force: four square LSOAs in two LADs (see fixtures/)."""
    run("import-boundaries", FIXTURES / "tiny_force.geojson", "--level", "force", "--commit")
    run("import-boundaries", FIXTURES / "tiny_lsoas.geojson", "--level", "lsoa", "--commit")
    if wards:
        run("import-boundaries", FIXTURES / "tiny_wards.geojson", "--level", "ward", "--commit")


def real_lsoas(shared_data: Path) -> dict[str, Any]:
    """The 611 Leicestershire LSOAs, placed in the force by --force (no force polygon needed)."""
    Area.objects.create(level=Level.FORCE, code=LEICS, name="Leicestershire")
    path = shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz"
    return run("import-boundaries", path, "--level", "lsoa", "--force", LEICS, "--commit")


def expect_failure(command: str, *args: Any, mentions: list[str]) -> str:
    """The command fails (non-zero exit), names what it should, and changes nothing."""
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        call_command(command, *[str(a) for a in args], "--commit", stdout=io.StringIO())
    message = str(caught.value)
    for text in mentions:
        assert text in message, message
    assert snapshot() == before
    return message


# --- real data ---------------------------------------------------------------------------


def test_force_then_lsoas_by_overlap(shared_data: Path) -> None:
    pfa = shared_data / "boundaries" / "police_force_areas_simplified.geojson.gz"
    report = run("import-boundaries", pfa, "--level", "force", "--only", LEICS, "--commit")
    assert (report["created"], report["skipped"]) == (1, 42)
    force = Area.objects.get(level=Level.FORCE)
    assert (force.code, force.name) == (LEICS, "Leicestershire")
    # Leicestershire, Leicester and Rutland: about 2,500 km² (the file is simplified to 1%).
    assert 2400 < num(force.area_sq_km) < 2700

    lsoas = shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz"
    report = run("import-boundaries", lsoas, "--level", "lsoa", "--commit")
    assert (report["read"], report["created"], report["skipped"]) == (611, 611, 0)
    assert Area.objects.filter(level=Level.LSOA, force=force).count() == 611
    by_lad = Counter(Area.objects.filter(level=Level.LSOA).values_list("lad__name", flat=True))
    assert by_lad == {
        "Leicester": 192,
        "Charnwood": 99,
        "Hinckley and Bosworth": 66,
        "Blaby": 60,
        "North West Leicestershire": 58,
        "Harborough": 47,
        "Oadby and Wigston": 36,
        "Melton": 30,
        "Rutland": 23,
    }
    assert Area.objects.filter(level=Level.LSOA, lad__code=LEICESTER).count() == 192
    # LADs known only from the LSOA properties get the union of their LSOAs as boundary.
    leicester = Area.objects.get(level=Level.LAD, code=LEICESTER)
    assert leicester.force == force
    assert 70 < num(leicester.area_sq_km) < 76  # Leicester is about 73 km²
    city_centre = Area.objects.get(level=Level.LSOA, code="E01032867")
    assert city_centre.name == "Leicester 041A"
    assert num(city_centre.min_lon) < -1.1357 < num(city_centre.max_lon)
    assert any("repaired 4" in note for note in report["notes"])

    again = run("import-boundaries", lsoas, "--level", "lsoa", "--commit")
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 611)


def test_all_forces_place_every_leicestershire_lsoa_in_leicestershire(shared_data: Path) -> None:
    pfa = shared_data / "boundaries" / "police_force_areas_simplified.geojson.gz"
    report = run("import-boundaries", pfa, "--level", "force", "--commit")
    assert report["created"] == 43
    lsoas = shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz"
    run("import-boundaries", lsoas, "--level", "lsoa", "--commit")
    forces = Counter(Area.objects.filter(level=Level.LSOA).values_list("force__code", flat=True))
    assert forces == {LEICS: 611}


def test_wards_and_msoas_link_by_best_fit_in_either_order(shared_data: Path) -> None:
    Area.objects.create(level=Level.FORCE, code=LEICS, name="Leicestershire")
    folder = shared_data / "boundaries"
    report = run(
        "import-boundaries",
        folder / "leicestershire_wards_bgc.geojson.gz",
        "--level",
        "ward",
        "--force",
        LEICS,
        "--commit",
    )
    assert report["created"] == 171
    assert Area.objects.filter(level=Level.WARD).count() == 171
    assert Area.objects.filter(level=Level.WARD, lad__code=LEICESTER).count() == 22
    run(
        "import-boundaries",
        folder / "leicestershire_lsoa2011_bgc.geojson.gz",
        "--level",
        "lsoa",
        "--force",
        LEICS,
        "--commit",
    )
    report = run(
        "import-boundaries",
        folder / "leicestershire_msoa2011_bgc.geojson.gz",
        "--level",
        "msoa",
        "--force",
        LEICS,
        "--commit",
    )
    assert report["created"] == 125

    lsoas = list(
        Area.objects.filter(level=Level.LSOA).values_list("code", "name", "lad_id", "ward__lad_id", "msoa__name")
    )
    assert len(lsoas) == 611
    # Wards nest in districts, and "Leicester 041A" lies in MSOA "Leicester 041": best fit
    # by area must agree with both for every LSOA.
    assert [code for code, _, lad, ward_lad, _ in lsoas if ward_lad is None or ward_lad != lad] == []
    assert [code for code, name, _, _, msoa in lsoas if msoa != name[:-1]] == []

    # Re-importing the wards (after the LSOAs this time) changes nothing.
    again = run(
        "import-boundaries",
        folder / "leicestershire_wards_bgc.geojson.gz",
        "--level",
        "ward",
        "--force",
        LEICS,
        "--commit",
    )
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 171)


def test_dry_run_writes_nothing(shared_data: Path) -> None:
    Area.objects.create(level=Level.FORCE, code=LEICS, name="Leicestershire")
    before = snapshot()
    path = shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz"
    report = run("import-boundaries", path, "--level", "lsoa", "--force", LEICS)
    assert (report["committed"], report["created"]) == (False, 611)
    assert snapshot() == before


# --- small hand-made files ----------------------------------------------------------------


def test_tiny_geography_places_by_force_overlap_and_skips_outside() -> None:
    tiny_geography(wards=True)
    lsoas = {a.code: a for a in Area.objects.filter(level=Level.LSOA)}
    assert sorted(lsoas) == ["E01999901", "E01999902", "E01999903", "E01999904"]
    assert set(Area.objects.filter(level=Level.LSOA).values_list("force__code", flat=True)) == {"E23999999"}
    # E01999902 lies a quarter in West Ward and three quarters in East Ward.
    assert dict(Area.objects.filter(level=Level.LSOA).values_list("code", "ward__code")) == {
        "E01999901": "E05999901",
        "E01999902": "E05999902",
        "E01999903": "E05999901",
        "E01999904": "E05999902",
    }
    assert Area.objects.get(code="E01999903").lad == Area.objects.get(level=Level.LAD, name="Testshire South")
    # 0.02° x 0.01° at 52°N is about 1.369 km x 1.112 km.
    assert lsoas["E01999901"].area_sq_km == pytest.approx(1.5226, rel=2e-3)


def test_outside_every_force_is_counted() -> None:
    run("import-boundaries", FIXTURES / "tiny_force.geojson", "--level", "force", "--only", "E23999999", "--commit")
    report = run("import-boundaries", FIXTURES / "tiny_lsoas.geojson", "--level", "lsoa", "--commit")
    assert report["created"] == 4
    assert report["skipped_reasons"] == {"outside every imported force": 1}


def test_truncated_geojson_fails_with_line() -> None:
    expect_failure(
        "import-boundaries",
        FIXTURES / "truncated.geojson",
        "--level",
        "force",
        mentions=["truncated.geojson", "line ", "truncated"],
    )


def test_feature_without_code_is_named() -> None:
    tiny_geography()
    expect_failure(
        "import-boundaries",
        FIXTURES / "no_code.geojson",
        "--level",
        "lsoa",
        mentions=["no_code.geojson", "feature #1", "LSOA11CD", "has no code"],
    )


def test_self_intersecting_polygon_is_refused_with_its_code() -> None:
    tiny_geography()
    message = expect_failure(
        "import-boundaries",
        FIXTURES / "bowtie.geojson",
        "--level",
        "lsoa",
        mentions=["bowtie.geojson", "E01999909", "Self-intersection"],
    )
    assert "E01999901" not in message


def test_non_utf8_geojson_is_refused() -> None:
    tiny_geography()
    expect_failure(
        "import-boundaries",
        FIXTURES / "latin1.geojson",
        "--level",
        "lsoa",
        mentions=["latin1.geojson", "line 8", "UTF-8"],
    )


def test_areas_need_a_force() -> None:
    expect_failure(
        "import-boundaries",
        FIXTURES / "tiny_lsoas.geojson",
        "--level",
        "lsoa",
        mentions=["import the police force areas first"],
    )


def test_only_code_missing_from_file_fails() -> None:
    expect_failure(
        "import-boundaries",
        FIXTURES / "tiny_force.geojson",
        "--level",
        "force",
        "--only",
        "E23000021",
        mentions=["E23000021", "not in the file"],
    )


def test_failure_is_printed_as_json() -> None:
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import-boundaries", str(FIXTURES / "no_code.geojson"), "--level", "force", "--json", stdout=out)
    failure = json.loads(out.getvalue())["failure"]
    assert failure["file"].endswith("no_code.geojson")
    assert (failure["feature"], failure["line"]) == ("#0", None)
    assert "--code-field" in failure["error"]


def test_truncated_gzip_is_refused(tmp_path: Path) -> None:
    import gzip

    whole = gzip.compress((FIXTURES / "tiny_force.geojson").read_bytes())
    cut = tmp_path / "forces.geojson.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    expect_failure("import-boundaries", cut, "--level", "force", mentions=["forces.geojson.gz", "cannot be read"])


# --- two forces: what one force's import may touch -------------------------------------------

OTHERFORD = "E23999998"


def square_feature(code: str, lon: float, lat: float, size: float, **properties: str) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


def otherford(tmp_path: Path) -> None:
    """Three LSOAs and one ward in Otherford (the second force of tiny_force.geojson), linked by best fit."""
    lsoas = [
        square_feature(f"E0199980{i}", 0.42 + 0.04 * i, 52.02, 0.03, LSOA11CD=f"E0199980{i}", LSOA11NM=f"Otherford {i}")
        for i in range(3)
    ]
    ward = [square_feature("E05999801", 0.41, 52.01, 0.15, WD13CD="E05999801", WD13NM="Otherford Ward")]
    run("import-boundaries", write_geojson(tmp_path / "other_lsoas.geojson", lsoas), "--level", "lsoa", "--commit")
    run("import-boundaries", write_geojson(tmp_path / "other_wards.geojson", ward), "--level", "ward", "--commit")


def parsed_geometry_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, float, float]]:
    """The bounding box of every stored boundary the area services parse (the real parser still runs)."""
    from beatbook.areas import geo, services

    boxes: list[tuple[float, float, float, float]] = []

    def counting(data: Any) -> Any:
        geom, repaired = geo.geometry_from_geojson(data)
        boxes.append(geo.bbox(geom))
        return geom, repaired

    monkeypatch.setattr(services, "geometry_from_geojson", counting)
    return boxes


@pytest.fixture
def parsed_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float, float, float]]:
    return parsed_geometry_boxes(monkeypatch)


def test_ward_import_refits_only_the_lsoas_of_its_force(tmp_path: Path, parsed_boxes: list[Any]) -> None:
    tiny_geography()
    otherford(tmp_path)
    assert dict(Area.objects.filter(force__code=OTHERFORD, level=Level.LSOA).values_list("code", "ward__code")) == {
        "E01999800": "E05999801",
        "E01999801": "E05999801",
        "E01999802": "E05999801",
    }
    parsed_boxes.clear()
    run("import-boundaries", FIXTURES / "tiny_wards.geojson", "--level", "ward", "--force", "E23999999", "--commit")
    # Testshire's 4 LSOAs and its 2 wards; nothing from Otherford, 1.4° to the east.
    assert len(parsed_boxes) == 6
    assert [box for box in parsed_boxes if box[0] > 0] == []
    assert Area.objects.filter(level=Level.LSOA, force__code="E23999999", ward__isnull=True).count() == 0
    assert Area.objects.filter(level=Level.LSOA, ward__code="E05999801").count() == 3


def test_lsoa_import_without_force_audits_the_force_it_placed_them_in(tmp_path: Path) -> None:
    tiny_geography()
    otherford(tmp_path)
    events = AuditEvent.objects.filter(action="import.lsoa_boundaries").order_by("id")
    assert [(e.object_id, e.force.code if e.force else None) for e in events] == [
        ("tiny_lsoas.geojson", "E23999999"),
        ("other_lsoas.geojson", OTHERFORD),
    ]
    forces = AuditEvent.objects.filter(action="import.force_boundaries").values_list("force__code", flat=True)
    assert sorted(forces) == [OTHERFORD, "E23999999"]


def test_commands_have_one_name_each() -> None:
    from django.core.management import get_commands

    names = {name for name, app in get_commands().items() if app == "beatbook.areas"}
    assert {"import-boundaries", "import-imd", "import-census", "import-neighbourhoods"} <= names
    assert not {n for n in names if n.startswith("import_")}


def test_common_options_reach_every_import_command(tmp_path: Path) -> None:
    tiny_geography()
    imd = tmp_path / "imd.csv"
    imd.write_bytes(b"".join((FIXTURES / "imd_bad_number.csv").read_bytes().splitlines(keepends=True)[:2]))
    for command, args in (
        ("import-boundaries", [FIXTURES / "tiny_wards.geojson", "--level", "ward"]),
        ("import-imd", [imd]),
        ("import-census", [FIXTURES / "census2021-ts008-lsoa.csv"]),
        ("import-neighbourhoods", [FIXTURES / "neighbourhoods_lsoa.csv"]),
    ):
        out = io.StringIO()
        call_command(command, *[str(a) for a in args], "--no-progress", stdout=out)
        assert out.getvalue().startswith("Dry run (nothing saved; add --commit to save)"), command
