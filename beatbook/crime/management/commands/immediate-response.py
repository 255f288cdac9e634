"""`beatbook immediate-response`: the hyphenated name of `immediate_response` (Django finds commands by file name)."""

from beatbook.crime.management.commands.immediate_response import Command

__all__ = ["Command"]
