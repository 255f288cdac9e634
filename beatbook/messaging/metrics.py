"""What messages achieved and whom the force reaches: the reads behind the messaging pages, the
API and the exports.

Every figure is a count over `Delivery` or `Subscriber` rows, made in SQL with one grouped
query per table whatever the number of messages, areas or channels, then rolled up in Python:

- a message's counts come from its deliveries grouped by (message, channel, area), so the
  totals, the per-channel and the per-area tables of any number of messages are one query;
- subscriber counts are one grouped query each by status, channel, area, interest and language;
- growth is one query per event (joined, confirmed, unsubscribed), grouped by London month;
- reach divides each neighbourhood's active subscribers by its census population, which the
  areas app sums over the neighbourhood's LSOAs (`areas.selectors.figures_for_areas`).

What counts as what (one definition, shared by the pages, the API and the downloads):
targeted is every delivery made (one per recipient and channel); sent is one handed to the
provider (`sent_at` set, or marked sent or delivered); delivered and failed are the final
statuses; waiting is pending, held for a digest, being sent or due a retry; not sent is
skipped (unsubscribed or erased before sending) or cancelled. Clicked, opened, unsubscribed
and converted count recipients, not events (`clicks` counts events); rated useful and not
useful are the two answers to "was this useful?".

Access is not decided here: callers pass messages and areas from `messaging.access`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from beatbook.areas.models import Area, Level
from beatbook.areas.selectors import CLASS_COLOURS, NO_DATA_COLOUR, figures_for_areas, with_geometry

from .models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Interest,
    Message,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)

LONDON = ZoneInfo("Europe/London")
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.SENDING, DeliveryStatus.RETRY)
NOT_SENT = (DeliveryStatus.SKIPPED, DeliveryStatus.CANCELLED)
HANDED_OVER = Q(sent_at__isnull=False) | Q(status__in=(DeliveryStatus.SENT, DeliveryStatus.DELIVERED))


@dataclass
class Counts:
    """What happened to a set of deliveries. Every field is a number of deliveries (recipients
    on one channel) except `clicks`, the number of clicks they made."""

    targeted: int = 0
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    not_sent: int = 0
    clicked: int = 0
    clicks: int = 0
    useful: int = 0
    not_useful: int = 0
    unsubscribed: int = 0
    converted: int = 0
    opened: int = 0

    def add(self, other: Counts) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def finished(self) -> int:
        return self.targeted - self.waiting

    @property
    def progress(self) -> float | None:
        """The share of deliveries no longer waiting (for a message being sent)."""
        return self.finished / self.targeted if self.targeted else None

    @property
    def progress_percent(self) -> int:
        return round((self.progress or 0.0) * 100)

    @property
    def rated(self) -> int:
        return self.useful + self.not_useful

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


def _aggregates() -> dict[str, Any]:
    # Prefixed: "useful" and "clicks" are also Delivery fields, which a filter would then read
    # as the aggregate.
    return {
        "n_targeted": Count("id"),
        "n_sent": Count("id", filter=HANDED_OVER),
        "n_delivered": Count("id", filter=Q(status=DeliveryStatus.DELIVERED)),
        "n_failed": Count("id", filter=Q(status=DeliveryStatus.FAILED)),
        "n_waiting": Count("id", filter=Q(status__in=WAITING)),
        "n_not_sent": Count("id", filter=Q(status__in=NOT_SENT)),
        "n_clicked": Count("id", filter=Q(clicked_at__isnull=False)),
        "n_clicks": Sum("clicks"),
        "n_useful": Count("id", filter=Q(useful=True)),
        "n_not_useful": Count("id", filter=Q(useful=False)),
        "n_unsubscribed": Count("id", filter=Q(unsubscribed_at__isnull=False)),
        "n_converted": Count("id", filter=Q(converted_at__isnull=False)),
        "n_opened": Count("id", filter=Q(opened_at__isnull=False)),
    }


@dataclass
class AreaCounts:
    area_id: int | None
    code: str
    name: str
    level: str
    counts: Counts


@dataclass
class MessageMetrics:
    total: Counts = field(default_factory=Counts)
    by_channel: dict[str, Counts] = field(default_factory=dict)
    by_area: list[AreaCounts] = field(default_factory=list)
    # (channel, area) → counts, for the downloads' one row per message, channel and area.
    cells: dict[tuple[str, int | None], Counts] = field(default_factory=dict)

    def channels(self) -> list[tuple[str, str, Counts]]:
        """(channel, label, counts) in a fixed order, leaving out channels with no deliveries."""
        return [
            (c.value, str(c.label), self.by_channel[c.value]) for c in DeliveryChannel if c.value in self.by_channel
        ]


def message_metrics(message_ids: Iterable[int]) -> dict[int, MessageMetrics]:
    """Metrics for each message (every id gets an entry): one grouped query, plus one for area names."""
    ids = list(dict.fromkeys(message_ids))
    result = {pk: MessageMetrics() for pk in ids}
    if not ids:
        return result
    rows = (
        Delivery.objects.filter(message_id__in=ids)
        .values("message_id", "channel", "area_id")
        .annotate(**_aggregates())
        .order_by()
    )
    area_ids: set[int] = set()
    by_area: dict[int, dict[int | None, Counts]] = defaultdict(dict)
    for row in rows:
        counts = Counts(**{name: row[f"n_{name}"] or 0 for name in COUNT_FIELDS})
        metrics = result[row["message_id"]]
        metrics.cells[(row["channel"], row["area_id"])] = counts
        metrics.total.add(counts)
        metrics.by_channel.setdefault(row["channel"], Counts()).add(counts)
        by_area[row["message_id"]].setdefault(row["area_id"], Counts()).add(counts)
        if row["area_id"] is not None:
            area_ids.add(row["area_id"])
    names = {a.pk: a for a in Area.objects.filter(pk__in=area_ids).only("code", "name", "level")}
    for message_id, areas in by_area.items():
        listed = []
        for area_id, counts in areas.items():
            area = names.get(area_id) if area_id is not None else None
            listed.append(
                AreaCounts(
                    area_id=area_id,
                    code=area.code if area else "",
                    name=area.name if area else "",
                    level=area.level if area else "",
                    counts=counts,
                )
            )
        listed.sort(key=lambda a: (a.name == "", a.name, a.code))
        result[message_id].by_area = listed
    return result


def metrics_for(message: Message) -> MessageMetrics:
    return message_metrics([message.pk])[message.pk]


# --- Subscribers ----------------------------------------------------------------------------


def subscribers_in_scope(force_id: int, areas: QuerySet[Area] | None) -> QuerySet[Subscriber]:
    """The force's subscribers; with `areas`, only those linked to one of them (None = the whole force)."""
    subscribers = Subscriber.objects.filter(force_id=force_id)
    if areas is None:
        return subscribers
    return subscribers.filter(pk__in=SubscriberArea.objects.filter(area__in=areas).values("subscriber_id"))


@dataclass
class Row:
    key: str
    label: str
    count: int


@dataclass
class SubscriberSummary:
    total: int
    by_status: list[Row]
    by_channel: list[Row]
    by_area: list[Row]
    by_interest: list[Row]
    by_language: list[Row]

    @property
    def active(self) -> int:
        return next((r.count for r in self.by_status if r.key == SubscriberStatus.ACTIVE), 0)


def language_names() -> dict[str, str]:
    from django.conf import settings

    names = {code.split("-")[0]: str(name) for code, name in settings.LANGUAGES}
    names["en"] = "English"
    return names


def subscriber_summary(force_id: int, areas: QuerySet[Area] | None) -> SubscriberSummary:
    """Counts of the force's subscribers (those linked to `areas` when given): one query per table."""
    scope = subscribers_in_scope(force_id, areas)
    statuses = dict(scope.values_list("status").annotate(n=Count("id")).order_by())
    by_status = [Row(s.value, str(s.label), statuses.get(s.value, 0)) for s in SubscriberStatus]
    active = scope.filter(status=SubscriberStatus.ACTIVE)
    channels = active.aggregate(
        email=Count("id", filter=Q(wants_email=True)),
        sms=Count("id", filter=Q(wants_sms=True)),
        both=Count("id", filter=Q(wants_email=True, wants_sms=True)),
    )
    by_channel = [
        Row("email", "Email", channels["email"] or 0),
        Row("sms", "Text message", channels["sms"] or 0),
        Row("both", "Both", channels["both"] or 0),
    ]
    link_filter = Q(subscriber__force_id=force_id, active=True)
    if areas is not None:
        link_filter &= Q(area__in=areas)
    area_counts = (
        SubscriberArea.objects.filter(link_filter)
        .values("area_id", "area__code", "area__name", "area__level")
        .annotate(n=Count("subscriber_id", distinct=True))
        .order_by("area__level", "area__name")
    )
    level_order = {Level.FORCE: 0, Level.NPA: 1, Level.NEIGHBOURHOOD: 2}
    by_area = sorted(
        (Row(r["area__code"], r["area__name"], r["n"]) for r in area_counts),
        key=lambda r: r.label,
    )
    levels = {r["area__code"]: level_order.get(r["area__level"], 3) for r in area_counts}
    by_area.sort(key=lambda r: (levels.get(r.key, 3), r.label))
    interest_counts = dict(
        SubscriberInterest.objects.filter(subscriber__in=active)
        .values_list("interest_id")
        .annotate(n=Count("subscriber_id", distinct=True))
        .order_by()
    )
    interests = Interest.objects.filter(Q(force_id=force_id) | Q(force__isnull=True), pk__in=list(interest_counts))
    by_interest = [Row(i.slug, i.name, interest_counts.get(i.pk, 0)) for i in interests]
    names = language_names()
    languages = active.values_list("language").annotate(n=Count("id")).order_by("-n", "language")
    by_language = [Row(code, names.get(code, code), n) for code, n in languages]
    return SubscriberSummary(
        total=sum(statuses.values()),
        by_status=by_status,
        by_channel=by_channel,
        by_area=by_area,
        by_interest=by_interest,
        by_language=by_language,
    )


@dataclass
class GrowthMonth:
    month: dt.date
    joined: int = 0
    confirmed: int = 0
    unsubscribed: int = 0

    @property
    def net(self) -> int:
        return self.confirmed - self.unsubscribed


def subscriber_growth(force_id: int, areas: QuerySet[Area] | None, *, months: int = 12) -> list[GrowthMonth]:
    """New, confirmed and unsubscribed subscribers per London month, for the last `months`
    months up to this one (months with none are shown as zero)."""
    from django.utils import timezone

    today = timezone.localdate()
    first = _month_back(today.replace(day=1), months - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=LONDON)
    scope = subscribers_in_scope(force_id, areas)
    table = {m: GrowthMonth(m) for m in (_month_back(first, -i) for i in range(months))}
    for field_name, attribute in (
        ("created_at", "joined"),
        ("confirmed_at", "confirmed"),
        ("unsubscribed_at", "unsubscribed"),
    ):
        rows = (
            scope.filter(**{f"{field_name}__gte": start})
            .annotate(month=TruncMonth(field_name, tzinfo=LONDON))
            .values("month")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            month = row["month"]
            key = month.date() if isinstance(month, dt.datetime) else month
            if key in table:
                setattr(table[key], attribute, row["n"])
    return list(table.values())


def _month_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass
class ReachRow:
    area_id: int
    code: str
    name: str
    npa: str
    subscribers: int
    population: int | None
    share: float | None
    class_index: int = 0
    class_label: str = ""
    colour: str = NO_DATA_COLOUR

    @property
    def display(self) -> str:
        return "No population figure" if self.share is None else f"{self.share * 100:.1f}%"


@dataclass
class Reach:
    rows: list[ReachRow]
    legend: list[tuple[str, str, int]]  # label, colour, neighbourhoods
    bounds: list[list[float]] | None


def reach(force_id: int, neighbourhoods: QuerySet[Area]) -> Reach:
    """Active subscribers of each neighbourhood as a share of its census population, in classes
    for the map (five classes of similar size, like the area maps)."""
    areas = list(neighbourhoods.filter(level=Level.NEIGHBOURHOOD).select_related("parent").order_by("name"))
    counts = dict(
        SubscriberArea.objects.filter(area__in=[a.pk for a in areas], active=True, subscriber__force_id=force_id)
        .values_list("area_id")
        .annotate(n=Count("subscriber_id", distinct=True))
        .order_by()
    )
    figures = figures_for_areas(areas)
    rows = []
    for area in areas:
        population = figures[area.pk].population if area.pk in figures else None
        subscribers = counts.get(area.pk, 0)
        share = subscribers / population if population else None
        rows.append(
            ReachRow(
                area_id=area.pk,
                code=area.code,
                name=area.name,
                npa=area.parent.name if area.parent else "",
                subscribers=subscribers,
                population=population,
                share=share,
            )
        )
    legend = _classify(rows)
    boxes: list[tuple[float, float, float, float]] = [
        (a.min_lat, a.min_lon, a.max_lat, a.max_lon)
        for a in areas
        if a.min_lat is not None and a.min_lon is not None and a.max_lat is not None and a.max_lon is not None
    ]
    bounds = None
    if boxes:
        bounds = [
            [min(b[0] for b in boxes), min(b[1] for b in boxes)],
            [max(b[2] for b in boxes), max(b[3] for b in boxes)],
        ]
    return Reach(rows=rows, legend=legend, bounds=bounds)


def _classify(rows: Sequence[ReachRow]) -> list[tuple[str, str, int]]:
    values = sorted(r.share for r in rows if r.share is not None)
    breaks: list[float] = []
    for i in range(1, len(CLASS_COLOURS) + 1):
        if not values:
            break
        bound = values[min(len(values) - 1, -(-i * len(values) // len(CLASS_COLOURS)) - 1)]
        if not breaks or bound > breaks[-1]:
            breaks.append(bound)
    palette = _spread(len(breaks))
    labels = []
    lower = values[0] if values else 0.0
    for i, upper in enumerate(breaks):
        start = f"{lower * 100:.1f}%" if i == 0 else f"over {lower * 100:.1f}%"
        labels.append(f"{start} to {upper * 100:.1f}%")
        lower = upper
    tally: dict[int, int] = defaultdict(int)
    for row in rows:
        if row.share is None:
            continue
        index = next(i for i, upper in enumerate(breaks) if row.share <= upper)
        row.class_index, row.class_label, row.colour = index + 1, labels[index], palette[index]
        tally[index + 1] += 1
    legend = [(labels[i], palette[i], tally[i + 1]) for i in range(len(breaks))]
    missing = sum(1 for r in rows if r.share is None)
    for row in rows:
        if row.share is None:
            row.class_label = "No population figure"
    if missing:
        legend.append(("No population figure", NO_DATA_COLOUR, missing))
    return legend


def _spread(n: int) -> tuple[str, ...]:
    """n colours from the five-class palette, keeping its light and dark ends (as the area maps do)."""
    if n <= 1:
        return CLASS_COLOURS[-1:] * n
    return tuple(CLASS_COLOURS[round(i * (len(CLASS_COLOURS) - 1) / (n - 1))] for i in range(n))


def reach_geojson(force_id: int, neighbourhoods: QuerySet[Area]) -> dict[str, Any]:
    """The reach map as GeoJSON in the area maps' shape (`map.js` draws it)."""
    result = reach(force_id, neighbourhoods)
    geometries = dict(
        with_geometry(Area.objects.filter(pk__in=[r.area_id for r in result.rows])).values_list("pk", "geometry")
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": row.code,
                "geometry": geometries[row.area_id],
                "properties": {
                    "code": row.code,
                    "name": row.name,
                    "value": row.share,
                    "display": f"{row.display} ({row.subscribers:,} subscribers)",
                    "class": row.class_index,
                    "class_label": row.class_label,
                    "fill": row.colour,
                },
            }
            for row in result.rows
            if row.area_id in geometries
        ],
    }
