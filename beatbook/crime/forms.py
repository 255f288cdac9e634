"""Forms for the immediate-response page: the level and month chooser, and marking an area."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.forms import AreaChoiceField, GovukFormMixin
from beatbook.areas.models import Area, Level

from .detection import LEVELS
from .models import IncidentFlag

LEVEL_CHOICES = [(level.value, level.label) for level in LEVELS]


class ChooserForm(GovukFormMixin, forms.Form):
    """Which areas and which month to list (a GET form, so the address can be shared)."""

    level = forms.ChoiceField(label=_("Areas"), choices=LEVEL_CHOICES, initial=Level.NEIGHBOURHOOD)
    month = forms.ChoiceField(label=_("Month"), help_text=_("Months with crime data, newest first."))

    def __init__(self, *args: Any, months: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        month_field = self.fields["month"]
        assert isinstance(month_field, forms.ChoiceField)
        month_field.choices = [(f"{m:%Y-%m}", date_format(m, "F Y")) for m in months]
        self.fields["level"].error_messages["invalid_choice"] = _("Choose a level from the list")
        month_field.error_messages["invalid_choice"] = _("Choose a month from the list")


class IncidentFlagForm(GovukFormMixin, forms.Form):
    area = AreaChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        empty_label=_("Choose an area"),
        help_text=_("A policing area, neighbourhood or LSOA you work in."),
    )
    title = forms.CharField(
        label=_("What happened"),
        max_length=IncidentFlag._meta.get_field("title").max_length,
        help_text=_("A short title, for example: Fatal stabbing near the Abbey Road shops."),
    )
    description = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why the area needs engagement now, and what is planned. Do not name victims or suspects."),
    )
    starts_on = forms.DateField(
        label=_("From"),
        help_text=_("The date of the incident, for example 2026-03-27."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    ends_on = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        help_text=_("Leave empty to keep the area marked until someone closes the flag."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    widths = {"title": "govuk-!-width-full", "starts_on": "govuk-input--width-10", "ends_on": "govuk-input--width-10"}

    def __init__(self, *args: Any, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = areas
        area_field.error_messages["required"] = _("Choose the area to mark")
        area_field.error_messages["invalid_choice"] = _("Choose one of your areas")
        self.fields["title"].error_messages["required"] = _("Enter what happened")
        self.fields["starts_on"].error_messages["required"] = _("Enter the date the flag starts")
        self.fields["starts_on"].error_messages["invalid"] = _("Enter the start date like 2026-03-27")
        self.fields["ends_on"].error_messages["invalid"] = _("Enter the end date like 2026-03-31")
        self.fields["title"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The end date must be the same as or after the start date"))
        return data
