"""`beatbook survey-scores`: the hyphenated name of `survey_scores` (Django finds commands by file name)."""

from beatbook.surveys.management.commands.survey_scores import Command

__all__ = ["Command"]
