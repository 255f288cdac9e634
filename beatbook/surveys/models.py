"""Community surveys ("Your Views"): surveys, waves, versioned questions, responses, postcodes.

A question's wording lives in `QuestionVersion`; once answers exist, rewording adds a version
(`services.question_reword`) so every answer keeps the words it was given to. A response keeps
its raw answers as JSON (keyed by question key) plus typed copies of what scoring reads
(q1..q5, age band, sex, ethnic group), written by `services.response_record`, so scoring a
survey is one `values_list`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from beatbook.areas.models import Area


class Survey(models.Model):
    force = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    min_responses = models.PositiveSmallIntegerField(
        default=30, help_text="Areas (and questions) with fewer respondents in a wave are not published."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Wave(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    code = models.CharField(max_length=20, help_text='Short code, e.g. "2026-05".')
    name = models.CharField(max_length=120)
    opens_on = models.DateField()
    closes_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="survey_wave_unique_code")]
        ordering = ["survey", "opens_on", "code"]

    def __str__(self) -> str:
        return f"{self.survey} {self.code}"


class QuestionKind(models.TextChoices):
    AGREE5 = "agree5", "Five-point agreement"
    YES_NO = "yes_no", "Yes or no"
    SINGLE = "single", "One choice"
    MULTIPLE = "multiple", "Several choices"
    TEXT = "text", "Free text"
    NUMBER = "number", "Number"
    WHERE = "where", "Where you live (postcode)"


class QuestionRole(models.TextChoices):
    CONFIDENCE_1 = "confidence_1", "Confidence question 1"
    CONFIDENCE_2 = "confidence_2", "Confidence question 2"
    CONFIDENCE_3 = "confidence_3", "Confidence question 3"
    CONFIDENCE_4 = "confidence_4", "Confidence question 4"
    CONFIDENCE_5 = "confidence_5", "Confidence question 5"
    CONCERN = "concern", "Main local concern"
    AGE_BAND = "age_band", "Age band"
    SEX = "sex", "Sex"
    ETHNIC_GROUP = "ethnic_group", "Ethnic group"
    DISABILITY = "disability", "Disability"
    OTHER = "other", "Other"


CONFIDENCE_ROLES = (
    QuestionRole.CONFIDENCE_1,
    QuestionRole.CONFIDENCE_2,
    QuestionRole.CONFIDENCE_3,
    QuestionRole.CONFIDENCE_4,
    QuestionRole.CONFIDENCE_5,
)


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=60, help_text="Stable key: the column in imports and in the answers.")
    kind = models.CharField(max_length=16, choices=QuestionKind.choices)
    role = models.CharField(max_length=16, choices=QuestionRole.choices, default=QuestionRole.OTHER)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "key"], name="survey_question_unique_key"),
            # Scoring reads one column per role, so a role (other than "other") is held once.
            models.UniqueConstraint(
                fields=["survey", "role"],
                condition=~models.Q(role="other"),
                name="survey_question_unique_role",
            ),
        ]
        ordering = ["survey", "position", "key"]

    def __str__(self) -> str:
        return f"{self.survey.slug}/{self.key}"


class QuestionVersion(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    texts = models.JSONField(help_text='{language: {"text", "hint", "options": {key: label}}}')
    options = models.JSONField(default=list, blank=True, help_text="The option keys, in order.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="survey_question_version_unique_number")
        ]
        ordering = ["question", "number"]

    def __str__(self) -> str:
        return f"{self.question} v{self.number}"


class Channel(models.TextChoices):
    ONLINE = "online", "Online"
    PAPER = "paper", "Paper"
    PHONE = "phone", "Phone"
    IMPORT = "import", "Imported"


class ResponseStatus(models.TextChoices):
    COUNTED = "counted", "Counted"
    FLAGGED = "flagged", "Flagged for review"
    EXCLUDED = "excluded", "Excluded"


class Response(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # RESTRICT: a wave with responses cannot be deleted alone, but goes with its survey.
    wave = models.ForeignKey(Wave, on_delete=models.RESTRICT, related_name="responses")
    lsoa = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    neighbourhood = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=12, default="en")
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=ResponseStatus.choices, default=ResponseStatus.COUNTED)
    flag_reason = models.CharField(max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    import_key = models.CharField(max_length=80, blank=True, help_text="Identifies an imported row, for re-imports.")
    answers = models.JSONField(default=dict, help_text="{question key: value}")
    versions = models.JSONField(default=dict, help_text="{question key: question version number}")
    # Scoring columns, copied from `answers` by the service: 1-5, 0 = don't know, null = not asked.
    q1 = models.SmallIntegerField(null=True, blank=True)
    q2 = models.SmallIntegerField(null=True, blank=True)
    q3 = models.SmallIntegerField(null=True, blank=True)
    q4 = models.SmallIntegerField(null=True, blank=True)
    q5 = models.SmallIntegerField(null=True, blank=True)
    # Indexes into `templates.AGE_BANDS`, `SEXES`, `ETHNIC_GROUPS`; null = not given.
    age_band = models.SmallIntegerField(null=True, blank=True)
    sex = models.SmallIntegerField(null=True, blank=True)
    ethnic_group = models.SmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Abuse protection (see `protection`): a keyed hash of the sender's network address, never
    # the address itself, and a hash of the answers and place, to spot repeats.
    address_hash = models.CharField(max_length=64, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "wave"]),
            models.Index(fields=["survey", "address_hash", "submitted_at"], name="survey_response_address"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "import_key"],
                condition=~models.Q(import_key=""),
                name="survey_response_unique_import_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} response {self.pk}"


class Postcode(models.Model):
    """One postcode of the ONS Postcode Directory and the LSOA it lies in."""

    postcode = models.CharField(max_length=8, unique=True, help_text='Normalised, e.g. "LE1 1AA".')
    lsoa_code = models.CharField(max_length=12, blank=True)
    lsoa = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="postcodes")
    terminated = models.BooleanField(default=False)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return self.postcode


class Invitation(models.Model):
    """A one-use invitation to answer a wave. Only a hash of the token is stored: the raw token
    is shown once, when the invitations are made, and proves nothing if the table leaks."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )

    def __str__(self) -> str:
        return f"{self.wave} invitation {self.pk}"


class ConcernTheme(models.Model):
    """A theme free-text concerns are grouped under, matched by keywords. Rows with no force
    are the installation's defaults; a force's row with the same slug replaces the default.
    A theme with no keywords catches what no other theme matched."""

    force = models.ForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE, related_name="concern_themes")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    keywords = models.TextField(
        blank=True,
        help_text="One word or phrase a line; case is ignored, plurals match, a trailing * matches any ending.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["force", "slug"], name="survey_theme_unique_force_slug"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(force__isnull=True), name="survey_theme_unique_default_slug"
            ),
        ]
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name
