"""`beatbook import-postcodes`: the hyphenated name of `import_postcodes` (Django finds commands by file name)."""

from beatbook.surveys.management.commands.import_postcodes import Command

__all__ = ["Command"]
