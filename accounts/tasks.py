from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task
def expired_sessions_clear() -> int:
    """Remove sessions that have expired, so old sign-ins do not pile up. Safe to run twice."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@shared_task
def notifications_send() -> int:
    """Send what is recorded and not yet sent. Filled in by the notifications work (issue 5)."""
    return 0
