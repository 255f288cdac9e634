"""`beatbook import-boundaries`: the hyphenated name of `import_boundaries` (Django finds commands by file name)."""

from beatbook.areas.management.commands.import_boundaries import Command

__all__ = ["Command"]
