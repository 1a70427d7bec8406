from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.drafts import drafts_discard_unused
from accounts.notifications import notifications_send_pending

BATCH = 100


@shared_task
def expired_sessions_clear() -> int:
    """Remove sessions that have expired, so old sign-ins do not pile up. Safe to run twice."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def unused_drafts_discard() -> int:
    """Delete unsaved forms nobody has touched for their council's days (accounts.drafts). Safe to
    run twice."""
    return drafts_discard_unused()


@shared_task(acks_late=True)
def notifications_send() -> int:
    """Send what is recorded and not yet sent. Safe to run twice, or on two workers at once: each
    row is claimed before it is sent (accounts.notifications.notifications_send_pending)."""
    sent = total = notifications_send_pending(limit=BATCH)
    while sent == BATCH:  # a full batch went: there may be more; a failure stops for beat to retry
        sent = notifications_send_pending(limit=BATCH)
        total += sent
    return total
