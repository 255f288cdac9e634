"""Harm weights: the seeded defaults, their derivation from the ONS Crime Severity Score,
force overrides, and the audited service that sets them."""

from __future__ import annotations

import csv
import gzip
import importlib
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied, ValidationError

from beatbook.accounts.models import AuditEvent
from beatbook.areas.tests.synthetic import SmallForce, build_small_force
from beatbook.crime import harm
from beatbook.crime.models import CrimeCategory, HarmWeight
from beatbook.crime.selectors import category_weights

from .profile_data import ensure_categories

pytestmark = pytest.mark.django_db

SEED_MIGRATION = importlib.import_module("beatbook.crime.migrations.0002_categories_and_harm_weights")


@pytest.fixture
def small() -> SmallForce:
    ensure_categories()
    return build_small_force()


def test_migration_seeds_the_14_categories_once() -> None:
    # Run the migration's own function on empty tables (a browser test may have emptied
    # them), twice: the second run must change nothing.
    HarmWeight.objects.all().delete()
    CrimeCategory.objects.all().delete()
    SEED_MIGRATION.seed(django_apps, None)
    SEED_MIGRATION.seed(django_apps, None)
    categories = list(CrimeCategory.objects.order_by("position"))
    assert [c.name for c in categories] == [
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
    ]
    assert [c.position for c in categories] == list(range(1, 15))
    assert [c.name for c in categories if c.is_anti_social_behaviour] == ["Anti-social behaviour"]
    slugs = {c.name: c.slug for c in categories}
    assert slugs["Violence and sexual offences"] == "violent-crime"
    assert slugs["Criminal damage and arson"] == "criminal-damage-arson"
    weights = dict(HarmWeight.objects.filter(force=None).values_list("category__name", "weight"))
    assert weights == {
        "Anti-social behaviour": 0.0,
        "Bicycle theft": 145.2,
        "Burglary": 145.2,
        "Criminal damage and arson": 23.3,
        "Drugs": 75.3,
        "Other crime": 75.3,
        "Other theft": 145.2,
        "Possession of weapons": 75.3,
        "Public order": 75.3,
        "Robbery": 991.9,
        "Shoplifting": 145.2,
        "Theft from the person": 145.2,
        "Vehicle crime": 145.2,
        "Violence and sexual offences": 289.0,
    }
    # The frozen copy in the migration is the table harm.py documents.
    assert weights == harm.DEFAULT_WEIGHTS
    assert HarmWeight.objects.count() == 14


def test_migration_keeps_a_category_the_importer_made_first() -> None:
    HarmWeight.objects.all().delete()
    CrimeCategory.objects.all().delete()
    made = CrimeCategory.objects.create(name="Burglary", slug="burglary", position=0)
    SEED_MIGRATION.seed(django_apps, None)
    made.refresh_from_db()
    assert made.position == 3
    assert CrimeCategory.objects.filter(name="Burglary").count() == 1


def test_derive_weights_arithmetic() -> None:
    # Two groups, two years; weight = pooled score x population / pooled count.
    seeds = [
        harm.CategorySeed("Robbery", "robbery", (harm.ROBBERY,), 0),
        harm.CategorySeed("Burglary", "burglary", (harm.THEFT,), 0),
        harm.CategorySeed("Shoplifting", "shoplifting", (harm.THEFT,), 0),
        harm.CategorySeed("Anti-social behaviour", "asb", (), 0, is_anti_social_behaviour=True),
    ]
    severity = {(harm.ROBBERY, 2021): 0.5, (harm.ROBBERY, 2022): 1.5, (harm.THEFT, 2021): 2.0, (harm.THEFT, 2022): 4.0}
    counts = {("Robbery", 2021): 10, ("Robbery", 2022): 30, ("Burglary", 2021): 100, ("Shoplifting", 2022): 200}
    weights = harm.derive_weights(
        severity=severity, counts=counts, population=1000, years=[2021, 2022], categories=seeds
    )
    # Robbery: (0.5 + 1.5) x 1000 / (10 + 30) = 50. Theft: (2 + 4) x 1000 / (100 + 200) = 20.
    assert weights == {"Robbery": 50.0, "Burglary": 20.0, "Shoplifting": 20.0, "Anti-social behaviour": 0.0}
    with pytest.raises(ValueError, match="Robbery"):
        harm.derive_weights(severity=severity, counts={}, population=1000, years=[2021], categories=seeds[:1])


def test_financial_year_months() -> None:
    assert harm.financial_year_months(2022) == [
        "2021-04", "2021-05", "2021-06", "2021-07", "2021-08", "2021-09",
        "2021-10", "2021-11", "2021-12", "2022-01", "2022-02", "2022-03",
    ]  # fmt: skip


@pytest.mark.realdata
@pytest.mark.slow
def test_default_weights_are_derived_from_the_ons_scores_and_street_files(shared_data: Path) -> None:
    """Re-runs the documented derivation on the files themselves (read in place)."""
    severity = harm.read_severity_scores(
        shared_data / "crime_severity" / "ons_crime_severity_score_by_pfa_region_2003_2022.csv.gz",
        area_code=harm.DERIVATION_FORCE_CODE,
    )
    # SOURCES.md fact 17: Leicestershire, year ending March 2022.
    assert severity[(harm.TOTAL, 2022)] == pytest.approx(16.681208278402543)
    assert severity[(harm.VIOLENCE, 2022)] == pytest.approx(5.2389882967825656)
    # The six groups add up to the total, so nothing is left out by using them.
    for year in harm.DERIVATION_YEARS:
        assert sum(severity[(g, year)] for g in harm.CSS_GROUPS) == pytest.approx(severity[(harm.TOTAL, year)])
    counts: Counter[tuple[str, int]] = Counter()
    for year in harm.DERIVATION_YEARS:
        for month in harm.financial_year_months(year):
            path = shared_data / "street_crime" / f"{month}-leicestershire-street.csv.gz"
            with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
                for row in csv.DictReader(handle):
                    counts[(row["Crime type"], year)] += 1
    # The street files' counts for the year ending March 2022 (hand-checked with zcat | wc).
    assert counts[("Violence and sexual offences", 2022)] == 40761
    assert counts[("Robbery", 2022)] == 699
    derived = harm.derive_weights(
        severity=severity, counts=counts, population=harm.DERIVATION_POPULATION, years=harm.DERIVATION_YEARS
    )
    assert {name: round(w, 1) for name, w in derived.items()} == harm.DEFAULT_WEIGHTS
    # By construction the weights give back the force's CSS: harm per resident over the
    # two years, averaged, equals the mean published total score.
    harm_per_resident = sum(
        counts[(name, year)] * derived[name] for name in derived for year in harm.DERIVATION_YEARS
    ) / (harm.DERIVATION_POPULATION * len(harm.DERIVATION_YEARS))
    assert harm_per_resident == pytest.approx(
        (severity[(harm.TOTAL, 2021)] + severity[(harm.TOTAL, 2022)]) / 2, rel=1e-9
    )


def test_force_rows_override_the_defaults_for_that_force_only(small: SmallForce) -> None:
    burglary = CrimeCategory.objects.get(slug="burglary")
    harm.harm_weight_set(actor=None, force=small.force, category=burglary, weight=400, source="Force table 2024")
    mine = {c.slug: c for c in category_weights(small.force)}
    theirs = {c.slug: c for c in category_weights(small.other_force)}
    assert mine["burglary"].weight == 400
    assert mine["burglary"].weight_is_force_override
    assert mine["burglary"].weight_source == "Force table 2024"
    assert mine["robbery"].weight == 991.9 and not mine["robbery"].weight_is_force_override
    assert theirs["burglary"].weight == 145.2
    # Every category appears, in position order.
    assert [c.slug for c in category_weights(small.force)][:3] == ["anti-social-behaviour", "bicycle-theft", "burglary"]


def test_a_category_without_any_weight_weighs_nothing(small: SmallForce) -> None:
    CrimeCategory.objects.create(name="Something new", slug="something-new", position=99)
    new = next(c for c in category_weights(small.force) if c.slug == "something-new")
    assert new.weight == 0.0 and new.weight_source == ""


def test_harm_weight_set_is_audited_and_updates_in_place(small: SmallForce) -> None:
    robbery = CrimeCategory.objects.get(slug="robbery")
    analyst = small.users["analyst"]
    harm.harm_weight_set(actor=analyst, force=small.force, category=robbery, weight=800, source="first")
    harm.harm_weight_set(actor=analyst, force=small.force, category=robbery, weight=850.5, source="second")
    assert HarmWeight.objects.filter(force=small.force, category=robbery).count() == 1
    assert HarmWeight.objects.get(force=small.force, category=robbery).weight == 850.5
    events = list(AuditEvent.objects.filter(action="crime.harm_weight_set").order_by("id"))
    assert [e.before for e in events] == [None, {"weight": 800.0, "source": "first"}]
    assert events[1].after == {"weight": 850.5, "source": "second"}
    assert events[1].actor == analyst and events[1].force == small.force
    # The command line (no actor) may change the installation's default.
    harm.harm_weight_set(actor=None, force=None, category=robbery, weight=900, source="local policy")
    assert HarmWeight.objects.get(force=None, category=robbery).weight == 900
    assert AuditEvent.objects.filter(action="crime.harm_weight_set").latest("id").actor_label == "command line"


def test_harm_weight_set_refusals(small: SmallForce) -> None:
    robbery = CrimeCategory.objects.get(slug="robbery")
    before = HarmWeight.objects.count()
    for name in ("officer", "commander"):
        with pytest.raises(PermissionDenied):
            harm.harm_weight_set(actor=small.users[name], force=small.force, category=robbery, weight=1, source="")
    # Another force's administrator, and anyone signed in changing the defaults.
    with pytest.raises(PermissionDenied):
        harm.harm_weight_set(actor=small.users["outsider"], force=small.force, category=robbery, weight=1, source="")
    with pytest.raises(PermissionDenied):
        harm.harm_weight_set(actor=small.users["admin"], force=None, category=robbery, weight=1, source="")
    for bad in (-1, float("nan"), float("inf"), "heavy"):
        with pytest.raises(ValidationError):
            harm.harm_weight_set(actor=None, force=small.force, category=robbery, weight=bad, source="")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        harm.harm_weight_set(actor=None, force=small.npas[0], category=robbery, weight=1, source="")
    assert HarmWeight.objects.count() == before
    assert not AuditEvent.objects.filter(action="crime.harm_weight_set").exists()
