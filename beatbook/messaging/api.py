"""The messaging API: messages with their metrics, and subscriber counts. Read only.

Mounted at /api/v1/messaging/. What a caller sees comes from `access` as on the pages: staff
other than partners read the messages aimed at areas they see (or written by them), with the
metrics `metrics` defines; a message out of scope is a 404; partners get 403. Subscriber
counts are limited to the caller's areas; no personal data is served here.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from beatbook.areas.models import Level

from . import access, metrics
from .models import Message, MessageStatus

router = Router(tags=["messaging"])

PAGE_SIZE = 50


class CountsOut(Schema):
    targeted: int = Field(description="Deliveries made: one per recipient and channel.")
    sent: int = Field(description="Handed to the email or text provider.")
    delivered: int
    failed: int
    waiting: int = Field(description="Not sent yet: waiting, held for a weekly digest, being sent or due a retry.")
    not_sent: int = Field(description="Skipped (unsubscribed or erased before sending) or cancelled.")
    clicked: int = Field(description="Recipients who followed a link.")
    clicks: int
    useful: int = Field(description='Recipients who answered "yes" to "was this useful?".')
    not_useful: int
    unsubscribed: int = Field(description="Recipients who unsubscribed from this message's link.")
    converted: int = Field(description="Recipients who did what it invited them to (answered the survey).")
    opened: int | None = Field(description="Recipients who opened the email; null unless the force tracks opens.")


class ChannelCountsOut(CountsOut):
    channel: str


class AreaCountsOut(CountsOut):
    area: str | None = Field(description="Code of the targeted area the recipients were reached through.")
    area_name: str | None


class MessageOut(Schema):
    id: int
    kind: str
    subject: str
    status: str
    areas: list[str] = Field(description="Codes of the areas targeted.")
    channels: list[str]
    languages: list[str]
    author: str | None
    signature_name: str
    audience_count: int | None = Field(description="Recipients counted when sending began.")
    send_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    created_at: dt.datetime
    metrics: CountsOut


class MessagePageOut(Schema):
    count: int
    page: int
    pages: int
    page_size: int
    results: list[MessageOut]


class MessageMetricsOut(Schema):
    id: int
    total: CountsOut
    by_channel: list[ChannelCountsOut]
    by_area: list[AreaCountsOut]


class CountRowOut(Schema):
    key: str
    label: str
    count: int


class MonthOut(Schema):
    month: str = Field(description="YYYY-MM, Europe/London.")
    joined: int
    confirmed: int
    unsubscribed: int


class ReachOut(Schema):
    code: str
    name: str
    subscribers: int
    population: int | None
    share: float | None = Field(description="Active subscribers as a share of the census population.")


class SubscriberSummaryOut(Schema):
    total: int
    active: int
    by_status: list[CountRowOut]
    by_channel: list[CountRowOut]
    by_area: list[CountRowOut]
    by_interest: list[CountRowOut]
    by_language: list[CountRowOut]
    growth: list[MonthOut]
    reach: list[ReachOut]


def _user(request: HttpRequest) -> Any:
    return getattr(request, "auth", None) or request.user


def _reader(request: HttpRequest) -> Any:
    user = _user(request)
    if not access.can_read_messages(user):
        raise HttpError(403, "Your role does not use community messaging.")
    return user


def _counts(counts: metrics.Counts, *, opens: bool) -> dict[str, Any]:
    values: dict[str, Any] = counts.as_dict()
    if not opens:
        values["opened"] = None
    return values


def _opens(force_id: int) -> bool:
    return access.messaging_settings(force_id).open_tracking


@router.get("/messages", response=MessagePageOut, summary="Messages you can see, newest first, with their metrics")
def list_messages(
    request: HttpRequest,
    status: str | None = Query(None, description="draft, awaiting, scheduled, sending, sent or cancelled."),
    page: int = Query(1, ge=1),
) -> dict[str, Any]:
    user = _reader(request)
    found = access.visible_messages(user).select_related("author").prefetch_related("areas")
    if status:
        if status not in MessageStatus.values:
            raise HttpError(400, f"status: {status!r} is not one of {', '.join(MessageStatus.values)}.")
        found = found.filter(status=status)
    found = found.order_by("-created_at", "-pk")
    count = found.count()
    first = (page - 1) * PAGE_SIZE
    rows: list[Message] = list(found[first : first + PAGE_SIZE]) if first < count else []
    figures = metrics.message_metrics(m.pk for m in rows)
    opens = {force_id: _opens(force_id) for force_id in {m.force_id for m in rows}}
    return {
        "count": count,
        "page": page,
        "pages": max(1, math.ceil(count / PAGE_SIZE)),
        "page_size": PAGE_SIZE,
        "results": [
            {
                "id": m.pk,
                "kind": m.kind,
                "subject": m.subject,
                "status": m.status,
                "areas": sorted(a.code for a in m.areas.all()),
                "channels": list(m.channels),
                "languages": list(m.languages),
                "author": m.author.username if m.author else None,
                "signature_name": m.signature_name,
                "audience_count": m.audience_count,
                "send_at": m.send_at,
                "started_at": m.started_at,
                "finished_at": m.finished_at,
                "created_at": m.created_at,
                "metrics": _counts(figures[m.pk].total, opens=opens[m.force_id]),
            }
            for m in rows
        ],
    }


@router.get("/messages/{message_id}/metrics", response=MessageMetricsOut, summary="One message's metrics")
def message_metrics(request: HttpRequest, message_id: int) -> dict[str, Any]:
    user = _reader(request)
    message = access.get_message_for_user(user, pk=message_id)
    found = metrics.metrics_for(message)
    opens = _opens(message.force_id)
    return {
        "id": message.pk,
        "total": _counts(found.total, opens=opens),
        "by_channel": [
            {"channel": channel, **_counts(counts, opens=opens)} for channel, _label, counts in found.channels()
        ],
        "by_area": [
            {"area": a.code or None, "area_name": a.name or None, **_counts(a.counts, opens=opens)}
            for a in found.by_area
        ],
    }


@router.get("/subscribers/summary", response=SubscriberSummaryOut, summary="Subscriber counts in your areas")
def subscriber_summary(request: HttpRequest) -> dict[str, Any]:
    user = _reader(request)
    force_id = access.user_force_id(user)
    assert force_id is not None
    scope = None if user.area.level == Level.FORCE else access.readable_areas(user)
    summary = metrics.subscriber_summary(force_id, scope)
    growth = metrics.subscriber_growth(force_id, scope)
    reach = metrics.reach(force_id, access.readable_areas(user).filter(level=Level.NEIGHBOURHOOD))

    def rows(items: list[metrics.Row]) -> list[dict[str, Any]]:
        return [{"key": r.key, "label": r.label, "count": r.count} for r in items]

    return {
        "total": summary.total,
        "active": summary.active,
        "by_status": rows(summary.by_status),
        "by_channel": rows(summary.by_channel),
        "by_area": rows(summary.by_area),
        "by_interest": rows(summary.by_interest),
        "by_language": rows(summary.by_language),
        "growth": [
            {"month": f"{g.month:%Y-%m}", "joined": g.joined, "confirmed": g.confirmed, "unsubscribed": g.unsubscribed}
            for g in growth
        ],
        "reach": [
            {"code": r.code, "name": r.name, "subscribers": r.subscribers, "population": r.population, "share": r.share}
            for r in reach.rows
        ],
    }
