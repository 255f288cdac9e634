"""`beatbook import-survey-responses`: the hyphenated name of `import_survey_responses`."""

from beatbook.surveys.management.commands.import_survey_responses import Command

__all__ = ["Command"]
