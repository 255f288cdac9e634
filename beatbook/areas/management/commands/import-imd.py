"""`beatbook import-imd`: the hyphenated name of `import_imd` (Django finds commands by file name)."""

from beatbook.areas.management.commands.import_imd import Command

__all__ = ["Command"]
