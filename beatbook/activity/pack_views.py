"""The monthly performance pack of a neighbourhood policing area: a page, a PDF and a spreadsheet.

Who may have it: the NPA's commanders, and the force's analysts and administrators. It is
the commanders' management information, so officers and partners get a 403 whatever the
NPA (they never see another team's pack, so nothing is revealed by refusing); a commander
asking for another NPA, or anyone for an NPA outside their force, gets a 404
(`access.get_team_for_user`), as for any area out of scope.

`?month=YYYY-MM` chooses the month (default: the last complete month; the current month is
allowed and judged to today; a future month is refused). The figures come from
`pack.build_pack`; the PDF and the XLSX are in British English, the language their metadata
declares, whatever the language of the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from beatbook.accounts.forms import GovukFormMixin
from beatbook.accounts.models import Role
from beatbook.areas.models import Area, Level
from beatbook.core.exports import XLSX_CONTENT_TYPE
from beatbook.crime import charts

from . import access
from . import pack as pack_data
from .pack_pdf import render_pack_pdf
from .pack_xlsx import render_pack_xlsx
from .periods import Period, month_period

PACK_ROLES = frozenset({Role.COMMANDER, Role.ANALYST, Role.ADMIN})
FILE_LANGUAGE = "en-gb"


def may_have_packs(user: Any) -> bool:
    """Whether the user's role is one that gets performance packs (scope is checked per NPA)."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in PACK_ROLES


class MonthForm(GovukFormMixin, forms.Form):
    month = forms.CharField(
        label=gettext_lazy("Month"),
        required=False,
        max_length=7,
        help_text=gettext_lazy("Year and month, for example 2025-03."),
    )
    widths = {"month": "govuk-input--width-5"}

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["month"].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})

    def clean_month(self) -> Period:
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return pack_data.default_month(self.today)
        try:
            return pack_data.parse_month(text, today=self.today)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


def _npa(request: HttpRequest, code: str) -> Area:
    user = request.user
    if not may_have_packs(user):
        raise PermissionDenied(_("Performance packs are for commanders, analysts and administrators."))
    return access.get_team_for_user(user, code=code, level=Level.NPA)


def _month_for_file(request: HttpRequest, today: date) -> Period:
    form = MonthForm(request.GET, today=today)
    if not form.is_valid():
        raise BadRequest(" ".join(form.errors.get("month", [])))
    month: Period = form.cleaned_data["month"]
    return month


def judged_query(period: Period, as_of: date) -> str:
    """The compliance pages' query for `period` judged on the pack's day: a team linked from the
    pack shows the verdicts the pack shows, not today's."""
    return urlencode({"period": period.code, "as_of": as_of.isoformat()})


def _chart(result: pack_data.Pack) -> SafeString:
    return charts.line_chart(
        chart_id="pack-activity-chart",
        title=_("Activities each month in %(npa)s") % {"npa": result.npa.name},
        description=_(
            "Line chart from %(first)s to %(last)s. The solid line with circles is all activities; the dashed "
            "line with squares is activities with at least one partner. The table after the chart gives the "
            "same figures."
        )
        % {"first": result.months[0].label, "last": result.months[-1].label},
        labels=[date_format(m.start, "M y") for m in result.months],
        series=[
            charts.Series(_("All activities"), [m.activities for m in result.monthly]),
            charts.Series(
                _("With partners"),
                [m.with_partner for m in result.monthly],
                colour=charts.RED,
                css="bb-chart__series--2",
                dashed=True,
                marker="square",
            ),
        ],
    )


@login_required
def pack(request: HttpRequest, code: str) -> HttpResponse:
    npa = _npa(request, code)
    today = timezone.localdate()
    form = MonthForm(request.GET or None, today=today)
    month = pack_data.default_month(today)
    if form.is_bound and form.is_valid():
        month = form.cleaned_data["month"]
    result = pack_data.build_pack(npa=npa, month=month, today=today)
    previous = pack_data.add_months(month.start, -1)
    following = pack_data.add_months(month.start, 1)
    context = {
        "form": form,
        "pack": result,
        "chart": _chart(result),
        "month_query": judged_query(result.month, result.as_of),
        "year_query": judged_query(result.year_to_date, result.as_of),
        "previous_month": month_period(previous.year, previous.month),
        "next_month": month_period(following.year, following.month) if following <= today else None,
    }
    return render(request, "activity/pack.html", context)


def _made_on() -> str:
    return date_format(timezone.localdate(), "j F Y")


@login_required
def pack_pdf(request: HttpRequest, code: str) -> HttpResponse:
    npa = _npa(request, code)
    today = timezone.localdate()
    month = _month_for_file(request, today)
    with translation.override(FILE_LANGUAGE):
        result = pack_data.build_pack(npa=npa, month=month, today=today)
        content = render_pack_pdf(result, made_on=_made_on())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{result.filename_stem}.pdf"'
    return response


@login_required
def pack_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    npa = _npa(request, code)
    today = timezone.localdate()
    month = _month_for_file(request, today)
    with translation.override(FILE_LANGUAGE):
        result = pack_data.build_pack(npa=npa, month=month, today=today)
        content = render_pack_xlsx(result, made_on=_made_on())
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{result.filename_stem}.xlsx"'
    return response
