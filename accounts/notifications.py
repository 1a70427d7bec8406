"""Recording notifications: the one way anything tells a person something.

A job records a notification for (recipient, kind, subject) at most once, whatever happens: the
row is inserted against a unique constraint (a duplicate is refused by the database), so running a job twice,
concurrently, or by hand after a crash records nothing new. Sending happens after the transaction
commits (accounts.tasks.notifications_send).
"""

from typing import Optional

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, User


def notification_record(
    *, recipient: User, kind: str, subject_key: str, title: str, body: str, url: str = ""
) -> Optional[Notification]:
    """Record a notification unless this (recipient, kind, subject) already has one; return the
    new row, or None when it existed. Schedules sending once the transaction commits."""
    if not recipient.is_active:
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction intact
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, subject_key=subject_key, title=title, body=body, url=url
            )
    except IntegrityError:
        return None
    transaction.on_commit(_send_soon)
    return notification


def _send_soon() -> None:
    from accounts.tasks import notifications_send

    notifications_send.delay()


def notifications_cancel(*, subject_key: str) -> int:
    """Cancel what has not been sent yet about a subject (a rescheduled review's reminders)."""
    return Notification.objects.filter(subject_key=subject_key, sent_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )
