"""Geometry helpers and the point-in-area index.

Everything here is plain shapely/NumPy with no ORM, so the same code serves the importers,
the crime loader and the benchmark in `bench/area_lookup.py`.

Coordinates are WGS84 longitude/latitude (GeoJSON order). Areas in km² use a spherical
sinusoidal (equal-area) projection: good to a few tenths of a per cent for English areas,
which is plenty for densities and for choosing the best-fitting area, but it is not a
survey-grade ellipsoidal area.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

# Mean Earth radius (IUGG), km.
EARTH_RADIUS_KM = 6371.0088
# A repair may change a polygon's area by at most this share. Rings that merely touch
# themselves (common in ONS generalised boundaries) repair with no change at all; a
# bow-tie ring, whose two lobes cancel out, changes completely and is refused.
REPAIR_TOLERANCE = 1e-4
POLYGON_TYPES = ("Polygon", "MultiPolygon")
# From this many points a lookup sweeps rather than building point geometries for the STRtree.
SWEEP_FROM = 2_000


class GeometryError(ValueError):
    """A geometry that cannot be used as an area boundary. The message says why."""


def geometry_from_geojson(data: Any) -> tuple[BaseGeometry, bool]:
    """A valid (Multi)Polygon from a GeoJSON geometry, and whether it had to be repaired.

    Self-touching rings are repaired when the repair keeps the area (see REPAIR_TOLERANCE);
    other invalid polygons raise GeometryError with GEOS's explanation.
    """
    if not isinstance(data, dict):
        raise GeometryError("has no geometry")
    kind = data.get("type")
    if kind not in POLYGON_TYPES:
        raise GeometryError(f"geometry type {kind!r} is not a Polygon or MultiPolygon")
    try:
        geom = shape(data)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        raise GeometryError(f"geometry coordinates cannot be read: {exc}") from exc
    if geom.is_empty:
        raise GeometryError("geometry is empty")
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90) or not all(
        math.isfinite(v) for v in geom.bounds
    ):
        raise GeometryError(
            f"coordinates {geom.bounds} are not longitude/latitude; boundary files must be in WGS84 (EPSG:4326)"
        )
    if geom.is_valid:
        return geom, False
    reason = shapely.is_valid_reason(geom)
    repaired = polygonal_part(shapely.make_valid(geom))
    if repaired is None or repaired.is_empty or not repaired.is_valid:
        raise GeometryError(f"invalid polygon: {reason}")
    change = abs(repaired.area - geom.area) / repaired.area
    if change > REPAIR_TOLERANCE:
        raise GeometryError(f"invalid polygon: {reason}")
    return repaired, True


def polygonal_part(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygons in a geometry (a collection from make_valid may hold stray lines)."""
    if geom.geom_type in POLYGON_TYPES:
        return geom
    if geom.geom_type == "GeometryCollection":
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGON_TYPES]
        if not parts:
            return None
        return shapely.union_all(parts)
    return None


def geometry_to_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """GeoJSON for a geometry, with lists rather than tuples so it round-trips through JSON unchanged."""
    return _listify(mapping(geom))


def _listify(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _listify(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_listify(item) for item in value]
    return value


def bbox(geom: BaseGeometry) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat)."""
    minx, miny, maxx, maxy = geom.bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def total_bbox(geoms: Iterable[BaseGeometry]) -> tuple[float, float, float, float] | None:
    """(min_lon, min_lat, max_lon, max_lat) around all the geometries, or None for none."""
    items = [g for g in geoms if g is not None and not g.is_empty]
    if not items:
        return None
    minx, miny, maxx, maxy = shapely.total_bounds(items)
    return float(minx), float(miny), float(maxx), float(maxy)


def area_sq_km(geom: BaseGeometry) -> float:
    """Area in km² by a sinusoidal equal-area projection on a sphere (see the module note)."""
    radians = math.pi / 180.0
    central = (geom.bounds[0] + geom.bounds[2]) / 2

    def project(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon = (coords[:, 0] - central) * radians
        lat = coords[:, 1] * radians
        return np.column_stack((EARTH_RADIUS_KM * lon * np.cos(lat), EARTH_RADIUS_KM * lat))

    return float(shapely.transform(geom, project).area)


def union(geoms: Iterable[BaseGeometry]) -> BaseGeometry | None:
    """The union of polygons, or None when there are none."""
    items = [g for g in geoms if g is not None and not g.is_empty]
    if not items:
        return None
    merged = polygonal_part(shapely.union_all(items))
    return merged


class AreaIndex:
    """Which area holds each point: an STRtree over area polygons.

    `lookup` is vectorised: points go to GEOS in whole arrays, either in one `STRtree.query`
    call or, for large batches, in one `intersects_xy` call per polygon over the points in its
    bounding box (see `lookup_indices`). A point on a boundary shared by two areas goes to
    the one listed first.
    """

    def __init__(self, items: Iterable[tuple[str, BaseGeometry]]) -> None:
        codes: list[str] = []
        geoms: list[BaseGeometry] = []
        for code, geom in items:
            codes.append(code)
            geoms.append(geom)
        self.codes: npt.NDArray[np.object_] = np.array(codes, dtype=object)
        self.geometries: npt.NDArray[np.object_] = np.array(geoms, dtype=object)
        self.tree = shapely.STRtree(self.geometries)
        self._bounds = shapely.bounds(self.geometries) if codes else np.empty((0, 4))
        # Prepared polygons answer repeated point tests much faster (the sweep relies on it).
        shapely.prepare(self.geometries)
        self._position = {code: i for i, code in enumerate(codes)}

    @classmethod
    def from_geojson(cls, items: Iterable[tuple[str, Any]]) -> AreaIndex:
        """Build from (code, GeoJSON geometry) pairs, e.g. `Area.code, Area.geometry`."""
        return cls((code, geometry_from_geojson(geometry)[0]) for code, geometry in items if geometry)

    def __len__(self) -> int:
        return len(self.codes)

    def geometry(self, code: str) -> BaseGeometry:
        return self.geometries[self._position[code]]

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(min_lon, min_lat, max_lon, max_lat) around every area, or None for an empty index."""
        return total_bbox(self.geometries)

    def lookup_indices(self, lons: npt.ArrayLike, lats: npt.ArrayLike, *, method: str = "auto") -> npt.NDArray[np.intp]:
        """For each point, the position of its area in `codes`, or -1 outside every area.

        `method` is "strtree" (one `STRtree.query` over point geometries), "sweep" (points
        sorted by longitude, each polygon tested only against the points inside its bounding
        box with `intersects_xy`, so no point objects are made), or "auto": the sweep for
        large batches, where bench/area_lookup.py measures it several times faster. Both
        give the same answer, ties included.
        """
        x = np.asarray(lons, dtype=float)
        y = np.asarray(lats, dtype=float)
        if x.shape != y.shape or x.ndim != 1:
            raise ValueError("lons and lats must be one-dimensional arrays of the same length")
        if method == "auto":
            method = "sweep" if len(x) >= SWEEP_FROM else "strtree"
        if method not in ("strtree", "sweep"):
            raise ValueError(f"unknown lookup method {method!r}")
        if len(x) == 0 or len(self.codes) == 0:
            return np.full(len(x), -1, dtype=np.intp)
        return self._sweep(x, y) if method == "sweep" else self._query(x, y)

    def _query(self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        result = np.full(len(x), -1, dtype=np.intp)
        # NaN coordinates make empty points, which match nothing and stay -1.
        points = shapely.points(x, y)
        point_idx, area_idx = self.tree.query(points, predicate="intersects")
        if len(point_idx):
            # Keep the lowest area position per point so that boundary ties are deterministic.
            order = np.lexsort((area_idx, point_idx))
            point_idx, area_idx = point_idx[order], area_idx[order]
            first = np.ones(len(point_idx), dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            result[point_idx[first]] = area_idx[first]
        return result

    def _sweep(self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
        result = np.full(len(x), -1, dtype=np.intp)
        order = np.argsort(x, kind="stable")  # NaN sorts last, beyond every bounding box
        xs, ys = x[order], y[order]
        # Highest position first, so that where areas touch the lowest position is written last.
        for i in range(len(self.codes) - 1, -1, -1):
            min_x, min_y, max_x, max_y = self._bounds[i]
            lo = int(np.searchsorted(xs, min_x, side="left"))
            hi = int(np.searchsorted(xs, max_x, side="right"))
            if lo == hi:
                continue
            strip_y = ys[lo:hi]
            candidates = np.flatnonzero((strip_y >= min_y) & (strip_y <= max_y)) + lo
            if len(candidates) == 0:
                continue
            hits = shapely.intersects_xy(self.geometries[i], xs[candidates], ys[candidates])
            result[order[candidates[hits]]] = i
        return result

    def lookup(self, lons: npt.ArrayLike, lats: npt.ArrayLike, *, method: str = "auto") -> npt.NDArray[np.object_]:
        """For each point, the code of the area holding it, or None outside every area."""
        idx = self.lookup_indices(lons, lats, method=method)
        codes = np.empty(len(idx), dtype=object)
        inside = idx >= 0
        codes[inside] = self.codes[idx[inside]]
        return codes

    def lookup_one(self, lon: float, lat: float) -> str | None:
        code = self.lookup([lon], [lat])[0]
        return None if code is None else str(code)

    def overlaps(self, geom: BaseGeometry) -> list[tuple[str, float]]:
        """Areas overlapping `geom`, with the overlap as a share of `geom`'s area, largest first."""
        candidates = self.tree.query(geom, predicate="intersects")
        if len(candidates) == 0 or geom.area == 0:
            return []
        # Areas in degrees² are fine here: only ratios within one small feature are compared.
        shares = shapely.area(shapely.intersection(self.geometries[candidates], geom)) / geom.area
        order = np.lexsort((candidates, -shares))
        return [(str(self.codes[candidates[i]]), float(shares[i])) for i in order if shares[i] > 0]

    def best_fit(self, geom: BaseGeometry) -> str | None:
        """The area with the largest overlap with `geom` (not its centroid), or None if none overlaps."""
        # Fast path: ONS areas mostly nest (LSOA in MSOA), so one area holding all of `geom`
        # settles it without computing intersections.
        holding = self.tree.query(geom, predicate="within")
        if len(holding) == 1:
            return str(self.codes[holding[0]])
        found = self.overlaps(geom)
        return found[0][0] if found else None

    def best_fits(self, geoms: Sequence[BaseGeometry]) -> list[str | None]:
        return [self.best_fit(geom) for geom in geoms]
