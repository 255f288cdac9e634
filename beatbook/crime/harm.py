"""Harm weights: how much one crime of each data.police.uk category counts for.

Plain counts treat a robbery and a shoplifting as one crime each. Harm multiplies each
category's count by a weight, so that a profile can say where the most serious crime is,
not only the most crime. Harm per 1,000 residents divides by the area's population.

Where the default weights come from
-----------------------------------
The ONS **Crime Severity Score** (CSS; ONS, "Research outputs: Developing a Crime Severity
Score for England and Wales using data on crimes recorded by the police", 29 November 2016,
and the CSS data tool, experimental statistics, Open Government Licence v3.0) weights
every recorded offence by the sentence it typically attracts, expressed as days in custody
(fines and community orders converted to equivalent days), and publishes, per police force
area and year, ``CSS = sum(offences x weight) / population`` for seven offence groups.

The offence-level "list of weights" is not available to us offline, and no public table
maps the Cambridge Crime Harm Index to data.police.uk categories. So the defaults are
*derived* from what we hold: the published CSS by offence group for Leicestershire
(E23000021, ``shared/data/crime_severity``) and the same force's data.police.uk street
files for the same financial years (``shared/data/street_crime``). For each ONS offence
group g, pooling the years ending March 2021 and March 2022:

    weight(g) = sum over years of CSS(g, year) x P / sum over years of N(g, year)

where N is the number of street-level rows in the data.police.uk categories that make up
g (April to March), and P = 1,054,029, the force area's mid-2015 population (the
denominators published with the English Indices of Deprivation 2019, the only force-area
population in that data). The result is the average ONS severity of one recorded crime of
the group, in the CSS's own units. `derive_weights` does the arithmetic and
`beatbook/crime/tests/test_harm.py` re-derives the table below from those files.

    data.police.uk category        ONS CSS offence group(s)                        weight
    Violence and sexual offences   Violence against the person + Sexual offences  289.0
    Robbery                        Robbery                                         991.9
    Burglary, Vehicle crime,       Theft offences                                  145.2
      Theft from the person,
      Bicycle theft, Shoplifting,
      Other theft
    Criminal damage and arson      Criminal damage and arson                        23.3
    Drugs, Possession of weapons,  Other crimes against society                     75.3
      Public order, Other crime
    Anti-social behaviour          none: not a crime, no CSS weight                  0.0

Limits, stated plainly:

- Categories in one group share the group's average: burglary weighs the same as
  shoplifting here, although the ONS weights them very differently offence by offence.
- The averages reflect Leicestershire's offence mix in 2020-22; other forces' mixes differ.
- The ONS divides by each year's mid-year population estimate (about 1.1 million for the
  force area then; that figure is from memory, not from our data), so these weights may be
  about 5% lower than the ONS's own averages. The ratios between categories, which decide
  every comparison Beatbook makes, do not depend on P.
- Anti-social behaviour has weight 0, so harm covers crime only; its counts are shown apart.

Every weight is configurable: a `HarmWeight` row with `force` set overrides the default for
that force (for example with offence-level ONS weights a force holds). Change them with
`harm_weight_set`, which is a service (it writes and audits) kept here rather than in
`services.py` so that everything about weights is in one module.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from beatbook.accounts import access
from beatbook.accounts.models import Role, User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level

from .models import CrimeCategory, HarmWeight

# The ONS CSS offence groups (as named in the CSS data tool).
VIOLENCE = "Violence against the person"
SEXUAL = "Sexual offences"
ROBBERY = "Robbery"
THEFT = "Theft offences"
DAMAGE = "Criminal damage and arson"
SOCIETY = "Other crimes against society"
TOTAL = "Total recorded crime"
CSS_GROUPS = (VIOLENCE, SEXUAL, ROBBERY, THEFT, DAMAGE, SOCIETY)


@dataclass(frozen=True)
class CategorySeed:
    name: str  # exactly as in the street files' "Crime type" column
    slug: str  # as data.police.uk's API names the category
    groups: tuple[str, ...]  # the CSS offence groups it belongs to (none for ASB)
    weight: float
    is_anti_social_behaviour: bool = False


# The 14 current data.police.uk crime types, in the order data.police.uk lists them. The
# data migration 0002 seeds a frozen copy of this table; changing it here changes new
# installs' seeds only through a new migration.
CATEGORIES: tuple[CategorySeed, ...] = (
    CategorySeed("Anti-social behaviour", "anti-social-behaviour", (), 0.0, is_anti_social_behaviour=True),
    CategorySeed("Bicycle theft", "bicycle-theft", (THEFT,), 145.2),
    CategorySeed("Burglary", "burglary", (THEFT,), 145.2),
    CategorySeed("Criminal damage and arson", "criminal-damage-arson", (DAMAGE,), 23.3),
    CategorySeed("Drugs", "drugs", (SOCIETY,), 75.3),
    CategorySeed("Other crime", "other-crime", (SOCIETY,), 75.3),
    CategorySeed("Other theft", "other-theft", (THEFT,), 145.2),
    CategorySeed("Possession of weapons", "possession-of-weapons", (SOCIETY,), 75.3),
    CategorySeed("Public order", "public-order", (SOCIETY,), 75.3),
    CategorySeed("Robbery", "robbery", (ROBBERY,), 991.9),
    CategorySeed("Shoplifting", "shoplifting", (THEFT,), 145.2),
    CategorySeed("Theft from the person", "theft-from-the-person", (THEFT,), 145.2),
    CategorySeed("Vehicle crime", "vehicle-crime", (THEFT,), 145.2),
    CategorySeed("Violence and sexual offences", "violent-crime", (VIOLENCE, SEXUAL), 289.0),
)

DEFAULT_WEIGHTS: dict[str, float] = {seed.name: seed.weight for seed in CATEGORIES}
DEFAULT_SOURCE = (
    "Derived from the ONS Crime Severity Score by offence group (Leicestershire, years ending "
    "March 2021 and 2022) and data.police.uk street-level counts; see beatbook/crime/harm.py."
)

# The inputs of the derivation, named so the test can re-run it on the files.
DERIVATION_FORCE_CODE = "E23000021"
DERIVATION_YEARS = (2021, 2022)  # financial years ending March
DERIVATION_POPULATION = 1_054_029  # mid-2015, IoD2019 File 6, the force area's 611 LSOAs


def financial_year_months(year_ending: int) -> list[str]:
    """The twelve "YYYY-MM" months of the financial year ending March `year_ending`."""
    return [f"{year_ending - 1}-{m:02d}" for m in range(4, 13)] + [f"{year_ending}-{m:02d}" for m in range(1, 4)]


def read_severity_scores(path: Path, *, area_code: str) -> dict[tuple[str, int], float]:
    """The ONS CSS of one area by (offence group, year ending March), from the data tool's CSV.

    The file's `year` column holds newlines inside quotes, so it is read with a real CSV
    parser; `year_ending` is an ISO date.
    """
    opener: Any = gzip.open if path.suffix == ".gz" else open
    scores: dict[tuple[str, int], float] = {}
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["code"] == area_code:
                scores[(row["offence_group"], int(row["year_ending"][:4]))] = float(row["severity_score"])
    return scores


def derive_weights(
    *,
    severity: Mapping[tuple[str, int], float],
    counts: Mapping[tuple[str, int], int],
    population: float,
    years: Iterable[int],
    categories: Iterable[CategorySeed] = CATEGORIES,
) -> dict[str, float]:
    """Each category's weight: its CSS groups' pooled score x population / pooled street counts.

    `severity` is keyed by (CSS offence group, year ending March); `counts` by
    (data.police.uk category name, year ending March). Categories in no group get 0.
    """
    seeds = list(categories)
    years = list(years)
    members: dict[tuple[str, ...], list[str]] = {}
    for seed in seeds:
        if seed.groups:
            members.setdefault(seed.groups, []).append(seed.name)
    weights: dict[str, float] = {}
    for groups, names in members.items():
        score = sum(severity[(group, year)] for group in groups for year in years)
        recorded = sum(counts.get((name, year), 0) for name in names for year in years)
        if recorded <= 0:
            raise ValueError(f"No recorded crimes in {', '.join(names)} for {years}: the weight is undefined.")
        for name in names:
            weights[name] = score * population / recorded
    for seed in seeds:
        weights.setdefault(seed.name, 0.0)
    return weights


# --------------------------------------------------------------------------- writes


def _check_may_set(actor: User | None, force: Area | None) -> None:
    """Analysts and administrators configure their own force; defaults only from the command line."""
    if actor is None:
        return
    if force is None:
        raise PermissionDenied(_("The installation's default weights are changed from the command line only."))
    if actor.role not in (Role.ANALYST, Role.ADMIN) or access.user_force(actor) != force:
        raise PermissionDenied(_("Only your force's analysts and administrators change its harm weights."))


@transaction.atomic
def harm_weight_set(
    *,
    actor: User | None,
    force: Area | None,
    category: CrimeCategory,
    weight: float,
    source: str,
    ip_address: str | None = None,
) -> HarmWeight:
    """Set the weight of `category` for `force` (None: the installation's default). Audited.

    A force's row overrides the default for that force only; the previous value is kept in
    the audit record.
    """
    if force is not None and force.level != Level.FORCE:
        raise ValidationError(_("Harm weights are set for a force, not for %(name)s.") % {"name": force.name})
    try:
        value = float(weight)
    except (TypeError, ValueError) as error:
        raise ValidationError(_("A harm weight must be a number.")) from error
    if not math.isfinite(value) or value < 0:
        raise ValidationError(_("A harm weight must be a number of 0 or more."))
    _check_may_set(actor, force)
    current = HarmWeight.objects.select_for_update().filter(force=force, category=category).first()
    before = None if current is None else {"weight": current.weight, "source": current.source}
    if current is None:
        current = HarmWeight.objects.create(force=force, category=category, weight=value, source=source[:300])
    else:
        current.weight = value
        current.source = source[:300]
        current.save(update_fields=["weight", "source", "updated_at"])
    audit_record(
        actor=actor,
        action="crime.harm_weight_set",
        obj=current,
        object_label=f"{force.code if force else 'default'} / {category.name}",
        force=force,
        before=before,
        after={"weight": value, "source": current.source},
        ip_address=ip_address,
    )
    return current
