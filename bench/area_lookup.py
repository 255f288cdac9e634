"""Point-in-area lookup: AreaIndex (one vectorised STRtree query) against a plain loop.

    .venv/bin/python bench/area_lookup.py [--points N] [--sample M] [--seed S]

Reads the 611 Leicestershire LSOA polygons straight from the shared open data (no
database), scatters N seeded random points over the force's bounding box and assigns each
to its LSOA with `AreaIndex.lookup`, by both of its methods (the longitude sweep with
`intersects_xy`, and one `STRtree.query` over point geometries). The baseline, timed in the same run on the first M of
those points, loops over points and, for each, over all polygons with shapely's
`intersects` on *prepared* polygons (the fair version of the naive approach; unprepared is
slower still). Both must give the same LSOA for every sampled point.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import shapely
from shapely import Point

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from beatbook.areas.geo import AreaIndex, geometry_from_geojson

LSOA_FILE = Path("boundaries") / "leicestershire_lsoa2011_bgc.geojson.gz"
TARGET_POINTS_PER_SECOND = 200_000


def shared_data_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("BEATBOOK_SHARED_DATA") or here.parent / "shared" / "data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=2_000, help="points for the plain-loop baseline")
    parser.add_argument("--seed", type=int, default=20190101)
    args = parser.parse_args(argv)

    path = shared_data_dir() / LSOA_FILE
    if not path.exists():
        print(f"open data not found: {path} (set BEATBOOK_SHARED_DATA)", file=sys.stderr)
        return 2
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    started = time.perf_counter()
    areas = [(f["properties"]["LSOA11CD"], geometry_from_geojson(f["geometry"])[0]) for f in features]
    index = AreaIndex(areas)
    build = time.perf_counter() - started

    rng = np.random.default_rng(args.seed)
    min_lon, min_lat, max_lon, max_lat = shapely.total_bounds(index.geometries)
    lons = rng.uniform(min_lon, max_lon, args.points)
    lats = rng.uniform(min_lat, max_lat, args.points)

    timings: dict[str, float] = {}
    results: dict[str, np.ndarray] = {}
    for method in ("sweep", "strtree"):
        started = time.perf_counter()
        results[method] = index.lookup(lons, lats, method=method)
        timings[method] = time.perf_counter() - started
    codes = results["sweep"]
    methods_agree = bool(np.array_equal(results["sweep"], results["strtree"]))
    inside = int(np.count_nonzero(codes != None))  # noqa: E711 (element-wise on an object array)
    rate = args.points / timings["sweep"]
    tree_rate = args.points / timings["strtree"]

    sample = min(args.sample, args.points)
    # Fresh copies, prepared here, so the baseline does not borrow anything from the index.
    prepared = [(code, shapely.from_wkb(shapely.to_wkb(geom))) for code, geom in areas]
    for _, geom in prepared:
        shapely.prepare(geom)
    started = time.perf_counter()
    loop_codes: list[str | None] = []
    for lon, lat in zip(lons[:sample], lats[:sample], strict=True):
        point = Point(lon, lat)
        loop_codes.append(next((code for code, geom in prepared if geom.intersects(point)), None))
    looped = time.perf_counter() - started
    loop_rate = sample / looped
    agree = sum(a == b for a, b in zip(codes[:sample].tolist(), loop_codes, strict=True))

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, shapely {shapely.__version__}"
    )
    print(f"areas: {len(index)} LSOA polygons from {LSOA_FILE} (index built in {build:.2f} s)")
    print(
        f"AreaIndex.lookup, sweep (default for large batches): {args.points:,} points in {timings['sweep']:.3f} s = {rate:,.0f} points/s ({inside:,} inside an LSOA)"
    )
    print(
        f"AreaIndex.lookup, one STRtree.query: {args.points:,} points in {timings['strtree']:.3f} s = {tree_rate:,.0f} points/s"
    )
    print(f"sweep and STRtree give the same LSOA for every point: {methods_agree}")
    print(
        f"plain loop over all polygons (prepared, intersects): {sample:,} points in {looped:.3f} s = {loop_rate:,.0f} points/s"
    )
    print(f"agreement with the plain loop on the sample: {agree:,}/{sample:,}")
    print(
        f"speed ratio sweep / plain loop: {rate / loop_rate:,.0f}x; STRtree / plain loop: {tree_rate / loop_rate:,.0f}x; sweep / STRtree: {rate / tree_rate:.1f}x"
    )
    ok = methods_agree and agree == sample and rate >= TARGET_POINTS_PER_SECOND
    print(f"target >= {TARGET_POINTS_PER_SECOND:,} points/s and full agreement: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
