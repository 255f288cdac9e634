"""The public "Stay informed" pages: sign-up, confirmation, the preference centre (with the
download of one's data, erasure and the change of email address or mobile number),
unsubscribe, and the links in messages (click, open, "was this useful?").

Nobody signs in: a subscriber page is reached by a signed link (`links`), and holding the link
is the permission, as with any unsubscribe link. So the access function of these pages is
`links.subscriber_from_token`: a forged, expired or erased-person's link is a 404. Pages that
change something show a button first (GET never changes anything), because mail scanners
open every link in a message and must not confirm, vote or unsubscribe for the reader; the
one exception is RFC 8058's one-click unsubscribe POST (see `unsubscribe`).

A page reached from a message speaks the subscriber's language unless the visitor has chosen
one with the switcher.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import links, subscriber_address, subscriber_services, tracking
from . import subscriber_selectors as selectors
from .access import messaging_settings
from .models import Delivery, Subscriber, SubscriberStatus
from .public_forms import ADDRESS_FORM, AddressForm, PreferencesForm, SignupForm, choice_labels
from .subscriber_address import AddressChangeOutcome
from .transactional import read_confirmation_evidence

# The smallest transparent GIF (1 by 1 pixel), for the open-tracking image.
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
ONE_CLICK = {"List-Unsubscribe": ["One-Click"]}
# What the "check your messages" page explains besides the usual (`?about=`): two links, one by
# email and one by text; or a link sent to a new address.
SENT_ABOUT = ("both", "change")


def _language_code(short: str) -> str:
    """A subscriber's "en", "cy"… as the site's language code ("en-gb", "cy"…)."""
    for code, _name in settings.LANGUAGES:
        if code.split("-")[0] == short:
            return code
    return settings.LANGUAGE_CODE


def _speak(request: HttpRequest, subscriber: Subscriber) -> None:
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return
    code = _language_code(subscriber.language)
    translation.activate(code)
    request.LANGUAGE_CODE = code


def _subscriber(request: HttpRequest, token: str, purpose: links.Purpose) -> Subscriber:
    """The access function of every subscriber page: the subscriber the signed link names."""
    subscriber = links.subscriber_from_token(token, purpose)
    if subscriber is None:
        raise Http404("This link is not valid")
    _speak(request, subscriber)
    return subscriber


def _page_language() -> str:
    return (translation.get_language() or "en").split("-")[0].lower()


def _choices(force: Any) -> dict[str, Any]:
    interests = [
        {"pk": i.pk, "name": selectors.interest_label(i), "description": selectors.interest_description(i)}
        for i in selectors.interests_for(force)
    ]
    languages = [(code.split("-")[0], name) for code, name in settings.LANGUAGES]
    return {
        "groups": selectors.neighbourhood_groups(force),
        "interests": interests,
        "languages": languages,
        **choice_labels(),
    }


# --- sign-up --------------------------------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    choice = selectors.public_force(request.GET.get("force") or request.POST.get("force"))
    if choice.force is None:
        if not choice.choices:
            raise Http404("No such force")
        return render(request, "messaging/public_forces.html", {"forces": choice.choices})
    force = choice.force
    wording = selectors.current_wording(force)
    form = SignupForm(
        data=request.POST if request.method == "POST" else None,
        language=_page_language(),
        wording_id=wording.pk if wording else None,
    )
    if request.method == "POST":
        if form.is_robot:
            # The page a person would see, so the robot learns nothing; nothing is made or sent.
            return redirect(_sent_url("both" if form.email and form.phone else ""))
        try:
            subscriber_services.subscribe(force=force, data=form.data())
        except ValidationError as error:
            form.add_errors(error)
        else:
            # From what was typed, never from what the sign-up found, so it reveals nothing.
            return redirect(_sent_url("both" if form.email and form.phone else ""))
    shown_wording = selectors.wording_for(force, form.wording_id) or wording
    return render(
        request,
        "messaging/public_signup.html",
        {
            "force": force,
            "form": form,
            "wording": shown_wording,
            "wording_text": selectors.wording_text(shown_wording) if shown_wording else "",
            "several_forces": request.GET.get("force") is not None or request.POST.get("force") is not None,
            **_choices(force),
        },
    )


def _sent_url(about: str) -> str:
    path = reverse("stay_informed:sent")
    return f"{path}?{urlencode({'about': about})}" if about else path


def sent(request: HttpRequest) -> HttpResponse:
    """The same page whatever the sign-up did, so it tells nobody whether an address is subscribed."""
    about = request.GET.get("about", "")
    return render(
        request,
        "messaging/public_sent.html",
        {"about": about if about in SENT_ABOUT else "", "days": links.CONFIRM_MAX_AGE // 86400},
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(request, token, links.Purpose.CONFIRM)
    if "c" in request.GET:
        return _confirm_address(request, subscriber)
    evidence = read_confirmation_evidence(request.GET.get("e", ""))
    via, sent_at = str(evidence.get("via") or ""), evidence.get("at")
    if subscriber.status == SubscriberStatus.ACTIVE and not subscriber_services.channel_awaiting_confirmation(
        subscriber, via, sent_at
    ):
        return redirect(links.manage_url(subscriber))
    if subscriber.status not in (SubscriberStatus.PENDING, SubscriberStatus.ACTIVE):
        return render(request, "messaging/public_confirm.html", {"subscriber": subscriber, "gone": True})
    if request.method == "POST":
        wording = selectors.wording_for(subscriber.force, evidence.get("w"))
        subscriber_services.subscriber_confirm(subscriber=subscriber, wording=wording, via=via, link_sent_at=sent_at)
        messages.success(request, _("You are subscribed. You can change what you receive on this page at any time."))
        return redirect(links.manage_url(subscriber))
    return render(request, "messaging/public_confirm.html", {"subscriber": subscriber, "gone": False})


def _confirm_address(request: HttpRequest, subscriber: Subscriber) -> HttpResponse:
    """The link sent to a new address: a button makes it the subscriber's (GET changes nothing)."""
    change = links.address_change_from_token(request.GET.get("c", ""), subscriber)
    if change is None:
        raise Http404("This link is not valid")
    outcome: AddressChangeOutcome | None
    if request.method == "POST":
        outcome = subscriber_address.address_change_confirm(subscriber=subscriber, change=change)
    else:
        outcome = subscriber_address.address_change_state(subscriber=subscriber, change=change)
    if outcome == AddressChangeOutcome.CHANGED:
        if change.channel == "email":
            messages.success(request, _("Your email address has been changed. We have told the old one."))
        else:
            messages.success(request, _("Your mobile number has been changed. We have told the old one."))
    if outcome in (AddressChangeOutcome.CHANGED, AddressChangeOutcome.ALREADY_DONE):
        return redirect(links.manage_url(subscriber))
    return render(
        request,
        "messaging/public_confirm_address.html",
        {"subscriber": subscriber, "change": change, "outcome": outcome or ""},
    )


# --- the preference centre ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(request, token, links.Purpose.MANAGE)
    posted = request.POST if request.method == "POST" else None
    changing_address = posted is not None and posted.get("form") == ADDRESS_FORM
    form = PreferencesForm(subscriber=subscriber, data=None if changing_address else posted)
    address_form = AddressForm(subscriber=subscriber, data=posted if changing_address else None)
    if changing_address:
        done = _change_address(request, subscriber, address_form)
        if done is not None:
            return done
    elif request.method == "POST":
        try:
            subscriber_services.preferences_update(subscriber=subscriber, data=form.data())
        except ValidationError as error:
            form.add_errors(error)
        else:
            messages.success(request, _("Your choices have been saved."))
            # The language may have changed; the next page speaks it.
            subscriber.refresh_from_db()
            return redirect(links.manage_url(subscriber))
    return render(
        request,
        "messaging/public_manage.html",
        {
            "subscriber": subscriber,
            "form": form,
            "address_form": address_form,
            "token": token,
            "unsubscribe_url": links.unsubscribe_url(subscriber),
            **_choices(subscriber.force),
        },
    )


def _change_address(request: HttpRequest, subscriber: Subscriber, form: AddressForm) -> HttpResponse | None:
    """The response after a change of address, or None to show the page again with its errors."""
    try:
        result = subscriber_address.address_change_request(subscriber=subscriber, data=form.data())
    except ValidationError as error:
        form.add_errors(error)
        return None
    if result.removed:
        messages.success(request, _("We will not send messages to the address you removed any more."))
    if result.awaiting:
        return redirect(_sent_url("change"))
    return redirect(links.manage_url(subscriber))


@never_cache
def download(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(request, token, links.Purpose.MANAGE)
    data = subscriber_services.subscriber_data_export(subscriber=subscriber)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-subscription.json"'
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(request, token, links.Purpose.MANAGE)
    if request.method == "POST":
        subscriber_services.subscriber_erase(subscriber=subscriber)
        return render(request, "messaging/public_erased.html")
    return render(request, "messaging/public_erase.html", {"subscriber": subscriber, "token": token})


# --- unsubscribe ----------------------------------------------------------------------------------


def _not_called(request: HttpRequest) -> HttpResponse:
    """Stands for a CSRF-protected view when the CSRF check is run by hand."""
    raise AssertionError("not a view")


def _is_one_click(request: HttpRequest) -> bool:
    """RFC 8058: the mail client POSTs exactly `List-Unsubscribe=One-Click` to the header's URL."""
    return request.method == "POST" and {key: request.POST.getlist(key) for key in request.POST} == ONE_CLICK


# CSRF is checked by hand below, so that only RFC 8058's one-click body skips it. A mail client
# sends that POST with no cookie or session, so it can carry no CSRF token; the signed token in
# the URL is what authorises it, and all it can do is unsubscribe the person the link names.
# The page's own button posts a different body and is CSRF-checked as usual.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(request, token, links.Purpose.UNSUBSCRIBE)
    delivery_id = links.delivery_id_from_token(request.GET.get("d", ""))
    if request.method == "GET":
        return render(request, "messaging/public_unsubscribe.html", {"subscriber": subscriber})
    if not _is_one_click(request):
        refused = CsrfViewMiddleware(_not_called).process_view(request, _not_called, (), {})
        if refused is not None:
            return refused
    subscriber_services.unsubscribe(subscriber=subscriber, delivery_id=delivery_id)
    if _is_one_click(request):
        return HttpResponse(_("You have been unsubscribed."), content_type="text/plain; charset=utf-8")
    return render(
        request,
        "messaging/public_unsubscribed.html",
        {"signup_url": reverse("stay_informed:signup") + f"?force={subscriber.force.code}"},
    )


# --- links in messages ----------------------------------------------------------------------------


def click(request: HttpRequest, token: str) -> HttpResponse:
    """Count the click, then go where the message's link pointed. Only destinations Beatbook
    signed are followed, so this is not an open redirect."""
    target = links.click_target_from_token(token)
    if target is None or not target.url.lower().startswith(("https://", "http://")):
        raise Http404("This link is not valid")
    tracking.delivery_clicked(delivery_id=target.delivery_id)
    return HttpResponseRedirect(target.url)


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """A transparent image; an open is recorded only when the force turned open tracking on."""
    delivery_id = links.delivery_id_from_token(token)
    if delivery_id is not None:
        force_id = Delivery.objects.filter(pk=delivery_id).values_list("message__force_id", flat=True).first()
        if force_id is not None and messaging_settings(force_id).open_tracking:
            tracking.delivery_opened(delivery_id=delivery_id)
    return HttpResponse(PIXEL, content_type="image/gif")


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str, answer: str) -> HttpResponse:
    delivery_id = links.delivery_id_from_token(token)
    delivery = (
        Delivery.objects.select_related("message", "subscriber").filter(pk=delivery_id).first()
        if delivery_id is not None and answer in ("yes", "no")
        else None
    )
    if delivery is None:
        raise Http404("This link is not valid")
    if delivery.subscriber.status != SubscriberStatus.ERASED:
        _speak(request, delivery.subscriber)
    useful = answer == "yes"
    if request.method == "POST":
        tracking.delivery_rated(delivery_id=delivery.pk, useful=useful)
        return render(request, "messaging/public_rated.html", {"useful": useful})
    return render(request, "messaging/public_rate.html", {"useful": useful, "message": delivery.message})
