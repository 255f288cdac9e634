"""Each channel is confirmed by its own link: an email link never starts texts to a number
nobody has proved, and an old link never undoes someone turning a channel off."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from beatbook.messaging import links
from beatbook.messaging.models import SubscriberArea, SubscriberStatus

from .test_public_pages import active_subscriber, confirm_from_mail, sign_up
from .test_subscribers_support import (  # noqa: F401 - fixtures
    _fresh_cache,
    interest_ids,
    link_in,
    postcodes_fixture,
    smtp_server_fixture,
)


def _texts(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if "text message" in r.getMessage()]


def _copies(subscriber: Any) -> list[tuple[bool, bool]]:
    return list(SubscriberArea.objects.filter(subscriber=subscriber).values_list("wants_email", "wants_sms"))


@pytest.mark.django_db
def test_email_and_mobile_are_each_confirmed_by_their_own_link(
    area_tree: Any, postcodes: Any, smtp_server: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    client = Client()
    sign_up(client, django_capture_on_commit_callbacks, email="both@example.org", phone="07700 900222")
    (text,) = _texts(caplog)

    subscriber = confirm_from_mail(client, smtp_server, "both@example.org")
    assert subscriber.status == SubscriberStatus.ACTIVE
    # The email link proved the address, not the number: no texts yet.
    assert (subscriber.wants_email, subscriber.wants_sms) == (True, False)
    assert list(subscriber.consents.values_list("channel", flat=True)) == ["email"]
    assert _copies(subscriber) == [(True, False)]

    # The text's own link, followed later, starts the texts (a button press, as for email).
    path = link_in(text, "confirm")
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    assert client.post(path).status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.wants_email, subscriber.wants_sms) == (True, True)
    assert sorted(subscriber.consents.values_list("channel", flat=True)) == ["email", "sms"]
    assert "by text message" in subscriber.consents.get(channel="sms").evidence
    assert _copies(subscriber) == [(True, True)]
    # Following it again changes nothing and goes to the preference centre.
    again = client.get(path)
    assert again.status_code == 302 and "/stay-informed/preferences/" in again["Location"]
    assert subscriber.consents.count() == 2


@pytest.mark.django_db
def test_an_old_text_link_does_not_undo_turning_texts_off(area_tree: Any, caplog: Any) -> None:
    from beatbook.messaging import transactional

    subscriber = active_subscriber(area_tree)  # confirmed for both channels
    assert subscriber.confirmed_at is not None
    wording = subscriber.consents.get(channel="sms").wording_id
    old_link = transactional.confirmation_link(
        subscriber, wording_id=wording, via="sms", sent_at=subscriber.confirmed_at
    ).removeprefix(settings.SITE_URL)
    manage = links.manage_url(subscriber).removeprefix(settings.SITE_URL)
    Client().post(
        manage,
        {"channels": ["email"], "neighbourhoods": [str(area_tree.nbhd_a.pk)], "interests": interest_ids("burglary"),
         "language": "en", "email_format": "html", "frequency": "immediate"},
    )  # fmt: skip
    subscriber.refresh_from_db()
    assert not subscriber.wants_sms
    assert Client().get(old_link).status_code == 302  # straight to the preference centre
    Client().post(old_link)
    subscriber.refresh_from_db()
    assert not subscriber.wants_sms and subscriber.consents.get(channel="sms").withdrawn_at is not None


@pytest.mark.django_db
def test_turning_on_a_never_confirmed_number_sends_a_link_instead(
    area_tree: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from beatbook.messaging import subscriber_services as services
    from beatbook.messaging.models import Subscriber

    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    subscriber = active_subscriber(area_tree, wants_sms=False)  # the number was never confirmed
    pending = Subscriber.objects.get(pk=subscriber.pk)
    assert (pending.wants_email, pending.wants_sms) == (True, False)
    manage = links.manage_url(subscriber).removeprefix(settings.SITE_URL)
    form = {"channels": ["email", "sms"], "neighbourhoods": [str(area_tree.nbhd_a.pk)],
            "interests": interest_ids("burglary"), "language": "en", "email_format": "html", "frequency": "immediate"}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(manage, form)
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert not subscriber.wants_sms and not subscriber.consents.filter(channel="sms").exists()
    (text,) = _texts(caplog)
    assert "+447700900111" in text
    Client().post(link_in(text, "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.wants_sms and subscriber.consents.filter(channel="sms", withdrawn_at__isnull=True).exists()
    # Once proved, turning it off and on again is a plain consent, with no new link.
    caplog.clear()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(manage, {**form, "channels": ["email"]})
        Client().post(manage, form)
    subscriber.refresh_from_db()
    assert subscriber.wants_sms and not _texts(caplog)
    assert services.channel_awaiting_confirmation(subscriber, "sms", subscriber.confirmed_at) is False
