"""AreaIndex and the geometry helpers: hand-made shapes, then the real LSOA and force polygons."""

from __future__ import annotations

import gzip
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from beatbook.areas.geo import (
    EARTH_RADIUS_KM,
    AreaIndex,
    GeometryError,
    area_sq_km,
    bbox,
    geometry_from_geojson,
    geometry_to_geojson,
    total_bbox,
)


def squares() -> AreaIndex:
    # A and B share the edge x=1; C is apart.
    return AreaIndex([("A", box(0, 0, 1, 1)), ("B", box(1, 0, 2, 1)), ("C", box(5, 5, 6, 6))])


@pytest.mark.parametrize("method", ["strtree", "sweep", "auto"])
def test_lookup_is_vectorised_and_marks_outside_with_none(method: str) -> None:
    index = squares()
    codes = index.lookup([0.5, 1.5, 5.5, 3.0, np.nan, 0.5], [0.5, 0.5, 5.5, 3.0, 0.5, np.nan], method=method)
    assert codes.tolist() == ["A", "B", "C", None, None, None]
    assert index.lookup([], []).tolist() == []
    assert index.lookup_one(1.5, 0.2) == "B"
    assert index.lookup_one(-1, -1) is None


@pytest.mark.parametrize("method", ["strtree", "sweep"])
def test_boundary_points_go_to_the_first_area(method: str) -> None:
    index = squares()
    assert index.lookup([1.0, 1.0], [0.5, 0.0], method=method).tolist() == ["A", "A"]
    assert index.lookup_indices([2.0], [0.5], method=method).tolist() == [1]  # B's outer edge still counts


def test_bounds_cover_every_area() -> None:
    assert squares().bounds() == (0.0, 0.0, 6.0, 6.0)
    assert AreaIndex([]).bounds() is None
    assert total_bbox([box(2, -1, 3, 0.5), MultiPolygon([box(0, 0, 1, 1), box(4, 4, 4.5, 7)])]) == (0, -1, 4.5, 7)
    assert total_bbox([]) is None


def test_lookup_rejects_mismatched_arrays() -> None:
    with pytest.raises(ValueError, match="same length"):
        squares().lookup([1.0, 2.0], [1.0])


def test_best_fit_uses_overlap_area_not_centroid() -> None:
    index = squares()
    # 40% in A near its far edge, 60% in B near the shared edge: the centroid lies in A.
    shape = MultiPolygon([box(0, 0, 0.1, 1), box(1, 0, 1.15, 1)])
    assert index.lookup_one(shape.centroid.x, shape.centroid.y) == "A"
    overlaps = index.overlaps(shape)
    assert [code for code, _ in overlaps] == ["B", "A"]
    assert [share for _, share in overlaps] == pytest.approx([0.6, 0.4])
    assert index.best_fit(shape) == "B"
    assert index.best_fit(box(0.2, 0.2, 0.4, 0.4)) == "A"  # wholly inside
    assert index.best_fit(box(3, 3, 4, 4)) is None


def test_bow_tie_is_refused_and_a_self_touching_ring_repaired() -> None:
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    with pytest.raises(GeometryError, match="Self-intersection"):
        geometry_from_geojson(bow_tie)
    # One ring that pinches at (1, 1): a square with a notch that touches its own edge.
    pinched = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [1, 1], [0, 2], [1, 1], [0, 0]]]}
    geom, repaired = geometry_from_geojson(pinched)
    assert repaired and geom.is_valid
    valid, repaired = geometry_from_geojson(geometry_to_geojson(box(0, 0, 1, 1)))
    assert not repaired and valid.area == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "has no geometry"),
        ({"type": "Point", "coordinates": [0, 0]}, "not a Polygon"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[450000, 300000], [450100, 300000], [450100, 300100], [450000, 300000]]],
            },
            "WGS84",
        ),
        ({"type": "Polygon", "coordinates": "nonsense"}, "cannot be read"),
    ],
)
def test_unusable_geometry(data: object, message: str) -> None:
    with pytest.raises(GeometryError, match=message):
        geometry_from_geojson(data)


def test_area_matches_the_spherical_formula() -> None:
    # A 0.1° cell at 52°N: exact area on the sphere is R² Δλ (sin φ2 - sin φ1).
    cell = box(-1.2, 52.0, -1.1, 52.1)
    exact = EARTH_RADIUS_KM**2 * math.radians(0.1) * (math.sin(math.radians(52.1)) - math.sin(math.radians(52.0)))
    assert area_sq_km(cell) == pytest.approx(exact, rel=1e-4)
    assert bbox(cell) == (-1.2, 52.0, -1.1, 52.1)


# --- real polygons ---------------------------------------------------------------------


@cache
def _features(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        features: list[dict] = json.load(handle)["features"]
    return features


def real_index(shared_data: Path, name: str, code_field: str) -> AreaIndex:
    features = _features(shared_data / "boundaries" / name)
    return AreaIndex.from_geojson((f["properties"][code_field], f["geometry"]) for f in features)


def test_sources_fact_7_points(shared_data: Path) -> None:
    lsoas = real_index(shared_data, "leicestershire_lsoa2011_bgc.geojson.gz", "LSOA11CD")
    names = {
        f["properties"]["LSOA11CD"]: f["properties"]["LSOA11NM"]
        for f in _features(shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz")
    }
    points = [(-1.1357, 52.6365), (-1.2065, 52.7721), (-0.7267, 52.6705), (-1.1505, 52.9548)]
    codes = lsoas.lookup([p[0] for p in points], [p[1] for p in points])
    assert [names.get(c) for c in codes] == ["Leicester 041A", "Charnwood 003A", "Rutland 003B", None]
    assert codes[0] == "E01032867"

    forces = real_index(shared_data, "police_force_areas_simplified.geojson.gz", "id")
    assert len(forces) == 43
    assert forces.lookup_one(-1.1357, 52.6365) == "E23000021"
    nottingham = forces.lookup_one(-1.1505, 52.9548)
    assert nottingham is not None and nottingham != "E23000021"


def test_random_points_agree_with_a_plain_loop(shared_data: Path) -> None:
    lsoas = real_index(shared_data, "leicestershire_lsoa2011_bgc.geojson.gz", "LSOA11CD")
    rng = np.random.default_rng(7)
    lons = rng.uniform(-1.6, -0.43, 400)
    lats = rng.uniform(52.39, 52.98, 400)
    codes = lsoas.lookup(lons, lats, method="strtree")
    from shapely import Point

    for lon, lat, code in zip(lons, lats, codes, strict=True):
        holders = [c for c, g in zip(lsoas.codes, lsoas.geometries, strict=True) if g.intersects(Point(lon, lat))]
        assert code == (holders[0] if holders else None)
    assert 0 < sum(c is not None for c in codes) < 400


def test_sweep_and_strtree_agree_on_many_points(shared_data: Path) -> None:
    lsoas = real_index(shared_data, "leicestershire_lsoa2011_bgc.geojson.gz", "LSOA11CD")
    rng = np.random.default_rng(11)
    lons = rng.uniform(-1.6, -0.43, 50_000)
    lats = rng.uniform(52.39, 52.98, 50_000)
    # Add every polygon vertex: points exactly on shared boundaries test the tie rule.
    vertices = shapely.get_coordinates(lsoas.geometries)
    lons = np.concatenate([lons, vertices[:, 0]])
    lats = np.concatenate([lats, vertices[:, 1]])
    swept = lsoas.lookup_indices(lons, lats, method="sweep")
    queried = lsoas.lookup_indices(lons, lats, method="strtree")
    assert np.array_equal(swept, queried)
    assert np.count_nonzero(swept[50_000:] == -1) == 0  # every vertex lies in some LSOA
