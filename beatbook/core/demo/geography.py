"""The demo force's geography, made from a seed: LSOAs, wards, MSOAs, districts, neighbourhoods.

Pure Python (shapely and NumPy, no Django), so it is quick to test on its own.

LSOAs are Voronoi cells of seeded points (dense in the city, sparse in the countryside)
clipped to an irregular county outline. Every other level is a contiguous union of
LSOAs, grown over the LSOA adjacency graph, which is how ONS areas nest in reality.
The cells are noded on a 1 m grid before they are polygonised, so neighbouring LSOAs
share exactly the same vertices: the tiling has no gaps or overlaps, also after the
coordinates are rounded to 6 decimal places of a degree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon
from shapely.geometry.base import BaseGeometry

# Where the fictional county sits: eastern England, clear of the Leicestershire data that
# the tests import, so both can live in one database without overlapping.
ORIGIN_LON = -0.55
ORIGIN_LAT = 53.20
KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LON = KM_PER_DEG_LAT * math.cos(math.radians(ORIGIN_LAT))

FORCE_CODE = "E23999001"
FORCE_NAME = "Demoshire Police"
CITY = "Demtown"

# (code, name, unitary?) The city is a unitary authority; the county has two districts.
DISTRICTS = (
    ("E06999001", CITY),
    ("E07999001", "Ashwold"),
    ("E07999002", "Fenholme Vale"),
)
NPA_NAMES = ("Demtown City", "Ashwold", "Fenholme Vale")

# Invented names in the local style. The ward holding the city centre is always "Castle"
# and the one holding the campus "University"; the rest are dealt out by the seed.
CITY_WARDS = (
    "Northgate",
    "Abbey Meadows",
    "St Aldhelm's",
    "Riverside",
    "Eastbrook",
    "Friars Walk",
    "Hollins Park",
    "Kingsmead",
    "Millbank",
    "Southfields",
    "Tanners Green",
    "Westbury Heath",
    "Brindle Hill",
    "Wharfside",
    "Cattle Market",
    "Greyfriars",
    "Lowfield",
    "Stonebow",
)
RURAL_WARDS = {
    "Ashwold": (
        "Ashwold Market",
        "Kelderby",
        "Brackenby",
        "Wolds Edge",
        "Ravensholt",
        "Thistleby",
        "Morrow Hill",
        "Cadwell Chase",
        "Ludderby",
        "Holmcroft",
        "Sallowby",
        "Ashwold Priory",
    ),
    "Fenholme Vale": (
        "Fenholme",
        "Saltmarsh",
        "Dykeside",
        "Marrowby",
        "Quendle Fen",
        "Sedgeby",
        "Lodeside",
        "Wellowby",
        "Tidebrook",
        "Gosberby",
        "Fenholme St Mary",
        "Cawdike",
    ),
}
TOWN_NAMES = {"Ashwold": "Ashwold Market", "Fenholme Vale": "Fenholme"}
GRID_KM = 0.001  # noding grid: 1 m


@dataclass
class Lsoa:
    index: int
    point: tuple[float, float]  # generator point, km from the origin
    polygon: Polygon  # km
    kind: str  # "city", "town" or "rural"
    district: int = -1
    ward: int = -1
    msoa: int = -1
    code: str = ""
    name: str = ""
    lonlat: Polygon | None = None


@dataclass
class Group:
    """A union of LSOAs: a ward, MSOA, district, neighbourhood or policing area."""

    code: str
    name: str
    members: list[int]
    district: int = -1
    parent: int = -1  # neighbourhoods: index of their NPA
    wards: list[int] = field(default_factory=list)  # neighbourhoods: their wards
    lonlat: BaseGeometry | None = None


@dataclass
class Geography:
    seed: int
    outline: Polygon  # km
    city_centre: tuple[float, float]
    campus: tuple[float, float]
    towns: list[tuple[float, float]]
    lsoas: list[Lsoa]
    adjacency: dict[int, set[int]]
    districts: list[Group]
    wards: list[Group]
    msoas: list[Group]
    neighbourhoods: list[Group]
    npas: list[Group]
    force_lonlat: BaseGeometry | None = None

    def distance_km(self, index: int, to: tuple[float, float]) -> float:
        x, y = self.lsoas[index].point
        return math.hypot(x - to[0], y - to[1])


def km_to_lonlat(coords: np.ndarray) -> np.ndarray:
    lon = ORIGIN_LON + coords[:, 0] / KM_PER_DEG_LON
    lat = ORIGIN_LAT + coords[:, 1] / KM_PER_DEG_LAT
    # Six decimals is about 10 cm: plenty for a map, and it keeps the files small.
    return np.round(np.column_stack([lon, lat]), 6)


def _outline(rng: np.random.Generator) -> Polygon:
    """An irregular, star-shaped county about 50 km by 40 km."""
    angles = np.linspace(0, 2 * math.pi, 160, endpoint=False)
    radius = np.full_like(angles, 22.0)
    for k in range(2, 8):
        radius += rng.uniform(0.4, 2.6 / k * 2) * np.sin(k * angles + rng.uniform(0, 2 * math.pi))
    radius += rng.normal(0, 0.25, size=angles.size)  # a ragged edge, like a real boundary
    xs = 1.15 * radius * np.cos(angles)
    ys = 0.9 * radius * np.sin(angles)
    polygon = Polygon(np.column_stack([xs, ys]))
    return shapely.set_precision(polygon, GRID_KM)


def _place_points(
    rng: np.random.Generator, outline: Polygon
) -> tuple[np.ndarray, list[str], tuple[float, float], tuple[float, float], list[tuple[float, float]]]:
    """Generator points: a dense city, two market towns, villages and farmland between."""
    angle = rng.uniform(0, 2 * math.pi)
    city = (4.0 * math.cos(angle), 3.0 * math.sin(angle))
    campus_angle = rng.uniform(0, 2 * math.pi)
    campus = (city[0] + 1.6 * math.cos(campus_angle), city[1] + 1.6 * math.sin(campus_angle))
    towns = []
    for offset in (rng.uniform(1.7, 2.3), rng.uniform(3.9, 4.5)):
        town_angle = angle + offset
        towns.append((13.0 * math.cos(town_angle), 10.5 * math.sin(town_angle)))

    n_city = int(rng.integers(70, 79))
    n_town = int(rng.integers(8, 11))
    n_rural = int(rng.integers(54, 62))
    shapely.prepare(outline)

    def spacing(x: float, y: float) -> float:
        # Small cells in the city and towns, large ones in the countryside.
        d_city = math.hypot(x - city[0], y - city[1])
        d_town = min(math.hypot(x - tx, y - ty) for tx, ty in towns)
        return min(0.38 + 0.1 * d_city, 0.5 + 0.35 * d_town, 3.0)

    points: list[tuple[float, float]] = []
    kinds: list[str] = []

    def accept(x: float, y: float, kind: str) -> bool:
        if not shapely.contains_xy(outline, x, y):
            return False
        gap = spacing(x, y)
        for px, py in points:
            if (px - x) ** 2 + (py - y) ** 2 < (0.8 * min(gap, spacing(px, py))) ** 2:
                return False
        points.append((x, y))
        kinds.append(kind)
        return True

    def scatter(count: int, kind: str, centre: tuple[float, float], sd: float) -> None:
        placed = tries = 0
        while placed < count and tries < 20000:
            tries += 1
            x, y = rng.normal(centre[0], sd), rng.normal(centre[1], sd)
            # Built-up areas have an edge: no stray outliers far out in the fields.
            if math.hypot(x - centre[0], y - centre[1]) <= 2.2 * sd:
                placed += accept(x, y, kind)

    scatter(n_city, "city", city, 1.5)
    for town in towns:
        scatter(n_town, "town", town, 0.9)
    # A ring of villages just beyond the built-up edge stops the outermost city cells from
    # reaching far into the countryside, which would make the city implausibly large.
    edge = max(math.dist(point, city) for point, kind in zip(points, kinds, strict=True) if kind == "city") + 0.9
    ring = round(2 * math.pi * edge / rng.uniform(1.3, 1.6))
    for k in range(ring):
        theta = 2 * math.pi * (k + rng.uniform(-0.2, 0.2)) / ring
        accept(city[0] + edge * math.cos(theta), city[1] + edge * math.sin(theta), "rural")
    minx, miny, maxx, maxy = outline.bounds
    placed = tries = 0
    while placed < n_rural - ring and tries < 50000:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if math.hypot(x - city[0], y - city[1]) < edge + 1.0:
            continue
        placed += accept(x, y, "rural")
    return np.array(points), kinds, city, campus, towns


def _tessellate(points: np.ndarray, outline: Polygon) -> list[Polygon]:
    """Voronoi cells clipped to the outline, noded so that neighbours share vertices.

    A convex cell clipped to a concave outline can fall into pieces; a piece without the
    cell's own point goes to the neighbour it shares most boundary with, so every LSOA is a
    single polygon that contains its point.
    """
    envelope = outline.buffer(10.0)
    cells = list(shapely.voronoi_polygons(MultiPoint(points), extend_to=envelope, ordered=True).geoms)
    edges = shapely.unary_union([cell.boundary for cell in cells] + [outline.boundary], grid_size=GRID_KM)
    faces = list(shapely.polygonize(list(getattr(edges, "geoms", [edges]))).geoms)
    inside = [face for face in faces if outline.contains(face.representative_point())]
    cell_tree = shapely.STRtree(cells)
    owner: list[int] = []
    for face in inside:
        hits = cell_tree.query(face.representative_point(), predicate="intersects")
        owner.append(int(hits[0]))
    pieces: dict[int, list[Polygon]] = {i: [] for i in range(len(points))}
    for face, cell in zip(inside, owner, strict=True):
        pieces[cell].append(face)
    orphans: list[Polygon] = []
    result: list[Polygon] = []
    for i in range(len(points)):
        parts = list(shapely.get_parts(shapely.unary_union(pieces[i], grid_size=GRID_KM)))
        keep = next(part for part in parts if part.intersects(Point(points[i])))
        orphans += [part for part in parts if part is not keep]
        result.append(keep)
    for orphan in orphans:
        best = max(range(len(result)), key=lambda j: orphan.intersection(result[j].boundary).length)
        result[best] = cast(Polygon, shapely.unary_union([result[best], orphan], grid_size=GRID_KM))
    return result


def _adjacency(polygons: Sequence[Polygon]) -> dict[int, set[int]]:
    tree = shapely.STRtree(list(polygons))
    adjacency: dict[int, set[int]] = {i: set() for i in range(len(polygons))}
    left, right = tree.query(list(polygons), predicate="touches")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        # Touching at a single corner does not make two areas neighbours.
        if a != b and polygons[a].boundary.intersection(polygons[b].boundary).length > 0.01:
            adjacency[a].add(b)
            adjacency[b].add(a)
    return adjacency


def grow_regions(
    nodes: Sequence[int],
    adjacency: dict[int, set[int]],
    positions: dict[int, tuple[float, float]],
    count: int,
    rng: np.random.Generator,
    seeds: Sequence[int] = (),
    weights: dict[int, int] | None = None,
) -> list[list[int]]:
    """Split `nodes` into `count` contiguous regions of similar size.

    Seeds not given are spread out by farthest-point sampling; then the smallest region (by total
    weight, LSOAs by default) repeatedly takes the free neighbour nearest its seed, so
    every region stays connected.
    """
    weight = weights or {}
    nodes = sorted(nodes)
    node_set = set(nodes)
    pos = {n: np.array(positions[n]) for n in nodes}
    seeds = list(seeds) or [nodes[int(rng.integers(len(nodes)))]]
    while len(seeds) < count:
        seeds.append(max(nodes, key=lambda n: min(float(np.linalg.norm(pos[n] - pos[s])) for s in seeds)))
    label = {seed: r for r, seed in enumerate(seeds)}
    members: list[list[int]] = [[seed] for seed in seeds]
    while len(label) < len(nodes):
        sizes = [sum(weight.get(m, 1) for m in region) for region in members]
        for r in sorted(range(count), key=lambda r: (sizes[r], r)):
            frontier = {n for m in members[r] for n in adjacency[m] if n in node_set and n not in label}
            if frontier:
                chosen = min(frontier, key=lambda n: (float(np.linalg.norm(pos[n] - pos[seeds[r]])), n))
                label[chosen] = r
                members[r].append(chosen)
                break
        else:
            # Islands cut off from every seed join the region of their nearest labelled node.
            free = [n for n in nodes if n not in label]
            n = free[0]
            nearest = min(label, key=lambda m: float(np.linalg.norm(pos[n] - pos[m])))
            label[n] = label[nearest]
            members[label[n]].append(n)
    return [sorted(region) for region in members]


def _name_neighbourhood(ward_names: list[str]) -> str:
    """'A', 'A and B' or 'A, B and C', after (at most) the three largest wards."""
    names = ward_names[:3]
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def build_geography(seed: int) -> Geography:
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    points, kinds, city, campus, towns = _place_points(rng, outline)
    polygons = _tessellate(points, outline)
    lsoas = [
        Lsoa(index=i, point=(float(points[i][0]), float(points[i][1])), polygon=polygons[i], kind=kinds[i])
        for i in range(len(points))
    ]
    adjacency = _adjacency(polygons)
    centroids = {lsoa.index: (lsoa.polygon.centroid.x, lsoa.polygon.centroid.y) for lsoa in lsoas}
    all_nodes = list(range(len(lsoas)))

    # The city district: grown outwards from the city centre until it holds the city's LSOAs.
    n_city = kinds.count("city")
    centre_lsoa = _nearest(all_nodes, lsoas, city)
    city_members = {centre_lsoa}
    while len(city_members) < n_city:
        frontier = {n for m in city_members for n in adjacency[m]} - city_members
        city_members.add(min(frontier, key=lambda n: (math.dist(centroids[n], city), n)))
    rest = [i for i in all_nodes if i not in city_members]
    # The two county districts each take one market town and the countryside around it.
    town_lsoas = [_nearest(rest, lsoas, town) for town in towns]
    county = grow_regions(rest, adjacency, centroids, 2, rng, seeds=town_lsoas)
    district_members = [sorted(city_members), *county]
    for d, members in enumerate(district_members):
        for i in members:
            lsoas[i].district = d

    districts = [
        Group(code=code, name=name, members=district_members[d], district=d) for d, (code, name) in enumerate(DISTRICTS)
    ]
    wards, msoas = _wards_and_msoas(lsoas, adjacency, centroids, districts, rng, centre_lsoa, campus)
    neighbourhoods, npas = _neighbourhoods(lsoas, adjacency, wards, districts, rng)
    _name_lsoas(lsoas, msoas, districts)

    geography = Geography(
        seed=seed,
        outline=outline,
        city_centre=city,
        campus=campus,
        towns=towns,
        lsoas=lsoas,
        adjacency=adjacency,
        districts=districts,
        wards=wards,
        msoas=msoas,
        neighbourhoods=neighbourhoods,
        npas=npas,
    )
    _to_lonlat(geography)
    return geography


def _nearest(nodes: Sequence[int], lsoas: list[Lsoa], to: tuple[float, float]) -> int:
    return min(nodes, key=lambda i: math.dist(lsoas[i].point, to))


def _wards_and_msoas(
    lsoas: list[Lsoa],
    adjacency: dict[int, set[int]],
    centroids: dict[int, tuple[float, float]],
    districts: list[Group],
    rng: np.random.Generator,
    centre_lsoa: int,
    campus: tuple[float, float],
) -> tuple[list[Group], list[Group]]:
    wards: list[Group] = []
    msoas: list[Group] = []
    for d, district in enumerate(districts):
        members = district.members
        n_wards = max(2, round(len(members) / (5.0 if d == 0 else 5.5)))
        regions = grow_regions(members, adjacency, centroids, n_wards, rng, seeds=[centre_lsoa] if d == 0 else [])
        if d == 0:
            names = list(CITY_WARDS)
            rng.shuffle(names)
            campus_lsoa = _nearest(members, lsoas, campus)
            campus_region = next(r for r, region in enumerate(regions) if campus_lsoa in region)
            ward_names = []
            spare = iter(names)
            for r, region in enumerate(regions):
                if centre_lsoa in region:
                    ward_names.append("Castle")
                elif r == campus_region:
                    ward_names.append("University")
                else:
                    ward_names.append(next(spare))
        else:
            pool = list(RURAL_WARDS[district.name])
            town = pool.pop(0)
            rng.shuffle(pool)
            ward_names = pool[: len(regions)]
            # The market town's ward is the one nearest the district's busiest LSOAs.
            town_region = max(range(len(regions)), key=lambda r: sum(lsoas[i].kind == "town" for i in regions[r]))
            ward_names[town_region] = town
        # ONS numbers areas roughly north to south; wards are listed by name instead.
        for region, name in sorted(zip(regions, ward_names, strict=True), key=lambda pair: pair[1]):
            index = len(wards)
            wards.append(Group(code=f"E05999{index + 1:03d}", name=name, members=region, district=d))
            for i in region:
                lsoas[i].ward = index
        n_msoas = max(2, round(len(members) / 5.0))
        msoa_regions = grow_regions(members, adjacency, centroids, n_msoas, rng)
        msoa_regions.sort(key=lambda region: -max(centroids[i][1] for i in region))
        for number, region in enumerate(msoa_regions, start=1):
            index = len(msoas)
            msoas.append(
                Group(code=f"E02999{index + 1:03d}", name=f"{district.name} {number:03d}", members=region, district=d)
            )
            for i in region:
                lsoas[i].msoa = index
    return wards, msoas


def _neighbourhoods(
    lsoas: list[Lsoa],
    adjacency: dict[int, set[int]],
    wards: list[Group],
    districts: list[Group],
    rng: np.random.Generator,
) -> tuple[list[Group], list[Group]]:
    """Neighbourhoods are groups of wards (how forces draw beats); NPAs follow the districts."""
    ward_adjacency: dict[int, set[int]] = {w: set() for w in range(len(wards))}
    for i, neighbours in adjacency.items():
        for j in neighbours:
            if lsoas[i].ward != lsoas[j].ward:
                ward_adjacency[lsoas[i].ward].add(lsoas[j].ward)
    ward_centres = {}
    for w, ward in enumerate(wards):
        xs = [lsoas[i].point[0] for i in ward.members]
        ys = [lsoas[i].point[1] for i in ward.members]
        ward_centres[w] = (float(np.mean(xs)), float(np.mean(ys)))
    neighbourhoods: list[Group] = []
    npas: list[Group] = []
    counts = (6, 3, 3)
    for d, district in enumerate(districts):
        npa_index = len(npas)
        npas.append(
            Group(code=f"DEM-NPA{npa_index + 1}", name=NPA_NAMES[d], members=list(district.members), district=d)
        )
        district_wards = [w for w in range(len(wards)) if wards[w].district == d]
        castle = next((w for w in district_wards if wards[w].name == "Castle"), None)
        ward_sizes = {w: len(wards[w].members) for w in district_wards}
        groups = grow_regions(
            district_wards,
            ward_adjacency,
            ward_centres,
            counts[d],
            rng,
            seeds=[castle] if castle is not None else [],
            weights=ward_sizes,
        )
        named = []
        for group in groups:
            largest = sorted(group, key=lambda w: (-len(wards[w].members), wards[w].name))
            names = sorted(wards[w].name for w in largest[:3])
            name = "City Centre" if any(wards[w].name == "Castle" for w in group) else _name_neighbourhood(names)
            named.append((name, group))
        for name, group in sorted(named):
            index = len(neighbourhoods)
            members = sorted(i for w in group for i in wards[w].members)
            neighbourhoods.append(
                Group(
                    code=f"DEM-NH{index + 1:02d}",
                    name=name,
                    members=members,
                    district=d,
                    parent=npa_index,
                    wards=sorted(group),
                )
            )
    return neighbourhoods, npas


def _name_lsoas(lsoas: list[Lsoa], msoas: list[Group], districts: list[Group]) -> None:
    """ONS style: '<district> <MSOA number><letter>', codes in district and MSOA order."""
    ordered: list[tuple[int, Lsoa, str]] = []
    for msoa in msoas:
        members = sorted(msoa.members, key=lambda i: (-lsoas[i].point[1], lsoas[i].point[0]))
        for letter, i in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", members, strict=False):
            ordered.append((msoa.district, lsoas[i], f"{msoa.name}{letter}"))
    for number, (_district, lsoa, name) in enumerate(ordered, start=1):
        lsoa.code = f"E01999{number:03d}"
        lsoa.name = name


def _to_lonlat(geography: Geography) -> None:
    for lsoa in geography.lsoas:
        polygon = shapely.transform(lsoa.polygon, km_to_lonlat)
        lsoa.lonlat = shapely.orient_polygons(polygon)
    lonlat = [lsoa.lonlat for lsoa in geography.lsoas]
    for group in [*geography.districts, *geography.wards, *geography.msoas, *geography.neighbourhoods, *geography.npas]:
        group.lonlat = shapely.orient_polygons(shapely.unary_union([lonlat[i] for i in group.members]))
    geography.force_lonlat = shapely.orient_polygons(shapely.unary_union(lonlat))
