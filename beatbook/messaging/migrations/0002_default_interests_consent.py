"""Install the default subscriber interests and the first consent wording.

A frozen copy (migrations must not change when the code does). Rows that exist already are
left as they are, so running this again keeps an administrator's edits.
"""

from django.db import migrations

INTERESTS = [
    # slug, name, description
    ("burglary", "Burglary", "Break-ins at homes, sheds and garages, and how to prevent them."),
    ("anti-social-behaviour", "Anti-social behaviour", "Nuisance, noise, vandalism and what is being done."),
    ("rural-crime", "Rural crime", "Farm, machinery, livestock and wildlife crime."),
    ("business-crime", "Business crime", "Shoplifting, fraud against businesses and retail safety."),
    ("fraud-scams", "Fraud and scams", "Scams doing the rounds and how to spot them."),
    ("road-safety", "Road safety", "Speeding, parking and safety on local roads."),
    ("vehicle-crime", "Vehicle crime", "Thefts of and from vehicles."),
    ("events", "Events", "Beat surgeries, meetings and community events near you."),
    ("appeals", "Appeals for information", "When we are asking the public for help with an investigation."),
    ("volunteering", "Volunteering", "Neighbourhood Watch, Speedwatch, cadets and special constables."),
]

WORDING = (
    "I agree to receive messages from my local police and the partners they work with about the "
    "areas and subjects I have chosen, by the ways I have chosen. My details are used only to "
    "send these messages and to count how many people they reach. I can change what I receive, "
    "download my details or unsubscribe at any time from the link in every message."
)


def install(apps, schema_editor):
    Interest = apps.get_model("messaging", "Interest")
    ConsentWording = apps.get_model("messaging", "ConsentWording")
    for position, (slug, name, description) in enumerate(INTERESTS):
        Interest.objects.get_or_create(
            force=None, slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    ConsentWording.objects.get_or_create(force=None, version="1", defaults={"text": WORDING})


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
