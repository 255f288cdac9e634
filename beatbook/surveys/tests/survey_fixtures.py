"""Helpers the survey app's database tests share: a "Your Views" survey in Testshire, ONSPD rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from beatbook.surveys import services
from beatbook.surveys.models import Survey, Wave

# A few ONSPD columns around the ones Beatbook reads, in the directory's order.
ONSPD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,osgrdind,"
    "oa11,lsoa11,msoa11,lat,long,pfa,imd,oa21,lsoa21,msoa21"
)


def onspd_row(pcds: str, lsoa21: str, *, doterm: str = "", lat: str = "52.70100", long: str = "-1.19000") -> str:
    compact = pcds.replace(" ", "")
    pcd = f"{compact[:-3]:<4}{compact[-3:]}"
    return (
        f"{pcd},{pcd},{pcds},199801,{doterm},E10000018,E58000001,E06000016,E05000001,E43000001,0,"
        f"458000,304000,1,E00000001,E01000001,E02000001,{lat},{long},E23000021,1234,E00000002,{lsoa21},E02000002"
    )


def write_onspd(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([ONSPD_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def make_survey(area_tree: Any) -> Survey:
    return services.survey_create_from_template(actor=None, force=area_tree.force, name="Your Views", slug="your-views")


def make_wave(survey: Survey) -> Wave:
    """The May 2026 wave."""
    return services.wave_create(
        actor=None,
        survey=survey,
        code="2026-05",
        name="May 2026",
        opens_on=dt.date(2026, 5, 1),
        closes_on=dt.date(2026, 5, 31),
    )


CONFIDENCE_KEYS = ("understand-issues", "feel-safe", "kept-informed", "good-job", "trust-police")
SCALE = {1: "strongly-disagree", 2: "disagree", 3: "neither", 4: "agree", 5: "strongly-agree", 0: "dont-know"}


def confidence(*values: int | None) -> dict[str, str]:
    """Answers to the five confidence questions from scale values (None: left blank)."""
    return {key: SCALE[value] for key, value in zip(CONFIDENCE_KEYS, values, strict=True) if value is not None}
