"""Crime and anti-social behaviour from data.police.uk street-level files.

The database keeps monthly counts (LSOA, month, category and last outcome): small enough
for any query a profile or the detector makes, on SQLite or PostgreSQL. The individual
rows, which only the point map needs, are kept as one Parquet file per force-month under
settings.CRIME_DATA_DIR and read with DuckDB. ARCHITECTURE.md gives the measurements.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CrimeCategory(models.Model):
    """A data.police.uk crime type, e.g. 'Burglary' or 'Anti-social behaviour'."""

    name = models.CharField(max_length=64, unique=True, help_text="Exactly as in the 'Crime type' column.")
    slug = models.SlugField(max_length=64, unique=True)
    is_anti_social_behaviour = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "crime categories"

    def __str__(self) -> str:
        return self.name


class CrimeOutcome(models.Model):
    """A 'Last outcome category' value, e.g. 'Investigation complete; no suspect identified'."""

    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class HarmWeight(models.Model):
    """How much harm one crime of a category counts for. Force rows override the defaults."""

    force = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="harm_weights",
        help_text="Empty for the installation's default weight.",
    )
    category = models.ForeignKey(CrimeCategory, on_delete=models.CASCADE, related_name="harm_weights")
    weight = models.FloatField()
    source = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["force", "category"], name="harm_weight_unique_force_category"),
            models.UniqueConstraint(
                fields=["category"], condition=models.Q(force__isnull=True), name="harm_weight_unique_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.weight}"


class CrimeImport(models.Model):
    """One force-month as last imported. Re-importing the month replaces its counts."""

    force = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="crime_imports")
    month = models.DateField(help_text="First day of the month.")
    source = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    rows_read = models.PositiveIntegerField(default=0)
    rows_no_location = models.PositiveIntegerField(default=0)
    rows_no_lsoa = models.PositiveIntegerField(default=0)
    rows_outside_force = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "month"], name="crime_import_unique_force_month")]
        ordering = ["force", "month"]

    def __str__(self) -> str:
        return f"{self.force.code} {self.month:%Y-%m}"


class CrimeCount(models.Model):
    """How many crimes of one category, with one last outcome, in one LSOA and month.

    `lsoa_code` is as published (blank when the row had no LSOA); `lsoa` is set only when
    that code is an LSOA of this force, so force totals include every published row while
    area profiles count only the force's own LSOAs.

    This table is derived: the importer rebuilds a force-month's rows from its file. A
    national year is millions of rows, and database foreign-key checks and single-column
    indexes more than doubled the PostgreSQL import time (bench/RESULTS.md), so the keys
    are not enforced by the database and only the composite indexes are kept; the importer
    writes only ids it has just looked up, and Django still cascades deletes.
    """

    force = models.ForeignKey(
        "areas.Area", on_delete=models.CASCADE, related_name="crime_counts", db_constraint=False, db_index=False
    )
    month = models.DateField()
    lsoa = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lsoa_crime_counts",
        db_constraint=False,
        db_index=False,
    )
    lsoa_code = models.CharField(max_length=12, blank=True)
    category = models.ForeignKey(
        CrimeCategory, on_delete=models.PROTECT, related_name="counts", db_constraint=False, db_index=False
    )
    outcome = models.ForeignKey(
        CrimeOutcome,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="counts",
        db_constraint=False,
        db_index=False,
    )
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["force", "month"]),
            models.Index(fields=["lsoa", "month"]),
        ]

    def __str__(self) -> str:
        return f"{self.lsoa_code or '-'} {self.month:%Y-%m} {self.category_id}: {self.count}"


class IncidentFlag(models.Model):
    """An area marked by staff for immediate-response engagement after a critical incident."""

    area = models.ForeignKey("areas.Area", on_delete=models.CASCADE, related_name="incident_flags")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="incident_flags_raised"
    )
    raised_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incident_flags_closed",
    )

    class Meta:
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.area})"
