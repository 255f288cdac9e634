"""Seed the 14 data.police.uk crime types and their default harm weights.

A frozen copy of `beatbook.crime.harm.CATEGORIES` (migrations must not change when the
code does): name, data.police.uk slug, position, whether it is anti-social behaviour, and
the default weight derived in harm.py from the ONS Crime Severity Score. Existing rows
(an importer may have created a category first) are updated, not duplicated; a default
weight already set is left as it is.
"""

from django.db import migrations

SOURCE = (
    "Derived from the ONS Crime Severity Score by offence group (Leicestershire, years ending "
    "March 2021 and 2022) and data.police.uk street-level counts; see beatbook/crime/harm.py."
)

CATEGORIES = [
    # name, slug, anti-social behaviour, default weight
    ("Anti-social behaviour", "anti-social-behaviour", True, 0.0),
    ("Bicycle theft", "bicycle-theft", False, 145.2),
    ("Burglary", "burglary", False, 145.2),
    ("Criminal damage and arson", "criminal-damage-arson", False, 23.3),
    ("Drugs", "drugs", False, 75.3),
    ("Other crime", "other-crime", False, 75.3),
    ("Other theft", "other-theft", False, 145.2),
    ("Possession of weapons", "possession-of-weapons", False, 75.3),
    ("Public order", "public-order", False, 75.3),
    ("Robbery", "robbery", False, 991.9),
    ("Shoplifting", "shoplifting", False, 145.2),
    ("Theft from the person", "theft-from-the-person", False, 145.2),
    ("Vehicle crime", "vehicle-crime", False, 145.2),
    ("Violence and sexual offences", "violent-crime", False, 289.0),
]


def seed(apps, schema_editor):
    CrimeCategory = apps.get_model("crime", "CrimeCategory")
    HarmWeight = apps.get_model("crime", "HarmWeight")
    for position, (name, slug, is_asb, weight) in enumerate(CATEGORIES, start=1):
        # A category the importer made up first may hold this slug under another name.
        CrimeCategory.objects.filter(slug=slug).exclude(name=name).update(slug=f"{slug}-{position}")
        category, _created = CrimeCategory.objects.update_or_create(
            name=name, defaults={"slug": slug, "is_anti_social_behaviour": is_asb, "position": position}
        )
        HarmWeight.objects.get_or_create(
            force=None, category=category, defaults={"weight": weight, "source": SOURCE}
        )


def unseed(apps, schema_editor):
    # Counts may refer to the categories (PROTECT), so only the default weights go.
    HarmWeight = apps.get_model("crime", "HarmWeight")
    HarmWeight.objects.filter(force__isnull=True, category__name__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("crime", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
