"""Every page of the demo, found from the URL resolver, opened in Chromium with axe-core.

The table below names, for each URL pattern, who opens it and at which demo address, or why
it is not a page (JSON, GeoJSON, a POST-only action). A new URL pattern missing from the
table fails the test, so no page can escape the accessibility check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level
from beatbook.core.demo.survey import SURVEY_SLUG
from beatbook.crime.models import IncidentFlag

from .browser import assert_accessible
from .test_authorization_matrix import all_routes

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

NOT_PAGES = {
    "accounts:logout": "POST only (the header's sign-out button)",
    "accounts:token_revoke": "POST only",
    "immediate_response:flag_close": "POST only",
    "set_language": "POST only (the footer's language form)",
    "areas:geojson": "GeoJSON for the map",
    "crime:points": "GeoJSON for the crime map",
    "activity:export_csv": "a CSV download",
    "activity:export_xlsx": "an XLSX download",
    "compliance:pack_pdf": "a PDF download",
    "compliance:pack_xlsx": "an XLSX download",
    "surveys:map_geojson": "GeoJSON for the survey map",
    "surveys:download": "a CSV or XLSX download",
    "stay_informed:download": "a JSON download of one's own data",
    "stay_informed:click": "a redirect to the link's destination",
    "stay_informed:open": "a tracking image",
    "messaging_callbacks:notify": "GOV.UK Notify's status callbacks (POST, machine to machine)",
    "messaging:audience": "an HTMX fragment of the compose page",
    "messaging:approve": "POST only (the detail page's approve button)",
    "messaging:return": "POST only (the detail page's return form)",
    "messaging:export": "a CSV or XLSX download",
    "messaging:reach_geojson": "GeoJSON for the reach map",
}


class Demo:
    def __init__(self) -> None:
        from beatbook.core.demo import build_demo

        self.result = build_demo(seed=2026)
        self.force: Area = self.result.force
        self.users = {u.role: u for u in User.objects.filter(username__in=[x.username for x in self.result.logins])}
        self.officer = self.users[Role.OFFICER]
        self.commander = self.users[Role.COMMANDER]
        assert self.officer.area is not None and self.commander.area is not None
        self.neighbourhood: Area = self.officer.area
        self.npa: Area = self.commander.area
        lsoa = Area.objects.filter(level=Level.LSOA, parent=self.neighbourhood).order_by("code").first()
        ward = Area.objects.filter(level=Level.WARD, force=self.force).order_by("code").first()
        assert lsoa is not None and ward is not None
        self.lsoa, self.ward = lsoa, ward
        from django.db.models import Count

        from beatbook.activity.models import Activity, Standard

        # One the demo officer may edit: recorded for their neighbourhood alone.
        activity = (
            Activity.objects.annotate(link_count=Count("area_links"))
            .filter(link_count=1, area_links__area=self.neighbourhood)
            .order_by("-starts_at")
            .first()
        )
        standard = Standard.objects.filter(force__isnull=True).order_by("position").first()
        assert activity is not None and standard is not None
        self.activity, self.standard = activity, standard
        from beatbook.activity.models import Partner, Place

        partner = Partner.objects.filter(force=self.force).order_by("name").first()
        place = Place.objects.filter(neighbourhood=self.neighbourhood).order_by("name").first()
        assert partner is not None and place is not None, "the demo has partners and places"
        self.partner, self.place = partner, place
        from beatbook.surveys.models import Response

        # Flagged responses first: the review page is the one that matters most.
        response = Response.objects.filter(survey__slug=SURVEY_SLUG).order_by("-status").first()
        assert response is not None
        self.response = response
        self._messaging()

    def _messaging(self) -> None:
        from beatbook.messaging import links, message_services
        from beatbook.messaging.models import (
            Delivery,
            Message,
            MessageStatus,
            MessageTemplate,
            Subscriber,
            SubscriberStatus,
        )

        active = Subscriber.objects.filter(force=self.force, status=SubscriberStatus.ACTIVE).order_by("pk").first()
        pending = Subscriber.objects.filter(force=self.force, status=SubscriberStatus.PENDING).order_by("pk").first()
        delivery = Delivery.objects.filter(message__force=self.force).order_by("pk").first()
        template = MessageTemplate.objects.filter(force=self.force).order_by("pk").first()
        waiting = Message.objects.filter(force=self.force, status=MessageStatus.AWAITING_APPROVAL).first()
        assert active and pending and delivery and template and waiting, "the demo has messaging data"
        self.manage_token = links.subscriber_token(active, links.Purpose.MANAGE)
        self.unsubscribe_token = links.subscriber_token(active, links.Purpose.UNSUBSCRIBE)
        self.confirm_token = links.subscriber_token(pending, links.Purpose.CONFIRM)
        self.rate_path = links.rate_url(delivery.pk, useful=True).removeprefix(settings.SITE_URL)
        self.subscriber, self.template, self.waiting = active, template, waiting
        # A draft of the demo officer's, for the edit and send pages.
        self.draft = message_services.message_create(
            actor=self.officer,
            data=message_services.MessageData(
                kind="appeal",
                subject="Did you see a grey van on Tuesday night?",
                body="We are looking for anyone who saw a grey van near the shops between 10pm and midnight.",
                sms_body="",
                area_ids=[self.neighbourhood.pk],
                interest_ids=[],
                languages=[],
                channels=["email"],
            ),
        )


Visit = tuple[str | None, list[str]]  # (role signing in, or None for anonymous; paths)

PAGES: dict[str, Callable[[Demo], Visit]] = {
    "public:home": lambda d: (None, ["/"]),
    "your_views:form": lambda d: (None, [f"/your-views/{SURVEY_SLUG}/"]),
    "your_views:thanks": lambda d: (None, [f"/your-views/{SURVEY_SLUG}/thanks/"]),
    "your_views:about": lambda d: (None, ["/your-views/about/"]),
    "accounts:login": lambda d: (None, ["/staff/login/"]),
    "accounts:two_factor": lambda d: ("admin-unverified", ["/staff/two-factor/"]),
    "accounts:two_factor_setup": lambda d: (Role.OFFICER, ["/staff/two-factor/setup/"]),
    "accounts:password_change": lambda d: (Role.OFFICER, ["/staff/password/"]),
    "accounts:users": lambda d: (Role.ADMIN, ["/staff/users/"]),
    "accounts:user_create": lambda d: (Role.ADMIN, ["/staff/users/new/"]),
    "accounts:user_edit": lambda d: (Role.ADMIN, [f"/staff/users/{d.officer.pk}/"]),
    "accounts:audit": lambda d: (Role.ADMIN, ["/staff/audit/"]),
    "accounts:tokens": lambda d: (Role.ANALYST, ["/staff/tokens/"]),
    "areas:home": lambda d: (Role.COMMANDER, ["/staff/areas/"]),
    "areas:profile": lambda d: (
        Role.ANALYST,
        [
            f"/staff/areas/force/{d.force.code}/",
            f"/staff/areas/npa/{d.npa.code}/",
            f"/staff/areas/neighbourhood/{d.neighbourhood.code}/",
            f"/staff/areas/lsoa/{d.lsoa.code}/",
            f"/staff/areas/ward/{d.ward.code}/",
        ],
    ),
    "areas:map": lambda d: (Role.COMMANDER, [f"/staff/areas/npa/{d.npa.code}/map/?measure=ethnic_group"]),
    "crime:profile": lambda d: (
        Role.ANALYST,
        [
            f"/staff/crime/force/{d.force.code}/",
            f"/staff/crime/npa/{d.npa.code}/",
            f"/staff/crime/neighbourhood/{d.neighbourhood.code}/",
            f"/staff/crime/lsoa/{d.lsoa.code}/",
        ],
    ),
    "immediate_response:list": lambda d: (Role.ANALYST, ["/staff/immediate-response/"]),
    "immediate_response:flag_create": lambda d: (Role.OFFICER, ["/staff/immediate-response/flags/new/"]),
    "activity:list": lambda d: (Role.OFFICER, ["/staff/activity/", "/staff/activity/?with_partners=on"]),
    "activity:create": lambda d: (Role.OFFICER, ["/staff/activity/new/"]),
    "activity:detail": lambda d: (Role.OFFICER, [f"/staff/activity/{d.activity.pk}/"]),
    "activity:edit": lambda d: (Role.OFFICER, [f"/staff/activity/{d.activity.pk}/edit/"]),
    "activity:delete": lambda d: (Role.OFFICER, [f"/staff/activity/{d.activity.pk}/delete/"]),
    "compliance:overview": lambda d: (Role.ANALYST, ["/staff/compliance/"]),
    "compliance:team": lambda d: (
        Role.ANALYST,
        [f"/staff/compliance/neighbourhood/{d.neighbourhood.code}/", f"/staff/compliance/npa/{d.npa.code}/"],
    ),
    "activity:partners": lambda d: (Role.ANALYST, ["/staff/activity/partners/"]),
    "activity:partner_create": lambda d: (Role.COMMANDER, ["/staff/activity/partners/new/"]),
    "activity:partner_edit": lambda d: (Role.ADMIN, [f"/staff/activity/partners/{d.partner.pk}/"]),
    "activity:places": lambda d: (Role.OFFICER, ["/staff/activity/places/"]),
    "activity:place_create": lambda d: (Role.ADMIN, ["/staff/activity/places/new/"]),
    "activity:place_edit": lambda d: (Role.OFFICER, [f"/staff/activity/places/{d.place.pk}/"]),
    "compliance:standards": lambda d: (Role.ANALYST, ["/staff/compliance/standards/"]),
    "compliance:standard_create": lambda d: (Role.ADMIN, ["/staff/compliance/standards/new/"]),
    "compliance:standard_edit": lambda d: (Role.ADMIN, [f"/staff/compliance/standards/{d.standard.pk}/"]),
    "compliance:pack": lambda d: (Role.COMMANDER, [f"/staff/compliance/npa/{d.npa.code}/pack/"]),
    "surveys:list": lambda d: (Role.ANALYST, ["/staff/surveys/"]),
    "surveys:dashboard": lambda d: (
        Role.ANALYST,
        [f"/staff/surveys/{SURVEY_SLUG}/", f"/staff/surveys/{SURVEY_SLUG}/?area={d.neighbourhood.code}"],
    ),
    "surveys:map": lambda d: (Role.ANALYST, [f"/staff/surveys/{SURVEY_SLUG}/map/"]),
    "surveys:representation": lambda d: (
        Role.COMMANDER,
        [f"/staff/surveys/{SURVEY_SLUG}/representation/?area={d.npa.code}"],
    ),
    "surveys:concerns": lambda d: (Role.PARTNER, [f"/staff/surveys/{SURVEY_SLUG}/concerns/"]),
    "survey_manage:responses": lambda d: (Role.ADMIN, [f"/staff/surveys/{SURVEY_SLUG}/manage/responses/"]),
    "survey_manage:response": lambda d: (
        Role.ADMIN,
        [f"/staff/surveys/{SURVEY_SLUG}/manage/responses/{d.response.pk}/"],
    ),
    "survey_manage:enter": lambda d: (Role.OFFICER, [f"/staff/surveys/{SURVEY_SLUG}/manage/enter/"]),
    "survey_manage:themes": lambda d: (Role.ADMIN, [f"/staff/surveys/{SURVEY_SLUG}/manage/themes/"]),
    "survey_manage:theme_add": lambda d: (Role.ADMIN, [f"/staff/surveys/{SURVEY_SLUG}/manage/themes/add/"]),
    "survey_manage:theme_edit": lambda d: (Role.ADMIN, [f"/staff/surveys/{SURVEY_SLUG}/manage/themes/drugs/edit/"]),
    "stay_informed:signup": lambda d: (None, ["/stay-informed/"]),
    "stay_informed:sent": lambda d: (None, ["/stay-informed/check-your-messages/"]),
    "stay_informed:confirm": lambda d: (None, [f"/stay-informed/confirm/{d.confirm_token}/"]),
    "stay_informed:manage": lambda d: (None, [f"/stay-informed/preferences/{d.manage_token}/"]),
    "stay_informed:erase": lambda d: (None, [f"/stay-informed/preferences/{d.manage_token}/erase/"]),
    "stay_informed:unsubscribe": lambda d: (None, [f"/stay-informed/unsubscribe/{d.unsubscribe_token}/"]),
    "stay_informed:rate": lambda d: (None, [d.rate_path]),
    "messaging:list": lambda d: (Role.COMMANDER, ["/staff/messaging/"]),
    "messaging:compose": lambda d: (Role.OFFICER, ["/staff/messaging/new/"]),
    "messaging:detail": lambda d: (Role.ADMIN, [f"/staff/messaging/{d.waiting.pk}/"]),
    "messaging:edit": lambda d: (Role.OFFICER, [f"/staff/messaging/{d.draft.pk}/edit/"]),
    "messaging:send": lambda d: (Role.OFFICER, [f"/staff/messaging/{d.draft.pk}/send/"]),
    "messaging:cancel": lambda d: (Role.ADMIN, [f"/staff/messaging/{d.waiting.pk}/cancel/"]),
    "messaging:templates": lambda d: (Role.ADMIN, ["/staff/messaging/templates/"]),
    "messaging:template_create": lambda d: (Role.ADMIN, ["/staff/messaging/templates/new/"]),
    "messaging:template_edit": lambda d: (Role.ADMIN, [f"/staff/messaging/templates/{d.template.pk}/"]),
    "messaging:profile": lambda d: (Role.OFFICER, ["/staff/messaging/profile/"]),
    "messaging:settings": lambda d: (Role.ADMIN, ["/staff/messaging/settings/"]),
    "messaging:subscribers": lambda d: (Role.ANALYST, ["/staff/messaging/subscribers/"]),
    "messaging:subscriber_people": lambda d: (Role.ADMIN, ["/staff/messaging/subscribers/people/"]),
    "messaging:subscriber_detail": lambda d: (
        Role.ADMIN,
        [f"/staff/messaging/subscribers/people/{d.subscriber.pk}/"],
    ),
    "messaging:subscriber_erase": lambda d: (
        Role.ADMIN,
        [f"/staff/messaging/subscribers/people/{d.subscriber.pk}/erase/"],
    ),
}


def test_every_url_pattern_is_a_page_here_or_named_as_not_a_page() -> None:
    keys = {key for key in all_routes() if not key.startswith("api/")}
    missing = sorted(keys - set(PAGES) - set(NOT_PAGES))
    assert not missing, f"URL patterns neither walked nor explained: {missing}"
    stale = sorted((set(PAGES) | set(NOT_PAGES)) - keys)
    assert not stale, f"rows for URL patterns that no longer exist: {stale}"


def _cookie_for(user: User, *, verified: bool) -> dict[str, str]:
    from .browser import session_cookie

    if verified:
        return session_cookie(user)
    client = Client()
    client.force_login(user)  # signed in, but no one-time code entered yet
    return {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}


def test_every_page_of_the_demo_has_no_accessibility_violations(browser_context: Any, live_server: Any) -> None:
    demo = Demo()
    assert IncidentFlag.objects.count() == 0  # the list page shows the statistical flags only
    contexts: dict[str | None, Any] = {}
    for key, visit in PAGES.items():
        role, paths = visit(demo)
        if role not in contexts:
            context = browser_context()
            if role is not None:
                admin_unverified = role == "admin-unverified"
                user = demo.users[Role.ADMIN if admin_unverified else role]
                cookie = _cookie_for(user, verified=not admin_unverified)
                context.add_cookies([{**cookie, "url": live_server.url}])
            contexts[role] = context
        for path in paths:
            page = contexts[role].new_page()
            response = page.goto(path)
            assert response is not None and response.status == 200, f"{key} {path}: {response and response.status}"
            assert_accessible(page)
            page.close()
