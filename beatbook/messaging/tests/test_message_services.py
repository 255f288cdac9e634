"""Writing, approving, returning and cancelling messages: validation named by field, scope, roles."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.messaging import message_services as services
from beatbook.messaging.models import MessageStatus, SenderProfile

pytestmark = pytest.mark.django_db


def data(area_tree: Any, **changes: Any) -> services.MessageData:
    base = services.MessageData(
        kind="alert",
        subject="Bike thefts at the station",
        body="Lock your bike to the stands by the ticket office.",
        sms_body="",
        area_ids=[area_tree.nbhd_a.pk],
        interest_ids=[],
        languages=[],
        channels=["email"],
    )
    return replace(base, **changes)


def errors_of(call: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_bad_messages_are_explained_by_field(area_tree: Any, users: Any) -> None:
    found = errors_of(
        lambda: services.message_create(
            actor=users.officer_a,
            data=data(area_tree, kind="poem", subject=" ", body="", channels=[], area_ids=[]),
        )
    )
    assert set(found) == {"kind", "subject", "body", "channels", "area_ids"}
    long_text = errors_of(
        lambda: services.message_create(
            actor=users.officer_a, data=data(area_tree, channels=["email", "sms"], sms_body="x" * 460)
        )
    )
    assert "460" in long_text["sms_body"][0]
    no_text = errors_of(lambda: services.message_create(actor=users.officer_a, data=data(area_tree, channels=["sms"])))
    assert set(no_text) == {"sms_body"}
    assert (
        services.message_create(
            actor=users.officer_a, data=data(area_tree, channels=["sms"], sms_body="x" * 459)
        ).sms_body
        == "x" * 459
    )
    survey = errors_of(lambda: services.message_create(actor=users.officer_a, data=data(area_tree, kind="survey")))
    assert set(survey) == {"survey_id"}
    assert set(
        errors_of(lambda: services.message_create(actor=users.officer_a, data=data(area_tree, languages=["xx"])))
    ) == {"languages"}


def test_officers_target_only_their_own_neighbourhood(area_tree: Any, users: Any) -> None:
    found = errors_of(
        lambda: services.message_create(actor=users.officer_a, data=data(area_tree, area_ids=[area_tree.nbhd_b.pk]))
    )
    assert "Brookside" in found["area_ids"][0]
    assert "area_ids" in errors_of(
        lambda: services.message_create(actor=users.officer_a, data=data(area_tree, area_ids=[area_tree.npa_north.pk]))
    )
    # The commander reaches the NPA and its neighbourhoods, not the other NPA.
    services.message_create(actor=users.commander, data=data(area_tree, area_ids=[area_tree.npa_north.pk]))
    assert "area_ids" in errors_of(
        lambda: services.message_create(actor=users.commander, data=data(area_tree, area_ids=[area_tree.nbhd_b.pk]))
    )
    for reader in (users.analyst, users.partner):
        with pytest.raises(PermissionDenied):
            services.message_create(actor=reader, data=data(area_tree))


def test_officer_messages_wait_for_approval_by_a_commander_in_scope(area_tree: Any, users: Any) -> None:
    SenderProfile.objects.create(user=users.officer_a, display_name="PC Ann Tester", role_title="PCSO, Abbeyfield")
    message = services.message_create(actor=users.officer_a, data=data(area_tree))
    assert (message.signature_name, message.signature_role) == ("PC Ann Tester", "PCSO, Abbeyfield")
    later = timezone.now() + timedelta(days=1)

    services.message_submit(actor=users.officer_a, message=message, send_at=later)
    message.refresh_from_db()
    assert message.status == MessageStatus.AWAITING_APPROVAL

    for outsider in (users.officer_b, users.officer_a, users.analyst):
        with pytest.raises(PermissionDenied):
            services.message_approve(actor=outsider, message=message)
    assert "note" in errors_of(lambda: services.message_return(actor=users.commander, message=message, note=" "))
    services.message_return(actor=users.commander, message=message, note="Add the crime reference number.")
    message.refresh_from_db()
    assert message.status == MessageStatus.DRAFT

    services.message_update(
        actor=users.officer_a, message=message, data=data(area_tree, body="Crime ref 12/3456. Lock your bike.")
    )
    services.message_submit(actor=users.officer_a, message=message, send_at=later)
    services.message_approve(actor=users.commander, message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED and message.approved_by == users.commander
    assert message.send_at == later
    with pytest.raises(PermissionDenied):
        services.message_update(actor=users.officer_a, message=message, data=data(area_tree))
    actions = list(AuditEvent.objects.filter(object_id=str(message.pk)).values_list("action", flat=True))
    assert actions.count("message.submit") == 2 and "message.approve" in actions and "message.return" in actions


def test_commanders_and_admins_schedule_without_approval(area_tree: Any, users: Any) -> None:
    message = services.message_create(actor=users.admin, data=data(area_tree))
    assert message.signature_name == "Admin Tester"
    services.message_submit(actor=users.admin, message=message, send_at=None)
    message.refresh_from_db()
    assert message.status == MessageStatus.SCHEDULED
    assert "send_at" in errors_of(
        lambda: services.message_submit(
            actor=users.commander,
            message=services.message_create(actor=users.commander, data=data(area_tree)),
            send_at=timezone.now() - timedelta(days=1),
        )
    )


def test_cancel_needs_the_author_or_someone_covering_its_areas(area_tree: Any, users: Any) -> None:
    message = services.message_create(actor=users.officer_a, data=data(area_tree))
    services.message_submit(actor=users.officer_a, message=message, send_at=None)
    with pytest.raises(PermissionDenied):
        services.message_cancel(actor=users.officer_b, message=message)
    with pytest.raises(PermissionDenied):
        services.message_cancel(actor=users.analyst, message=message)
    services.message_cancel(actor=users.commander, message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED and message.cancelled_by == users.commander
    assert AuditEvent.objects.filter(action="message.cancel", object_id=str(message.pk)).exists()
    with pytest.raises(PermissionDenied):
        services.message_cancel(actor=users.officer_a, message=message)
