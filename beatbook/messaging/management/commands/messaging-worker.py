"""`beatbook messaging-worker`: the hyphenated name of `messaging_worker` (Django finds commands by file name)."""

from beatbook.messaging.management.commands.messaging_worker import Command

__all__ = ["Command"]
