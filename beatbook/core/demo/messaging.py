"""The demo force's community messaging: subscribers, templates and a history of messages.

`load_messaging` writes, in bulk and from a seeded generator (the same seed and build day give
the same rows):

- 2,500 subscribers spread over the neighbourhoods in proportion to their census
  population (some in two neighbourhoods of one NPA), with interests, languages and channels,
  each with a consent record per channel; most active, some unsubscribed, some still pending
  and a few erased (their row kept, nothing identifying left). Their `SubscriberArea` copies
  of status, channels and language are written with them, as the services keep them.
  Addresses are at `example.org` and mobile numbers in Ofcom's drama range (07700 900000-999),
  so nothing can reach a real person;
- a template per kind of message and the signatures of the demo's officer and commander;
- six months of sent messages (force newsletters and NPA event invitations in turn, local
  alerts and appeals, a survey invitation when the survey exists), each with one delivery per
  recipient and channel and realistic outcomes: delivered, failed, clicked, rated,
  unsubscribed and, for the survey invitation, converted;
- one draft waiting for the commander's approval and one message scheduled for later.

Nothing is sent: the history is written as already delivered, and the two open messages go
through the worker (console or file email backend; SMS logged) only if one is started.

The many rows (subscribers, their areas, interests and consents, the deliveries) are plain
tuples written with one `executemany` per table (`_insert`). `bulk_create` spent most of the
time compiling each value of each model instance: 14 s against under 2 s for the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models
from django.utils import timezone

from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level
from beatbook.areas.selectors import figures_for_areas
from beatbook.messaging.models import (
    Consent,
    ConsentMethod,
    ConsentWording,
    Delivery,
    DeliveryStatus,
    Frequency,
    Interest,
    Message,
    MessageKind,
    MessageStatus,
    MessageTemplate,
    SenderProfile,
    Source,
    Subscriber,
    SubscriberArea,
    SubscriberInterest,
    SubscriberStatus,
)
from beatbook.surveys.models import Survey

SUBSCRIBERS = 2500
HISTORY_MONTHS = 6
DRAMA_PHONES = 1000  # +447700900000 to +447700900999
LANGUAGES = (("en", 0.9), ("pl", 0.03), ("ur", 0.02), ("pa", 0.02), ("gu", 0.015), ("cy", 0.015))
# email only, text only, both
CHANNEL_MIX = ((True, False, 0.62), (False, True, 0.1), (True, True, 0.28))
STATUS_MIX = (
    (SubscriberStatus.ACTIVE, 0.8),
    (SubscriberStatus.UNSUBSCRIBED, 0.11),
    (SubscriberStatus.PENDING, 0.06),
    (SubscriberStatus.ERASED, 0.03),
)

TEMPLATES = (
    (
        "Burglary alert",
        MessageKind.ALERT,
        "Burglaries in {area}: please check your locks",
        "There have been several break-ins in {area} over the last few days, mostly through back doors "
        "and sheds left unlocked.\n\nPlease lock doors and windows when you go out, and report anything "
        "suspicious on 101 or online. In an emergency, call 999.",
        "Police: break-ins in {area} this week. Lock doors and sheds; report anything suspicious on 101.",
    ),
    (
        "Appeal for witnesses",
        MessageKind.APPEAL,
        "Appeal: did you see anything in {area}?",
        "We are asking for help after an incident in {area}. If you saw anything, or have doorbell or "
        "dashcam footage, please get in touch on 101 quoting the reference below.",
        "Police appeal: did you see anything in {area}? Call 101. Footage helps.",
    ),
    (
        "Monthly newsletter",
        MessageKind.NEWSLETTER,
        "{force}: your neighbourhood news",
        "Here is what your neighbourhood teams have been doing this month, and what is coming up.\n\n"
        "Thank you to everyone who came to a beat surgery or sent us information.",
        "",
    ),
    (
        "Beat surgery invitation",
        MessageKind.EVENT,
        "Come and meet your team in {area}",
        "Your neighbourhood team is holding a beat surgery in {area}. Come and tell us what matters to you, "
        "or just say hello.",
        "Meet your police team in {area} at the next beat surgery. Details on our website.",
    ),
    (
        "Your Views invitation",
        MessageKind.SURVEY,
        "Your Views: tell us how we are doing",
        "Our Your Views survey is open. It takes five minutes and tells us what to work on in your area.",
        "Tell us how we are doing: the Your Views survey is open (5 minutes).",
    ),
    (
        "You said, we did",
        MessageKind.YOU_SAID,
        "You said, we did: {area}",
        "You told us speeding and parking were your main worries. Since then we have held speed checks "
        "with Community Speedwatch and worked with the council on parking.",
        "",
    ),
)


@dataclass
class DemoMessaging:
    subscribers: int = 0
    active: int = 0
    messages: int = 0
    deliveries: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        return (
            f"  community messaging: {self.subscribers:,} subscribers ({self.active:,} active), "
            f"{self.messages} messages, {self.deliveries:,} deliveries"
        )


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    values = [v for v, _w in weighted]
    weights = [w for _v, w in weighted]
    return rng.choices(values, weights=weights)[0]


@dataclass(slots=True)
class _Person:
    """One demo subscriber as generated, before and after it is written."""

    email: str
    phone: str
    # The channels chosen at sign-up (`wants_*` are cleared for people who left).
    email_chosen: bool
    sms_chosen: bool
    status: str
    language: str
    frequency: str
    link_key: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    left_at: dt.datetime | None
    areas: list[Area]
    interest_ids: list[int]
    interests: set[str]  # their slugs
    pk: int = 0

    @property
    def active(self) -> bool:
        return self.status == SubscriberStatus.ACTIVE


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """How a value of `field` goes to the database, or None when it goes as it is."""
    if isinstance(field, models.DateTimeField):
        # The backend's own adapter (a UTC text on SQLite, the aware datetime on PostgreSQL);
        # the field's get_db_prep_save does the same after checks that cost more than the insert.
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.JSONField | models.DateField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def _insert(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (by attribute name; a field left out takes its default) in one executemany."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    columns = [(f.attname, now if getattr(f, "auto_now_add", False) else f.get_default(), _adapter(f)) for f in fields]
    quote = connection.ops.quote_name
    names = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})"  # noqa: S608 - names from _meta
    values = []
    for row in rows:
        line = []
        for name, default, adapt in columns:
            value = row.get(name, default)
            line.append(value if adapt is None or value is None else adapt(value))
        values.append(tuple(line))
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def load_messaging(*, force: Area, seed: int, now: dt.datetime | None = None) -> DemoMessaging:
    """Write the demo's subscribers and messages for `force` (call inside the build's transaction)."""
    rng = random.Random(f"beatbook-demo-messaging:{seed}")
    now = now or timezone.now()
    neighbourhoods = list(Area.objects.filter(force=force, level=Level.NEIGHBOURHOOD).order_by("code"))
    if not neighbourhoods:
        return DemoMessaging()
    npas = {a.pk: a for a in Area.objects.filter(force=force, level=Level.NPA)}
    figures = figures_for_areas(neighbourhoods)
    weights = [max(1, figures[a.pk].population or 1) for a in neighbourhoods]
    by_npa: dict[int | None, list[Area]] = defaultdict(list)
    for area in neighbourhoods:
        by_npa[area.parent_id].append(area)
    interests = list(Interest.objects.filter(force__isnull=True, active=True))
    wording = ConsentWording.objects.filter(force__isnull=True).order_by("created_at").first()

    people = _people(rng, neighbourhoods, weights, by_npa, interests, now)
    _write_people(force, people, interests, wording)

    # --- Templates, signatures, messages ----------------------------------------------------
    MessageTemplate.objects.bulk_create(
        MessageTemplate(
            force=force,
            name=name,
            kind=kind,
            subject=subject.replace("{force}", force.name).replace("{area}", "your area"),
            body=body.replace("{area}", "your area"),
            sms_body=sms.replace("{area}", "your area"),
        )
        for name, kind, subject, body, sms in TEMPLATES
    )
    # The first account of each role (the demo's main officer rather than the second one).
    staff: dict[str, User] = {}
    for account in User.objects.filter(area__in=[force, *neighbourhoods, *npas.values()]).order_by("pk"):
        staff.setdefault(account.role, account)
    officer, commander, admin = staff.get(Role.OFFICER), staff.get(Role.COMMANDER), staff.get(Role.ADMIN)
    for user, role in ((officer, "PCSO"), (commander, "Inspector")):
        if user is not None and user.area is not None:
            SenderProfile.objects.get_or_create(
                user=user,
                defaults={"display_name": f"{role} {user.get_full_name()}", "role_title": f"{role}, {user.area.name}"},
            )
    survey = Survey.objects.filter(force=force).order_by("pk").first()
    plans = _plan_messages(rng, force, neighbourhoods, npas, officer, commander, admin, survey, now)
    result = _write_messages(rng, plans, people, now)
    result.subscribers = len(people)
    result.active = sum(1 for person in people if person.active)
    return result


def _people(
    rng: random.Random,
    neighbourhoods: list[Area],
    weights: list[int],
    by_npa: dict[int | None, list[Area]],
    interests: list[Interest],
    now: dt.datetime,
) -> list[_Person]:
    start = now - dt.timedelta(days=540)
    people: list[_Person] = []
    phones = 0
    for i in range(SUBSCRIBERS):
        home = rng.choices(neighbourhoods, weights=weights)[0]
        areas = [home]
        siblings = [a for a in by_npa[home.parent_id] if a is not home]
        if siblings and rng.random() < 0.15:
            areas.append(rng.choice(siblings))
        email, sms, _share = rng.choices(CHANNEL_MIX, weights=[c[2] for c in CHANNEL_MIX])[0]
        if sms and phones >= DRAMA_PHONES:
            email, sms = True, False
        status = _pick(rng, STATUS_MIX)
        # Sign-ups grow over time: later days are likelier.
        created = start + dt.timedelta(days=540 * (rng.random() ** 0.7), minutes=rng.randrange(1440))
        confirmed = created + dt.timedelta(minutes=rng.randrange(5, 2880)) if status != "pending" else None
        if confirmed is not None and confirmed > now:
            confirmed = now
        left = None
        if status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.ERASED) and confirmed is not None:
            left = confirmed + (now - confirmed) * rng.uniform(0.1, 1.0)
        phone = f"+447700900{phones:03d}" if sms else ""
        phones += 1 if sms else 0
        erased = status == SubscriberStatus.ERASED
        language = _pick(rng, LANGUAGES)
        frequency = Frequency.WEEKLY if rng.random() < 0.12 else Frequency.IMMEDIATE
        link_key = f"{rng.getrandbits(128):032x}"
        liked = rng.sample(interests, k=min(len(interests), rng.choice((0, 1, 2, 3, 4))))
        people.append(
            _Person(
                email="" if erased or not email else f"resident{i + 1:05d}@example.org",
                phone="" if erased else phone,
                email_chosen=email,
                sms_chosen=sms,
                status=status,
                language=language,
                frequency=frequency,
                link_key=link_key,
                created_at=created,
                confirmed_at=confirmed,
                left_at=left,
                areas=areas,
                interest_ids=[interest.pk for interest in liked],
                interests={interest.slug for interest in liked},
            )
        )
    return people


def _write_people(force: Area, people: list[_Person], interests: list[Interest], wording: Any) -> None:
    """The subscribers with their areas (and the copies audience counts read), interests and consents."""
    _insert(
        Subscriber,
        [
            {
                "force_id": force.pk,
                "email": p.email,
                "phone": p.phone,
                "wants_email": p.email_chosen and p.active,
                "wants_sms": p.sms_chosen and p.active,
                "language": p.language,
                "frequency": p.frequency,
                "status": p.status,
                "source": Source.WEB,
                "link_key": p.link_key,
                "created_at": p.created_at,
                "confirmed_at": p.confirmed_at,
                "unsubscribed_at": p.left_at if p.status == SubscriberStatus.UNSUBSCRIBED else None,
                "erased_at": p.left_at if p.status == SubscriberStatus.ERASED else None,
            }
            for p in people
        ],
    )
    ids = dict(Subscriber.objects.filter(force=force).values_list("link_key", "pk"))
    for person in people:
        person.pk = ids[person.link_key]
    _insert(
        SubscriberArea,
        [
            {
                "subscriber_id": p.pk,
                "area_id": area.pk,
                "active": p.active,
                "wants_email": p.email_chosen and p.active,
                "wants_sms": p.sms_chosen and p.active,
                "language": p.language,
            }
            for p in people
            for area in p.areas
        ],
    )
    _insert(
        SubscriberInterest,
        [{"subscriber_id": p.pk, "interest_id": interest} for p in people for interest in p.interest_ids],
    )
    if wording is None:
        return
    _insert(
        Consent,
        [
            {
                "subscriber_id": p.pk,
                "wording_id": wording.pk,
                "channel": channel,
                "method": ConsentMethod.WEB_FORM,
                "given_at": p.confirmed_at,
                "evidence": ""
                if p.status == SubscriberStatus.ERASED
                else f"confirmed by following the link sent by {channel}",
                "withdrawn_at": p.left_at,
            }
            for p in people
            if p.confirmed_at is not None
            for channel, chosen in (("email", p.email_chosen), ("sms", p.sms_chosen))
            if chosen
        ],
    )


@dataclass
class _Plan:
    kind: str
    template: int
    target: Area
    author: User | None
    at: dt.datetime
    status: str = MessageStatus.SENT
    channels: tuple[str, ...] = ("email", "sms")
    interest_slugs: tuple[str, ...] = ()
    survey: Any = None


def _plan_messages(
    rng: random.Random,
    force: Area,
    neighbourhoods: list[Area],
    npas: dict[int, Area],
    officer: User | None,
    commander: User | None,
    admin: User | None,
    survey: Any,
    now: dt.datetime,
) -> list[_Plan]:
    local = officer.area if officer is not None and officer.area is not None else neighbourhoods[0]
    npa = commander.area if commander is not None and commander.area is not None else next(iter(npas.values()), local)
    plans: list[_Plan] = []
    for month in range(HISTORY_MONTHS, 0, -1):
        day = now - dt.timedelta(days=30 * month - rng.randrange(0, 5))
        at = day.replace(hour=10, minute=0, second=0, microsecond=0)
        # Force-wide newsletters and NPA events alternate months, as a team's workload would.
        if month % 2:
            plans.append(_Plan(MessageKind.NEWSLETTER, 2, force, admin, at, channels=("email",)))
        else:
            plans.append(_Plan(MessageKind.EVENT, 3, npa, commander, at + dt.timedelta(days=9, hours=4)))
        if month % 2 == 0:
            plans.append(
                _Plan(
                    MessageKind.ALERT,
                    0,
                    local,
                    officer,
                    at + dt.timedelta(days=14, hours=7),
                    interest_slugs=("burglary",),
                )
            )
        else:
            other = rng.choice(neighbourhoods)
            plans.append(_Plan(MessageKind.APPEAL, 1, other, admin, at + dt.timedelta(days=17, hours=2)))
    plans.append(_Plan(MessageKind.YOU_SAID, 5, local, officer, now - dt.timedelta(days=12)))
    if survey is not None:
        plans.append(
            _Plan(MessageKind.SURVEY, 4, force, admin, now - dt.timedelta(days=20), channels=("email",), survey=survey)
        )
    plans.append(
        _Plan(MessageKind.ALERT, 0, local, officer, now - dt.timedelta(hours=3), status=MessageStatus.AWAITING_APPROVAL)
    )
    plans.append(
        _Plan(MessageKind.EVENT, 3, npa, commander, now + dt.timedelta(days=3), status=MessageStatus.SCHEDULED)
    )
    return plans


def _write_messages(rng: random.Random, plans: list[_Plan], people: list[_Person], now: dt.datetime) -> DemoMessaging:
    templates = list(MessageTemplate.objects.filter(force=plans[0].target.owning_force).order_by("pk"))
    profiles = {p.user_id: p for p in SenderProfile.objects.filter(user__in=[p.author for p in plans if p.author])}
    messages: list[Message] = []
    for plan in plans:
        template = templates[plan.template]
        place = plan.target.name
        author = plan.author
        profile = profiles.get(author.pk) if author is not None else None
        name = profile.display_name if profile else (author.get_full_name() if author else "Neighbourhood policing")
        role = profile.role_title if profile else ""
        sent = plan.status == MessageStatus.SENT
        channels = [c for c in plan.channels if c == "email" or template.sms_body]
        messages.append(
            Message(
                force=plan.target.owning_force,
                kind=plan.kind,
                template=template,
                subject=template.subject.replace("your area", place),
                body=template.body.replace("your area", place),
                sms_body=template.sms_body.replace("your area", place),
                author=author,
                signature_name=name,
                signature_role=role,
                languages=[],
                channels=channels,
                survey=plan.survey,
                status=plan.status,
                submitted_at=plan.at - dt.timedelta(hours=1) if plan.status != MessageStatus.SCHEDULED else now,
                approved_at=plan.at - dt.timedelta(minutes=30)
                if plan.status != MessageStatus.AWAITING_APPROVAL
                else None,
                send_at=plan.at if plan.status == MessageStatus.SCHEDULED else None,
                started_at=plan.at if sent else None,
                finished_at=plan.at + dt.timedelta(minutes=12) if sent else None,
                created_at=plan.at - dt.timedelta(hours=2),
            )
        )
    written = [m.created_at for m in messages]
    Message.objects.bulk_create(messages)
    # created_at is auto_now_add, so bulk_create wrote the build time: put the history back.
    for message, created in zip(messages, written, strict=True):
        message.created_at = created
    through = Message.areas.through
    through.objects.bulk_create(
        [through(message_id=m.pk, area_id=p.target.pk) for m, p in zip(messages, plans, strict=True)]
    )
    interest_ids = {i.slug: i.pk for i in Interest.objects.filter(force__isnull=True)}
    interest_through = Message.interests.through
    interest_through.objects.bulk_create(
        [
            interest_through(message_id=m.pk, interest_id=interest_ids[slug])
            for m, p in zip(messages, plans, strict=True)
            for slug in p.interest_slugs
            if slug in interest_ids
        ]
    )

    deliveries: list[dict[str, Any]] = []
    last_delivery: dict[int, dict[str, Any]] = {}
    for message, plan in zip(messages, plans, strict=True):
        if plan.status != MessageStatus.SENT:
            continue
        at = plan.at
        wanted = set(plan.interest_slugs)
        count = 0
        for person in people:
            confirmed = person.confirmed_at
            if confirmed is None or confirmed > at or (person.left_at is not None and person.left_at <= at):
                continue
            if not _inside(plan.target, person.areas):
                continue
            if wanted and person.interests and not wanted & person.interests:
                continue
            reached = False
            for channel, wants in (("email", person.email_chosen), ("sms", person.sms_chosen)):
                if not wants or channel not in message.channels:
                    continue
                reached = True
                delivery = _outcome(rng, message, person, channel, at, plan)
                deliveries.append(delivery)
                last_delivery[person.pk] = delivery
            count += reached
        message.audience_count = count
    # Those who left after a message mostly left from its link.
    for person in people:
        last = last_delivery.get(person.pk)
        left = person.left_at if person.status == SubscriberStatus.UNSUBSCRIBED else None
        if left is not None and last is not None and last["channel"] == "email" and rng.random() < 0.6:
            last["unsubscribed_at"] = left
    _insert(Delivery, deliveries)
    # Two columns of a few rows each: one UPDATE per message.
    for message in messages:
        Message.objects.filter(pk=message.pk).update(
            created_at=message.created_at, audience_count=message.audience_count
        )
    return DemoMessaging(messages=len(messages), deliveries=len(deliveries))


def _inside(target: Area, areas: list[Area]) -> bool:
    if target.level == Level.FORCE:
        return True
    if target.level == Level.NPA:
        return any(a.parent_id == target.pk for a in areas)
    return any(a.pk == target.pk for a in areas)


def _outcome(
    rng: random.Random, message: Message, person: _Person, channel: str, at: dt.datetime, plan: _Plan
) -> dict[str, Any]:
    """One delivery's row: delivered or failed, and what the reader did with it."""
    sent_at = at + dt.timedelta(seconds=rng.randrange(1, 600))
    roll = rng.random()
    failed = roll < (0.025 if channel == "email" else 0.015)
    delivery: dict[str, Any] = {
        "message_id": message.pk,
        "subscriber_id": person.pk,
        "channel": channel,
        "area_id": plan.target.pk,
        "status": DeliveryStatus.FAILED if failed else DeliveryStatus.DELIVERED,
        "attempts": 1,
        "provider_reference": f"demo-{message.pk}-{person.pk}-{channel}",
        "created_at": at,
        "sent_at": sent_at,
        "delivered_at": None if failed else sent_at + dt.timedelta(seconds=rng.randrange(1, 120)),
        "failed_at": sent_at if failed else None,
        "error": "Address not found (permanent failure)" if failed else "",
    }
    if failed:
        return delivery
    later = sent_at + dt.timedelta(hours=rng.uniform(0.2, 48))
    rates: dict[str, float] = {MessageKind.ALERT: 0.22, MessageKind.APPEAL: 0.18, MessageKind.SURVEY: 0.16}
    interest = rates.get(plan.kind, 0.1)
    if channel == "email" and rng.random() < 0.42:
        delivery["opened_at"] = later
    if rng.random() < interest:
        delivery["clicked_at"] = clicked = later + dt.timedelta(minutes=1)
        delivery["clicks"] = rng.choice((1, 1, 1, 2, 3))
        if plan.kind == MessageKind.SURVEY and rng.random() < 0.45:
            delivery["converted_at"] = clicked + dt.timedelta(minutes=rng.randrange(3, 20))
    if channel == "email" and rng.random() < 0.06:
        delivery["useful"] = rng.random() < 0.78
    return delivery
