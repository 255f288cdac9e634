"""Install the default activity types, issue categories and engagement standards.

A frozen copy (migrations must not change when the code does). The standards are the
Leicestershire Police minimum engagement standards for neighbourhood teams, installed as the
installation's defaults (no force); a force that edits them gets its own copy. Rows that exist
already are left as they are, so running this again, or after an administrator's edits, keeps
those edits.
"""

from django.db import migrations

TYPES = [
    # slug, name, online, description
    ("ward-meeting", "Ward or parish meeting", False, "A ward, parish or town council meeting attended."),
    ("pact-meeting", "PACT meeting (in person)", False, "Partners and Communities Together meeting."),
    ("pact-meeting-online", "PACT meeting (online)", True, "A PACT meeting held online."),
    ("priority-setting", "Priority setting", False, "Neighbourhood priorities agreed from community information."),
    ("patch-walk", "Patch walk", False, "A walk round the beat, usually with partners."),
    ("beat-surgery", "Beat surgery", False, "A published time and place where residents can talk to the team."),
    ("street-briefing", "Street briefing", False, "A short meeting in the street about a local issue."),
    ("school-visit", "School visit", False, "An assembly, lesson or visit to a school or college."),
    ("community-event", "Community event", False, "A fete, fun day, festival or faith celebration."),
    ("door-knocking", "Door-knocking", False, "Calling at homes to talk to residents."),
    ("drop-in", "Drop-in", False, "An open session at a community venue."),
    ("survey", "Community survey", False, "Asking residents' views, such as the Your Views survey."),
    ("newsletter", "Newsletter", True, "A printed or emailed neighbourhood newsletter."),
    ("commander-blog", "Commander's blog or vlog", True, "A blog post or video from the area commander."),
    ("social-media", "Social-media post", True, "A post on the team's social-media channels."),
    ("campaign", "Campaign activity", False, "Activity for a force or national campaign."),
]

ISSUE_CATEGORIES = [
    ("anti-social-behaviour", "Anti-social behaviour"),
    ("speeding", "Speeding and road safety"),
    ("parking", "Parking"),
    ("drugs", "Drug dealing or use"),
    ("burglary", "Burglary"),
    ("vehicle-crime", "Vehicle crime"),
    ("violence", "Violence or knife crime"),
    ("youth-nuisance", "Young people causing nuisance"),
    ("environment", "Litter, fly-tipping or graffiti"),
    ("noise", "Noise"),
    ("hate-crime", "Hate crime"),
    ("fraud", "Scams and fraud"),
    ("business-crime", "Shoplifting and business crime"),
    ("safeguarding", "Safeguarding and vulnerable people"),
    ("other", "Other"),
]

STANDARDS = [
    # key, name, types, minimum, period, applies to, partner, priorities
    (
        "ward-meeting-yearly",
        "Attend at least one parish or ward meeting a year",
        ["ward-meeting"],
        1,
        "year",
        "neighbourhood",
        False,
        False,
    ),
    (
        "patch-walks-yearly",
        "At least two patch walks a year with partners",
        ["patch-walk"],
        2,
        "year",
        "neighbourhood",
        True,
        False,
    ),
    (
        "priorities-quarterly",
        "Set priorities every quarter from community information",
        ["priority-setting", "pact-meeting", "pact-meeting-online", "ward-meeting"],
        1,
        "quarter",
        "neighbourhood",
        False,
        True,
    ),
    ("survey-quarterly", "Run a survey every quarter", ["survey"], 1, "quarter", "neighbourhood", False, False),
    ("newsletter-monthly", "Publish a newsletter every month", ["newsletter"], 1, "month", "neighbourhood", False, False),
    ("commander-blog-weekly", "A commander's blog or vlog every week", ["commander-blog"], 1, "week", "npa", False, False),
    (
        "social-media-daily",
        "Post social-media content every day",
        ["social-media"],
        1,
        "day",
        "neighbourhood",
        False,
        False,
    ),
]


def install(apps, schema_editor):
    ActivityType = apps.get_model("activity", "ActivityType")
    IssueCategory = apps.get_model("activity", "IssueCategory")
    Standard = apps.get_model("activity", "Standard")
    types = {}
    for position, (slug, name, online, description) in enumerate(TYPES, start=1):
        types[slug], _ = ActivityType.objects.get_or_create(
            slug=slug, defaults={"name": name, "is_online": online, "description": description, "position": position}
        )
    for position, (slug, name) in enumerate(ISSUE_CATEGORIES, start=1):
        IssueCategory.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
    for position, (key, name, slugs, minimum, period, applies_to, partner, priorities) in enumerate(STANDARDS, 1):
        standard, created = Standard.objects.get_or_create(
            force=None,
            key=key,
            defaults={
                "name": name,
                "minimum": minimum,
                "period": period,
                "applies_to": applies_to,
                "requires_partner": partner,
                "requires_priorities": priorities,
                "position": position,
            },
        )
        if created:
            standard.types.set([types[slug] for slug in slugs])


def uninstall(apps, schema_editor):
    apps.get_model("activity", "Standard").objects.filter(force__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("activity", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
