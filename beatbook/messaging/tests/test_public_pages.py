"""The public "Stay informed" pages over HTTP: sign-up with a real SMTP server, confirmation,
the same person twice, errors on their fields, the preference centre, download, erasure,
unsubscribe (with RFC 8058's one-click POST), and the click, open and rating links."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.conf import settings
from django.db import models
from django.test import Client

from beatbook.areas.models import Area, Level
from beatbook.messaging import links
from beatbook.messaging.models import (
    Consent,
    ConsentMethod,
    ConsentWording,
    Delivery,
    DeliveryStatus,
    Message,
    MessagingSettings,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)

from .test_subscribers_support import (  # noqa: F401 - fixtures
    _fresh_cache,
    body_of,
    interest_ids,
    link_in,
    postcodes_fixture,
    signup_post,
    smtp_server_fixture,
)

SIGNUP = "/stay-informed/"


def sign_up(client: Client, capture: Any, **overrides: Any) -> Any:
    with capture(execute=True):
        response = client.post(SIGNUP, signup_post(**overrides))
    return response


def confirm_from_mail(client: Client, smtp_server: Any, address: str) -> Subscriber:
    mail = smtp_server.wait_for(1)
    assert mail, "no email arrived"
    path = link_in(body_of(smtp_server.to(address)[-1]), "confirm")
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{settings.SITE_URL}/stay-informed/preferences/")
    return Subscriber.objects.get(email=address)


@pytest.fixture
def message(area_tree: Any) -> Message:
    return Message.objects.create(
        force=area_tree.force, kind="alert", subject="Burglaries on Elm Road", body="Lock your sheds.",
        signature_name="PC Test", channels=["email"],
    )  # fmt: skip


def make_delivery(message: Message, subscriber: Subscriber, status: str = DeliveryStatus.SENT) -> Delivery:
    return Delivery.objects.create(message=message, subscriber=subscriber, channel="email", status=status)


# --- sign-up and confirmation ---------------------------------------------------------------


@pytest.mark.django_db
def test_signup_page_is_public_for_every_persona(users: Any, login_as: Any) -> None:
    assert Client().get(SIGNUP).status_code == 200
    for user in users.all().values():
        response = login_as(Client(), user).get(SIGNUP)
        assert response.status_code == 200, user.username
        assert "Testshire Police" in response.content.decode()


@pytest.mark.django_db
def test_confirmation_email_arrives_over_smtp_and_its_link_confirms(
    smtp_server: Any, postcodes: Any, area_tree: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    response = sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/stay-informed/check-your-messages/"
    pending = Subscriber.objects.get()
    assert pending.status == SubscriberStatus.PENDING and pending.email == "resident@example.org"
    assert pending.postcode == "AB1 1AA" and pending.home_lsoa == area_tree.lsoas["E01900001"]
    # Nobody is counted in an audience before confirming.
    assert list(SubscriberArea.objects.values_list("area__code", "active")) == [("NB-A", False)]
    mail = smtp_server.wait_for(1)
    assert len(mail) == 1 and mail[0]["To"] == "resident@example.org"
    assert "Confirm your subscription" in mail[0]["Subject"]

    subscriber = confirm_from_mail(client, smtp_server, "resident@example.org")
    assert subscriber.status == SubscriberStatus.ACTIVE and subscriber.confirmed_at is not None
    assert list(SubscriberArea.objects.values_list("active", "wants_email", "wants_sms", "language")) == [
        (True, True, False, "en")
    ]
    consent = Consent.objects.get()
    assert (consent.channel, consent.method, consent.wording.version) == ("email", ConsentMethod.WEB_FORM, "1")
    assert "confirmation link" in consent.evidence and "by email" in consent.evidence
    assert "resident@example.org" not in consent.evidence
    # Confirming again changes nothing.
    client.post(link_in(body_of(smtp_server.messages[-1]), "confirm"))
    assert Consent.objects.count() == 1


@pytest.mark.django_db
def test_the_confirm_link_needs_a_button_press_so_mail_scanners_do_not_confirm(
    smtp_server: Any, postcodes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_up(Client(), django_capture_on_commit_callbacks)
    path = link_in(body_of(smtp_server.wait_for(1)[0]), "confirm")
    assert Client().get(path).status_code == 200
    assert Subscriber.objects.get().status == SubscriberStatus.PENDING
    assert Client().get(path.replace("/confirm/", "/confirm/x")).status_code == 404


@pytest.mark.django_db
def test_signing_up_twice_makes_one_subscriber_and_reveals_nothing(
    smtp_server: Any, postcodes: Any, area_tree: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    first = sign_up(client, django_capture_on_commit_callbacks)
    second = sign_up(client, django_capture_on_commit_callbacks, email="resident@EXAMPLE.org ", postcode="AB2 2BB")
    assert Subscriber.objects.count() == 1
    assert list(SubscriberArea.objects.values_list("area__code", flat=True)) == ["NB-B"]  # updated
    confirm_from_mail(client, smtp_server, "resident@example.org")
    third = sign_up(client, django_capture_on_commit_callbacks)
    assert first["Location"] == second["Location"] == third["Location"]
    assert Subscriber.objects.count() == 1 and Subscriber.objects.get().status == SubscriberStatus.ACTIVE
    mail = smtp_server.wait_for(3)
    assert len(mail) == 3
    assert "already subscribed" in mail[2]["Subject"]
    assert "/stay-informed/preferences/" in body_of(mail[2])
    assert "/stay-informed/confirm/" not in body_of(mail[2])


@pytest.mark.django_db
def test_signups_cannot_flood_an_inbox(
    smtp_server: Any, postcodes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for _ in range(6):
        response = sign_up(Client(), django_capture_on_commit_callbacks)
        assert response.status_code == 302
    smtp_server.wait_for(3)
    assert len(smtp_server.messages) == 3
    assert Subscriber.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-address", "Enter an email address in the correct format"),
        ("phone", "01162 222222", "Enter a UK mobile number"),
        ("phone", "+33 6 12 34 56 78", "Enter a UK mobile number"),
        ("postcode", "NOTAPOSTCODE", "Enter a full UK postcode"),
        ("postcode", "ZZ9 9ZZ", "We do not know this postcode"),
    ],
)
def test_a_bad_email_number_or_postcode_is_explained_on_its_field(
    postcodes: Any, field: str, value: str, message: str
) -> None:
    response = Client().post(SIGNUP, signup_post(**{field: value}))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="{field}-error"' in html
    error = html.split(f'id="{field}-error"')[1].split("</p>")[0]
    assert message in error
    assert f'<a href="#{field}">{message}' in html  # the summary links to the field
    assert f'value="{value}"' in html  # what was typed stays
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_missing_contact_consent_and_place_are_each_named(area_tree: Any) -> None:
    response = Client().post(SIGNUP, signup_post(email="", postcode="", consent=None, interests=[]))
    html = response.content.decode()
    for field in ("email", "neighbourhoods", "interests", "consent"):
        assert f'id="{field}-error"' in html, field
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_a_mobile_number_is_stored_in_e164_and_gets_a_text(
    area_tree: Any, postcodes: Any, caplog: Any, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level(logging.INFO, logger="beatbook.messaging")
    client = Client()
    sign_up(
        client, django_capture_on_commit_callbacks, email="", phone="07700 900123",
        postcode="", neighbourhoods=[str(area_tree.nbhd_c.pk)],
    )  # fmt: skip
    subscriber = Subscriber.objects.get()
    assert subscriber.phone == "+447700900123" and subscriber.wants_sms and not subscriber.wants_email
    texts = [r.getMessage() for r in caplog.records if "text message" in r.getMessage()]
    assert len(texts) == 1 and "+447700900123" in texts[0]
    client.post(link_in(texts[0], "confirm"))
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert list(subscriber.consents.values_list("channel", flat=True)) == ["sms"]
    assert "by text message" in subscriber.consents.get().evidence


@pytest.mark.django_db
def test_a_site_with_several_forces_asks_which(area_tree: Any) -> None:
    Area.objects.create(level=Level.FORCE, code="OTHER", name="Otherford Police")
    html = Client().get(SIGNUP).content.decode()
    assert "?force=TESTSHIRE" in html and "?force=OTHER" in html
    chosen = Client().get(f"{SIGNUP}?force=TESTSHIRE").content.decode()
    assert "Abbeyfield" in chosen and 'name="force" value="TESTSHIRE"' in chosen
    assert Client().get(f"{SIGNUP}?force=NOPE").status_code == 404


@pytest.mark.django_db
def test_signup_page_in_urdu_is_right_to_left_and_translated(area_tree: Any) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    html = client.get(SIGNUP).content.decode()
    assert '<html lang="ur" dir="rtl"' in html
    assert "Get messages about your neighbourhood" not in html
    assert "Burglary" not in html  # the default interests are translated too
    assert 'option value="ur" lang="ur" dir="rtl" selected' in html


# --- the preference centre ------------------------------------------------------------------


def active_subscriber(area_tree: Any, **fields: Any) -> Subscriber:
    from beatbook.messaging import subscriber_services as services

    values = {"email": "pat@example.org", "phone": "+447700900111", "wants_email": True, "wants_sms": True}
    values.update(fields)
    subscriber = Subscriber.objects.create(
        force=area_tree.force, link_key=services.new_link_key(), status=SubscriberStatus.PENDING,
        postcode="AB1 1AA", home_lsoa=area_tree.lsoas["E01900001"], **values,
    )  # fmt: skip
    SubscriberArea.objects.create(subscriber=subscriber, area=area_tree.nbhd_a)
    SubscriberInterest.objects.create(subscriber=subscriber, interest_id=interest_ids("burglary")[0])
    return services.subscriber_confirm(subscriber=subscriber)


@pytest.mark.django_db
def test_preferences_change_areas_interests_channels_and_language(area_tree: Any) -> None:
    subscriber = active_subscriber(area_tree)
    path = links.manage_url(subscriber).removeprefix(settings.SITE_URL)
    page = Client().get(path)
    assert page.status_code == 200 and "pat@example.org" in page.content.decode()
    response = Client().post(
        path,
        {
            "channels": ["sms"],
            "neighbourhoods": [str(area_tree.nbhd_b.pk), str(area_tree.nbhd_c.pk)],
            "interests": [str(pk) for pk in interest_ids("road-safety")],
            "language": "pl",
            "email_format": "text",
            "frequency": "weekly",
        },
    )
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert (subscriber.wants_email, subscriber.wants_sms, subscriber.language) == (False, True, "pl")
    assert (subscriber.email_format, subscriber.frequency) == ("text", "weekly")
    assert sorted(SubscriberArea.objects.values_list("area__code", "active", "wants_email", "language")) == [
        ("NB-B", True, False, "pl"),
        ("NB-C", True, False, "pl"),
    ]
    assert list(subscriber.interest_links.values_list("interest__slug", flat=True)) == ["road-safety"]
    assert subscriber.consents.get(channel="email").withdrawn_at is not None
    assert subscriber.consents.get(channel="sms").withdrawn_at is None
    # The next page speaks Polish, the subscriber's language.
    assert '<html lang="pl"' in Client().get(path).content.decode()


@pytest.mark.django_db
def test_preferences_refuse_no_channel_on_the_field(area_tree: Any) -> None:
    subscriber = active_subscriber(area_tree)
    path = links.manage_url(subscriber).removeprefix(settings.SITE_URL)
    html = Client().post(path, {"neighbourhoods": [str(area_tree.nbhd_a.pk)], "interests": interest_ids("burglary"),
                                "language": "en", "email_format": "html", "frequency": "immediate"}).content.decode()  # fmt: skip
    assert 'id="channels-error"' in html and "at least one way" in html
    subscriber.refresh_from_db()
    assert subscriber.wants_email and subscriber.wants_sms


@pytest.mark.django_db
def test_download_holds_everything_about_the_subscriber(area_tree: Any, message: Message) -> None:
    subscriber = active_subscriber(area_tree)
    make_delivery(message, subscriber)
    response = Client().get(reverse_path("download", subscriber))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["details"]["email"] == "pat@example.org" and data["details"]["mobile"] == "+447700900111"
    assert data["details"]["postcode"] == "AB1 1AA"
    assert [a["code"] for a in data["areas"]] == ["NB-A"]
    assert [i["slug"] for i in data["interests"]] == ["burglary"]
    assert sorted(c["channel"] for c in data["consents"]) == ["email", "sms"]
    assert data["deliveries_summary"] == [{"channel": "email", "status": "sent", "count": 1}]
    assert data["recent_messages"][0]["subject"] == "Burglaries on Elm Road"


def reverse_path(name: str, subscriber: Subscriber) -> str:
    from django.urls import reverse

    token = links.subscriber_token(subscriber, links.Purpose.MANAGE)
    return reverse(f"stay_informed:{name}", kwargs={"token": token})


def text_values(subscriber: Subscriber) -> list[str]:
    """Every text column of every row that belongs to the subscriber."""
    found: list[str] = []
    rows: list[models.Model] = [subscriber, *subscriber.consents.all(), *subscriber.deliveries.all()]
    rows += [*subscriber.area_links.all(), *subscriber.interest_links.all(), *subscriber.digests.all()]
    for row in rows:
        for model_field in row._meta.concrete_fields:
            if isinstance(model_field, models.CharField | models.TextField):
                found.append(str(getattr(row, model_field.attname)))
    return found


@pytest.mark.django_db
def test_erasure_leaves_no_personal_data_but_keeps_the_counts(area_tree: Any, message: Message) -> None:
    subscriber = active_subscriber(area_tree)
    Consent.objects.filter(subscriber=subscriber).update(evidence="Form signed by Pat Example, pat@example.org")
    Delivery.objects.create(
        message=message, subscriber=subscriber, channel="email", error="550 pat@example.org unknown"
    )
    waiting = Delivery.objects.create(
        message=message, subscriber=subscriber, channel="sms", status=DeliveryStatus.PENDING
    )
    manage_path = links.manage_url(subscriber).removeprefix(settings.SITE_URL)
    assert any("pat@example.org" in value for value in text_values(subscriber))
    erase_path = reverse_path("erase", subscriber)
    assert Client().get(erase_path).status_code == 200
    response = Client().post(erase_path)
    assert response.status_code == 200 and "deleted" in response.content.decode()
    subscriber.refresh_from_db()
    for value in text_values(subscriber):
        for personal in ("pat@example.org", "Pat Example", "+447700900111", "7700900111", "AB1 1AA"):
            assert personal not in value
    assert subscriber.status == SubscriberStatus.ERASED and subscriber.home_lsoa is None
    assert SubscriberArea.objects.filter(subscriber=subscriber, area=area_tree.nbhd_a, active=False).count() == 1
    assert Subscriber.objects.filter(force=area_tree.force).count() == 1
    assert all(c.withdrawn_at is not None for c in subscriber.consents.all())
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.SKIPPED
    assert Client().get(manage_path).status_code == 404  # every old link is dead


# --- unsubscribe ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_click_unsubscribe_needs_no_csrf_token_or_session(area_tree: Any, message: Message) -> None:
    subscriber = active_subscriber(area_tree)
    sent = make_delivery(message, subscriber)
    held = make_delivery(Message.objects.create(force=area_tree.force, kind="alert", subject="Later", body=".",
                                                signature_name="PC", channels=["email"]), subscriber, DeliveryStatus.HELD)  # fmt: skip
    url = links.unsubscribe_url(subscriber, delivery_id=sent.pk)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        url.removeprefix(settings.SITE_URL),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    sent.refresh_from_db()
    held.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert sent.unsubscribed_at is not None and held.status == DeliveryStatus.SKIPPED
    assert not SubscriberArea.objects.filter(subscriber=subscriber, active=True).exists()
    assert all(c.withdrawn_at is not None for c in subscriber.consents.all())


@pytest.mark.django_db
def test_the_unsubscribe_page_shows_a_button_and_its_post_is_csrf_checked(area_tree: Any) -> None:
    subscriber = active_subscriber(area_tree)
    path = links.unsubscribe_url(subscriber).removeprefix(settings.SITE_URL)
    client = Client(enforce_csrf_checks=True)
    page = client.get(path)
    assert page.status_code == 200 and Subscriber.objects.get().status == SubscriberStatus.ACTIVE
    # Any other body than exactly the one-click form is a normal form post, and needs CSRF.
    assert client.post(path, {"confirm": "yes"}).status_code == 403
    assert client.post(path, {"List-Unsubscribe": "One-Click", "x": "1"}).status_code == 403
    assert Subscriber.objects.get().status == SubscriberStatus.ACTIVE
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(path, {"confirm": "yes", "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and "You have been unsubscribed" in response.content.decode()
    assert Subscriber.objects.get().status == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.django_db
def test_an_unsubscribe_link_with_a_forged_token_is_refused(area_tree: Any) -> None:
    subscriber = active_subscriber(area_tree)
    manage_token = links.subscriber_token(subscriber, links.Purpose.MANAGE)
    response = Client().post(f"/stay-informed/unsubscribe/{manage_token}/", data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 404
    assert Subscriber.objects.get().status == SubscriberStatus.ACTIVE


# --- links in messages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_click_links_count_and_redirect_only_to_signed_targets(area_tree: Any, message: Message) -> None:
    delivery = make_delivery(message, active_subscriber(area_tree))
    url = links.click_url(delivery.pk, "https://www.example.org/appeal").removeprefix(settings.SITE_URL)
    for _ in range(2):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"] == "https://www.example.org/appeal"
    delivery.refresh_from_db()
    assert delivery.clicks == 2 and delivery.clicked_at is not None
    assert Client().get("/stay-informed/l/https%3A%2F%2Fevil.example/").status_code == 404
    javascript = links.click_url(delivery.pk, "javascript:alert(1)").removeprefix(settings.SITE_URL)
    assert Client().get(javascript).status_code == 404


@pytest.mark.django_db
def test_opens_are_recorded_only_when_the_force_turned_tracking_on(area_tree: Any, message: Message) -> None:
    delivery = make_delivery(message, active_subscriber(area_tree))
    url = links.open_url(delivery.pk).removeprefix(settings.SITE_URL)
    response = Client().get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    delivery.refresh_from_db()
    assert delivery.opened_at is None
    MessagingSettings.objects.create(force=area_tree.force, open_tracking=True)
    Client().get(url)
    delivery.refresh_from_db()
    assert delivery.opened_at is not None
    assert Client().get("/stay-informed/o/forged/").status_code == 200  # an image whatever


@pytest.mark.django_db
def test_rating_needs_a_button_press(area_tree: Any, message: Message) -> None:
    delivery = make_delivery(message, active_subscriber(area_tree))
    url = links.rate_url(delivery.pk, useful=False).removeprefix(settings.SITE_URL)
    page = Client().get(url)
    assert page.status_code == 200 and "Burglaries on Elm Road" in page.content.decode()
    delivery.refresh_from_db()
    assert delivery.useful is None
    assert Client().post(url).status_code == 200
    delivery.refresh_from_db()
    assert delivery.useful is False
    Client().post(links.rate_url(delivery.pk, useful=True).removeprefix(settings.SITE_URL))
    delivery.refresh_from_db()
    assert delivery.useful is True
    assert Client().get(url.replace("/no/", "/maybe/")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["confirm", "manage", "download", "erase", "unsubscribe"])
def test_subscriber_pages_are_the_same_for_every_persona(area_tree: Any, users: Any, login_as: Any, name: str) -> None:
    subscriber = active_subscriber(area_tree)
    purpose = {"confirm": "confirm", "unsubscribe": "unsubscribe"}.get(name, "manage")
    from django.urls import reverse

    path = reverse(
        f"stay_informed:{name}", kwargs={"token": links.subscriber_token(subscriber, links.Purpose(purpose))}
    )
    expected = 302 if name == "confirm" else 200  # confirmed already: on to the preferences
    assert Client().get(path).status_code == expected
    for user in users.all().values():
        assert login_as(Client(), user).get(path).status_code == expected, user.username


@pytest.mark.django_db
def test_consent_wording_shown_is_the_one_recorded(
    smtp_server: Any, postcodes: Any, area_tree: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    sign_up(client, django_capture_on_commit_callbacks)
    # The wording changes between sign-up and confirmation: the consent names what was agreed.
    ConsentWording.objects.create(force=area_tree.force, version="2", text="New words.")
    confirm_from_mail(client, smtp_server, "resident@example.org")
    assert Consent.objects.get().wording.version == "1"


@pytest.mark.django_db
def test_the_confirmation_email_is_in_the_subscribers_language(
    smtp_server: Any, postcodes: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sign_up(Client(), django_capture_on_commit_callbacks, language="cy")
    mail = smtp_server.wait_for(1)[0]
    assert "Cadarnhewch eich tanysgrifiad i negeseuon Testshire Police" in mail["Subject"]
    assert "Mae'r ddolen yn gweithio am 7 diwrnod." in body_of(mail)
    assert "/stay-informed/confirm/" in body_of(mail)
