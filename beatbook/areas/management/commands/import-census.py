"""`beatbook import-census`: the hyphenated name of `import_census` (Django finds commands by file name)."""

from beatbook.areas.management.commands.import_census import Command

__all__ = ["Command"]
