"""Abuse protection fields, invitations, and concern themes with the installation's defaults.

The default keywords are written out here, not imported, so this migration installs the same
themes whatever later code says.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DEFAULT_THEMES: list[tuple[str, str, list[str]]] = [
    (
        "speeding-roads",
        "Speeding and road safety",
        [
            "speed*",
            "racing",
            "boy racer*",
            "dangerous driving",
            "road safety",
            "traffic",
            "car meet*",
            "crossing",
            "motorbike*",
            "scrambler*",
            "quad bike*",
            "lorr*",
            "mobile phone while driving",
            "pavement parking",
            "rat run*",
        ],
    ),
    (
        "drugs",
        "Drugs",
        [
            "drug*",
            "dealing",
            "dealer*",
            "cannabis",
            "weed",
            "skunk",
            "cocaine",
            "heroin",
            "needle*",
            "nitrous",
            "laughing gas",
            "county line*",
            "crack",
        ],
    ),
    (
        "asb-youth",
        "Anti-social behaviour and youth nuisance",
        [
            "anti-social",
            "antisocial",
            "asb",
            "youth*",
            "teenager*",
            "kids",
            "gang*",
            "loiter*",
            "hanging around",
            "intimidat*",
            "harass*",
            "nuisance",
            "vandal*",
            "graffiti",
            "abuse",
        ],
    ),
    (
        "burglary",
        "Burglary and theft",
        [
            "burglar*",
            "break in",
            "break-in*",
            "broken into",
            "burgled",
            "theft",
            "thief",
            "thieves",
            "stolen",
            "steal*",
            "shed",
            "shoplift*",
            "bike theft",
            "car crime",
            "catalytic converter*",
        ],
    ),
    (
        "parking",
        "Parking",
        [
            "parking",
            "parked",
            "park on",
            "double park*",
            "blocking driveway*",
            "blocked driveway*",
            "school run",
            "yellow line*",
        ],
    ),
    (
        "litter-fly-tipping",
        "Litter and fly-tipping",
        [
            "litter*",
            "rubbish",
            "fly tip*",
            "fly-tip*",
            "flytip*",
            "dumped",
            "dumping",
            "dog mess",
            "dog fouling",
            "bins",
            "waste",
        ],
    ),
    (
        "violence-knives",
        "Violence and knife crime",
        [
            "violen*",
            "knife",
            "knives",
            "stab*",
            "fight*",
            "assault*",
            "weapon*",
            "gun*",
            "shooting*",
            "attack*",
            "mugg*",
            "robber*",
            "domestic abuse",
        ],
    ),
    (
        "noise",
        "Noise",
        ["noise", "noisy", "loud music", "loud", "party", "parties", "shouting", "barking"],
    ),
    (
        "scams",
        "Scams and fraud",
        ["scam*", "fraud*", "con artist*", "cold call*", "rogue trader*", "doorstep*", "phishing", "online crime"],
    ),
    (
        "visible-policing",
        "Visible policing and police presence",
        [
            "police presence",
            "more police",
            "see police",
            "no police",
            "never see",
            "visible",
            "visibility",
            "patrol*",
            "bobby",
            "bobbies on the beat",
            "pcso*",
            "response time*",
            "officers on foot",
            "police station",
            "nobody came",
            "didn't come",
            "did not come",
        ],
    ),
    ("other", "Other", []),
]


def install(apps, schema_editor):
    ConcernTheme = apps.get_model("surveys", "ConcernTheme")
    for position, (slug, name, keywords) in enumerate(DEFAULT_THEMES, start=1):
        ConcernTheme.objects.update_or_create(
            force=None, slug=slug, defaults={"name": name, "keywords": "\n".join(keywords), "position": position}
        )


def uninstall(apps, schema_editor):
    apps.get_model("surveys", "ConcernTheme").objects.filter(force=None).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("surveys", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConcernTheme",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(max_length=40)),
                ("name", models.CharField(max_length=100)),
                (
                    "keywords",
                    models.TextField(
                        blank=True,
                        help_text="One word or phrase a line; case is ignored, plurals match, a trailing * matches any ending.",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                ("active", models.BooleanField(default=True)),
            ],
            options={
                "ordering": ["position", "slug"],
            },
        ),
        migrations.CreateModel(
            name="Invitation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("used_at", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name="response",
            name="address_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="response",
            name="fingerprint",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="response",
            name="review_note",
            field=models.TextField(blank=True),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["survey", "address_hash", "submitted_at"], name="survey_response_address"),
        ),
        migrations.AddField(
            model_name="concerntheme",
            name="force",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="concern_themes",
                to="areas.area",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="area",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="areas.area"
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="response",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="invitation",
                to="surveys.response",
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="survey",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="invitations", to="surveys.survey"
            ),
        ),
        migrations.AddField(
            model_name="invitation",
            name="wave",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="invitations", to="surveys.wave"
            ),
        ),
        migrations.AddConstraint(
            model_name="concerntheme",
            constraint=models.UniqueConstraint(fields=("force", "slug"), name="survey_theme_unique_force_slug"),
        ),
        migrations.AddConstraint(
            model_name="concerntheme",
            constraint=models.UniqueConstraint(
                condition=models.Q(("force__isnull", True)), fields=("slug",), name="survey_theme_unique_default_slug"
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
