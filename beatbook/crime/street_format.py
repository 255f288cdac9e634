"""The data.police.uk street-level file layout, kept free of Django imports so that the
importer, the demo generator and the benchmark (before Django is set up) share one copy."""

HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
