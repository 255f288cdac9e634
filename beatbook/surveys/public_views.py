"""The public "Your Views" pages: the survey form, thanks, closed and "how we use your answers".

Anyone may answer, signed in or not; abuse is handled by `services.response_submit` (CSRF by
the middleware), which keeps doubtful answers for review instead of refusing them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation

from beatbook.accounts.http import client_ip
from beatbook.areas.models import Area, Level

from . import selectors, services
from .forms import PLACE_FIELD, PublicSurveyForm
from .models import Survey

TOKEN_LIMIT = 200


def _language() -> str:
    """The active language as the answers record it: "en", "cy", "ur"…"""
    return (translation.get_language() or "en").split("-")[0].lower()


def _chosen_place(survey: Survey, raw: str) -> Area | None:
    """The LSOA posted from the "choose your area" list, with its neighbourhood, if it is one
    the list offers (the same rule as `selectors.place_choices`). A submission needs this one
    row, not the whole list, which is read only when the form is shown."""
    try:
        pk = int(raw.strip())
    except ValueError:
        return None
    return (
        Area.objects.select_related("parent")
        .filter(pk=pk, level=Level.LSOA, force_id=survey.force_id, parent__level=Level.NEIGHBOURHOOD)
        .first()
    )


def survey_form(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("force"), slug=slug)
    today = timezone.localdate()
    wave = selectors.open_wave(survey, today)
    if wave is None:
        upcoming = survey.waves.filter(opens_on__gt=today).order_by("opens_on").first()
        return render(request, "surveys/public_closed.html", {"survey": survey, "upcoming": upcoming})
    questions = selectors.current_questions(survey)
    posted = request.method == "POST"
    chosen = _chosen_place(survey, request.POST.get(PLACE_FIELD, "")) if posted else None
    form = PublicSurveyForm(
        questions=questions,
        language=translation.get_language() or "en",
        places=[(chosen.parent.name, [(chosen.pk, chosen.name)])] if chosen and chosen.parent else [],
        data=request.POST if posted else None,
        token=request.GET.get("t", "").strip()[:TOKEN_LIMIT],
    )
    token_refused = False
    if posted:
        place_id = form.place_area_id()
        if not form.errors:
            try:
                services.response_submit(
                    survey=survey,
                    wave=wave,
                    answers=form.answers,
                    language=_language(),
                    client_address=client_ip(request) or "",
                    lsoa=chosen if place_id else None,
                    postcode=form.postcode or None,
                    token=form.token[:TOKEN_LIMIT] or None,
                    honeypot=form.honeypot,
                    questions=questions,
                )
            except ValidationError as error:
                form.add_errors(error)
                # An invitation that cannot be used again should not block sending the answers.
                token_refused = "token" in form.errors
                if token_refused:
                    form.token = ""
            else:
                return redirect("your_views:thanks", slug=survey.slug)
    form.places = selectors.place_choices(survey)
    return render(
        request,
        "surveys/public_form.html",
        {
            "survey": survey,
            "wave": wave,
            "form": form,
            "token_refused": token_refused,
            "page_language": _language(),
        },
    )


def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("force"), slug=slug)
    return render(request, "surveys/public_thanks.html", {"survey": survey})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public_about.html")
