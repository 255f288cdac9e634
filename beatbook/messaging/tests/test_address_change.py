"""Changing the email address or mobile number in the preference centre, through a real SMTP
server (and the logging SMS provider): the link goes to the new address and only it makes the
change; the old address is told; clashes, stale, expired, forged and erased-person links change
nothing; bad input is explained on its field."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from beatbook.messaging import links, subscriber_services
from beatbook.messaging.models import Subscriber, SubscriberArea, SubscriberStatus

from .test_public_pages import active_subscriber, sign_up
from .test_subscribers_support import (  # noqa: F401 - fixtures
    _fresh_cache,
    body_of,
    link_in,
    postcodes_fixture,
    smtp_server_fixture,
)

SENT_AFTER_CHANGE = "/stay-informed/check-your-messages/?about=change"


def _manage(subscriber: Subscriber) -> str:
    return links.manage_url(subscriber).removeprefix(settings.SITE_URL)


def _change(client: Client, capture: Any, subscriber: Subscriber, **fields: str) -> Any:
    """Post the contact-details form, the boxes holding what is there now unless given."""
    data = {"form": "contact", "email": subscriber.email, "phone": subscriber.phone, **fields}
    with capture(execute=True):
        return client.post(_manage(subscriber), data)


def _follow(client: Client, capture: Any, path: str) -> Any:
    """Press the button on the page a change link opens (what it sends goes out on commit)."""
    with capture(execute=True):
        return client.post(path)


def _texts(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if "text message" in r.getMessage()]


def _live_channels(subscriber: Subscriber) -> list[str]:
    return sorted(subscriber.consents.filter(withdrawn_at__isnull=True).values_list("channel", flat=True))


@pytest.fixture
def subscriber(area_tree: Any, smtp_server: Any) -> Subscriber:
    """Active by email (pat@example.org) and text (+447700900111), both confirmed."""
    return active_subscriber(area_tree)


@pytest.mark.django_db
def test_a_new_email_address_gets_the_link_and_the_old_one_is_told(
    subscriber: Subscriber, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    response = _change(client, django_capture_on_commit_callbacks, subscriber, email=" New@Example.org ")
    assert response.status_code == 302 and response["Location"] == SENT_AFTER_CHANGE
    page = client.get(response["Location"]).content.decode()
    assert "keep going to the address or number you have now" in page
    # Nothing changes, and the old address hears nothing, until the new one is proven.
    (mail,) = smtp_server.wait_for(1)
    assert mail["X-Envelope-To"] == "new@example.org"
    assert "Confirm your new email address" in mail["Subject"]
    subscriber.refresh_from_db()
    assert subscriber.email == "pat@example.org" and subscriber.wants_email

    path = link_in(body_of(mail), "confirm")
    shown = client.get(path)
    assert shown.status_code == 200 and "new@example.org" in shown.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "pat@example.org"  # GET (a mail scanner) changes nothing
    done = _follow(client, django_capture_on_commit_callbacks, path)
    assert done.status_code == 302 and done["Location"] == links.manage_url(subscriber)
    assert "Your email address has been changed" in client.get(_manage(subscriber)).content.decode()

    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.phone, subscriber.wants_email, subscriber.wants_sms) == (
        "new@example.org", "+447700900111", True, True,
    )  # fmt: skip
    assert subscriber_services._proven(subscriber, "email")
    emails = subscriber.consents.filter(channel="email").order_by("given_at")
    assert [c.withdrawn_at is None for c in emails] == [False, True]  # the old address's consent ended
    evidence = emails.last().evidence  # type: ignore[union-attr]
    assert "Changed the email address" in evidence and "by email" in evidence
    assert "example.org" not in evidence
    assert _live_channels(subscriber) == ["email", "sms"]
    assert list(SubscriberArea.objects.filter(subscriber=subscriber).values_list("wants_email", "wants_sms")) == [
        (True, True)
    ]

    notices = smtp_server.wait_for(2)
    assert len(notices) == 2 and notices[1]["X-Envelope-To"] == "pat@example.org"
    assert "has changed" in notices[1]["Subject"]
    assert "/stay-informed/preferences/" in body_of(notices[1])
    assert "new@example.org" not in body_of(notices[1])
    # The same link again changes nothing more.
    assert _follow(client, django_capture_on_commit_callbacks, path).status_code == 302
    assert subscriber.consents.filter(channel="email").count() == 2
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db
def test_a_mobile_number_never_given_is_added_by_the_link_sent_to_it(
    area_tree: Any, smtp_server: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    subscriber = active_subscriber(area_tree, phone="", wants_sms=False)
    response = _change(Client(), django_capture_on_commit_callbacks, subscriber, phone="07700 900333")
    assert response["Location"] == SENT_AFTER_CHANGE
    (text,) = _texts(caplog)
    assert "+447700900333" in text and "Confirm your new mobile number" in text
    assert _follow(Client(), django_capture_on_commit_callbacks, link_in(text, "confirm")).status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.phone, subscriber.wants_sms) == ("+447700900333", True)
    assert _live_channels(subscriber) == ["email", "sms"]
    assert len(_texts(caplog)) == 1  # there was no old number to tell
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_forged_or_expired_link_is_refused(
    subscriber: Subscriber, area_tree: Any, smtp_server: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="new@example.org")
    path = link_in(body_of(smtp_server.wait_for(1)[0]), "confirm")
    confirm, _sep, token = path.partition("?c=")
    forged = f"{confirm}?c={token[:-3]}{'abc' if not token.endswith('abc') else 'xyz'}"
    for bad in (forged, f"{confirm}?c="):
        assert Client().get(bad).status_code == 404
        assert Client().post(bad).status_code == 404
    # Another subscriber's token on this subscriber's confirm link.
    other = active_subscriber(area_tree, email="other@example.org", phone="")
    theirs = links.address_change_url(
        other, channel="email", address="x@example.org", previous="other@example.org", wording_id=None,
        sent_at=timezone.now(),
    )  # fmt: skip
    assert Client().post(f"{confirm}?c={theirs.partition('?c=')[2]}").status_code == 404

    def made_days_ago(days: float) -> str:
        real = time.time
        with monkeypatch.context() as patch:
            patch.setattr(time, "time", lambda: real() - days * 86400)
            url = links.address_change_url(
                subscriber, channel="email", address="new@example.org", previous="pat@example.org",
                wording_id=None, sent_at=timezone.now(),
            )  # fmt: skip
        # A fresh confirm link around the old token: the token's own age is what is tested.
        return links.confirm_url(subscriber).removeprefix(settings.SITE_URL) + "?c=" + url.partition("?c=")[2]

    assert _follow(Client(), django_capture_on_commit_callbacks, made_days_ago(8)).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.email == "pat@example.org" and len(smtp_server.messages) == 1
    assert Client().post(made_days_ago(6)).status_code == 302  # a week is allowed
    subscriber.refresh_from_db()
    assert subscriber.email == "new@example.org"


@pytest.mark.django_db
def test_an_address_another_subscriber_has_changes_nothing_and_says_so(
    subscriber: Subscriber, area_tree: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    other = active_subscriber(area_tree, email="taken@example.org", phone="+447700900999")
    client = Client()
    free = _change(client, django_capture_on_commit_callbacks, subscriber, email="free@example.org")
    taken = _change(client, django_capture_on_commit_callbacks, subscriber, email="Taken@example.org")
    # The page and the message sent say the same for a free address and a taken one.
    assert free["Location"] == taken["Location"] == SENT_AFTER_CHANGE
    first, second = smtp_server.wait_for(2)
    assert first["Subject"] == second["Subject"] and second["X-Envelope-To"] == "taken@example.org"
    consents_before = subscriber.consents.count()

    path = link_in(body_of(second), "confirm")
    assert client.get(path).status_code == 200
    response = _follow(client, django_capture_on_commit_callbacks, path)
    assert response.status_code == 200
    assert "already on our list" in response.content.decode() and "Nothing has changed" in response.content.decode()
    subscriber.refresh_from_db()
    other.refresh_from_db()
    assert subscriber.email == "pat@example.org" and other.email == "taken@example.org"
    assert other.status == SubscriberStatus.ACTIVE
    assert subscriber.consents.count() == consents_before
    assert len(smtp_server.messages) == 2  # the old address was not told of a change that did not happen
    # The free address's link still works.
    assert client.post(link_in(body_of(first), "confirm")).status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.email == "free@example.org"


@pytest.mark.django_db
def test_an_unconfirmed_sign_up_gives_up_the_address_its_owner_proves(
    subscriber: Subscriber, postcodes: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_up(Client(), django_capture_on_commit_callbacks, email="mine@example.org")
    pending = Subscriber.objects.get(email="mine@example.org")
    assert pending.status == SubscriberStatus.PENDING
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="mine@example.org")
    Client().post(link_in(body_of(smtp_server.wait_for(2)[1]), "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.email == "mine@example.org"
    assert not Subscriber.objects.filter(pk=pending.pk).exists()


@pytest.mark.django_db
def test_a_link_for_details_changed_since_is_out_of_date(
    subscriber: Subscriber, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="one@example.org")
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="two@example.org")
    one, two = (link_in(body_of(m), "confirm") for m in smtp_server.wait_for(2))
    assert _follow(Client(), django_capture_on_commit_callbacks, two).status_code == 302
    stale = _follow(Client(), django_capture_on_commit_callbacks, one)
    assert stale.status_code == 200 and "out of date" in stale.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "two@example.org"


@pytest.mark.django_db
def test_removing_the_only_channel_is_refused_on_its_field(
    area_tree: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # The number was given but never confirmed, so emails are the only messages this person gets.
    subscriber = active_subscriber(area_tree, wants_sms=False)
    assert (subscriber.wants_email, subscriber.wants_sms) == (True, False)
    response = _change(Client(), django_capture_on_commit_callbacks, subscriber, email="")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#email">Keep an email address or a mobile number' in html
    assert 'id="email-error"' in html and "govuk-input--error" in html
    assert "<title>Error:" in html
    subscriber.refresh_from_db()
    assert subscriber.email == "pat@example.org" and subscriber.wants_email
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_removing_one_of_two_channels_stops_it_and_tells_that_address(
    subscriber: Subscriber, smtp_server: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    client = Client()
    response = _change(client, django_capture_on_commit_callbacks, subscriber, phone="")
    assert response.status_code == 302 and response["Location"] == links.manage_url(subscriber)
    assert "will not send messages to the address you removed" in client.get(_manage(subscriber)).content.decode()
    subscriber.refresh_from_db()
    assert (subscriber.phone, subscriber.wants_sms, subscriber.email) == ("", False, "pat@example.org")
    assert _live_channels(subscriber) == ["email"]
    assert list(SubscriberArea.objects.filter(subscriber=subscriber).values_list("wants_sms", flat=True)) == [False]
    (notice,) = _texts(caplog)
    assert "+447700900111" in notice and "/stay-informed/preferences/" in notice
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_number_never_confirmed_is_removed_without_a_text_to_it(
    area_tree: Any, smtp_server: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    subscriber = active_subscriber(area_tree, wants_sms=False)
    response = _change(Client(), django_capture_on_commit_callbacks, subscriber, phone="")
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.phone == "" and subscriber.email == "pat@example.org"
    assert _texts(caplog) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "not an address"}, "email", "correct format"),
        ({"phone": "12345"}, "phone", "Enter a UK mobile number"),
        ({}, "email", "These are the ones we already have"),
    ],
)
def test_bad_input_is_explained_on_its_field(
    subscriber: Subscriber,
    smtp_server: Any,
    django_capture_on_commit_callbacks: Any,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = _change(Client(), django_capture_on_commit_callbacks, subscriber, **fields)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<a href="#{field}">' in html and message in html
    assert f'id="{field}-error"' in html
    assert f'aria-describedby="{field}-error"' in html or f'aria-describedby="phone-hint {field}-error"' in html
    for typed in fields.values():
        assert f'value="{typed}"' in html  # what was typed is kept in its box
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_an_erased_subscribers_old_link_does_nothing(
    subscriber: Subscriber, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="new@example.org")
    path = link_in(body_of(smtp_server.wait_for(1)[0]), "confirm")
    assert Client().get(path).status_code == 200  # the link worked until erasure
    subscriber_services.subscriber_erase(subscriber=subscriber)
    assert Client().get(path).status_code == 404
    assert _follow(Client(), django_capture_on_commit_callbacks, path).status_code == 404
    subscriber.refresh_from_db()
    assert (subscriber.status, subscriber.email, subscriber.phone) == (SubscriberStatus.ERASED, "", "")
    assert not subscriber.consents.filter(withdrawn_at__isnull=True).exists()
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_an_unsubscribed_persons_link_changes_nothing(
    subscriber: Subscriber, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _change(Client(), django_capture_on_commit_callbacks, subscriber, email="new@example.org")
    path = link_in(body_of(smtp_server.wait_for(1)[0]), "confirm")
    subscriber_services.unsubscribe(subscriber=subscriber)
    response = _follow(Client(), django_capture_on_commit_callbacks, path)
    assert response.status_code == 200 and "has been cancelled" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.email == "pat@example.org"


@pytest.mark.django_db
def test_change_links_are_rate_limited_per_subscriber_and_per_address(
    subscriber: Subscriber, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    for n in range(subscriber_services.SENDS_PER_ADDRESS_PER_HOUR):
        assert (
            _change(client, django_capture_on_commit_callbacks, subscriber, email=f"n{n}@example.org").status_code
            == 302
        )
    refused = _change(client, django_capture_on_commit_callbacks, subscriber, email="n9@example.org")
    assert refused.status_code == 200 and "too many changes" in refused.content.decode()
    assert len(smtp_server.wait_for(3)) == 3
    # One address is sent no more than sign-up would send it, whoever asks.
    from django.core.cache import cache

    cache.clear()
    for _ in range(subscriber_services.SENDS_PER_ADDRESS_PER_HOUR):
        sign_up_mail = subscriber_services._may_send("busy@example.org")
        assert sign_up_mail
    limited = _change(client, django_capture_on_commit_callbacks, subscriber, email="busy@example.org")
    assert limited["Location"] == SENT_AFTER_CHANGE  # the page does not say
    time.sleep(0.2)
    assert len(smtp_server.messages) == 3


@pytest.mark.django_db
def test_the_check_your_messages_page_explains_two_links_after_giving_both(
    postcodes: Any, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    both = sign_up(client, django_capture_on_commit_callbacks, email="both@example.org", phone="07700 900222")
    one = sign_up(client, django_capture_on_commit_callbacks, email="one@example.org")
    assert both["Location"] == "/stay-informed/check-your-messages/?about=both"
    assert one["Location"] == "/stay-informed/check-your-messages/"
    assert "two messages: one to each" in client.get(both["Location"]).content.decode()
    assert "two messages" not in client.get(one["Location"]).content.decode()
    assert "two messages" not in client.get("/stay-informed/check-your-messages/?about=nonsense").content.decode()
