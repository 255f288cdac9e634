"""Who a message reaches: the audience count shown before sending, and the targeting the
delivery engine turns into rows.

A target area reaches the subscribers linked to it and to every policing area inside it (a
force target reaches its NPAs and neighbourhoods, an NPA its neighbourhoods). Counting reads
only `SubscriberArea`, whose copies of status, channels and language are kept by the services,
so a count is one scan of the `messaging_audience_covering` index: no join to `Subscriber`.
Interests, when given, narrow it to subscribers with any of them (one semi-join on the
`messaging_interest_subscriber` index).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from beatbook.areas.models import Area, Level

from .models import DeliveryChannel, SubscriberArea, SubscriberInterest

TARGET_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)


@dataclass(frozen=True)
class Audience:
    people: int
    email: int
    sms: int


def reach_map(*, force: Area, area_ids: Sequence[int]) -> dict[int, int]:
    """Every area a message to `area_ids` reaches → the targeted area it is reached through.

    When targets nest (an NPA and one of its neighbourhoods), an area is credited to the most
    specific target that holds it, so per-area metrics follow what the author picked.
    Targets outside `force` or not at a policing level are ignored (the services refuse them).
    """
    targets = {
        area.pk: area
        for area in Area.objects.filter(pk__in=list(area_ids), level__in=TARGET_LEVELS).filter(
            Q(pk=force.pk) | Q(force=force)
        )
    }
    if not targets:
        return {}
    # The policing tree below a force is two levels deep (NPA → neighbourhood), so two
    # parent hops reach a target from any area inside it.
    rows = Area.objects.filter(force=force, level__in=(Level.NPA, Level.NEIGHBOURHOOD)).values_list(
        "pk", "parent_id", "parent__parent_id"
    )
    reach: dict[int, int] = {pk: pk for pk in targets}
    for pk, parent_id, grandparent_id in rows:
        if pk in targets:
            continue
        for ancestor in (parent_id, grandparent_id):
            if ancestor in targets:
                reach[pk] = ancestor
                break
        else:
            if force.pk in targets:
                reach[pk] = force.pk
    return reach


def audience_rows(
    *,
    area_ids: Sequence[int],
    interest_ids: Sequence[int],
    languages: Sequence[str],
) -> QuerySet[SubscriberArea]:
    """The `SubscriberArea` rows of active subscribers a message reaches (before channels).

    `area_ids` are already expanded (see `reach_map`); a subscriber may appear once per area.
    """
    rows = SubscriberArea.objects.filter(area_id__in=list(area_ids), active=True)
    if languages:
        rows = rows.filter(language__in=list(languages))
    if interest_ids:
        rows = rows.filter(
            Exists(
                SubscriberInterest.objects.filter(
                    subscriber_id=OuterRef("subscriber_id"), interest_id__in=list(interest_ids)
                )
            )
        )
    return rows


def channel_filter(channels: Sequence[str]) -> Q:
    wanted = Q(pk__in=[])
    if DeliveryChannel.EMAIL in channels:
        wanted |= Q(wants_email=True)
    if DeliveryChannel.SMS in channels:
        wanted |= Q(wants_sms=True)
    return wanted


def audience_count(
    *,
    force: Area,
    area_ids: Sequence[int],
    interest_ids: Sequence[int],
    languages: Sequence[str],
    channels: Sequence[str],
) -> Audience:
    """How many people a message would reach now, and how many by each channel.

    `people` counts each person once however many of their areas or channels match.
    """
    reach = reach_map(force=force, area_ids=area_ids)
    if not reach or not channels:
        return Audience(people=0, email=0, sms=0)
    rows = audience_rows(area_ids=list(reach), interest_ids=interest_ids, languages=languages).filter(
        channel_filter(channels)
    )
    counts = rows.aggregate(
        people=Count("subscriber_id", distinct=True),
        email=Count("subscriber_id", distinct=True, filter=Q(wants_email=True)),
        sms=Count("subscriber_id", distinct=True, filter=Q(wants_sms=True)),
    )
    return Audience(
        people=counts["people"] or 0,
        email=(counts["email"] or 0) if DeliveryChannel.EMAIL in channels else 0,
        sms=(counts["sms"] or 0) if DeliveryChannel.SMS in channels else 0,
    )
