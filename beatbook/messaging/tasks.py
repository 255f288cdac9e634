"""The messaging worker's steps as Django tasks (django-tasks).

The outbox is the `Delivery` table itself: one row per recipient and channel is both the
record of what was sent and the queue of what is left, so sending needs no task rows (100,000
of them would double the writes) and nothing is lost when a worker stops. `beatbook
messaging-worker` runs these steps in a loop (see that command). They are tasks as well so an
installation can also trigger a step through the database task queue (`beatbook db_worker`),
for example the digest from a scheduler; each is safe to run at any time and more than once.
"""

from __future__ import annotations

from django_tasks import task

from . import delivery


@task()
def messaging_dispatch() -> int:
    """Start every scheduled message that is due (create its deliveries)."""
    return delivery.messages_dispatch_due()


@task()
def messaging_send(limit: int | None = None) -> int:
    """Claim and send one batch of due deliveries; returns how many were handled."""
    result = delivery.send_due(sender=delivery.Sender(), limit=limit)
    return result.handled


@task()
def messaging_digest() -> int:
    """Send the weekly digests (whenever run: the worker runs it on Monday mornings)."""
    return delivery.digests_send()
