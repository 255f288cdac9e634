"""`beatbook crime-summary`: the hyphenated name of `crime_summary` (Django finds commands by file name)."""

from beatbook.crime.management.commands.crime_summary import Command

__all__ = ["Command"]
