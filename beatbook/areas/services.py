"""Writes to areas: upserts from boundary files, best-fit links, derived geometry,
deprivation and census figures, and the audit of imports.

The importers call these inside their `import_transaction`, so a failure part-way leaves
nothing behind and a dry run rolls everything back.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from shapely.geometry.base import BaseGeometry

from beatbook.accounts.services import audit_record
from beatbook.core.imports import ImportReport

from .geo import AreaIndex, area_sq_km, bbox, geometry_from_geojson, geometry_to_geojson, total_bbox, union
from .models import Area, CensusCount, Deprivation, Level

DERIVED_SOURCE = "derived: union of its LSOAs"
AREA_AREA_DECIMALS = 6
# Longest `IN (…)` list sent at once: SQLite limits the number of query parameters.
IN_LIST_LIMIT = 900


def geometry_values(geom: BaseGeometry | None, geojson: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Area columns that describe a geometry: GeoJSON, bounding box and km²."""
    if geom is None:
        return {
            "geometry": None,
            "min_lon": None,
            "min_lat": None,
            "max_lon": None,
            "max_lat": None,
            "area_sq_km": None,
        }
    min_lon, min_lat, max_lon, max_lat = bbox(geom)
    return {
        "geometry": geojson if geojson is not None else geometry_to_geojson(geom),
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "area_sq_km": round(area_sq_km(geom), AREA_AREA_DECIMALS),
    }


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    areas: dict[str, Area] = field(default_factory=dict)
    created_codes: set[str] = field(default_factory=set)
    updated_codes: set[str] = field(default_factory=set)


@transaction.atomic
def areas_upsert(*, level: str, rows: Mapping[str, Mapping[str, Any]], source: str) -> UpsertResult:
    """Create or update areas of one level: code → {field: value}. Fields not given are kept.

    An area whose given fields already hold these values is left untouched, so that
    importing the same file twice changes nothing.
    """
    result = UpsertResult()
    # Large boundaries are only read back when this upsert may change them.
    with_geometry = any("geometry" in values for values in rows.values())
    existing = areas_by_code(level, list(rows), with_geometry=with_geometry)
    to_create: list[Area] = []
    to_update: list[Area] = []
    changed_fields: set[str] = set()
    now = timezone.now()
    for code, values in rows.items():
        area = existing.get(code)
        if area is None:
            area = Area(level=level, code=code, source=source[:200], **values)
            to_create.append(area)
            result.areas[code] = area
            continue
        result.areas[code] = area
        differing = [name for name, value in values.items() if getattr(area, name) != value]
        if not differing:
            result.unchanged += 1
            continue
        for name in differing:
            setattr(area, name, values[name])
        area.source = source[:200]
        area.updated_at = now
        changed_fields.update(differing)
        to_update.append(area)
    Area.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Area.objects.bulk_update(to_update, [*sorted(changed_fields), "source", "updated_at"], batch_size=200)
    result.created = len(to_create)
    result.updated = len(to_update)
    result.created_codes = {a.code for a in to_create}
    result.updated_codes = {a.code for a in to_update}
    if to_create:
        # bulk_create sets primary keys on PostgreSQL and SQLite, but reload to be sure on any backend.
        result.areas.update(areas_by_code(level, [a.code for a in to_create], with_geometry=with_geometry))
    return result


def areas_by_code(level: str, codes: list[str], *, with_geometry: bool = True) -> dict[str, Area]:
    """Areas of one level by code (codes not found are absent)."""
    queryset = Area.objects.filter(level=level)
    if not with_geometry:
        queryset = queryset.defer("geometry")
    if len(codes) <= IN_LIST_LIMIT:
        queryset = queryset.filter(code__in=codes)
    wanted = set(codes)
    return {area.code: area for area in queryset if area.code in wanted}


def parsed_geometries(areas: Iterable[Area]) -> list[tuple[Area, BaseGeometry]]:
    """Each area that has a boundary, with the boundary as a shapely geometry."""
    # Stored geometry was validated (and repaired) on import, so parsing cannot fail here.
    return [(area, geometry_from_geojson(area.geometry)[0]) for area in areas if area.geometry]


def index_for(areas: Iterable[Area]) -> tuple[AreaIndex, dict[str, Area]]:
    """An AreaIndex over areas with geometry, and the areas by code."""
    parsed = parsed_geometries(areas)
    return AreaIndex((area.code, geom) for area, geom in parsed), {area.code: area for area, _ in parsed}


BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


def bbox_overlapping(queryset: models.QuerySet[Area], box: BBox | None) -> models.QuerySet[Area]:
    """The areas whose stored bounding box meets `box` (none for no box), told without parsing JSON.

    An area with a boundary but no stored box (written by hand, not by an importer) is kept,
    so that it is still looked at.
    """
    if box is None:
        return queryset.none()
    min_lon, min_lat, max_lon, max_lat = box
    meets = Q(min_lon__lte=max_lon, max_lon__gte=min_lon, min_lat__lte=max_lat, max_lat__gte=min_lat)
    unknown = Q(min_lon__isnull=True) | Q(min_lat__isnull=True) | Q(max_lon__isnull=True) | Q(max_lat__isnull=True)
    return queryset.filter(meets | unknown)


@transaction.atomic
def lsoas_link_best_fit(*, force_ids: Collection[int] | None = None) -> dict[str, int]:
    """Link each LSOA to the ward and MSOA it overlaps most (and the LAD, when it has none).

    Runs after importing LSOAs, wards or MSOAs, so either import order ends the same way.
    `force_ids` limits the work to the LSOAs of those forces (an import passes the forces it
    touched); only wards, MSOAs and LADs whose box meets theirs are read as candidates.
    A level with no imported polygons is left as it is. Returns how many links changed.
    """
    lsoa_qs = Area.objects.filter(level=Level.LSOA, geometry__isnull=False)
    if force_ids is not None:
        lsoa_qs = lsoa_qs.filter(force_id__in=list(force_ids))
    lsoas = parsed_geometries(lsoa_qs)
    box = total_bbox(geom for _, geom in lsoas)
    changed: dict[str, int] = {}
    to_update: dict[int, Area] = {}
    fields: set[str] = set()
    for link, level in (("ward", Level.WARD), ("msoa", Level.MSOA), ("lad", Level.LAD)):
        if link == "lad" and all(lsoa.lad_id is not None for lsoa, _ in lsoas):
            continue
        with_polygons = Area.objects.filter(level=level, geometry__isnull=False)
        if not with_polygons.exists():
            continue  # no polygons of this level at all: keep the links as they are
        index, by_code = index_for(bbox_overlapping(with_polygons, box))
        count = 0
        for lsoa, geom in lsoas:
            if link == "lad" and lsoa.lad_id is not None:
                continue  # the boundary file's own LAD code beats a geometric guess
            code = index.best_fit(geom) if len(index) else None
            target_id = by_code[code].pk if code else None
            if getattr(lsoa, f"{link}_id") != target_id:
                setattr(lsoa, f"{link}_id", target_id)
                to_update[lsoa.pk] = lsoa
                fields.add(link)
                count += 1
        changed[link] = count
    if to_update:
        Area.objects.bulk_update(list(to_update.values()), sorted(fields), batch_size=500)
    return changed


@transaction.atomic
def lads_derive_geometry(*, lad_ids: Iterable[int]) -> int:
    """Give LADs known only by code (from LSOA properties) the union of their LSOAs as boundary.

    A LAD imported from its own boundary file keeps that boundary. Returns how many changed.
    """
    lads = Area.objects.filter(level=Level.LAD, pk__in=list(lad_ids))
    changed = 0
    for lad in lads:
        if lad.geometry is not None and lad.source != DERIVED_SOURCE:
            continue
        geom = union(g for _, g in parsed_geometries(Area.objects.filter(level=Level.LSOA, lad_id=lad.pk)))
        if geom is None:
            continue
        values = geometry_values(geom)
        if all(getattr(lad, name) == value for name, value in values.items()) and lad.source == DERIVED_SOURCE:
            continue
        for name, value in values.items():
            setattr(lad, name, value)
        lad.source = DERIVED_SOURCE
        lad.save()
        changed += 1
    return changed


@transaction.atomic
def area_set_geometry(*, area: Area, geom: BaseGeometry | None) -> bool:
    """Store a geometry (with bbox and km²) on an area; False when it already had it."""
    values = geometry_values(geom)
    if all(getattr(area, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(area, name, value)
    area.save()
    return True


@transaction.atomic
def areas_set_parents(*, parent_by_area_id: Mapping[int, int | None]) -> int:
    """Set `parent` on many areas at once; returns how many changed."""
    areas = list(Area.objects.filter(pk__in=list(parent_by_area_id)))
    changed = [a for a in areas if a.parent_id != parent_by_area_id[a.pk]]
    for area in changed:
        area.parent_id = parent_by_area_id[area.pk]
    Area.objects.bulk_update(changed, ["parent"], batch_size=500)
    return len(changed)


@transaction.atomic
def areas_union_children_geometry(*, areas: Sequence[Area]) -> int:
    """Set each area's geometry to the union of its children's; returns how many changed."""
    changed = 0
    for area in areas:
        children = Area.objects.filter(parent_id=area.pk, geometry__isnull=False)
        geom = union(g for _, g in parsed_geometries(children))
        if geom is not None and area_set_geometry(area=area, geom=geom):
            changed += 1
    return changed


def majority(values: Iterable[Any]) -> Any:
    """The most common value (ties: the first seen), or None for no values."""
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else None


def group_by(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return grouped


def import_audit(*, report: ImportReport, force: Area | None = None) -> None:
    """Record a committed import in the audit trail (a dry run is rolled back with it)."""
    if not report.committed:
        return
    audit_record(
        actor=None,
        action=f"import.{report.kind.replace(' ', '_')}",
        object_type="import",
        object_id=report.source[:64],
        object_label=report.source[:300],
        force=force,
        after=report.as_dict(),
    )


def import_audit_by_force(*, report: ImportReport, force_ids: Collection[int | None]) -> int:
    """Record a committed import once for each force whose areas it touched.

    A force's administrators see their force's events only, so an import that spans forces
    (a national deprivation file) is recorded in each; one that touched no force's areas is
    recorded once without a force. Returns how many events were written.
    """
    if not report.committed:
        return 0
    ids = {i for i in force_ids if i is not None}
    forces: list[Area | None] = list(Area.objects.filter(level=Level.FORCE, pk__in=sorted(ids)).order_by("code"))
    if not forces or None in force_ids:
        forces.append(None)
    for force in forces:
        import_audit(report=report, force=force)
    return len(forces)


@dataclass
class DeleteResult:
    deleted: list[Area] = field(default_factory=list)
    # Areas kept because other rows refer to them, with what refers to them ("1 user").
    kept: list[tuple[Area, list[str]]] = field(default_factory=list)


def references_to(area_ids: Sequence[int]) -> dict[int, list[str]]:
    """What refers to each of these areas, from every model with a key to Area ("2 users")."""
    found: dict[int, list[str]] = defaultdict(list)
    for relation in Area._meta.related_objects:
        model = relation.related_model
        assert not isinstance(model, str)  # resolved once the app registry is ready
        name = relation.field.name
        counts: Counter[int] = Counter()
        for start in range(0, len(area_ids), IN_LIST_LIMIT):
            chunk = area_ids[start : start + IN_LIST_LIMIT]
            rows = model._base_manager.filter(**{f"{name}__in": chunk}).order_by().values_list(name)
            for area_id, n in rows.annotate(n=models.Count("pk")):
                counts[area_id] += n
        meta = model._meta
        for area_id, n in counts.items():
            found[area_id].append(f"{n} {meta.verbose_name if n == 1 else meta.verbose_name_plural}")
    return found


@transaction.atomic
def areas_delete_unreferenced(*, areas: Sequence[Area]) -> DeleteResult:
    """Delete the areas nothing refers to; keep the rest and say what refers to them.

    "Refers" is any row with a key to the area (a child area, a user scoped to it, a record
    of another app), so a deletion never cascades into, or is refused by, other data.
    """
    result = DeleteResult()
    references = references_to([a.pk for a in areas])
    for area in areas:
        if references.get(area.pk):
            result.kept.append((area, references[area.pk]))
        else:
            result.deleted.append(area)
    ids = [a.pk for a in result.deleted]
    for start in range(0, len(ids), IN_LIST_LIMIT):
        Area.objects.filter(pk__in=ids[start : start + IN_LIST_LIMIT]).delete()
    return result


CensusCell = tuple[str, int, int]  # category, position, count


@dataclass
class ReplaceResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@transaction.atomic
def census_counts_replace(*, census_year: int, blocks: Mapping[tuple[int, str], Sequence[CensusCell]]) -> ReplaceResult:
    """Replace the census cells of each (LSOA id, topic) block for one census year.

    A block whose cells are already exactly these is left alone (counted unchanged), so a
    second import of the same file changes nothing; a changed block is replaced whole, so a
    category dropped from a newer file does not linger.
    """
    result = ReplaceResult()
    if not blocks:
        return result
    topics = sorted({topic for _, topic in blocks})
    lsoa_ids = sorted({lsoa_id for lsoa_id, _ in blocks})
    existing: dict[tuple[int, str], set[CensusCell]] = defaultdict(set)
    current = CensusCount.objects.filter(census_year=census_year, topic__in=topics)
    if len(lsoa_ids) <= IN_LIST_LIMIT:
        current = current.filter(lsoa_id__in=lsoa_ids)
    for lsoa_id, topic, category, position, count in current.values_list(
        "lsoa_id", "topic", "category", "position", "count"
    ):
        existing[(lsoa_id, topic)].add((category, position, count))
    replace: dict[str, list[int]] = defaultdict(list)
    new_rows: list[CensusCount] = []
    for (lsoa_id, topic), cells in blocks.items():
        old = existing.get((lsoa_id, topic))
        if old == set(cells):
            result.unchanged += 1
            continue
        if old:
            replace[topic].append(lsoa_id)
            result.updated += 1
        else:
            result.created += 1
        new_rows += [
            CensusCount(
                lsoa_id=lsoa_id, census_year=census_year, topic=topic, category=category, position=position, count=count
            )
            for category, position, count in cells
        ]
    for topic, ids in replace.items():
        for start in range(0, len(ids), IN_LIST_LIMIT):
            chunk = ids[start : start + IN_LIST_LIMIT]
            CensusCount.objects.filter(census_year=census_year, topic=topic, lsoa_id__in=chunk).delete()
    CensusCount.objects.bulk_create(new_rows, batch_size=1000)
    return result


# Deprivation columns an import may set (all but the key and the timestamp).
DEPRIVATION_FIELDS = frozenset(
    f.name for f in Deprivation._meta.concrete_fields if f.name not in ("id", "lsoa", "updated_at")
)


@transaction.atomic
def deprivation_upsert_many(*, values_by_lsoa: Mapping[int, Mapping[str, int | None]]) -> ReplaceResult:
    """Create or update the deprivation figures of many LSOAs: LSOA id → {field: value}.

    Fields not given are kept, so File 6's populations add to File 1's ranks. A new row needs
    `imd_rank` and `imd_decile`. A row that already holds these values is left alone (counted
    unchanged), so importing the same files twice changes nothing.
    """
    result = ReplaceResult()
    unknown = {name for values in values_by_lsoa.values() for name in values} - DEPRIVATION_FIELDS
    if unknown:
        raise ValueError(f"not deprivation fields: {', '.join(sorted(unknown))}")
    ids = sorted(values_by_lsoa)
    existing: dict[int, Deprivation] = {}
    for start in range(0, len(ids), IN_LIST_LIMIT):
        chunk = ids[start : start + IN_LIST_LIMIT]
        existing.update({d.lsoa_id: d for d in Deprivation.objects.filter(lsoa_id__in=chunk)})
    to_create: list[Deprivation] = []
    to_update: list[Deprivation] = []
    changed_fields: set[str] = set()
    now = timezone.now()
    for lsoa_id in ids:
        values = values_by_lsoa[lsoa_id]
        item = existing.get(lsoa_id)
        if item is None:
            missing = [name for name in ("imd_rank", "imd_decile") if values.get(name) is None]
            if missing:
                raise ValueError(f"LSOA {lsoa_id} has no deprivation row yet and no {', '.join(missing)}")
            to_create.append(Deprivation(lsoa_id=lsoa_id, **values))
            continue
        differing = [name for name, value in values.items() if getattr(item, name) != value]
        if not differing:
            result.unchanged += 1
            continue
        for name in differing:
            setattr(item, name, values[name])
        item.updated_at = now
        changed_fields.update(differing)
        to_update.append(item)
    Deprivation.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Deprivation.objects.bulk_update(to_update, [*sorted(changed_fields), "updated_at"], batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)
    return result
