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
from beatbook.areas.models import Area

from . import selectors, services
from .forms import PublicSurveyForm
from .models import Survey

TOKEN_LIMIT = 200


def _language() -> str:
    """The active language as the answers record it: "en", "cy", "ur"…"""
    return (translation.get_language() or "en").split("-")[0].lower()


def survey_form(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("force"), slug=slug)
    today = timezone.localdate()
    wave = selectors.open_wave(survey, today)
    if wave is None:
        upcoming = survey.waves.filter(opens_on__gt=today).order_by("opens_on").first()
        return render(request, "surveys/public_closed.html", {"survey": survey, "upcoming": upcoming})
    form = PublicSurveyForm(
        questions=selectors.current_questions(survey),
        language=translation.get_language() or "en",
        places=selectors.place_choices(survey),
        data=request.POST if request.method == "POST" else None,
        token=request.GET.get("t", "").strip()[:TOKEN_LIMIT],
    )
    token_refused = False
    if request.method == "POST":
        place_id = form.place_area_id()
        if not form.errors:
            try:
                services.response_submit(
                    survey=survey,
                    wave=wave,
                    answers=form.answers,
                    language=_language(),
                    client_address=client_ip(request) or "",
                    lsoa=Area.objects.get(pk=place_id) if place_id else None,
                    postcode=form.postcode or None,
                    token=form.token[:TOKEN_LIMIT] or None,
                    honeypot=form.honeypot,
                )
            except ValidationError as error:
                form.add_errors(error)
                # An invitation that cannot be used again should not block sending the answers.
                token_refused = "token" in form.errors
                if token_refused:
                    form.token = ""
            else:
                return redirect("your_views:thanks", slug=survey.slug)
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
