"""The public "Your Views" pages: the survey form, thanks, closed and "how we use your answers".

Anyone may answer, signed in or not; abuse is handled by `services.response_submit` (CSRF by
the middleware), which keeps doubtful answers for review instead of refusing them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from beatbook.accounts.http import client_ip
from beatbook.messaging import links, tracking

from . import intake, services
from .forms import PublicSurveyForm, read_posted
from .models import Survey

TOKEN_LIMIT = 200
# The signed delivery id a messaging survey invitation adds to its link (`links.conversion_token`).
INVITED_BY_FIELD = "d"


def _language() -> str:
    """The active language as the answers record it: "en", "cy", "ur"…"""
    return (translation.get_language() or "en").split("-")[0].lower()


def _place_id(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def survey_form(request: HttpRequest, slug: str) -> HttpResponse:
    """The form, and its submission. What the page needs is kept per process for a few
    seconds (`intake.survey_form`), so a submission costs only its own statements; the page
    is built only to be shown: on a GET, or again with the errors."""
    current = intake.survey_form(slug)
    if current is None:
        raise Http404
    if current.wave is None:
        return render(request, "surveys/public_closed.html", {"survey": current.survey, "upcoming": current.upcoming})
    if request.method != "POST":
        return _form_page(
            request,
            current,
            token=request.GET.get("t", "").strip()[:TOKEN_LIMIT],
            invited_by=request.GET.get(INVITED_BY_FIELD, "")[:TOKEN_LIMIT],
        )
    posted = read_posted(current.questions, request.POST)
    place: intake.Place | None = None
    if posted.place:
        place = current.places.get(_place_id(posted.place) or 0)
        if place is None:
            return _form_page(request, current, posted=True)  # the form names the bad place
    try:
        services.response_submit(
            survey=current.survey,
            wave=current.wave,
            answers=posted.answers,
            language=_language(),
            client_address=client_ip(request) or "",
            lsoa=place,
            postcode=posted.postcode or None,
            token=posted.token[:TOKEN_LIMIT] or None,
            honeypot=posted.honeypot,
            questions=current.questions,
            places=current.places,
        )
    except ValidationError as error:
        return _form_page(request, current, posted=True, error=error)
    _count_conversion(request.POST.get(INVITED_BY_FIELD, ""), survey_id=current.survey.pk)
    return HttpResponseRedirect(current.thanks_url)


def _count_conversion(token: str, *, survey_id: int) -> None:
    """A response that came from a messaging survey invitation (its link carries a signed
    delivery id) counts as that message's conversion; nothing about the response is linked."""
    if not token:
        return
    delivery_id = links.delivery_id_from_token(token[:TOKEN_LIMIT])
    if delivery_id is not None:
        tracking.delivery_converted(delivery_id=delivery_id, survey_id=survey_id)


def _form_page(
    request: HttpRequest,
    current: intake.SurveyForm,
    *,
    posted: bool = False,
    error: ValidationError | None = None,
    token: str = "",
    invited_by: str = "",
) -> HttpResponse:
    form = PublicSurveyForm(
        questions=current.questions,
        language=translation.get_language() or "en",
        places=current.choices,
        data=request.POST if posted else None,
        token=token,
    )
    token_refused = False
    if posted:
        form.place_area_id()
    if error is not None:
        form.add_errors(error)
        # An invitation that cannot be used again should not block sending the answers.
        token_refused = "token" in form.errors
        if token_refused:
            form.token = ""
    return render(
        request,
        "surveys/public_form.html",
        {
            "survey": current.survey,
            "wave": current.wave,
            "form": form,
            "token_refused": token_refused,
            "page_language": _language(),
            "invited_by": request.POST.get(INVITED_BY_FIELD, "")[:TOKEN_LIMIT] if posted else invited_by,
        },
    )


def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.select_related("force"), slug=slug)
    return render(request, "surveys/public_thanks.html", {"survey": survey})


def about(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public_about.html")
