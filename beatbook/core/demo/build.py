"""Build, find and reset the demo force in the database.

The generated files (areas, census, deprivation and three years of street-level crime) go
through the same importers a force uses for real data, then one account per role is
created through the accounts services. Everything happens in one transaction: a failure
leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import tempfile
import time
from base64 import b32encode
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.accounts.models import AuditEvent, Role, User
from beatbook.accounts.services import audit_record, two_factor_enrol, user_create
from beatbook.activity.models import Activity
from beatbook.areas.importers.boundaries import import_boundaries
from beatbook.areas.importers.census import import_census
from beatbook.areas.importers.imd import import_imd
from beatbook.areas.importers.neighbourhoods import import_neighbourhoods
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportReport
from beatbook.crime import storage
from beatbook.crime.importers.street import import_crime
from beatbook.crime.models import CrimeCount, CrimeImport
from beatbook.insight.models import BenchmarkSeries, BenchmarkSource
from beatbook.messaging.models import Delivery, Message, Subscriber
from beatbook.surveys.models import Response, Survey

from .activity import generate_activity, load_activity
from .crime import DemoCrime, generate_crime
from .files import DemoFiles, write_all
from .geography import FORCE_CODE, FORCE_NAME, Geography, build_geography
from .messaging import load_messaging
from .population import LsoaPeople, synthesise
from .survey import generate_survey, load_survey

DEFAULT_SEED = 2026
BUILD_ACTION = "demo.build"
# Every code the demo uses starts with one of these, none of them a real ONS code range.
DEMO_CODE_PREFIXES = ("E01999", "E02999", "E05999", "E06999", "E07999", "DEM-")


class Output(Protocol):
    """Somewhere to report progress: a file, or a management command's stdout."""

    def write(self, text: str, /) -> Any: ...


class DemoFailed(Exception):
    """The imported demo force does not look like the force that was generated."""


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    first_name: str
    last_name: str
    email: str
    organisation: str = ""


# Who the demo's people are; where each works is chosen from the generated geography.
ACCOUNTS = (
    DemoAccount("demo.officer", Role.OFFICER, "Sam", "Okafor", "sam.okafor@demoshire-police.example"),
    DemoAccount("demo.officer2", Role.OFFICER, "Jess", "Whitfield", "jess.whitfield@demoshire-police.example"),
    DemoAccount("demo.commander", Role.COMMANDER, "Daniel", "Hart", "daniel.hart@demoshire-police.example"),
    DemoAccount("demo.analyst", Role.ANALYST, "Aisha", "Rahman", "aisha.rahman@demoshire-police.example"),
    DemoAccount("demo.admin", Role.ADMIN, "Chris", "Doyle", "chris.doyle@demoshire-police.example"),
    DemoAccount(
        "demo.partner",
        Role.PARTNER,
        "Marek",
        "Nowak",
        "marek.nowak@demtown-council.example",
        organisation="Demtown City Council",
    ),
)
ADMIN_USERNAME = "demo.admin"

# Words for readable passwords: three words and two digits are easy to type from a
# terminal and far from any common-password list.
_WORD_LIST = (
    "amber anchor apple badger barley beacon bramble bridge candle canal cedar cobble copper "
    "cricket daisy dapple ember falcon fennel ferry garnet ginger harbour hazel heron holly "
    "juniper kestrel lantern larch linnet maple marsh meadow mistle nettle oriel otter pebble "
    "pewter pippin plover quarry quill raven rowan saffron shingle sorrel spinney swallow "
    "teasel thistle timber tinker walnut wherry willow wren yarrow"
)
_WORDS = _WORD_LIST.split()


def demo_password(seed: int, username: str) -> str:
    """The demo password of one account: the same for the same seed, so it can be printed again."""
    chooser = random.Random(f"beatbook-demo-password:{seed}:{username}")
    words = chooser.sample(_WORDS, 3)
    return f"{words[0]}-{words[1]}-{words[2]}-{chooser.randrange(10, 100)}"


def demo_totp_key(seed: int) -> str:
    """The administrator's TOTP key (hex, 20 bytes), derived from the seed so it stays stable."""
    return hashlib.sha256(f"beatbook-demo-totp:{seed}".encode()).digest()[:20].hex()


@dataclass
class DemoLogin:
    username: str
    password: str
    role: str
    role_label: str
    area_name: str
    area_level: str
    area_code: str
    organisation: str = ""


@dataclass
class DemoResult:
    seed: int
    force: Area
    created: bool  # False when the force was there already and nothing changed
    logins: list[DemoLogin]
    totp_secret: str  # base32, as authenticator apps expect
    totp_url: str  # otpauth://… for a QR code or a password manager
    reports: list[ImportReport] = field(default_factory=list)
    seconds: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)

    def login(self, role: str) -> DemoLogin:
        return next(login for login in self.logins if login.role == role)


def demo_force() -> Area | None:
    return Area.objects.filter(level=Level.FORCE, code=FORCE_CODE).first()


def demo_seed_of(force: Area) -> int | None:
    """The seed the existing demo force was built with (recorded in the audit trail)."""
    event = AuditEvent.objects.filter(action=BUILD_ACTION, force=force).order_by("-at", "-id").first()
    if event is None or not isinstance(event.after, dict):
        return None
    seed = event.after.get("seed")
    return seed if isinstance(seed, int) else None


def _areas_for_accounts(geography: Geography) -> dict[str, tuple[str, str]]:
    """username → (level, code) of the area each demo account works in."""
    city_neighbourhoods = [n for n in geography.neighbourhoods if n.district == 0]
    centre = next(n for n in city_neighbourhoods if n.name == "City Centre")
    others = [n for n in city_neighbourhoods if n is not centre]
    # The second officer polices the market-town beat of the first county district.
    town = next(
        n
        for n in geography.neighbourhoods
        if n.district == 1 and any(geography.wards[w].name.endswith("Market") for w in n.wards)
    )
    return {
        "demo.officer": (Level.NEIGHBOURHOOD, centre.code),
        "demo.officer2": (Level.NEIGHBOURHOOD, town.code),
        "demo.commander": (Level.NPA, geography.npas[0].code),
        "demo.analyst": (Level.FORCE, FORCE_CODE),
        "demo.admin": (Level.FORCE, FORCE_CODE),
        "demo.partner": (Level.NEIGHBOURHOOD, others[0].code),
    }


def _say(stdout: Output | None, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def build_demo(*, seed: int = DEFAULT_SEED, stdout: Output | None = None) -> DemoResult:
    """Build the demo force from `seed` unless it exists; either way return its logins.

    Running it again changes nothing. To rebuild (or to use another seed) call
    `reset_demo()` first.
    """
    if seed < 0:
        raise ValueError(f"the seed must be 0 or more, not {seed}")
    started = time.perf_counter()
    existing = demo_force()
    if existing is not None:
        built_with = demo_seed_of(existing)
        if built_with is not None and built_with != seed:
            _say(stdout, f"The demo force was built with seed {built_with}; use --reset to rebuild it with {seed}.")
        result = _result(existing, built_with if built_with is not None else seed, created=False)
        result.seconds = time.perf_counter() - started
        return result

    _say(stdout, f"Generating {FORCE_NAME} from seed {seed}…")
    geography = build_geography(seed)
    people = synthesise(geography)
    crime = generate_crime(geography, people)
    with tempfile.TemporaryDirectory(prefix="beatbook-demo-") as folder, transaction.atomic():
        # Leftovers of a demo whose force was deleted by hand would clash with the new one.
        reset_demo(stdout=stdout)
        files = write_all(geography, people, Path(folder), crime=crime)
        reports = _import(files, stdout)
        force = demo_force()
        if force is None:
            raise DemoFailed(f"the force {FORCE_CODE} was not imported")
        _check(force, geography, crime)
        _say_surge(stdout, crime)
        _create_accounts(geography, seed)
        reports.append(_import_activity(geography, seed, force, Path(folder), stdout))
        reports.append(_import_survey(geography, people, seed, force, Path(folder), stdout))
        # After the survey: one of the demo's messages invites people to it.
        _say(stdout, load_messaging(force=force, seed=seed).summary())
        audit_record(
            actor=None,
            action=BUILD_ACTION,
            obj=force,
            force=force,
            after={
                "seed": seed,
                "lsoas": len(geography.lsoas),
                "residents": sum(p.total for p in people),
                "crime_rows": len(crime),
                "crime_months": [f"{crime.months[0]:%Y-%m}", f"{crime.months[-1]:%Y-%m}"],
                "surge": {"area": crime.surge.neighbourhood_code, "category": crime.surge.category},
            },
        )
    result = _result(force, seed, created=True)
    result.reports = reports
    result.seconds = time.perf_counter() - started
    return result


@transaction.atomic
def rebuild_demo(*, seed: int = DEFAULT_SEED, stdout: Output | None = None) -> DemoResult:
    """Delete the demo force and build it again, in one transaction: a failure keeps the old one."""
    reset_demo(stdout=stdout)
    return build_demo(seed=seed, stdout=stdout)


def _import(files: DemoFiles, stdout: Output | None) -> list[ImportReport]:
    steps = [
        ("force boundary", lambda: import_boundaries(files.force, level=Level.FORCE, commit=True)),
        (
            "LSOA boundaries",
            lambda: import_boundaries(files.lsoas, level=Level.LSOA, commit=True, force_code=FORCE_CODE),
        ),
        (
            "ward boundaries",
            lambda: import_boundaries(files.wards, level=Level.WARD, commit=True, force_code=FORCE_CODE),
        ),
        (
            "MSOA boundaries",
            lambda: import_boundaries(files.msoas, level=Level.MSOA, commit=True, force_code=FORCE_CODE),
        ),
        (
            "neighbourhoods",
            lambda: import_neighbourhoods(files.neighbourhoods, commit=True, force_code=FORCE_CODE),
        ),
        ("deprivation", lambda: import_imd(files.imd, commit=True)),
        ("census", lambda: import_census(files.census, commit=True)),
    ]
    reports = []
    for label, step in steps:
        report = step()
        _say(stdout, f"  imported {label}: {report.created} created, {report.updated} updated")
        reports.append(report)
    # Last, once the LSOAs exist: the crime importer files each row under its LSOA.
    crime = import_crime(files.crime, commit=True, force_code=FORCE_CODE)
    _say(stdout, f"  imported street crime: {crime.files} months, {crime.read:,} rows")
    reports.append(crime)
    return reports


def _import_activity(geography: Geography, seed: int, force: Area, folder: Path, stdout: Output | None) -> ImportReport:
    """Two years of engagement activity up to today, with the demo's officers named on it."""
    places = _areas_for_accounts(geography)
    people: dict[str, list[str]] = {}
    for account in ACCOUNTS:
        if account.role in (Role.OFFICER, Role.COMMANDER):
            people.setdefault(places[account.username][1], []).append(account.username)
    now = timezone.localtime()
    activity = generate_activity(
        geography,
        seed=seed,
        today=now.date(),
        now=now.time().replace(second=0, microsecond=0),
        officers=people,
        focus=places["demo.officer"][1],
    )
    report = load_activity(activity, force=force, folder=folder)
    _say(
        stdout,
        f"  imported engagement activity since {activity.start:%B %Y}: {report.created:,} activities, "
        f"{len(activity.partners)} partners, {len(activity.places)} places",
    )
    return report


def _import_survey(
    geography: Geography, people: list[LsoaPeople], seed: int, force: Area, folder: Path, stdout: Output | None
) -> ImportReport:
    """The "Your Views" survey's last six waves up to today, through the response importer."""
    survey = generate_survey(geography, people, seed=seed, today=timezone.localdate())
    report = load_survey(survey, force=force, folder=folder)
    _say(
        stdout,
        f"  imported survey responses: {report.created:,} over {len(survey.waves)} waves "
        f"({survey.waves[0].code} to {survey.waves[-1].code})",
    )
    return report


def _say_surge(stdout: Output | None, crime: DemoCrime) -> None:
    surge = crime.surge
    _say(
        stdout,
        f"  planted for the immediate-response list: {surge.category.lower()} in {surge.neighbourhood_name} "
        f"({surge.neighbourhood_code}) in {surge.month:%Y-%m}: {surge.count} reports, about "
        f"{surge.count / surge.usual:.0f} times the usual {surge.usual:.0f}",
    )


def _check(force: Area, geography: Geography, crime: DemoCrime) -> None:
    """Fail loudly if the importers did not rebuild the generated force as it was made."""
    expected = {
        Level.LSOA: len(geography.lsoas),
        Level.NEIGHBOURHOOD: len(geography.neighbourhoods),
        Level.NPA: len(geography.npas),
    }
    for level, count in expected.items():
        found = Area.objects.filter(level=level, force=force).count()
        if found != count:
            raise DemoFailed(f"expected {count} {level} areas in the demo force, the importers made {found}")
    parents = dict(Area.objects.filter(level=Level.LSOA, force=force).values_list("code", "parent__code"))
    for neighbourhood in geography.neighbourhoods:
        for i in neighbourhood.members:
            code = geography.lsoas[i].code
            if parents.get(code) != neighbourhood.code:
                raise DemoFailed(f"LSOA {code} should be in {neighbourhood.code}, it is in {parents.get(code)}")
    imports = CrimeImport.objects.filter(force=force)
    rows = sum(imports.values_list("rows_read", flat=True))
    if imports.count() != len(crime.months) or rows != len(crime):
        raise DemoFailed(
            f"expected {len(crime):,} crime rows over {len(crime.months)} months, "
            f"the importer kept {rows:,} over {imports.count()}"
        )


def _create_accounts(geography: Geography, seed: int) -> None:
    places = _areas_for_accounts(geography)
    for account in ACCOUNTS:
        level, code = places[account.username]
        area = Area.objects.get(level=level, code=code)
        user = user_create(
            actor=None,
            username=account.username,
            password=demo_password(seed, account.username),
            role=account.role,
            area=area,
            first_name=account.first_name,
            last_name=account.last_name,
            email=account.email,
            organisation=account.organisation,
        )
        if account.username == ADMIN_USERNAME:
            # Administrators must use a second factor; the demo's is set up already so that
            # the printed secret works straight away.
            two_factor_enrol(user=user, key=demo_totp_key(seed), last_t=-1)


def _result(force: Area, seed: int, *, created: bool) -> DemoResult:
    users = {
        u.username: u for u in User.objects.filter(username__in=[a.username for a in ACCOUNTS]).select_related("area")
    }
    logins = []
    for account in ACCOUNTS:
        user = users.get(account.username)
        if user is None or user.area is None:
            continue
        logins.append(
            DemoLogin(
                username=account.username,
                password=demo_password(seed, account.username),
                role=account.role,
                role_label=str(Role(account.role).label),
                area_name=user.area.name,
                area_level=str(Level(user.area.level).label),
                area_code=user.area.code,
                organisation=user.organisation,
            )
        )
    device = TOTPDevice.objects.filter(user__username=ADMIN_USERNAME).select_related("user").first()
    secret = b32encode(device.bin_key).decode() if device else ""
    url = device.config_url if device else ""
    stats = {
        str(level): Area.objects.filter(level=level, force=force).count()
        for level in (Level.NPA, Level.NEIGHBOURHOOD, Level.LSOA, Level.WARD, Level.MSOA, Level.LAD)
    }
    return DemoResult(
        seed=seed, force=force, created=created, logins=logins, totp_secret=secret, totp_url=url, stats=stats
    )


def demo_totp_code(*, at: float | None = None) -> tuple[str, int]:
    """The administrator's current code and the seconds it stays current."""
    device = TOTPDevice.objects.filter(user__username=ADMIN_USERNAME, confirmed=True).first()
    if device is None:
        raise DemoFailed("the demo has not been built: run `beatbook demo` first")
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time() if at is None else at
    totp.time = now
    remaining = device.step - int(now - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", remaining


@transaction.atomic
def reset_demo(*, stdout: Output | None = None) -> bool:
    """Delete the demo force, its areas and its accounts. False when there was none.

    The audit trail is kept (with the force link emptied), as it is for any deleted area.
    """
    force = demo_force()
    prefixes = Q()
    for prefix in DEMO_CODE_PREFIXES:
        prefixes |= Q(code__startswith=prefix)
    areas = Area.objects.filter(Q(pk=force.pk) | Q(force=force) | prefixes) if force else Area.objects.filter(prefixes)
    area_ids = list(areas.values_list("pk", flat=True))
    users = User.objects.filter(Q(area_id__in=area_ids) | Q(username__in=[a.username for a in ACCOUNTS]))
    if not area_ids and not users.exists():
        return False
    removed_users = users.count()
    if force is not None:
        # Activity protects its force, so it goes first (its area links and the force's
        # partners and places go with it and the areas).
        Activity.objects.filter(force=force).delete()
        # Responses first, in one statement, rather than collected through the survey cascade.
        Response.objects.filter(survey__force=force).delete()
        # Messaging before the areas, in a few statements, rather than collected through the
        # area cascade (a delivery hangs off a message, a subscriber and an area).
        Delivery.objects.filter(message__force=force).delete()
        Message.objects.filter(force=force).delete()
        Subscriber.objects.filter(force=force).delete()
        Survey.objects.filter(force=force).delete()
        # Benchmark series belong to the installation, not a force: the demo's is the only
        # synthetic one there can be.
        BenchmarkSeries.objects.filter(source=BenchmarkSource.SYNTHETIC).delete()
        # Deleted here in two statements rather than row by row through the area cascade.
        CrimeCount.objects.filter(force=force).delete()
        CrimeImport.objects.filter(force=force).delete()
        # The force's Parquet rows go too, but only once the deletion is committed; a
        # rebuild in the same transaction publishes its new files after this runs.
        folder = storage.force_dir(FORCE_CODE)
        transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))
    audit_record(
        actor=None,
        action="demo.reset",
        object_type="areas.area",
        object_id=str(force.pk) if force else "",
        object_label=f"{FORCE_NAME} ({FORCE_CODE})",
        before={"areas": len(area_ids), "users": removed_users},
    )
    users.delete()
    Area.objects.filter(pk__in=area_ids).delete()
    _say(stdout, f"Deleted the demo force: {len(area_ids)} areas and {removed_users} accounts.")
    return True


def site_url() -> str:
    return f"{settings.SITE_URL.rstrip('/')}/"


def login_url() -> str:
    try:
        return f"{settings.SITE_URL.rstrip('/')}{reverse('accounts:login')}"
    except NoReverseMatch:
        return site_url()
