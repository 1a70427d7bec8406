"""Background jobs about CAFs. Each is a few lines around caf.reminders and safe to run twice."""

from celery import shared_task
from django.utils import timezone

from caf.reminders import reminders_due


@shared_task(acks_late=True)
def reminders_tick() -> int:
    """Record the reminders, overdue notices and flags due by today (beat runs it every five
    minutes). Idempotent: twice, at once on two workers, or again after a crash, each notification
    is recorded once."""
    return reminders_due(today=timezone.localdate())
