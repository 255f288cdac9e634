"""`beatbook import-activities`: the hyphenated name of `import_activities` (Django finds commands by file name)."""

from beatbook.activity.management.commands.import_activities import Command

__all__ = ["Command"]
