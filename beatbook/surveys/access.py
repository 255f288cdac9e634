"""Who may see survey results, read and review responses, and enter or manage surveys.

- Every staff role (partners included) sees the surveys of their own force and the published
  scores of the areas in their scope plus the areas above it (their NPA and the force), so a
  neighbourhood is always read beside the figures it is compared with. Scores are aggregates
  that are suppressed below the survey's threshold, so they carry no personal data.
- Quotes from free-text concerns: only for areas in the user's scope and below
  (`quotes_allowed`); for the areas above it they see how many concerns fell under each theme,
  not the words, since those come from neighbourhoods they do not work in. The force's staff
  read quotes as the respondent wrote them; partners see them only with personal details
  redacted (`quotes_redacted`).
- Individual responses (the answers, the flag reasons): administrators, analysts and
  commanders, for respondents who live in their scope. Reviewing flagged responses is theirs too.
- Paper and phone entry: officers, commanders and administrators, for places in their scope.
- Setting a survey up (waves, wording, the theme taxonomy): the force's administrators and
  analysts (analysts configure surveys: DESIGN.md).

A survey outside the user's force is a 404, like an area outside their scope.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from beatbook.accounts.access import areas_for_user
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level

from .models import Response, Survey

RESPONSE_READER_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.COMMANDER})
ENTRY_ROLES = frozenset({Role.OFFICER, Role.COMMANDER, Role.ADMIN})
MANAGER_ROLES = frozenset({Role.ADMIN, Role.ANALYST})
SCORE_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)


def _is_staff(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active and user.area_id is not None


def _force_id(user: Any) -> int | None:
    area: Area = user.area
    return area.pk if area.level == Level.FORCE else area.force_id


def visible_surveys(user: Any) -> QuerySet[Survey]:
    if not _is_staff(user):
        return Survey.objects.none()
    return Survey.objects.filter(force_id=_force_id(user))


def get_survey_for_user(user: Any, *, slug: str) -> Survey:
    survey = visible_surveys(user).filter(slug=slug).first()
    if survey is None:
        raise Http404("No such survey")
    return survey


def score_areas(user: Any, survey: Survey) -> QuerySet[Area]:
    """The force, NPAs and neighbourhoods whose scores this user may see: their scope, what is
    inside it, and the areas above it."""
    if not _is_staff(user) or _force_id(user) != survey.force_id:
        return Area.objects.none()
    scope: Area = user.area
    above = Q(pk=scope.parent_id) | Q(pk=scope.force_id) if scope.level != Level.FORCE else Q(pk__in=[])
    visible = areas_for_user(user).filter(level__in=SCORE_LEVELS)
    return Area.objects.filter(Q(pk__in=visible.values("pk")) | above, level__in=SCORE_LEVELS)


def get_score_area_for_user(user: Any, survey: Survey, *, code: str) -> Area:
    area = score_areas(user, survey).filter(code=code).first()
    if area is None:
        raise Http404("No such area")
    return area


def quotes_allowed(user: Any, area: Area) -> bool:
    """Whether the user may read what people wrote in `area`: only inside their own scope
    (`areas_for_user`), not in the areas above it that they may see scores for."""
    return _is_staff(user) and areas_for_user(user).filter(pk=area.pk).exists()


def quotes_redacted(user: Any) -> bool:
    """Partners (and anyone outside the force's staff roles) see concerns only with personal
    details removed; the force's own staff read the words as given."""
    return not _is_staff(user) or user.role == Role.PARTNER


def can_read_responses(user: Any) -> bool:
    return _is_staff(user) and user.role in RESPONSE_READER_ROLES


def responses_for_user(user: Any, survey: Survey) -> QuerySet[Response]:
    """The responses of `survey` this user may read: those from respondents living in their
    scope. Responses with no known place are read by force-scoped readers only."""
    if not can_read_responses(user) or _force_id(user) != survey.force_id:
        return Response.objects.none()
    responses = Response.objects.filter(survey=survey)
    if user.area.level == Level.FORCE:
        return responses
    neighbourhoods = areas_for_user(user).filter(level=Level.NEIGHBOURHOOD)
    return responses.filter(neighbourhood__in=neighbourhoods)


def get_response_for_user(user: Any, survey: Survey, *, pk: int) -> Response:
    response = responses_for_user(user, survey).filter(pk=pk).first()
    if response is None:
        raise Http404("No such response")
    return response


def can_enter_responses(user: Any) -> bool:
    return _is_staff(user) and user.role in ENTRY_ROLES


def entry_neighbourhoods(user: Any, survey: Survey) -> QuerySet[Area]:
    """The neighbourhoods a paper or phone response may be entered for by this user."""
    if not can_enter_responses(user) or _force_id(user) != survey.force_id:
        return Area.objects.none()
    return areas_for_user(user).filter(level=Level.NEIGHBOURHOOD)


def can_manage_survey(user: Any, survey: Survey) -> bool:
    """Setting the survey up, the theme taxonomy included: the force's administrators and
    analysts."""
    return _is_staff(user) and user.role in MANAGER_ROLES and _force_id(user) == survey.force_id
