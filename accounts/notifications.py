"""Recording and sending notifications: the one way anything tells a person something.

A job records a notification for (recipient, kind, subject) at most once, whatever happens: the
row is inserted against a unique constraint (a duplicate is refused by the database), so running a job twice,
concurrently, or by hand after a crash records nothing new. Sending happens after the transaction
commits (accounts.tasks.notifications_send), and every minute from beat for anything left.
"""

import logging
import uuid
from datetime import timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Notification, User
from core.enqueue import enqueue_at_once

logger = logging.getLogger(__name__)


# About the account itself (an invitation, an e-mail change): e-mailed, never listed on the
# notifications page, where a link meant for a mailbox would skip the proof of owning it.
EMAIL_ONLY_KINDS = (
    Notification.Kind.ACCOUNT_INVITATION,
    Notification.Kind.EMAIL_CHANGE_CONFIRM,
    Notification.Kind.EMAIL_CHANGED,
)


def notification_record(
    *, recipient: User, kind: str, subject_key: str, title: str, body: str, url: str = "", email: str = ""
) -> Notification | None:
    """Record a notification unless this (recipient, kind, subject) already has one; return the
    new row, or None when it existed. Schedules sending once the transaction commits. `email`, when
    given, is the address it goes to instead of the recipient's (a new address to confirm)."""
    if not recipient.is_active:
        return None
    try:
        with transaction.atomic():  # a savepoint: a duplicate leaves the caller's transaction intact
            notification = Notification.objects.create(
                recipient=recipient, kind=kind, subject_key=subject_key, title=title, body=body, url=url, email=email
            )
    except IntegrityError:
        return None
    # robust: the change is committed whatever the broker does; beat's run sends what this misses.
    transaction.on_commit(_send_soon, robust=True)
    return notification


def _send_soon() -> None:
    from accounts.tasks import notifications_send

    # Settled question 30 (core.enqueue): gives up at once when the broker is down; beat sends it
    # within a minute.
    enqueue_at_once(notifications_send, what="sending notifications; the next scheduled run sends them", log=logger)


def notifications_cancel(*, subject_key: str) -> int:
    """Cancel what has not been sent yet about a subject (a rescheduled review's reminders)."""
    return Notification.objects.filter(subject_key=subject_key, sent_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=timezone.now()
    )


# Sending ----------------------------------------------------------------------------------------


def notifications_send_pending(*, limit: int = 100) -> int:
    """Send up to `limit` recorded, unsent, uncancelled notifications by e-mail; return how many
    the mail server accepted.

    Rows are claimed (claimed_at, and this run's own claim_token) in one short transaction with
    SKIP LOCKED, so two senders never take the same row. Just before each message goes, the claim is
    renewed, on that row alone, and only if the token is still this run's: a claim older than
    NOTIFICATION_CLAIM_LEASE_MINUTES (its sender died, or is still busy with earlier rows of a batch
    that outlasted the lease behind a slow mail server) is taken over by the next sender, and the
    first then skips the row instead of sending it again. Each row is marked sent in its own
    statement as soon as the mail server accepts it, so the only way a message goes twice is a
    crash between the server accepting it and the mark (or one message alone taking longer than
    the lease). A row whose recipient is no longer active is cancelled, never sent. A message the
    server refuses is released for a later run, and the rest of the batch still goes. Any other
    failure of one row (an address or header the mail library refuses) is logged with its id and
    that row waits for its claim to lapse: one bad row never stops the batch.
    """
    sent = 0
    token = uuid.uuid4()
    for notification in _notifications_claim(limit=limit, token=token):
        try:
            if _claim_renew(notification, token):
                sent += _notification_send(notification, token)
            else:
                logger.info("Notification %s was taken over by another sender; not sent again", notification.pk)
        except Exception:
            logger.exception("Notification %s not sent; the batch goes on and a later run retries", notification.pk)
    return sent


def _notifications_claim(*, limit: int, token: uuid.UUID) -> list[Notification]:
    now = timezone.now()
    lease_ended = now - timedelta(minutes=settings.NOTIFICATION_CLAIM_LEASE_MINUTES)
    with transaction.atomic():
        due = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(sent_at__isnull=True, cancelled_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease_ended))
            .order_by("created_at", "pk")[:limit]
        )
        claimed = [notification for notification in due if notification.recipient.is_active]
        gone = [notification.pk for notification in due if not notification.recipient.is_active]
        if gone:
            Notification.objects.filter(pk__in=gone).update(cancelled_at=now)
        Notification.objects.filter(pk__in=[notification.pk for notification in claimed]).update(
            claimed_at=now, claim_token=token
        )
    return claimed


def _claim_renew(notification: Notification, token: uuid.UUID) -> bool:
    """Renew this sender's claim on one row just before sending it: false when another sender took
    the row over after the lease ran out, or it was sent or cancelled meanwhile."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, claim_token=token, sent_at__isnull=True, cancelled_at__isnull=True
        ).update(claimed_at=timezone.now())
    )


def _notification_send(notification: Notification, token: uuid.UUID) -> int:
    message = notification.body
    if notification.url:
        message = f"{message}\n\n{_full_url(notification.url)}"
    try:
        send_mail(
            subject=" ".join(notification.title.split()),  # a line break in a header is refused
            message=message,
            from_email=None,
            recipient_list=[notification.email or notification.recipient.email],
        )
    except (SMTPException, OSError):
        logger.exception("Notification %s to %s not sent; a later run retries", notification.pk, notification.recipient)
        Notification.objects.filter(pk=notification.pk, claim_token=token, sent_at__isnull=True).update(
            claimed_at=None, claim_token=None
        )
        return 0
    # The one window for a repeat: a crash here, after the server accepted and before this mark.
    return Notification.objects.filter(pk=notification.pk, sent_at__isnull=True).update(sent_at=timezone.now())


def _full_url(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL.rstrip('/')}/{url.lstrip('/')}"


# The list ---------------------------------------------------------------------------------------


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """A person's own notifications, newest first (what they were sent and what is waiting)."""
    return (
        Notification.objects.filter(recipient=user, cancelled_at__isnull=True)
        .exclude(kind__in=EMAIL_ONLY_KINDS)
        .order_by("-created_at", "-pk")
    )


def notifications_unread_count(*, user: User) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).count()


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's is not found (404)."""
    notification = get_object_or_404(notifications_for(user=user), pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())
