"""Community messaging: subscribers and their consent, messages, and one delivery per recipient.

- **Subscriber**: one person on one force's list, by email and/or mobile number, with the
  neighbourhoods and interests they chose. Erasure blanks every personal field and keeps the
  row (status `erased`) with its areas, so counts of reach stay true without anyone in them.
- **Consent**: what a subscriber agreed to (the `ConsentWording` version), when, how and on
  what evidence. Withdrawal is a timestamp, never a deletion.
- **Message**: what staff write (type, subject, body, SMS text, signature) and whom it targets
  (areas, interests, languages and channels), with its approval and schedule.
- **Delivery**: one per message, subscriber and channel, unique, so however often a send is
  started or retried nobody is written to twice. Its status is the outbox: the worker claims
  pending rows, sends, and records the outcome; counts are sums over it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from beatbook.areas.models import Area


class Interest(models.Model):
    """A topic subscribers choose (burglary, road safety, events…). Rows with no force are the
    installation's defaults; a force may add its own."""

    force = models.ForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["force", "slug"], name="messaging_interest_unique_force_slug"),
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(force__isnull=True), name="messaging_interest_unique_default"
            ),
        ]
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ConsentWording(models.Model):
    """The words a person agrees to when subscribing. Once anyone has agreed to a version it is
    never edited: a change is a new version."""

    force = models.ForeignKey(Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    version = models.CharField(max_length=20)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["force", "version"], name="messaging_consent_wording_unique_version")
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"consent wording {self.version}"


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    ACTIVE = "active", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    ERASED = "erased", "Erased"


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", "As they are sent"
    WEEKLY = "weekly", "A weekly digest"


class EmailFormat(models.TextChoices):
    HTML = "html", "Formatted (HTML)"
    TEXT = "text", "Plain text"


class Source(models.TextChoices):
    WEB = "web", "Signed up online"
    IMPORT = "import", "Imported with consent evidence"
    STAFF = "staff", "Added by staff"


class Subscriber(models.Model):
    force = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="subscribers")
    # Lower-cased, so one address is one subscriber; blank when the person gave none (or was erased).
    email = models.CharField(max_length=254, blank=True)
    # E.164 (+447700900123); blank when none.
    phone = models.CharField(max_length=16, blank=True)
    wants_email = models.BooleanField(default=False)
    wants_sms = models.BooleanField(default=False)
    postcode = models.CharField(max_length=8, blank=True)
    home_lsoa = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=12, default="en")
    email_format = models.CharField(max_length=4, choices=EmailFormat.choices, default=EmailFormat.HTML)
    frequency = models.CharField(max_length=9, choices=Frequency.choices, default=Frequency.IMMEDIATE)
    status = models.CharField(max_length=12, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.WEB)
    # Random, part of every signed link (confirm, preferences, unsubscribe): replacing it on
    # erasure makes every link already sent useless.
    link_key = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    neighbourhoods: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Area, through="SubscriberArea", related_name="+"
    )
    interests: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        Interest, through="SubscriberInterest", related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["force", "email"], condition=~models.Q(email=""), name="messaging_subscriber_unique_email"
            ),
            models.UniqueConstraint(
                fields=["force", "phone"], condition=~models.Q(phone=""), name="messaging_subscriber_unique_phone"
            ),
        ]
        indexes = [models.Index(fields=["force", "status"], name="messaging_subscriber_status")]

    def __str__(self) -> str:
        return f"subscriber {self.pk}"


class SubscriberArea(models.Model):
    """A neighbourhood (or NPA, or the force) a subscriber hears about. Carries a copy of what
    audience counts filter on, kept by the services, so a count is one indexed scan."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="area_links")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    active = models.BooleanField(default=False)
    wants_email = models.BooleanField(default=False)
    wants_sms = models.BooleanField(default=False)
    language = models.CharField(max_length=12, default="en")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subscriber", "area"], name="messaging_subscriber_area_unique")]
        indexes = [
            models.Index(
                fields=["area", "active", "language", "wants_email", "wants_sms", "subscriber"],
                name="messaging_audience_covering",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} in {self.area_id}"


class SubscriberInterest(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="interest_links")
    interest = models.ForeignKey(Interest, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "interest"], name="messaging_subscriber_interest_unique")
        ]
        indexes = [models.Index(fields=["interest", "subscriber"], name="messaging_interest_subscriber")]

    def __str__(self) -> str:
        return f"{self.subscriber_id} likes {self.interest_id}"


class ConsentMethod(models.TextChoices):
    WEB_FORM = "web_form", "Online form, confirmed by email or text"
    IMPORT = "import", "Imported with evidence from an earlier list"
    PAPER = "paper", "Paper form"
    PHONE = "phone", "By phone"


class Consent(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    wording = models.ForeignKey(ConsentWording, on_delete=models.PROTECT, related_name="consents")
    channel = models.CharField(max_length=5, help_text='"email" or "sms".')
    method = models.CharField(max_length=8, choices=ConsentMethod.choices)
    given_at = models.DateTimeField()
    # e.g. the confirmation, or "imported from FILE line N; consent recorded 2024-03-01 by …"
    evidence = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["given_at"]

    def __str__(self) -> str:
        return f"consent {self.pk} ({self.channel})"


class SenderProfile(models.Model):
    """How a member of staff signs the messages they write: the name, role and photo subscribers see."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sender_profile")
    display_name = models.CharField(max_length=120)
    role_title = models.CharField(max_length=120, help_text='e.g. "PCSO, Braunstone Town"')
    photo = models.ImageField(upload_to="senders/", blank=True)

    def __str__(self) -> str:
        return self.display_name


class MessageKind(models.TextChoices):
    ALERT = "alert", "Alert"
    APPEAL = "appeal", "Appeal for information"
    NEWSLETTER = "newsletter", "Newsletter"
    EVENT = "event", "Event invitation"
    SURVEY = "survey", "Survey invitation"
    YOU_SAID = "you_said", "You said, we did"


class MessageTemplate(models.Model):
    force = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    subject = models.CharField(max_length=150)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs; links are written out.")
    sms_body = models.CharField(max_length=459, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class MessageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_APPROVAL = "awaiting", "Waiting for approval"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class Message(models.Model):
    force = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=150)
    body = models.TextField()
    sms_body = models.CharField(max_length=459, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The signature as it was when the message was written.
    signature_name = models.CharField(max_length=120)
    signature_role = models.CharField(max_length=120, blank=True)
    signature_photo = models.CharField(max_length=200, blank=True, help_text="Storage name of the photo.")
    # Targeting: subscribers linked to any of `areas` (or to an area inside one), with any of
    # `interests` (none = everyone), in any of `languages` (empty = all), by `channels`.
    areas = models.ManyToManyField(Area, related_name="+")
    interests = models.ManyToManyField(Interest, blank=True, related_name="+")
    languages = models.JSONField(default=list, blank=True)
    channels = models.JSONField(default=list, help_text='["email"], ["sms"] or both.')
    # For survey invitations: the survey whose responses count as conversions.
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation_messages"
    )
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.DRAFT)
    audience_count = models.PositiveIntegerField(null=True, blank=True, help_text="As counted when sending began.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    send_at = models.DateTimeField(null=True, blank=True, help_text="When sending starts; empty = at once.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["force", "status", "send_at"], name="messaging_message_due"),
        ]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to send"
    HELD = "held", "Held for the weekly digest"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    RETRY = "retry", "Failed for now; will retry"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent (unsubscribed or erased before sending)"
    CANCELLED = "cancelled", "Not sent (message cancelled)"


class Digest(models.Model):
    """One weekly email bundling the held deliveries of one subscriber."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="digests")
    week_start = models.DateField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "week_start"], name="messaging_digest_unique_week")
        ]

    def __str__(self) -> str:
        return f"digest {self.pk} for week {self.week_start}"


class Delivery(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=5, choices=DeliveryChannel.choices)
    # The targeted area the subscriber was reached through, for metrics per area.
    area = models.ForeignKey(Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's claim: rows still `sending` after this time belong to a worker that stopped.
    claimed_until = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(Digest, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    provider_reference = models.CharField(max_length=100, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    useful = models.BooleanField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "subscriber", "channel"], name="messaging_delivery_unique_recipient"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="messaging_delivery_due"),
            models.Index(fields=["message", "status"], name="messaging_delivery_message"),
            models.Index(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="messaging_delivery_reference",
            ),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.channel}, {self.status})"


class MessagingSettings(models.Model):
    """A force's messaging choices."""

    force = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="messaging_settings")
    # Roles whose messages need another person's approval before sending (e.g. ["officer"]).
    approval_required_for = models.JSONField(default=list, blank=True)
    approver_roles = models.JSONField(default=list, blank=True, help_text='e.g. ["commander", "admin"]')
    open_tracking = models.BooleanField(default=False)
    sender_name = models.CharField(max_length=120, blank=True)
    reply_to = models.EmailField(blank=True)

    def __str__(self) -> str:
        return f"messaging settings of {self.force_id}"
