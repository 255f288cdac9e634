"""/api/v1/messaging/: messages with metrics, one message's metrics, subscriber counts; scope,
session and token authentication."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from beatbook.accounts.services import api_token_create
from beatbook.messaging import metrics
from beatbook.messaging.models import MessagingSettings

from .test_staff_views import client_for, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = pytest.mark.django_db

BASE = "/api/v1/messaging"


def test_messages_are_scoped(world: Any, users: Any, login_as: Any) -> None:
    def subjects(user: Any) -> set[str]:
        response = client_for(login_as, user).get(f"{BASE}/messages")
        assert response.status_code == 200, response.content
        return {m["subject"] for m in response.json()["results"]}

    assert subjects(users.officer_a) == {"Garden sheds broken into"}
    assert subjects(users.officer_b) == {"Brookside speed checks"}
    assert subjects(users.analyst) == {"Garden sheds broken into", "Brookside speed checks", "Force newsletter"}
    assert client_for(login_as, users.partner).get(f"{BASE}/messages").status_code == 403
    assert Client().get(f"{BASE}/messages").status_code == 401


def test_the_list_carries_each_messages_metrics(world: Any, users: Any, login_as: Any) -> None:
    response = client_for(login_as, users.admin).get(f"{BASE}/messages", {"status": "sent"})
    (sent,) = response.json()["results"]
    expected = metrics.metrics_for(world["sent"]).total.as_dict()
    assert sent["metrics"] == {**expected, "opened": None}
    assert sent["areas"] == ["TESTSHIRE"]
    assert client_for(login_as, users.admin).get(f"{BASE}/messages", {"status": "nope"}).status_code == 400


def test_one_messages_metrics_by_channel_and_area(world: Any, area_tree: Any, users: Any, login_as: Any) -> None:
    MessagingSettings.objects.create(force=area_tree.force, open_tracking=True)
    message = world["sent"]
    body = client_for(login_as, users.analyst).get(f"{BASE}/messages/{message.pk}/metrics").json()
    found = metrics.metrics_for(message)
    assert body["total"] == found.total.as_dict()
    assert {c["channel"]: c["targeted"] for c in body["by_channel"]} == {
        k: v.targeted for k, v in found.by_channel.items()
    }
    assert {a["area"]: a["delivered"] for a in body["by_area"]} == {a.code: a.counts.delivered for a in found.by_area}
    assert client_for(login_as, users.officer_b).get(f"{BASE}/messages/{message.pk}/metrics").status_code == 404


def test_a_bearer_token_reads_as_its_owner(world: Any, users: Any) -> None:
    _token, key = api_token_create(actor=users.analyst, name="reports")
    response = Client().get(f"{BASE}/messages/{world['sent'].pk}/metrics", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    summary = Client().get(f"{BASE}/subscribers/summary", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert summary.json()["active"] == 13
    assert Client().get(f"{BASE}/messages", HTTP_AUTHORIZATION="Bearer bb_not_a_token").status_code == 401


def test_subscriber_summary_is_scoped_and_has_no_personal_data(world: Any, users: Any, login_as: Any) -> None:
    response = client_for(login_as, users.officer_a).get(f"{BASE}/subscribers/summary")
    body = response.json()
    assert body["active"] == 6 and [r["code"] for r in body["reach"]] == ["NB-A"]
    assert len(body["growth"]) == 12
    assert "@example.org" not in response.content.decode()
    assert client_for(login_as, users.partner).get(f"{BASE}/subscribers/summary").status_code == 403
