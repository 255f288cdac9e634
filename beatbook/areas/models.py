"""Geography: force → policing area (NPA) → neighbourhood → LSOA, plus ONS areas.

Every area is one row of `Area`, told apart by `level`. The policing hierarchy uses
`parent` (LSOA → neighbourhood → NPA → force). ONS areas that do not nest in it (wards,
local authority districts, MSOAs) are linked from each LSOA by best fit instead.
Geometry is GeoJSON in WGS84 (lon/lat), with its bounding box kept in columns so that
map and lookup queries can filter without parsing JSON.
"""

from __future__ import annotations

from django.db import models


class Level(models.TextChoices):
    FORCE = "force", "Force"
    NPA = "npa", "Policing area"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
    LAD = "lad", "Local authority district"
    WARD = "ward", "Ward"
    MSOA = "msoa", "MSOA"
    LSOA = "lsoa", "LSOA"


POLICING_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD, Level.LSOA)


class Area(models.Model):
    level = models.CharField(max_length=16, choices=Level.choices)
    code = models.CharField(max_length=32, help_text="ONS code (E01…) or the force's own code.")
    name = models.CharField(max_length=200)
    force = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="force_areas",
        limit_choices_to={"level": Level.FORCE},
        help_text="The force this area belongs to; empty for a force itself or an area outside every force.",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        help_text="Next level up the policing hierarchy.",
    )
    lad = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="lad_areas")
    ward = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="ward_lsoas")
    msoa = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="msoa_lsoas")
    geometry = models.JSONField(null=True, blank=True, help_text="GeoJSON geometry, WGS84.")
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    area_sq_km = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="File or process the area came from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "code"], name="area_unique_level_code")]
        indexes = [
            models.Index(fields=["level", "force"]),
            models.Index(fields=["parent"]),
            models.Index(fields=["code"]),
        ]
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def owning_force(self) -> Area | None:
        """The force this area is in: the area itself when it is a force."""
        return self if self.level == Level.FORCE else self.force


class Deprivation(models.Model):
    """English Indices of Deprivation 2019 for one LSOA (rank 1 is the most deprived)."""

    lsoa = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="deprivation")
    imd_rank = models.PositiveIntegerField()
    imd_decile = models.PositiveSmallIntegerField()
    income_rank = models.PositiveIntegerField(null=True, blank=True)
    income_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    employment_rank = models.PositiveIntegerField(null=True, blank=True)
    employment_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    education_rank = models.PositiveIntegerField(null=True, blank=True)
    education_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    health_rank = models.PositiveIntegerField(null=True, blank=True)
    health_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    crime_rank = models.PositiveIntegerField(null=True, blank=True)
    crime_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    housing_rank = models.PositiveIntegerField(null=True, blank=True)
    housing_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    living_environment_rank = models.PositiveIntegerField(null=True, blank=True)
    living_environment_decile = models.PositiveSmallIntegerField(null=True, blank=True)
    # Mid-2015 population denominators published with the indices (File 6).
    population_total = models.PositiveIntegerField(null=True, blank=True)
    population_0_15 = models.PositiveIntegerField(null=True, blank=True)
    population_16_59 = models.PositiveIntegerField(null=True, blank=True)
    population_60_plus = models.PositiveIntegerField(null=True, blank=True)
    population_working_age = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"IMD {self.imd_rank} ({self.lsoa.code})"


DOMAINS = (
    ("imd", "Index of Multiple Deprivation"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education, skills and training"),
    ("health", "Health deprivation and disability"),
    ("crime", "Crime"),
    ("housing", "Barriers to housing and services"),
    ("living_environment", "Living environment"),
)


class CensusTopic(models.TextChoices):
    POPULATION = "population", "Population"
    AGE = "age", "Age"
    SEX = "sex", "Sex"
    ETHNIC_GROUP = "ethnic_group", "Ethnic group"
    RELIGION = "religion", "Religion"
    ENGLISH_PROFICIENCY = "english_proficiency", "Proficiency in English"


# The category of the `population` topic's one cell: all usual residents of the LSOA.
CENSUS_TOTAL = "total"


class CensusCount(models.Model):
    """One census count for one LSOA: e.g. 2011, ethnic group, 'Indian', 1,550 people."""

    lsoa = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="census_counts")
    census_year = models.PositiveSmallIntegerField()
    topic = models.CharField(max_length=32, choices=CensusTopic.choices)
    category = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(default=0, help_text="Display order within the topic.")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["lsoa", "census_year", "topic", "category"], name="census_unique_cell")
        ]
        indexes = [models.Index(fields=["census_year", "topic"])]

    def __str__(self) -> str:
        return f"{self.lsoa.code} {self.census_year} {self.topic}/{self.category}: {self.count}"
