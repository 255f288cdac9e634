"""A survey invitation's link carries its delivery, and a response through it is that message's conversion."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.test import Client

from beatbook.messaging import links
from beatbook.messaging.models import Delivery, Message, MessageKind, Subscriber
from beatbook.surveys.models import Survey
from beatbook.surveys.tests.survey_fixtures import make_survey
from beatbook.surveys.tests.test_public_form import full_answers, open_wave

pytestmark = pytest.mark.django_db


def invitation_delivery(area_tree: Any, survey: Survey | None) -> Delivery:
    message = Message.objects.create(
        force=area_tree.force,
        kind=MessageKind.SURVEY,
        subject="Tell us what you think",
        body="Please answer Your Views.",
        signature_name="PC Example",
        channels=["email"],
        survey=survey,
        status="sent",
    )
    subscriber = Subscriber.objects.create(
        force=area_tree.force, email=f"{secrets.token_hex(4)}@example.org", link_key=secrets.token_hex(16)
    )
    return Delivery.objects.create(message=message, subscriber=subscriber, channel="email", status="sent")


def test_a_response_from_an_invitation_link_is_counted_once(area_tree: Any) -> None:
    survey = make_survey(area_tree)
    open_wave(survey)
    delivery = invitation_delivery(area_tree, survey)
    token = links.conversion_token(delivery.pk)
    client = Client()
    url = f"/your-views/{survey.slug}/"
    page = client.get(url, {"d": token}).content.decode()
    assert f'name="d" value="{token}"' in page
    # A wrong answer keeps the invitation on the page that comes back ...
    again = client.post(url, {**full_answers(area_tree), "feel-safe": "nonsense", "d": token}).content.decode()
    assert f'name="d" value="{token}"' in again
    delivery.refresh_from_db()
    assert delivery.converted_at is None
    # ... and the response sent counts as the message's conversion.
    assert client.post(url, {**full_answers(area_tree), "d": token}).status_code == 302
    delivery.refresh_from_db()
    first = delivery.converted_at
    assert first is not None
    client.post(url, {**full_answers(area_tree), "d": token, "main-concern": "Parking"})
    delivery.refresh_from_db()
    assert delivery.converted_at == first


def test_a_forged_or_other_survey_link_converts_nothing(area_tree: Any) -> None:
    survey = make_survey(area_tree)
    open_wave(survey)
    elsewhere = invitation_delivery(area_tree, None)  # a survey message for no survey of ours
    url = f"/your-views/{survey.slug}/"
    client = Client()
    assert client.post(url, {**full_answers(area_tree), "d": links.conversion_token(elsewhere.pk)}).status_code == 302
    assert client.post(url, {**full_answers(area_tree), "d": "12.forged"}).status_code == 302
    elsewhere.refresh_from_db()
    assert elsewhere.converted_at is None
