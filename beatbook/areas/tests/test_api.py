"""The areas API: scoped like the pages, typed, valid GeoJSON, bounded query counts."""

from __future__ import annotations

import pytest
from django.test import Client

from .synthetic import FEMALES, IMD_POP, MALES, RANKS, SmallForce, build_small_force, sign_in

pytestmark = pytest.mark.django_db

BASE = "/api/v1/areas"


@pytest.fixture
def small() -> SmallForce:
    return build_small_force()


def client_for(small: SmallForce, name: str) -> Client:
    return sign_in(Client(), small.users[name])


def assert_feature_collection(data: dict) -> None:
    """The parts of RFC 7946 a map client relies on."""
    assert data["type"] == "FeatureCollection"
    assert isinstance(data["features"], list)
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        rings = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
        for ring in rings:
            assert len(ring) >= 4 and ring[0] == ring[-1]
            for lon, lat in ring:
                assert -180 <= lon <= 180 and -90 <= lat <= 90
        assert isinstance(feature["properties"], dict)


def test_anonymous_callers_are_refused(small: SmallForce) -> None:
    assert Client().get(f"{BASE}/").status_code == 401
    assert Client().get(f"{BASE}/E01900001").status_code == 401


def test_docs_page_is_off_and_openapi_is_on(small: SmallForce) -> None:
    client = client_for(small, "analyst")
    assert client.get("/api/v1/docs").status_code == 404
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in ("/api/v1/areas/", "/api/v1/areas/geojson", "/api/v1/areas/{code}", "/api/v1/areas/{code}/geojson"):
        assert path in paths, path
    assert "AreaDetailOut" in schema["components"]["schemas"]


def test_list_is_scoped_to_the_caller(small: SmallForce) -> None:
    officer = client_for(small, "officer").get(f"{BASE}/", {"level": "lsoa"}).json()
    assert [a["code"] for a in officer] == ["E01900001", "E01900002", "E01900003"]
    commander = client_for(small, "commander").get(f"{BASE}/", {"level": "neighbourhood"}).json()
    assert [a["code"] for a in commander] == ["TST-N1", "TST-N2"]
    outsider = client_for(small, "outsider").get(f"{BASE}/", {"level": "lsoa"}).json()
    assert [a["code"] for a in outsider] == ["E01990001", "E01990002"]


def test_list_figures(small: SmallForce) -> None:
    data = client_for(small, "admin").get(f"{BASE}/", {"level": "npa"}).json()
    north = next(a for a in data if a["code"] == "TST-A")
    assert north["lsoas"] == 6
    assert north["population"] == sum(MALES[:6]) + sum(FEMALES[:6]) == 9830
    assert north["census_year"] == 2011
    assert north["imd_population_2015"] == sum(IMD_POP[:6])
    weighted = sum(r * p for r, p in zip(RANKS[:6], IMD_POP[:6], strict=True)) / sum(IMD_POP[:6])
    assert north["imd_rank"] == pytest.approx(weighted)
    assert north["imd_rank_is_average"] is True
    assert north["parent"] == {"code": "E23900001", "name": "Testshire Police", "level": "force"}
    assert north["force_code"] == "E23900001"


def test_within_filters_and_defaults_to_children(small: SmallForce) -> None:
    client = client_for(small, "admin")
    children = client.get(f"{BASE}/", {"within": "TST-B"}).json()
    assert [a["code"] for a in children] == ["TST-N3", "TST-N4"]
    wards = client.get(f"{BASE}/", {"within": "TST-N2", "level": "ward"}).json()
    assert [a["code"] for a in wards] == ["E05900001"]
    lsoas = client.get(f"{BASE}/", {"within": "E05900001", "level": "lsoa"}).json()
    assert [a["code"] for a in lsoas] == ["E01900003", "E01900006", "E01900009", "E01900012"]
    # A `within` outside the caller's scope is a 404, as if it did not exist.
    assert client_for(small, "officer").get(f"{BASE}/", {"within": "TST-B"}).status_code == 404
    assert client.get(f"{BASE}/", {"within": "E01990001"}).status_code == 404
    assert client.get(f"{BASE}/", {"level": "galaxy"}).status_code == 422


def test_detail(small: SmallForce) -> None:
    client = client_for(small, "commander")
    data = client.get(f"{BASE}/TST-N2").json()
    assert data["name"] == "Neighbourhood 2"
    assert data["population"] == sum(MALES[3:6]) + sum(FEMALES[3:6])
    # The commander cannot see the force, so only the NPA is an ancestor they are shown.
    assert [a["code"] for a in data["ancestors"]] == ["TST-A"]
    assert [c["code"] for c in data["children"]] == ["E01900004", "E01900005", "E01900006"]
    topics = {t["topic"]: t for t in data["census"]}
    assert sum(c["share"] for c in topics["religion"]["categories"]) == pytest.approx(1.0)
    assert topics["sex"]["categories"][0] == {
        "category": "Males",
        "count": sum(MALES[3:6]),
        "share": pytest.approx(sum(MALES[3:6]) / (sum(MALES[3:6]) + sum(FEMALES[3:6]))),
    }
    dep = data["deprivation"]
    assert dep["lsoas"] == 3
    assert dep["most_deprived"] == {"code": "E01900004", "name": "Testshire 004", "rank": 9000, "decile": 3}
    assert dep["domains"][0]["domain"] == "income"
    assert sum(d["lsoas"] for d in dep["imd"]["deciles"]) == 3


def test_detail_outside_scope_is_404(small: SmallForce) -> None:
    client = client_for(small, "officer")
    assert client.get(f"{BASE}/TST-N2").status_code == 404
    assert client.get(f"{BASE}/E23900001").status_code == 404
    assert client.get(f"{BASE}/TST-N2/geojson").status_code == 404
    assert client.get(f"{BASE}/NOPE").status_code == 404
    assert client.get(f"{BASE}/TST-N1").status_code == 200


def test_area_geojson_with_measure(small: SmallForce) -> None:
    client = client_for(small, "commander")
    data = client.get(f"{BASE}/TST-A/geojson", {"measure": "education"}).json()
    assert_feature_collection(data)
    assert len(data["features"]) == 6
    props = data["features"][0]["properties"]
    assert props["code"] == "E01900001" and props["measure"] == "education"
    assert props["value"] == 10.0  # education rank 32,844 - 1,200 is in the least deprived decile
    assert props["fill"].startswith("#")


def test_list_geojson(small: SmallForce) -> None:
    client = client_for(small, "analyst")
    data = client.get(f"{BASE}/geojson", {"level": "neighbourhood"}).json()
    assert_feature_collection(data)
    assert [f["properties"]["code"] for f in data["features"]] == ["TST-N1", "TST-N2", "TST-N3", "TST-N4"]
    assert data["features"][3]["properties"]["lsoas"] == 3
    officer = client_for(small, "officer").get(f"{BASE}/geojson", {"level": "neighbourhood"}).json()
    assert [f["properties"]["code"] for f in officer["features"]] == ["TST-N1"]


def test_query_counts_are_bounded(small: SmallForce, django_assert_max_num_queries) -> None:
    client = client_for(small, "admin")
    client.get(f"{BASE}/")  # session and user lookups warm up
    # Every level at once: a few aggregates per level, not per area.
    with django_assert_max_num_queries(28):
        everything = client.get(f"{BASE}/").json()
    assert len(everything) == 1 + 2 + 4 + 2 + 1 + 1 + 12
    with django_assert_max_num_queries(10):
        client.get(f"{BASE}/", {"level": "lsoa"})
    with django_assert_max_num_queries(20):
        client.get(f"{BASE}/E23900001")
    with django_assert_max_num_queries(10):
        client.get(f"{BASE}/geojson", {"level": "lsoa"})


def test_district_seen_in_part_covers_only_the_callers_lsoas(small: SmallForce) -> None:
    """Westborough holds LSOAs 1-6; the officer of neighbourhood 1 may see it, but its
    figures, children, deprivation and GeoJSON cover LSOAs 1-3 only, flagged `partial`."""
    client = client_for(small, "officer")
    data = client.get(f"{BASE}/E06900001").json()
    assert data["partial"] is True
    assert data["lsoas"] == 3
    assert data["population"] == sum(MALES[:3]) + sum(FEMALES[:3])
    assert data["imd_population_2015"] == sum(IMD_POP[:3])
    assert data["area_sq_km"] is None  # the size would be the whole district's
    assert [c["code"] for c in data["children"]] == ["E01900001", "E01900002", "E01900003"]
    assert data["deprivation"]["lsoas"] == 3
    assert data["deprivation"]["least_deprived"]["code"] == "E01900003"  # not LSOA 6 (rank 15,000)
    assert sum(t["total"] for t in data["census"] if t["topic"] == "sex") == sum(MALES[:3]) + sum(FEMALES[:3])
    geojson = client.get(f"{BASE}/E06900001/geojson").json()
    assert [f["id"] for f in geojson["features"]] == ["E01900001", "E01900002", "E01900003"]
    listed = client.get(f"{BASE}/", {"level": "lad"}).json()
    assert [(a["code"], a["lsoas"], a["partial"]) for a in listed] == [("E06900001", 3, True)]
    wards = client.get(f"{BASE}/geojson", {"level": "ward"}).json()
    assert [(f["properties"]["code"], f["properties"]["lsoas"]) for f in wards["features"]] == [("E05900001", 1)]
    # Their own neighbourhood is not partial; a force-wide analyst sees the whole district.
    assert client.get(f"{BASE}/TST-N1").json()["partial"] is False
    whole = client_for(small, "analyst").get(f"{BASE}/E06900001").json()
    assert (whole["lsoas"], whole["partial"]) == (6, False)


def test_average_rank_says_whether_it_is_weighted(small: SmallForce) -> None:
    from beatbook.areas.models import Deprivation

    Deprivation.objects.filter(lsoa=small.lsoas[0]).update(population_total=None)
    client = client_for(small, "officer")
    data = client.get(f"{BASE}/TST-N1").json()
    assert data["imd_rank"] == pytest.approx(sum(RANKS[:3]) / 3)
    assert (data["imd_rank_is_average"], data["imd_rank_is_weighted"]) == (True, False)
    assert data["deprivation"]["rank_is_weighted"] is False


def test_ambiguous_code_asks_for_a_level(small: SmallForce) -> None:
    from beatbook.areas.models import Area, Level

    # A force's own NPA code that happens to repeat the ward's ONS code.
    Area.objects.create(level=Level.NPA, code="E05900001", name="Hill NPA", force=small.force, parent=small.force)
    client = client_for(small, "admin")
    response = client.get(f"{BASE}/E05900001")
    assert response.status_code == 400
    assert "names more than one area you can see (npa, ward)" in response.json()["detail"]
    assert "?level=" in response.json()["detail"]
    assert client.get(f"{BASE}/E05900001/geojson").status_code == 400
    assert client.get(f"{BASE}/E05900001", {"level": "ward"}).json()["name"] == "Hilltop"
    assert client.get(f"{BASE}/E05900001", {"level": "npa"}).json()["name"] == "Hill NPA"
    within = client.get(f"{BASE}/", {"within": "E05900001", "level": "lsoa"})
    assert within.status_code == 400 and "?within_level=" in within.json()["detail"]
    lsoas = client.get(f"{BASE}/", {"within": "E05900001", "within_level": "ward", "level": "lsoa"}).json()
    assert [a["code"] for a in lsoas] == ["E01900003", "E01900006", "E01900009", "E01900012"]
    # Only areas the caller may see count: the officer cannot see the NPA, so for them the
    # code names the ward alone (and the answer does not reveal the NPA exists).
    assert client_for(small, "officer").get(f"{BASE}/E05900001").json()["level"] == "ward"
