"""The audit search: scoped to the administrator's force, filtered, paginated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts import selectors, services
from beatbook.accounts.models import AuditEvent
from beatbook.areas.models import Area, Level

pytestmark = pytest.mark.django_db

URL = "/staff/audit/"


@pytest.fixture
def admin_client(client, users, login_as):
    client = login_as(client, users.admin)
    # Start each test from an empty trail, so counts below are only what the test made.
    AuditEvent.objects.all().delete()
    return client


def record(users, action: str, *, days_ago: int = 0, label: str = "", force=None, actor=None):
    event = services.audit_record(
        actor=actor or users.admin,
        action=action,
        object_type="community.asset",
        object_id="7",
        object_label=label,
        force=force if force is not None else users.admin.area,
        before={"name": "Old hall"},
        after={"name": "New hall"},
    )
    if days_ago:
        AuditEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days_ago))
    return event


def events_on(response):
    return [event.action for event, _changes in response.context["rows"]]


def test_reached_by_its_name():
    assert reverse("accounts:audit") == URL


def test_scoped_to_the_admins_force(admin_client, users):
    other = Area.objects.create(level=Level.FORCE, code="OTHERSHIRE", name="Othershire Police")
    record(users, "asset.update", label="Ours")
    record(users, "asset.update", label="Theirs", force=other)
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ours" in html and "Theirs" not in html
    assert response.context["page"].paginator.count == 1


def test_shows_before_and_after(admin_client, users):
    record(users, "asset.update", label="Village hall")
    html = admin_client.get(URL).content.decode()
    assert "<del>Old hall</del> → <ins>New hall</ins>" in html


def test_filters(admin_client, users):
    record(users, "asset.update", label="Village hall", days_ago=10)
    record(users, "asset.create", label="Mosque", days_ago=3, actor=users.analyst)
    record(users, "asset.update", label="Library", days_ago=1)
    services.audit_record(actor=users.admin, action="user.update", obj=users.officer_a, force=users.admin.area)

    assert events_on(admin_client.get(URL, {"action": "asset.update"})) == ["asset.update", "asset.update"]
    assert events_on(admin_client.get(URL, {"actor": "analyst"})) == ["asset.create"]
    assert events_on(admin_client.get(URL, {"object_type": "accounts.user"})) == ["user.update"]
    assert len(events_on(admin_client.get(URL, {"q": "hall"}))) == 1
    today = timezone.localdate()
    window = {"date_from": (today - timedelta(days=5)).isoformat(), "date_to": (today - timedelta(days=1)).isoformat()}
    assert events_on(admin_client.get(URL, window)) == ["asset.update", "asset.create"]
    # Choices list only what happened in this force.
    form = admin_client.get(URL).context["form"]
    assert [c for c, _ in form.fields["action"].choices] == ["", "asset.create", "asset.update", "user.update"]


def test_bad_dates_show_an_error_not_everything(admin_client, users):
    record(users, "asset.update")
    today = timezone.localdate()
    response = admin_client.get(
        URL, {"date_from": today.isoformat(), "date_to": (today - timedelta(days=2)).isoformat()}
    )
    html = response.content.decode()
    assert 'href="#id_date_to"' in html
    assert "The to date must be the same as or after the from date" in html
    assert response.context["page"].paginator.count == 0
    response = admin_client.get(URL, {"date_from": "31/02/2026"})
    assert "Enter the from date like 2026-03-27" in response.content.decode()


def test_paginated_fifty_a_page(admin_client, users):
    for i in range(60):
        record(users, "asset.update", label=f"Asset {i}")
    first = admin_client.get(URL)
    assert len(first.context["rows"]) == 50
    second = admin_client.get(URL, {"action": "asset.update", "page": 2})
    assert len(second.context["rows"]) == 10
    assert "action=asset.update&amp;page=1" in second.content.decode()


def test_changes_list_only_changed_fields(users):
    event = services.audit_record(
        actor=None,
        action="x",
        before={"a": 1, "b": 2, "gone": 3},
        after={"a": 1, "b": 5, "new": 4},
    )
    changes = selectors.audit_event_changes(event)
    assert [(c.field, c.before, c.after) for c in changes] == [("b", 2, 5), ("gone", 3, None), ("new", None, 4)]


def test_every_write_in_these_tests_left_a_row(client, users, login_as):
    """The persona fixture's accounts were created through user_create, so each has its row."""
    created = AuditEvent.objects.filter(action="user.create")
    assert sorted(created.values_list("after__username", flat=True)) == sorted(users.all())
