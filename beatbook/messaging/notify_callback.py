"""GOV.UK Notify's delivery-status callbacks: Notify POSTs what became of each message it sent.

Notify is set up (in its service settings) with this URL and a bearer token, which we check in
constant time. The body is JSON: `id` (Notify's id, which we keep as the delivery's
`provider_reference`), `reference` (ours: the delivery id), `status` and timestamps. Notify
can call back before the worker has committed the send, so a delivery is found by Notify's id
or else by our reference.

- `delivered`: DELIVERED.
- `permanent-failure` (the address or number does not exist): FAILED.
- `temporary-failure` (mailbox full, phone off) and `technical-failure` (Notify could not hand
  it on): tried again with backoff, like a temporary failure at sending, until the attempts run out.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .delivery import MAX_ATTEMPTS, backoff
from .models import Delivery, DeliveryStatus

logger = logging.getLogger("beatbook.messaging")

FINAL_FAILURE = {"permanent-failure"}
RETRYABLE = {"temporary-failure", "technical-failure"}
KNOWN = {"delivered", *FINAL_FAILURE, *RETRYABLE}
# Statuses a callback may change: the provider has (or may have) the message.
CALLBACK_UPDATABLE = (DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.DELIVERED)


def _moment(value: object) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        return timezone.now()
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


@transaction.atomic
def delivery_status_record(*, notification_id: str, reference: str, status: str, at: datetime) -> Delivery | None:
    """Record a provider's final word on one delivery. Returns the delivery, or None when no
    delivery matches (or it is no longer one a callback may change)."""
    found = Delivery.objects.select_for_update().filter(provider_reference=notification_id).first()
    if found is None and reference.isdigit():
        found = Delivery.objects.select_for_update().filter(pk=int(reference)).first()
    if found is None or found.status not in CALLBACK_UPDATABLE:
        return None
    found.provider_reference = notification_id[:100]
    found.claimed_until = None
    found.sent_at = found.sent_at or at
    if status == "delivered":
        found.status = DeliveryStatus.DELIVERED
        found.delivered_at = at
        found.error = ""
    elif status in RETRYABLE and found.attempts < MAX_ATTEMPTS:
        found.status = DeliveryStatus.RETRY
        found.next_attempt_at = timezone.now() + backoff(found.attempts)
        found.error = f"Notify: {status}"
    else:
        found.status = DeliveryStatus.FAILED
        found.failed_at = at
        found.error = f"Notify: {status}"
    found.save(
        update_fields=[
            "provider_reference",
            "claimed_until",
            "sent_at",
            "status",
            "delivered_at",
            "failed_at",
            "next_attempt_at",
            "error",
        ]
    )
    return found


def _authorised(request: HttpRequest) -> bool:
    token = settings.NOTIFY_CALLBACK_TOKEN
    given = request.headers.get("Authorization", "")
    # No token configured means no callbacks accepted, never "anyone may call".
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


# Exempt from CSRF: this is called machine to machine by GOV.UK Notify, which has no session or
# CSRF cookie; the bearer token checked above is what authenticates it.
@csrf_exempt
@require_POST
def notify_status(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        return JsonResponse({"error": "missing or wrong bearer token"}, status=401)
    try:
        payload = json.loads(request.body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"error": "the body is not JSON"}, status=400)
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        return JsonResponse({"error": "id: a notification id is required"}, status=400)
    status = payload.get("status")
    if status not in KNOWN:
        return JsonResponse({"error": f"status: unknown status {status!r}"}, status=400)
    reference = payload.get("reference") if isinstance(payload.get("reference"), str) else ""
    at = _moment(payload.get("completed_at") or payload.get("sent_at"))
    delivery = delivery_status_record(
        notification_id=payload["id"], reference=reference or "", status=str(status), at=at
    )
    if delivery is None:
        # Answer 200 all the same: Notify retries failed callbacks, and retrying cannot help.
        logger.info("Notify callback for unknown notification %s (reference %r)", payload["id"], reference)
        return JsonResponse({"result": "ignored"})
    return JsonResponse({"result": "recorded", "status": delivery.status})
