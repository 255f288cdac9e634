"""What people said: free-text concerns grouped into themes by keyword rules, and redaction.

`assign` and `redact` are pure. A theme's keywords are words or phrases, one a line, matched
as whole words, ignoring case, with light stemming (a plural "s", "es" or "ies" matches the
singular) and a trailing "*" matching any ending ("speed*" matches "speeding", "speeders").
Clustering with an embedding model (issue 5, item 6, optional) is not done: rules only.

`top_themes` reads the counted concerns of one area and wave; its quotes are redacted unless
staff ask for them as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from beatbook.areas.models import Area, Level

from .models import ConcernTheme, QuestionRole, Response, ResponseStatus, Survey, Wave

REMOVED = "[removed]"
QUOTES_PER_THEME = 3
QUOTE_LIMIT = 300

WORD = re.compile(r"[a-z0-9]+(?:['\u2019][a-z]+)?")


class ThemeRule(Protocol):
    """What `assign` needs of a theme; `ConcernTheme` is one."""

    slug: str
    keywords: str


def _stem(word: str) -> str:
    """The singular of a plural, roughly: enough that "cars" matches "car" and "parties"
    matches "party", without a dictionary. Short words and "-ss" words are left alone."""
    word = word.replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [_stem(word) for word in WORD.findall(text.lower())]


@dataclass(frozen=True)
class _Pattern:
    words: tuple[str, ...]
    # The last word matches as a prefix ("speed*").
    open_ended: bool


@lru_cache(maxsize=512)
def _patterns(keywords: str) -> tuple[_Pattern, ...]:
    patterns: list[_Pattern] = []
    for line in keywords.splitlines():
        phrase = line.strip().lower()
        if not phrase:
            continue
        open_ended = phrase.endswith("*")
        raw = WORD.findall(phrase.rstrip("*"))
        if not raw:
            continue
        # A prefix is matched as written: stemming "gangs*" or "kids*" would change the prefix.
        words = [_stem(word) for word in raw[:-1]] + [raw[-1] if open_ended else _stem(raw[-1])]
        patterns.append(_Pattern(words=tuple(words), open_ended=open_ended))
    return tuple(patterns)


def _matches(pattern: _Pattern, words: Sequence[str]) -> bool:
    size = len(pattern.words)
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        if list(window[:-1]) != list(pattern.words[:-1]):
            continue
        last, wanted = window[-1], pattern.words[-1]
        if last == wanted or (pattern.open_ended and last.startswith(wanted)):
            return True
    return False


def assign(text: str, themes: Iterable[ThemeRule]) -> list[str]:
    """The slugs of the themes `text` mentions, in the order the themes are given. A theme
    with no keywords is the catch-all: it is given when text says something no other theme
    matched. Blank text has no theme."""
    words = _words(text)
    if not words:
        return []
    found: list[str] = []
    fallback: list[str] = []
    for theme in themes:
        patterns = _patterns(theme.keywords)
        if not patterns:
            fallback.append(theme.slug)
        elif any(_matches(pattern, words) for pattern in patterns):
            found.append(theme.slug)
    return found or fallback[:1]


# --- redaction ------------------------------------------------------------------------------

STREET_SUFFIXES = (
    "road|rd|street|st|avenue|ave|lane|ln|close|drive|dr|way|crescent|cres|court|ct|place|pl|grove|"
    "gardens|gdns|terrace|walk|hill|park|square|sq|row|mews|view|rise|green|parade|end"
)
# Words that end a street name's run: "5 kids on the road" is not an address.
NOT_NAME_WORDS = (
    "the|a|an|on|in|at|by|of|to|up|down|near|my|our|their|his|her|and|or|from|into|onto|outside|behind|along|"
    "round|around|every|each|all|some|cars?|kids|people|men|women|youths?|times|days|weeks|years|minutes|hours"
)
NAME_WORD = r"[A-Z][a-z]+(?:['\u2019-][A-Za-z]+)?"
TITLES = r"mr|mrs|ms|miss|mx|dr|pcso|pc|sgt|sergeant|insp|inspector|det|detective|cllr|councillor"
REDACTIONS: tuple[re.Pattern[str], ...] = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE),
    re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE),
    # UK phone numbers: 01/02/03/07/08 numbers or +44, with spaces, dashes or brackets.
    re.compile(r"(?:\+44\s?\(?0?\)?[\s-]?|\(?\b0)\d(?:[\s()-]{0,2}\d){8,9}\b"),
    # Postcodes, full ("LE1 1AA") or run together ("le11aa").
    re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b", re.IGNORECASE),
    # Vehicle registrations in the current format ("AB12 CDE").
    re.compile(r"\b[a-z]{2}\d{2}\s?[a-z]{3}\b", re.IGNORECASE),
    # A house number and street ("12 Acacia Avenue", "12a, Mill Lane", "22 the Crescent").
    re.compile(
        rf"\b\d{{1,4}}[a-z]?,?\s+(?:the\s+)?(?:(?!(?:{NOT_NAME_WORDS})\b)[a-z'\u2019-]+\s+){{0,3}}"
        rf"(?:{STREET_SUFFIXES})\b",
        re.IGNORECASE,
    ),
    # A named street without a number ("Elm St", "Mill Lane", "St Mary's Road"): the name is
    # capitalised, so "the main road" stays.
    re.compile(rf"\b(?:(?:St\.?\s+)?{NAME_WORD}\s+){{1,3}}(?i:{STREET_SUFFIXES})\b"),
    # "number 4", "flat 3b", "no. 12".
    re.compile(r"\b(?:number|no\.?|flat|apartment|apt\.?|house)\s*\d{1,4}[a-z]?\b", re.IGNORECASE),
    # A title and a name ("Mrs Patel", "Dr. Jones", "PC Smith", "PCSO Ali Khan").
    re.compile(rf"\b(?i:{TITLES})\.?\s+{NAME_WORD}(?:\s+{NAME_WORD})?"),
)
# Words that do not continue a name given in lower case ("my name is sam and ...").
NOT_SURNAME_WORDS = "and|i|i'm|im|from|at|in|of|on|the|but|or|with|who|here|there|is|was|we|my"
# A name someone gives: the words after "my name is", "I am called", "call me", "signed".
SELF_NAMED = re.compile(
    r"\b(my name is|my name's|i am called|i'm called|call me|signed)\s+"
    rf"([a-z][\w'\u2019-]*(?:\s+(?!(?:{NOT_SURNAME_WORDS})\b)[a-z][\w'\u2019-]*)?)",
    re.IGNORECASE,
)
NAMED_PERSON = re.compile(r"\b(named|called)\s+([A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?)")
# A run of capitalised words ("Gary Jones"), and what may come before a sentence's first word.
NAME_RUN = re.compile(rf"{NAME_WORD}(?:[ \t]+{NAME_WORD})*")
SENTENCE_END = re.compile(r"(?:^|[.!?:;\n])[\s\"'\u2018\u201c(]*$")


# Capitalised words that name no one: days, months, the police and other institutions. A
# capitalised word not listed is taken for a name (or a place), and removed.
def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


COMMON_CAPITALISED = _word_set(
    "monday tuesday wednesday thursday friday saturday sunday",
    "january february march april may june july august september october november december",
    "police council government christmas easter halloween bonfire ramadan eid diwali covid",
    "england english britain british uk wales welsh scotland scottish ireland irish",
    "god asb cctv nhs ok okay",
)
# Words that open a sentence without being a name ("The Smiths…" keeps "The").
SENTENCE_OPENERS = _word_set(
    "the a an this that these those there their they we our my i it its he she his her you your",
    "some many most all any every no not too more less lots lack please why what when where how who",
    "if in on at by for from of to with without since after before during near outside around",
)
# After a sentence's first word, these say the word was a person: "Mohammed on Elm St …". Words
# naming a problem ("Noise from …", "Parking on …", "Drugs at …") are read as problems.
PERSON_CONTEXT = re.compile(r"^[ \t]+(?:on|at|from)[ \t]+(?:\[|[A-Z])")
PROBLEM_WORDS = _word_set(
    "noise litter rubbish speed traffic crime violence graffiti vandalism theft burglary drink alcohol",
    "weed cannabis fly fireworks nuisance trouble antisocial anti asb dog dogs",
)


def _is_sentence_start(text: str, position: int) -> bool:
    return SENTENCE_END.search(text[:position]) is not None


def _placed_person(word: str, after: str) -> bool:
    lowered = word.lower()
    if lowered in PROBLEM_WORDS or lowered.endswith(("ing", "s")):
        return False
    return PERSON_CONTEXT.match(after) is not None


def _names_removed(text: str) -> str:
    """Capitalised runs not at the start of a sentence, bar the common words above. At the
    start a capital says nothing, so the first word goes only when a name follows it ("Gary
    Jones is …") or it is placed like a person ("Mohammed on Elm St …")."""
    pieces: list[str] = []
    last = 0
    for match in NAME_RUN.finditer(text):
        run = match.group(0)
        words = run.split()
        start = match.start()
        if _is_sentence_start(text, start):
            first, rest = words[0], words[1:]
            names = [word for word in rest if word.lower() not in COMMON_CAPITALISED]
            if first.lower() in SENTENCE_OPENERS or first.lower() in COMMON_CAPITALISED:
                if not names:
                    continue
                # Keep the opener ("The"), remove what follows it.
                start += run.index(rest[0], len(first))
            elif not (names or _placed_person(first, text[match.end() :])):
                continue
        elif all(word.lower() in COMMON_CAPITALISED for word in words):
            continue
        pieces += [text[last:start], REMOVED]
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


def redact(text: str) -> str:
    """`text` with personal details replaced by "[removed]": email addresses, web addresses,
    phone numbers, postcodes, vehicle registrations, house numbers and named streets, titled
    names, names people give ("my name is …", "a man called …") and any other capitalised
    name. Errs towards removing: a quote partners read should not identify anyone; days,
    months and the police stay, so the quote still says what the problem is."""
    result = text
    for pattern in REDACTIONS:
        result = pattern.sub(REMOVED, result)
    result = SELF_NAMED.sub(lambda match: f"{match.group(1)} {REMOVED}", result)
    result = NAMED_PERSON.sub(lambda match: f"{match.group(1)} {REMOVED}", result)
    result = _names_removed(result)
    # Neighbouring removals read as one.
    return re.sub(rf"{re.escape(REMOVED)}(?:\s+{re.escape(REMOVED)})+", REMOVED, result)


# --- reads ------------------------------------------------------------------------------------


def themes_for_force(force: Area) -> list[ConcernTheme]:
    """The active themes a force uses: its own, and the defaults it has not replaced."""
    own = {theme.slug: theme for theme in ConcernTheme.objects.filter(force=force)}
    defaults = [theme for theme in ConcernTheme.objects.filter(force__isnull=True) if theme.slug not in own]
    chosen = [theme for theme in [*own.values(), *defaults] if theme.active]
    return sorted(chosen, key=lambda theme: (theme.position, theme.slug))


@dataclass
class ThemeCount:
    theme: ConcernTheme
    count: int
    quotes: list[str] = field(default_factory=list)


def _area_filter(area: Area) -> dict[str, object]:
    if area.level == Level.FORCE:
        return {}
    if area.level == Level.NPA:
        return {"neighbourhood__parent": area}
    if area.level == Level.NEIGHBOURHOOD:
        return {"neighbourhood": area}
    return {"lsoa": area}


def _quote(text: str, *, redacted: bool) -> str:
    shown = redact(text) if redacted else text
    return shown if len(shown) <= QUOTE_LIMIT else shown[: QUOTE_LIMIT - 1].rstrip() + "…"


def top_themes(
    *, survey: Survey, wave: Wave, area: Area, redacted: bool = True, quotes: int = QUOTES_PER_THEME
) -> list[ThemeCount]:
    """The themes of the counted concerns in `area` (force, NPA, neighbourhood or LSOA) and
    `wave`, most mentioned first, each with up to `quotes` quotes (earliest first). A concern
    can count towards several themes. Quotes are redacted unless `redacted=False` (staff)."""
    question = survey.questions.filter(role=QuestionRole.CONCERN).first()
    if question is None:
        return []
    themes = themes_for_force(survey.force)
    texts = (
        Response.objects.filter(survey=survey, wave=wave, status=ResponseStatus.COUNTED, **_area_filter(area))
        .filter(answers__has_key=question.key)
        .order_by("submitted_at", "pk")
        .values_list(f"answers__{question.key}", flat=True)
    )
    by_slug = {theme.slug: ThemeCount(theme=theme, count=0) for theme in themes}
    for text in texts:
        if not isinstance(text, str):
            continue
        for slug in assign(text, themes):
            entry = by_slug[slug]
            entry.count += 1
            if len(entry.quotes) < quotes:
                entry.quotes.append(_quote(text, redacted=redacted))
    order = {theme.slug: index for index, theme in enumerate(themes)}
    counted = [entry for entry in by_slug.values() if entry.count]
    return sorted(counted, key=lambda entry: (-entry.count, order[entry.theme.slug]))
