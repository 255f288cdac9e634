"""`beatbook import-subscribers`: the hyphenated name of `import_subscribers` (Django finds commands by file name)."""

from beatbook.messaging.management.commands.import_subscribers import Command

__all__ = ["Command"]
