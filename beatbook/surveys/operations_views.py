"""Staff pages for running a "Your Views" survey: the responses (flagged ones first) and the
review of one, entry of paper and phone responses, and the concern theme taxonomy.

Mounted under /staff/surveys/<slug>/manage/, so every view takes the survey's `slug`. A
survey of another force is a 404 (`access.get_survey_for_user`); inside the force, each page
asks one access function and refuses others with a 403: reading and reviewing responses
(`access.can_read_responses`, and only respondents in the reader's scope), entry
(`access.can_enter_responses`, only for places in the user's scope, checked again by
`services.response_enter`), themes (`access.can_manage_survey`). Writes go through the
services, which audit them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from beatbook.accounts.models import AuditEvent, User

from . import access, protection, selectors, services, templates, themes
from .models import (
    Channel,
    ConcernTheme,
    QuestionKind,
    QuestionRole,
    QuestionVersion,
    Response,
    ResponseStatus,
    Survey,
    Wave,
)
from .operations_forms import STAFF_WORDING, EntryForm, ReviewForm, ThemeForm
from .translations import wording

PAGE_SIZE = 50
# Paper forms and phone notes arrive after a wave closes: entry stays open this long after.
ENTRY_GRACE = dt.timedelta(days=90)
STATUS_ORDER = (ResponseStatus.FLAGGED, ResponseStatus.EXCLUDED, ResponseStatus.COUNTED)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _survey_for_readers(request: HttpRequest, slug: str) -> Survey:
    survey = access.get_survey_for_user(request.user, slug=slug)
    if not access.can_read_responses(request.user):
        raise PermissionDenied(_("Individual responses are read by administrators, analysts and commanders."))
    return survey


def _flag_reasons(flag_reason: str) -> list[str]:
    """The stored reason codes ("rate,duplicate") in words."""
    described = {
        protection.FLAG_HONEYPOT: _("A field people cannot see was filled in, as automated form-fillers do."),
        protection.FLAG_RATE: _("Many responses came from one network address within a few minutes."),
        protection.FLAG_DUPLICATE: _("The same answers for the same place came from one network address within a day."),
    }
    return [described.get(code.strip(), code.strip()) for code in flag_reason.split(",") if code.strip()]


# --- the responses ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    url: str
    current: bool


def _status_counts(responses: QuerySet[Response], *, base: str, wave: str, status: str) -> list[StatusCount]:
    counts = dict(responses.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    labels = dict(ResponseStatus.choices)
    return [
        StatusCount(
            status=choice,
            label=str(labels[choice]),
            count=counts.get(choice, 0),
            url=f"{base}?{urlencode({'status': choice, **({'wave': wave} if wave else {})})}",
            current=status == choice,
        )
        for choice in STATUS_ORDER
    ]


@login_required
def responses(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_for_readers(request, slug)
    user = _user(request)
    waves = selectors.survey_waves(survey)
    status = request.GET.get("status", "")
    status = status if status in ResponseStatus.values else ""
    wave_pk = request.GET.get("wave", "")
    wave = next((w for w in waves if str(w.pk) == wave_pk), None)
    readable = access.responses_for_user(user, survey)
    if wave is not None:
        readable = readable.filter(wave=wave)
    shown = readable.filter(status=status) if status else readable
    shown = shown.select_related("wave", "neighbourhood").order_by(
        Case(When(status=ResponseStatus.FLAGGED, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-submitted_at",
        "-pk",
    )
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(response, _flag_reasons(response.flag_reason)) for response in page.object_list]
    filters = {key: value for key, value in (("status", status), ("wave", str(wave.pk) if wave else "")) if value}
    base = reverse("survey_manage:responses", kwargs={"slug": survey.slug})
    context = {
        "survey": survey,
        "waves": list(reversed(waves)),
        "wave": wave,
        "status": status,
        "statuses": ResponseStatus.choices,
        "counts": _status_counts(readable, base=base, wave=str(wave.pk) if wave else "", status=status),
        "page": page,
        "rows": rows,
        "query": urlencode(filters),
        "can_enter": access.can_enter_responses(user),
        "can_manage": access.can_manage_survey(user, survey),
    }
    return render(request, "surveys/manage/responses.html", context)


@dataclass(frozen=True)
class AnswerRow:
    key: str
    question: str
    answer: str
    version: int | None
    reworded: bool


def _answer_text(kind: str, words: dict[str, Any], value: Any) -> str:
    labels: dict[str, str] = dict(words.get("options") or {})
    if kind == QuestionKind.AGREE5:
        labels = {**templates.AGREE5_LABELS, **labels}
    elif kind == QuestionKind.YES_NO:
        labels = {**templates.YES_NO_LABELS, **labels}
    if isinstance(value, list):
        return ", ".join(str(labels.get(str(item), item)) for item in value)
    return str(labels.get(str(value), value))


def _answer_rows(response: Response) -> list[AnswerRow]:
    """Every question of the survey with the answer given, each in the wording of the version
    the respondent answered (the current wording for questions left blank)."""
    versions: dict[tuple[int, int], QuestionVersion] = {}
    latest: dict[int, QuestionVersion] = {}
    for stored in QuestionVersion.objects.filter(question__survey_id=response.survey_id).order_by("number"):
        versions[(stored.question_id, stored.number)] = stored
        latest[stored.question_id] = stored
    rows: list[AnswerRow] = []
    for question in response.survey.questions.order_by("position", "key"):
        answered = question.key in response.answers
        if not answered and not question.active:
            continue
        number = response.versions.get(question.key) if answered else None
        version: QuestionVersion | None = (
            versions.get((question.pk, number)) if number is not None else latest.get(question.pk)
        )
        if version is None:
            continue
        words = wording(version.texts, STAFF_WORDING)
        rows.append(
            AnswerRow(
                key=question.key,
                question=words["text"],
                answer=_answer_text(question.kind, words, response.answers[question.key]) if answered else "",
                version=number,
                reworded=answered and version.pk != latest[question.pk].pk,
            )
        )
    return rows


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    who: str
    what: str
    note: str


def _history(response: Response) -> list[HistoryRow]:
    channels = dict(Channel.choices)
    statuses = dict(ResponseStatus.choices)
    rows = [
        HistoryRow(
            at=response.submitted_at,
            who="",
            what=_("Received (%(channel)s)") % {"channel": channels.get(response.channel, response.channel)},
            note="",
        )
    ]
    events = AuditEvent.objects.filter(object_type=Response._meta.label_lower, object_id=str(response.pk)).order_by(
        "at", "id"
    )
    for event in events:
        after = event.after or {}
        if event.action == "survey.response_review":
            what = _("Reviewed: %(status)s") % {
                "status": statuses.get(after.get("status", ""), after.get("status", ""))
            }
            note = str(after.get("note", ""))
        elif event.action == "survey.response_record":
            what, note = _("Entered by staff"), ""
        else:
            what, note = event.action, ""
        rows.append(HistoryRow(at=event.at, who=event.actor_label, what=what, note=note))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def response_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey_for_readers(request, slug)
    user = _user(request)
    response = access.get_response_for_user(user, survey, pk=pk)
    # `services.response_review` has its own rule of who decides; the form is offered only
    # to those it will accept, so no one fills it in to be refused.
    can_review = access.can_read_responses(user)
    form = ReviewForm(request.POST or None)
    if request.method == "POST":
        if not can_review:
            raise PermissionDenied(_("You can read this response but not review it."))
        if form.is_valid():
            try:
                services.response_review(
                    actor=user,
                    response=response,
                    decision=form.cleaned_data["decision"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                for name, reasons in error.message_dict.items():
                    for message in reasons:
                        form.add_error(name if name in form.fields else None, message)
            else:
                done = _("counted: it is in the scores") if response.status == ResponseStatus.COUNTED else _("excluded")
                messages.success(request, _("Response %(pk)s %(done)s.") % {"pk": response.pk, "done": done})
                return redirect(
                    f"{reverse('survey_manage:responses', kwargs={'slug': survey.slug})}?status={ResponseStatus.FLAGGED}"
                )
    response = (
        Response.objects.select_related("wave", "lsoa", "neighbourhood", "reviewed_by").filter(pk=response.pk).get()
    )
    context = {
        "survey": survey,
        "response": response,
        "answers": _answer_rows(response),
        "flag_reasons": _flag_reasons(response.flag_reason),
        "history": _history(response),
        "form": form,
        "can_review": can_review,
    }
    return render(request, "surveys/manage/response.html", context)


# --- paper and phone entry --------------------------------------------------------------------


def _entry_waves(survey: Survey, today: dt.date) -> list[Wave]:
    """Waves a paper or phone response may be entered for: open now, or closed recently;
    the one open now (or closed last) first."""
    return list(
        survey.waves.filter(opens_on__lte=today, closes_on__gte=today - ENTRY_GRACE).order_by("-opens_on", "-code")
    )


@login_required
@require_http_methods(["GET", "POST"])
def enter(request: HttpRequest, slug: str) -> HttpResponse:
    survey = access.get_survey_for_user(request.user, slug=slug)
    user = _user(request)
    if not access.can_enter_responses(user):
        raise PermissionDenied(_("Paper and phone responses are entered by officers, commanders and administrators."))
    neighbourhoods = list(access.entry_neighbourhoods(user, survey).order_by("name"))
    waves = _entry_waves(survey, timezone.localdate())
    form = EntryForm(
        questions=selectors.current_questions(survey),
        waves=waves,
        neighbourhoods=neighbourhoods,
        data=request.POST if request.method == "POST" else None,
        initial={"wave": request.GET.get("wave", ""), "channel": request.GET.get("channel", "")},
    )
    if request.method == "POST" and waves:
        # The lists staff choose from are checked here, and everything (answers included) by
        # the service, in the same round: every mistake on the page is named at once.
        wave = form.chosen_wave()
        entry: dict[str, Any] = {
            "actor": user,
            "survey": survey,
            "answers": form.answers,
            "channel": form.chosen_channel(),
            "language": form.chosen_language(),
            "postcode": form.postcode or None,
            "neighbourhood": form.chosen_neighbourhood(),
            "form_token": form.chosen_token(),
        }
        try:
            if form.errors or wave is None:
                services.response_enter_check(wave=wave, **entry)
            else:
                services.response_enter(wave=wave, **entry)
        except ValidationError as error:
            form.add_errors(error)
        if not form.errors and wave is not None:
            messages.success(request, _("Response saved — enter another."))
            query = urlencode({"wave": wave.pk, "channel": form.channel})
            return redirect(f"{reverse('survey_manage:enter', kwargs={'slug': survey.slug})}?{query}")
        form.refresh_question_errors()
    context = {"survey": survey, "form": form, "waves": waves, "neighbourhoods": neighbourhoods}
    return render(request, "surveys/manage/enter.html", context)


# --- concern themes ---------------------------------------------------------------------------


def _survey_for_managers(request: HttpRequest, slug: str) -> Survey:
    survey = access.get_survey_for_user(request.user, slug=slug)
    if not access.can_manage_survey(request.user, survey):
        raise PermissionDenied(_("The force's administrators and analysts set up its surveys."))
    return survey


@dataclass(frozen=True)
class ThemeRow:
    theme: ConcernTheme
    source: str
    keywords: list[str]
    matches: int | None


def _latest_wave(survey: Survey) -> Wave | None:
    return survey.waves.filter(opens_on__lte=timezone.localdate()).order_by("-opens_on", "-code").first()


def _concern_texts(survey: Survey, wave: Wave | None) -> list[str]:
    question = survey.questions.filter(role=QuestionRole.CONCERN).first()
    if question is None or wave is None:
        return []
    texts = (
        Response.objects.filter(survey=survey, wave=wave, status=ResponseStatus.COUNTED, answers__has_key=question.key)
        .order_by()
        .values_list(f"answers__{question.key}", flat=True)
    )
    return [text for text in texts if isinstance(text, str) and text.strip()]


def _theme_rows(survey: Survey, texts: list[str]) -> tuple[list[ThemeRow], int]:
    """Every theme the force could use (its own, and the defaults it has not replaced, in use
    or not) with how many of `texts` each matches as the themes stand, and how many texts no
    theme matches."""
    force = survey.force
    own = {theme.slug: theme for theme in ConcernTheme.objects.filter(force=force)}
    defaults = {theme.slug: theme for theme in ConcernTheme.objects.filter(force__isnull=True)}
    in_use = themes.themes_for_force(force)
    counts: Counter[str] = Counter()
    unmatched = 0
    for text in texts:
        found = themes.assign(text, in_use)
        counts.update(found)
        unmatched += not found
    active = {theme.slug for theme in in_use}
    rows = []
    for slug in {*own, *defaults}:
        theme = own.get(slug) or defaults[slug]
        if slug in own:
            source = _("Replaces a default") if slug in defaults else _("Your force's own")
        else:
            source = _("Default")
        keywords = [line.strip() for line in theme.keywords.splitlines() if line.strip()]
        rows.append(ThemeRow(theme, source, keywords, counts[slug] if slug in active else None))
    rows.sort(key=lambda row: (not row.theme.active, row.theme.position, row.theme.slug))
    return rows, unmatched


@login_required
def theme_list(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_for_managers(request, slug)
    wave = _latest_wave(survey)
    texts = _concern_texts(survey, wave)
    rows, unmatched = _theme_rows(survey, texts)
    context = {"survey": survey, "rows": rows, "wave": wave, "concerns": len(texts), "unmatched": unmatched}
    return render(request, "surveys/manage/themes.html", context)


def _theme_for_force(survey: Survey, slug: str) -> ConcernTheme:
    """The force's own theme with this short name, or else the default it would replace."""
    theme = (
        ConcernTheme.objects.filter(force=survey.force, slug=slug).first()
        or ConcernTheme.objects.filter(force__isnull=True, slug=slug).first()
    )
    if theme is None:
        raise Http404(_("No such theme."))
    return theme


def _save_theme(request: HttpRequest, survey: Survey, form: ThemeForm, *, slug: str) -> ConcernTheme | None:
    try:
        return services.concern_theme_save(
            actor=_user(request),
            force=survey.force,
            slug=slug,
            name=form.cleaned_data["name"],
            keywords=form.keyword_lines(),
            position=form.cleaned_data["position"],
            active=form.cleaned_data["active"],
        )
    except ValidationError as error:
        for name, reasons in error.message_dict.items():
            for message in reasons:
                form.add_error(name if name in form.fields else None, message)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def theme_add(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_for_managers(request, slug)
    form = ThemeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        theme_slug = form.cleaned_data["slug"]
        if ConcernTheme.objects.filter(force=survey.force, slug=theme_slug).exists():
            form.add_error("slug", _("Your force already has a theme with this short name: change that one instead."))
        elif (saved := _save_theme(request, survey, form, slug=theme_slug)) is not None:
            messages.success(request, _("Theme “%(name)s” added.") % {"name": saved.name})
            return redirect("survey_manage:themes", slug=survey.slug)
    return render(request, "surveys/manage/theme_form.html", {"survey": survey, "form": form, "theme": None})


@login_required
@require_http_methods(["GET", "POST"])
def theme_edit(request: HttpRequest, slug: str, theme: str) -> HttpResponse:
    survey = _survey_for_managers(request, slug)
    current = _theme_for_force(survey, theme)
    form = ThemeForm(request.POST or None, theme=current)
    if request.method == "POST" and form.is_valid():
        saved = _save_theme(request, survey, form, slug=current.slug)
        if saved is not None:
            messages.success(request, _("Theme “%(name)s” saved.") % {"name": saved.name})
            return redirect("survey_manage:themes", slug=survey.slug)
    context = {"survey": survey, "form": form, "theme": current, "is_default": current.force_id is None}
    return render(request, "surveys/manage/theme_form.html", context)
