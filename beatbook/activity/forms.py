"""Forms for the activity pages: the quick mobile form, the full edit, and the list's filters.

The forms check what a form can check (a number is a number, a required field is given) and
turn what was typed into one `services.ActivityData`; every rule about activity itself lives
in the service, whose ValidationError the form shows against its own fields
(`add_service_errors`), so the page names the field that is wrong whichever check found it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.access import user_force
from beatbook.accounts.forms import GovukFormMixin
from beatbook.accounts.models import User
from beatbook.areas.models import Area

from . import access, selectors
from .demographics import GROUPS, clean_demographics, field_names
from .exports import demographic_column
from .models import Activity, ActivityType
from .services import MAX_COUNT, MAX_LINKS, ActivityData


class AreaField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_level_display()})"


class AreasField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_level_display()})"


class OfficersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name() or obj.username} ({obj.username})"


# The full edit's fields in the order its template shows them, up to the demographic counts
# (the rest follow in the order declared), so the error summary lists problems top to bottom.
FULL_FORM_ORDER = (
    "title",
    "type",
    "date",
    "time",
    "areas",
    "address",
    "ward",
    "place",
    "latitude",
    "longitude",
    "officers",
    "partners",
    "other_partners",
    "officer_hours",
    "people_reached",
    "online_reach",
)


def _count_field(label: Any, help_text: Any = "") -> forms.IntegerField:
    # A text input with a numeric keypad, as GOV.UK advises: type=number lets a scroll wheel
    # change the value and accepts "1e3".
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        required=False,
        min_value=0,
        max_value=MAX_COUNT,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Enter a whole number, like 12"),
            "min_value": _("Enter a whole number, 0 or more"),
            "max_value": format_lazy(_("Enter a number no more than {n}"), n=f"{MAX_COUNT:,}"),
        },
    )


def _date_field(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the date"), "invalid": _("Enter the date like 2026-03-27")},
    )


def _time_field(label: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Enter the time"), "invalid": _("Enter the time like 14:30")},
    )


def _hours_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Officer time (hours)"),
        help_text=_("All officers together, for example 1.5 for an hour and a half."),
        required=False,
        min_value=Decimal(0),
        max_digits=6,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={
            "invalid": _("Enter officer time as a number of hours, like 1.5"),
            "min_value": _("Officer time cannot be negative"),
            "max_digits": _("Officer time must be less than 10,000 hours"),
            "max_whole_digits": _("Officer time must be less than 10,000 hours"),
            "max_decimal_places": _("Give officer time to at most 2 decimal places"),
        },
    )


def _checkboxes(label: Any, queryset: Any, help_text: Any = "") -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text,
        queryset=queryset,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the list"), "invalid_pk_value": _("Choose from the list")},
    )


def _starts_at(date: dt.date, time: dt.time) -> dt.datetime:
    """The moment a local (Europe/London) date and time name."""
    return timezone.make_aware(dt.datetime.combine(date, time))


class ActivityFormBase(GovukFormMixin, forms.Form):
    """What the quick form and the full edit share: service errors and the error summary."""

    # Where a service error about a field of ActivityData is shown, when the form names it differently.
    service_field_names: dict[str, str] = {"starts_at": "date"}

    def add_service_errors(self, error: ValidationError) -> None:
        """Show the service's {field: messages} against this form's fields (the rest above the form)."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        for name, messages in error.message_dict.items():
            target = self.service_field_names.get(name, name)
            shown = target in self.fields and not self.fields[target].widget.is_hidden
            for message in messages:
                self.add_error(target if shown else None, message)

    def first_field_id(self) -> str:
        for name, field in self.fields.items():
            if not field.widget.is_hidden:
                return self._input_id(name)
        return ""

    def _input_id(self, name: str) -> str:
        # A group of checkboxes has no single input: its first box is what the error links to.
        if isinstance(self.fields[name].widget, forms.CheckboxSelectMultiple):
            return f"id_{name}_0"
        return f"id_{name}"

    def error_links(self) -> list[tuple[str, str]]:
        """(input id, message) for the GOV.UK error summary, in the order the fields appear."""
        links = [(self.first_field_id(), str(message)) for message in self.non_field_errors()]
        for name, field in self.fields.items():
            for message in self.errors.get(name, []):
                anchor = self.first_field_id() if field.widget.is_hidden else self._input_id(name)
                links.append((anchor, str(message)))
        return links

    def _require(self, name: str, message: Any) -> None:
        self.fields[name].error_messages["required"] = message
        self.fields[name].error_messages["invalid_choice"] = _("Choose from the list")


class QuickActivityForm(ActivityFormBase):
    """The few things an officer in the street records; the full edit has everything else."""

    type = forms.ModelChoiceField(
        label=_("What did you do?"),
        queryset=ActivityType.objects.none(),
        empty_label=_("Choose a type of activity"),
    )
    date = _date_field(_("Date"))
    time = _time_field(_("Time it started"))
    area = AreaField(label=_("Neighbourhood"), queryset=Area.objects.none(), empty_label=_("Choose an area"))
    place = forms.ModelChoiceField(
        label=_("Known place (optional)"),
        queryset=selectors.places_for(None),
        required=False,
        empty_label=_("Not one of these"),
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    address = forms.CharField(
        label=_("Where (optional)"),
        help_text=_("An address, or somewhere people will recognise, like: outside the Co-op, High Street."),
        required=False,
        max_length=Activity._meta.get_field("address").max_length,
    )
    people_reached = _count_field(_("People you spoke to in person"))
    online_reach = _count_field(_("Online reach (optional)"), _("Views, recipients or followers reached online."))
    partners = _checkboxes(_("Partners who took part"), selectors.partners_for(None))
    other_partners = forms.CharField(
        label=_("Other partners (optional)"),
        help_text=_("Organisations not in the list, separated by commas."),
        required=False,
        max_length=Activity._meta.get_field("other_partners").max_length,
    )
    issue_categories = _checkboxes(_("Issues people raised"), selectors.categories_for_form())
    issues_raised = forms.CharField(
        label=_("What people told you (optional)"),
        help_text=_("Do not name anyone or include personal details."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    officer_hours = _hours_field()
    priorities_set = forms.BooleanField(
        label=_("Neighbourhood priorities were set or reviewed from what people said"), required=False
    )
    client_id = forms.UUIDField(required=False, widget=forms.HiddenInput)

    widths = {
        "address": "govuk-!-width-full",
        "other_partners": "govuk-!-width-full",
        "people_reached": "govuk-input--width-5",
        "online_reach": "govuk-input--width-5",
        "officer_hours": "govuk-input--width-5",
        "date": "govuk-input--width-10",
        "time": "govuk-input--width-5",
    }
    service_field_names = {"starts_at": "date", "areas": "area"}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        now = timezone.localtime()
        areas = access.recordable_areas(user).order_by("level", "name")
        area_choices = list(areas)
        default_area = user.area if user.area in area_choices else (area_choices[0] if area_choices else None)
        kwargs.setdefault(
            "initial",
            {
                "date": now.date(),
                "time": now.time().replace(second=0, microsecond=0),
                "area": default_area,
                "client_id": uuid.uuid4(),
            },
        )
        super().__init__(*args, **kwargs)
        self.user = user
        force = user_force(user)
        self.fields["type"].queryset = ActivityType.objects.filter(active=True)  # type: ignore[attr-defined]
        # Most used first: a phone's picker opens at the top.
        self.fields["type"].choices = [("", _("Choose a type of activity"))] + [  # type: ignore[attr-defined]
            (t.pk, t.name) for t in selectors.types_for_quick_form(user)
        ]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        self.single_area: Area | None = area_choices[0] if len(area_choices) == 1 else None
        if self.single_area is not None:
            self.fields["area"].widget = forms.HiddenInput()
        self.fields["place"].queryset = selectors.places_for(force, areas=areas)  # type: ignore[attr-defined]
        self.has_places = self.fields["place"].queryset.exists()  # type: ignore[attr-defined]
        if not self.has_places:
            del self.fields["place"]
        self.fields["partners"].queryset = selectors.partners_for(force)  # type: ignore[attr-defined]
        self._require("type", _("Choose the type of activity"))
        self._require("area", _("Choose the neighbourhood"))
        self.fields["area"].error_messages["invalid_choice"] = _("Choose a neighbourhood you record activity for")

    def to_data(self) -> ActivityData:
        data = self.cleaned_data
        return ActivityData(
            type=data["type"],
            starts_at=_starts_at(data["date"], data["time"]),
            areas=[data["area"]],
            address=data["address"],
            place=data.get("place"),
            # The person recording was there; the full edit can name the others.
            officers=[self.user],
            partners=list(data["partners"]),
            other_partners=data["other_partners"],
            people_reached=data["people_reached"] or 0,
            online_reach=data["online_reach"] or 0,
            issues_raised=data["issues_raised"],
            issue_categories=list(data["issue_categories"]),
            officer_hours=data["officer_hours"] or Decimal(0),
            priorities_set=data["priorities_set"],
        )


class ActivityForm(ActivityFormBase):
    """Everything recorded about an activity (the full edit)."""

    title = forms.CharField(
        label=_("Title (optional)"),
        help_text=_("A short name, like: Spring patch walk with the housing team."),
        required=False,
        max_length=Activity._meta.get_field("title").max_length,
    )
    type = forms.ModelChoiceField(label=_("Type of activity"), queryset=ActivityType.objects.none())
    date = _date_field(_("Date"))
    time = _time_field(_("Time it started"))
    areas = AreasField(
        label=_("Neighbourhoods"),
        help_text=_("Every area the activity was for."),
        queryset=Area.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    address = forms.CharField(
        label=_("Address or description of the place (optional)"),
        required=False,
        max_length=Activity._meta.get_field("address").max_length,
    )
    ward = AreaField(
        label=_("Ward (optional)"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("None"),
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    place = forms.ModelChoiceField(
        label=_("Known place (optional)"),
        queryset=selectors.places_for(None),
        required=False,
        empty_label=_("None"),
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    latitude = forms.FloatField(
        label=_("Latitude (optional)"),
        help_text=_("Decimal degrees, like 52.6369."),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": _("Enter latitude as a number, like 52.6369")},
    )
    longitude = forms.FloatField(
        label=_("Longitude (optional)"),
        help_text=_("Decimal degrees, like -1.1398."),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"invalid": _("Enter longitude as a number, like -1.1398")},
    )
    officers = OfficersField(
        label=_("Officers who took part"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the list"), "invalid_pk_value": _("Choose from the list")},
    )
    partners = _checkboxes(_("Partners who took part"), selectors.partners_for(None))
    other_partners = forms.CharField(
        label=_("Other partners (optional)"),
        help_text=_("Organisations not in the list, separated by commas."),
        required=False,
        max_length=Activity._meta.get_field("other_partners").max_length,
    )
    people_reached = _count_field(_("People reached in person"))
    online_reach = _count_field(_("Online reach"), _("Views, recipients or followers reached online."))
    issues_raised = forms.CharField(
        label=_("Issues raised (optional)"),
        help_text=_("Do not name anyone or include personal details."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    issue_categories = _checkboxes(_("Issue categories"), selectors.categories_for_form())
    follow_up = forms.CharField(
        label=_("Follow-up actions (optional)"),
        help_text=_("Actions agreed, and who owns them."),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    priorities_set = forms.BooleanField(
        label=_("Neighbourhood priorities were set or reviewed from what people said"), required=False
    )
    officer_hours = _hours_field()
    links = forms.CharField(
        label=_("Links (optional)"),
        help_text=format_lazy(_("Web addresses of a post, video or minutes, one per line (at most {n})."), n=MAX_LINKS),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
    )
    notes = forms.CharField(label=_("Notes (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    shared_with_partners = forms.BooleanField(
        label=_("Partners in these neighbourhoods may see this record"), required=False
    )

    widths = {
        "title": "govuk-!-width-full",
        "address": "govuk-!-width-full",
        "other_partners": "govuk-!-width-full",
        "date": "govuk-input--width-10",
        "time": "govuk-input--width-5",
        "latitude": "govuk-input--width-10",
        "longitude": "govuk-input--width-10",
        "people_reached": "govuk-input--width-5",
        "online_reach": "govuk-input--width-5",
        "officer_hours": "govuk-input--width-5",
    }

    def __init__(self, *args: Any, user: User, activity: Activity, **kwargs: Any) -> None:
        kwargs.setdefault("initial", initial_from_activity(activity))
        super().__init__(*args, **kwargs)
        for group, category in field_names():
            name = demographic_column(group, category)
            self.fields[name] = _count_field(GROUPS[group][1][category])
            self.fields[name].widget.attrs["class"] = "govuk-input govuk-input--width-4"
        self.order_fields([*FULL_FORM_ORDER, *(demographic_column(g, c) for g, c in field_names())])
        force = activity.force
        current = self.initial
        # The people and places of the user's own areas: a team's list, not the whole force's.
        scope = access.recordable_areas(user)
        self.fields["type"].queryset = selectors.types_for_edit(activity.type)  # type: ignore[attr-defined]
        self.fields["areas"].queryset = (  # type: ignore[attr-defined]
            scope | Area.objects.filter(pk__in=[a.pk for a in current["areas"]])
        ).order_by("level", "name")
        self.fields["ward"].queryset = selectors.wards_for(force)  # type: ignore[attr-defined]
        self.fields["place"].queryset = selectors.places_for(  # type: ignore[attr-defined]
            force, areas=scope, keep=_pks([activity.place])
        )
        self.fields["officers"].queryset = selectors.officers_for(  # type: ignore[attr-defined]
            force, areas=scope, keep=_pks(current["officers"])
        )
        self.fields["partners"].queryset = selectors.partners_for(force, keep=_pks(current["partners"]))  # type: ignore[attr-defined]
        self.fields["issue_categories"].queryset = selectors.categories_for_form(  # type: ignore[attr-defined]
            keep=_pks(current["issue_categories"])
        )
        self._require("type", _("Choose the type of activity"))
        self._require("areas", _("Choose at least one neighbourhood"))

    def demographic_groups(self) -> list[tuple[str, Any, list[forms.BoundField]]]:
        """(group key, label, bound fields) for a fieldset per group."""
        return [
            (group, label, [self[demographic_column(group, category)] for category in categories])
            for group, (label, categories) in GROUPS.items()
        ]

    def clean_links(self) -> list[str]:
        lines = self.cleaned_data.get("links", "")
        return [line.strip() for line in lines.splitlines() if line.strip()]

    def to_data(self) -> ActivityData:
        data = self.cleaned_data
        counts = {
            group: {category: data.get(demographic_column(group, category)) or 0 for category in categories}
            for group, (_label, categories) in GROUPS.items()
        }
        return ActivityData(
            type=data["type"],
            starts_at=_starts_at(data["date"], data["time"]),
            areas=list(data["areas"]),
            title=data["title"],
            address=data["address"],
            ward=data["ward"],
            place=data["place"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            officers=list(data["officers"]),
            partners=list(data["partners"]),
            other_partners=data["other_partners"],
            people_reached=data["people_reached"] or 0,
            online_reach=data["online_reach"] or 0,
            demographics=clean_demographics(counts),
            issues_raised=data["issues_raised"],
            issue_categories=list(data["issue_categories"]),
            follow_up=data["follow_up"],
            priorities_set=data["priorities_set"],
            officer_hours=data["officer_hours"] or Decimal(0),
            links=data["links"],
            notes=data["notes"],
            shared_with_partners=data["shared_with_partners"],
        )


def _pks(objects: Any) -> list[int]:
    return [o.pk for o in objects if o is not None]


def initial_from_activity(activity: Activity) -> dict[str, Any]:
    """The full edit's starting values: what is recorded now."""
    local = timezone.localtime(activity.starts_at)
    initial: dict[str, Any] = {
        "title": activity.title,
        "type": activity.type,
        "date": local.date(),
        "time": local.time().replace(second=0, microsecond=0),
        "areas": list(Area.objects.filter(activity_links__activity=activity)),
        "address": activity.address,
        "ward": activity.ward,
        "place": activity.place,
        "latitude": activity.latitude,
        "longitude": activity.longitude,
        "officers": list(activity.officers.all()),
        "partners": list(activity.partners.all()),
        "other_partners": activity.other_partners,
        "people_reached": activity.people_reached,
        "online_reach": activity.online_reach,
        "issues_raised": activity.issues_raised,
        "issue_categories": list(activity.issue_categories.all()),
        "follow_up": activity.follow_up,
        "priorities_set": activity.priorities_set,
        "officer_hours": activity.officer_hours,
        "links": "\n".join(activity.links or []),
        "notes": activity.notes,
        "shared_with_partners": activity.shared_with_partners,
    }
    demographics = activity.demographics or {}
    for group, category in field_names():
        count = demographics.get(group, {}).get(category)
        if count:
            initial[demographic_column(group, category)] = count
    return initial


class ActivityFilterForm(ActivityFormBase):
    """The list's filters (a GET form, so a filtered list, and its exports, can be linked to)."""

    area = AreaField(label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All your areas"))
    type = forms.ModelChoiceField(
        label=_("Type"), queryset=ActivityType.objects.all(), required=False, empty_label=_("All types")
    )
    category = forms.ModelChoiceField(
        label=_("Issue category"),
        queryset=selectors.categories_for_form(),
        required=False,
        empty_label=_("All issues"),
    )
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the start date like 2026-03-01")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the end date like 2026-03-31")},
    )
    q = forms.CharField(
        label=_("Words in the title, issues or notes"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    with_partners = forms.BooleanField(label=_("Only activity with partners"), required=False)

    widths = {"date_from": "govuk-input--width-10", "date_to": "govuk-input--width-10", "q": "govuk-!-width-full"}

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = selectors.filter_areas(user)  # type: ignore[attr-defined]
        for name in ("area", "type", "category"):
            self.fields[name].error_messages["invalid_choice"] = _("Choose from the list")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date must be the same as or after the start date"))
        return data

    def filters(self) -> selectors.ActivityFilters:
        if not self.is_bound or not self.is_valid():
            return selectors.ActivityFilters()
        data = self.cleaned_data
        return selectors.ActivityFilters(
            area=data["area"],
            type=data["type"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            category=data["category"],
            q=data["q"].strip(),
            with_partners=data["with_partners"],
        )
