"""`beatbook import-neighbourhoods`: the hyphenated name of `import_neighbourhoods` (Django finds commands by file name)."""

from beatbook.areas.management.commands.import_neighbourhoods import Command

__all__ = ["Command"]
