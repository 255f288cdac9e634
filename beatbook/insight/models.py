"""External benchmark series (Crime Survey for England and Wales, MOPAC Public Attitude Survey).

A series is one published measure for one area (e.g. "local police do a good job", East
Midlands); its points are the published proportions, one per period. Staff import them with
`beatbook import-benchmarks` so the confidence dashboards can draw a force's own survey
against an independent figure.
"""

from __future__ import annotations

from django.db import models


class BenchmarkSource(models.TextChoices):
    CSEW = "csew", "Crime Survey for England and Wales"
    MOPAC_PAS = "mopac-pas", "MOPAC Public Attitude Survey"
    SYNTHETIC = "synthetic", "Synthetic data (demo only)"


class AreaKind(models.TextChoices):
    COUNTRY = "country", "Country"
    REGION = "region", "Region"
    FORCE = "force", "Police force"
    BOROUGH = "borough", "Borough"


class BenchmarkSeries(models.Model):
    source = models.CharField(max_length=20, choices=BenchmarkSource.choices)
    name = models.CharField(max_length=300, help_text="What the measure means, in words.")
    measure = models.CharField(max_length=120, help_text="The measure as the source names it (e.g. ratpol3).")
    area_name = models.CharField(max_length=120)
    area_kind = models.CharField(max_length=20, choices=AreaKind.choices)
    slug = models.SlugField(max_length=200, unique=True)

    class Meta:
        ordering = ["source", "measure", "area_name"]
        verbose_name_plural = "benchmark series"

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.measure} ({self.area_name})"


class BenchmarkPoint(models.Model):
    series = models.ForeignKey(BenchmarkSeries, on_delete=models.CASCADE, related_name="points")
    period_end = models.DateField(help_text="Last day of the period the estimate covers.")
    value = models.FloatField(help_text="Proportion, 0 to 1.")
    standard_error = models.FloatField(null=True, blank=True)
    low = models.FloatField(null=True, blank=True, help_text="Lower end of the 95% interval.")
    high = models.FloatField(null=True, blank=True, help_text="Upper end of the 95% interval.")
    n = models.PositiveIntegerField(null=True, blank=True, help_text="Unweighted respondents.")

    class Meta:
        ordering = ["series", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["series", "period_end"], name="benchmark_point_one_per_period"),
            models.CheckConstraint(
                condition=models.Q(value__gte=0, value__lte=1), name="benchmark_point_value_is_proportion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.period_end}: {self.value}"
