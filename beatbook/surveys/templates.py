"""The standard "Your Views" survey: its questions, wording and the answer codes scoring uses.

The equality answers are stored as indexes into `AGE_BANDS`, `SEXES` and `ETHNIC_GROUPS`, the
order `scoring.Census` uses for its labels (`selectors` builds the census margins in the same
order). The age bands are cut where both the 2011 and the 2021 census age tables cut, so the
margins need no guessing beyond the 16-19 part of the census's 15-19 band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import QuestionKind, QuestionRole

PREFER_NOT_TO_SAY = "prefer-not-to-say"
DONT_KNOW = "dont-know"

# Agreement scale: option key → scoring value (1 strongly disagree … 5 strongly agree, 0 don't know).
AGREE5: dict[str, int] = {
    "strongly-disagree": 1,
    "disagree": 2,
    "neither": 3,
    "agree": 4,
    "strongly-agree": 5,
    DONT_KNOW: 0,
}
AGREE5_LABELS = {
    "strongly-disagree": "Strongly disagree",
    "disagree": "Disagree",
    "neither": "Neither agree nor disagree",
    "agree": "Agree",
    "strongly-agree": "Strongly agree",
    DONT_KNOW: "Don't know",
}
YES_NO_LABELS = {"yes": "Yes", "no": "No"}

# (option key, label, lowest age, highest age or None): the scoring order.
AGE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("16-24", "16 to 24", 16, 24),
    ("25-44", "25 to 44", 25, 44),
    ("45-59", "45 to 59", 45, 59),
    ("60-74", "60 to 74", 60, 74),
    ("75-plus", "75 or over", 75, None),
)
SEXES: tuple[tuple[str, str], ...] = (("female", "Female"), ("male", "Male"))
ETHNIC_GROUPS: tuple[tuple[str, str], ...] = (
    ("white", "White"),
    ("mixed", "Mixed or multiple ethnic groups"),
    ("asian", "Asian or Asian British"),
    ("black", "Black, Black British, Caribbean or African"),
    ("other", "Another ethnic group"),
)


def scoring_code(role: str, value: Any) -> int | None:
    """The scoring column value for an answer to a question with `role` (None: not given)."""
    if value in (None, "", PREFER_NOT_TO_SAY):
        return None
    if role.startswith("confidence_"):
        return AGREE5.get(str(value))
    keys: list[str]
    if role == QuestionRole.AGE_BAND:
        keys = [key for key, *_ in AGE_BANDS]
    elif role == QuestionRole.SEX:
        keys = [key for key, _ in SEXES]
    elif role == QuestionRole.ETHNIC_GROUP:
        keys = [key for key, _ in ETHNIC_GROUPS]
    else:
        return None
    # An answer outside the scoring categories (e.g. a sex described another way) is not
    # used for weighting, like "prefer not to say".
    return keys.index(str(value)) if str(value) in keys else None


@dataclass(frozen=True)
class TemplateQuestion:
    key: str
    kind: str
    role: str
    text: str
    hint: str = ""
    required: bool = False
    options: dict[str, str] = field(default_factory=dict)

    def texts(self, language: str = "en") -> dict[str, Any]:
        return {language: {"text": self.text, "hint": self.hint, "options": dict(self.options)}}


def _with_prefer_not(options: dict[str, str]) -> dict[str, str]:
    return {**options, PREFER_NOT_TO_SAY: "Prefer not to say"}


CONFIDENCE_QUESTIONS: tuple[TemplateQuestion, ...] = (
    TemplateQuestion(
        "understand-issues",
        QuestionKind.AGREE5,
        QuestionRole.CONFIDENCE_1,
        "The police in this area understand the issues that matter to people here and deal with them.",
        options=AGREE5_LABELS,
    ),
    TemplateQuestion(
        "feel-safe",
        QuestionKind.AGREE5,
        QuestionRole.CONFIDENCE_2,
        "I feel safe where I live.",
        options=AGREE5_LABELS,
    ),
    TemplateQuestion(
        "kept-informed",
        QuestionKind.AGREE5,
        QuestionRole.CONFIDENCE_3,
        "The police keep me informed about what they are doing in my area.",
        options=AGREE5_LABELS,
    ),
    TemplateQuestion(
        "good-job",
        QuestionKind.AGREE5,
        QuestionRole.CONFIDENCE_4,
        "Taking everything into account, the police in this area do a good job.",
        options=AGREE5_LABELS,
    ),
    TemplateQuestion(
        "trust-police",
        QuestionKind.AGREE5,
        QuestionRole.CONFIDENCE_5,
        "I trust the police in my area.",
        options=AGREE5_LABELS,
    ),
)

CONCERN_QUESTION = TemplateQuestion(
    "main-concern",
    QuestionKind.TEXT,
    QuestionRole.CONCERN,
    "What is the one thing you would most like the police to deal with where you live?",
    hint="Optional. Please do not include names or other details that could identify anyone.",
)

EQUALITY_QUESTIONS: tuple[TemplateQuestion, ...] = (
    TemplateQuestion(
        "age-band",
        QuestionKind.SINGLE,
        QuestionRole.AGE_BAND,
        "How old are you?",
        hint="Optional. We use this to check we are hearing from people of every age.",
        options=_with_prefer_not({key: label for key, label, *_ in AGE_BANDS}),
    ),
    TemplateQuestion(
        "sex",
        QuestionKind.SINGLE,
        QuestionRole.SEX,
        "What is your sex?",
        hint="Optional.",
        options=_with_prefer_not({**dict(SEXES), "other": "I describe myself another way"}),
    ),
    TemplateQuestion(
        "ethnic-group",
        QuestionKind.SINGLE,
        QuestionRole.ETHNIC_GROUP,
        "Which of these best describes your ethnic group or background?",
        hint="Optional.",
        options=_with_prefer_not(dict(ETHNIC_GROUPS)),
    ),
    TemplateQuestion(
        "disability",
        QuestionKind.SINGLE,
        QuestionRole.DISABILITY,
        "Do you consider yourself to have a disability or a long-term health condition?",
        hint="Optional.",
        options=_with_prefer_not(dict(YES_NO_LABELS)),
    ),
)


def standard_questions(*, concern: bool = True, equality: bool = True) -> list[TemplateQuestion]:
    """The "Your Views" questions in order: the five confidence questions are always asked."""
    questions = list(CONFIDENCE_QUESTIONS)
    if concern:
        questions.append(CONCERN_QUESTION)
    if equality:
        questions.extend(EQUALITY_QUESTIONS)
    return questions
