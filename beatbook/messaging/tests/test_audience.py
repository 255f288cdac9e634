"""Audience counts: areas expand to the areas inside them, people count once, filters narrow."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beatbook.messaging.audience import Audience, audience_count
from beatbook.messaging.models import Interest, SubscriberStatus

from .test_delivery_support import make_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def population(area_tree: Any) -> dict[str, int]:
    burglary = Interest.objects.get(slug="burglary", force=None)
    events = Interest.objects.get(slug="events", force=None)
    force = area_tree.force
    make_subscribers(force, area_tree.nbhd_a, 5, prefix="a", interest_ids=[burglary.pk])
    make_subscribers(force, area_tree.nbhd_a, 2, prefix="asms", email=True, sms=True, language="cy")
    make_subscribers(force, area_tree.nbhd_c, 3, prefix="c", interest_ids=[events.pk])
    make_subscribers(force, area_tree.nbhd_b, 4, prefix="b", interest_ids=[burglary.pk, events.pk])
    make_subscribers(force, area_tree.npa_north, 1, prefix="npa")  # linked to the NPA itself
    make_subscribers(force, area_tree.nbhd_a, 1, prefix="two", extra_areas=[area_tree.nbhd_c])
    make_subscribers(force, area_tree.nbhd_a, 6, prefix="gone", status=SubscriberStatus.UNSUBSCRIBED)
    return {"burglary": burglary.pk, "events": events.pk}


def count(area_tree: Any, areas: list[Any], **filters: Any) -> Audience:
    return audience_count(
        force=area_tree.force,
        area_ids=[a.pk for a in areas],
        interest_ids=filters.get("interest_ids", []),
        languages=filters.get("languages", []),
        channels=filters.get("channels", ["email", "sms"]),
    )


def test_targets_reach_the_areas_inside_them(area_tree: Any, population: dict[str, int]) -> None:
    assert count(area_tree, [area_tree.nbhd_a]) == Audience(people=8, email=8, sms=2)
    # North: A (8), C (3, one of whom is also in A), the NPA's own subscriber.
    assert count(area_tree, [area_tree.npa_north]) == Audience(people=12, email=12, sms=2)
    assert count(area_tree, [area_tree.force]).people == 16
    assert count(area_tree, [area_tree.npa_north, area_tree.nbhd_a]).people == 12
    assert count(area_tree, [area_tree.nbhd_b, area_tree.nbhd_c]).people == 8


def test_interests_languages_and_channels_narrow_it(area_tree: Any, population: dict[str, int]) -> None:
    assert count(area_tree, [area_tree.force], interest_ids=[population["burglary"]]).people == 9
    both = [population["burglary"], population["events"]]
    assert count(area_tree, [area_tree.force], interest_ids=both).people == 12
    assert count(area_tree, [area_tree.force], languages=["cy"]) == Audience(people=2, email=2, sms=2)
    assert count(area_tree, [area_tree.force], channels=["sms"]) == Audience(people=2, email=0, sms=2)
    assert count(area_tree, [area_tree.force], channels=[]).people == 0


def test_areas_of_another_force_reach_nobody(area_tree: Any, population: dict[str, int]) -> None:
    from beatbook.areas.models import Area, Level

    other = Area.objects.create(level=Level.FORCE, code="OTHER", name="Other Police")
    assert audience_count(
        force=other, area_ids=[area_tree.nbhd_a.pk], interest_ids=[], languages=[], channels=["email"]
    ) == Audience(0, 0, 0)


def test_one_count_is_a_fixed_number_of_queries(area_tree: Any, population: dict[str, int]) -> None:
    with CaptureQueriesContext(connection) as small:
        count(area_tree, [area_tree.nbhd_a], interest_ids=[population["burglary"]], languages=["en"])
    with CaptureQueriesContext(connection) as large:
        count(area_tree, [area_tree.force, area_tree.npa_south], interest_ids=[population["events"]])
    assert len(small) == len(large) == 3
