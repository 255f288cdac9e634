"""Engagement activity: one record for everything a neighbourhood team does to engage, and the
engagement standards that activity is checked against.

An `Activity` belongs to one force and to one or more policing areas (neighbourhoods, or a
whole NPA for a commander's blog). `ActivityArea` is that link, carrying a copy of the few
facts the compliance engine counts by (local date, type, partner present, priorities set), so
a force's compliance for a year is one `GROUP BY` over one indexed table whatever the number of
teams (bench/compliance.py). Services keep the copies in step; nothing else writes them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ActivityType(models.Model):
    """A kind of engagement: 'Patch walk', 'PACT meeting', 'Newsletter'…

    Installation-wide: the defaults come from migration 0002 and force administrators can add,
    rename and retire types (a retired type keeps its past activities but is not offered).
    """

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    is_online = models.BooleanField(
        default=False, help_text="Published rather than met in person: reach is counted online."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class IssueCategory(models.Model):
    """A category for the issues people raise ('Speeding', 'Drug dealing'…). Installation-wide."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "issue categories"

    def __str__(self) -> str:
        return self.name


class Partner(models.Model):
    """An organisation a force engages alongside: a council, a housing provider, a school…"""

    class Kind(models.TextChoices):
        COUNCIL = "council", "Local council"
        HOUSING = "housing", "Housing provider"
        FIRE = "fire", "Fire and rescue"
        HEALTH = "health", "Health"
        EDUCATION = "education", "School or college"
        VOLUNTARY = "voluntary", "Voluntary or community group"
        BUSINESS = "business", "Business"
        FAITH = "faith", "Faith group"
        OTHER = "other", "Other"

    force = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="partners")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["force", "name"], name="partner_unique_force_name")]

    def __str__(self) -> str:
        return self.name


class Place(models.Model):
    """A place a team goes back to (a community centre, a school, a park), to pick rather than type."""

    force = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="places")
    neighbourhood = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="places_in"
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["force", "name"], name="place_unique_force_name")]

    def __str__(self) -> str:
        return self.name


class Activity(models.Model):
    """One engagement activity, as recorded by an officer (or imported from a spreadsheet)."""

    force = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="activities")
    type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="activities")
    title = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    # The Europe/London date of `starts_at`: standards count by local calendar days and ISO
    # weeks, so a meeting at 00:30 BST on 1 April (23:30 UTC on 31 March) counts for April.
    date = models.DateField(db_index=True)
    areas: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        "areas.Area", through="ActivityArea", through_fields=("activity", "area"), related_name="activities_in"
    )

    # Where: any of a free-text address, a ward, a point, a known place.
    address = models.CharField(max_length=300, blank=True)
    ward = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.SET_NULL, related_name="ward_activities"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    # Who took part.
    officers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="activities_attended")
    partners = models.ManyToManyField(Partner, blank=True, related_name="activities")
    other_partners = models.CharField(
        max_length=300, blank=True, help_text="Partners not in the force's list, comma separated."
    )

    # Who was reached. Demographics are aggregate counts only, never about a person:
    # {"age": {"under_18": 4, …}, "sex": {…}, "ethnic_group": {…}} (see demographics.py).
    people_reached = models.PositiveIntegerField(default=0, help_text="People met in person.")
    online_reach = models.PositiveIntegerField(default=0, help_text="Views, recipients or followers reached online.")
    demographics = models.JSONField(default=dict, blank=True)

    # What came of it.
    issues_raised = models.TextField(blank=True)
    issue_categories = models.ManyToManyField(IssueCategory, blank=True, related_name="activities")
    follow_up = models.TextField(blank=True, help_text="Actions agreed, and who owns them.")
    priorities_set = models.BooleanField(
        default=False, help_text="Neighbourhood priorities were set or reviewed from what the community said."
    )
    officer_hours = models.DecimalField(max_digits=6, decimal_places=2, default=0)
    links = models.JSONField(default=list, blank=True, help_text="Web addresses: a post, a video, minutes.")
    notes = models.TextField(blank=True)

    shared_with_partners = models.BooleanField(
        default=False, help_text="Partner accounts in these neighbourhoods may see this record."
    )

    # Bookkeeping. `client_id` is made by the phone for each draft, so a form sent twice (a
    # retry after the connection dropped) makes one record; `import_key` does the same for
    # rows of a spreadsheet imported again.
    client_id = models.UUIDField(null=True, blank=True, unique=True, default=None)
    import_key = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities_recorded"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["force", "date"], name="activity_force_date")]
        constraints = [
            models.UniqueConstraint(
                fields=["force", "import_key"],
                condition=~models.Q(import_key=""),
                name="activity_unique_import_key",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.type} {self.date:%d %b %Y}"

    @property
    def with_partner(self) -> bool:
        """True when at least one partner organisation took part (a condition some standards set)."""
        return bool(self.other_partners.strip()) or self.partners.exists()

    @property
    def total_reach(self) -> int:
        return self.people_reached + self.online_reach


class ActivityArea(models.Model):
    """An activity in one area, with the facts standards count by copied from the activity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="area_links")
    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="activity_links")
    force = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    with_partner = models.BooleanField(default=False)
    priorities_set = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "area"], name="activity_area_unique")]
        indexes = [
            models.Index(fields=["force", "date"], name="activity_area_force_date"),
            # Covering: the compliance query groups by these columns for a date range of areas,
            # so both of its halves read the index alone (bench/compliance.py: 0.49 s → about
            # 0.3 s for a force of 60 teams and 500,000 activities on SQLite).
            models.Index(
                fields=["area", "date", "type", "with_partner", "priorities_set", "activity"],
                name="activity_area_covering",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} in {self.area_id}"


class Period(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


class AppliesTo(models.TextChoices):
    NEIGHBOURHOOD = "neighbourhood", "Each neighbourhood team"
    NPA = "npa", "Each neighbourhood policing area"


class Standard(models.Model):
    """A minimum: at least `minimum` activities of these types each `period`, for each team.

    Rows with no force are the installation's defaults (the Leicestershire set, migration
    0002); a force that edits its standards gets its own copy of the whole set first
    (`services.standards_adopt`), so the defaults stay as installed for other forces.
    """

    force = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="standards")
    key = models.SlugField(max_length=64, help_text="Stable name, used by imports and the API.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    types = models.ManyToManyField(ActivityType, related_name="standards")
    minimum = models.PositiveIntegerField(default=1)
    period = models.CharField(max_length=8, choices=Period.choices)
    applies_to = models.CharField(max_length=16, choices=AppliesTo.choices, default=AppliesTo.NEIGHBOURHOOD)
    requires_partner = models.BooleanField(default=False, help_text="Only activities with at least one partner count.")
    requires_priorities = models.BooleanField(
        default=False, help_text="Only activities where priorities were set from community information count."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["force", "key"], name="standard_unique_force_key"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(force__isnull=True), name="standard_unique_default_key"
            ),
            models.CheckConstraint(condition=models.Q(minimum__gte=1), name="standard_minimum_at_least_one"),
        ]

    def __str__(self) -> str:
        return self.name
