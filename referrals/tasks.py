"""Background jobs about referrals and step-downs: a few lines around referrals.deadlines, safe to run twice."""

from celery import shared_task
from django.utils import timezone

from referrals.deadlines import deadlines_due
from referrals.figures_summary import figures_summaries_due
from referrals.services.figures_snapshots import figures_snapshots_count


@shared_task(acks_late=True)
def deadlines_tick() -> int:
    """Alert the front door about referrals past their decision deadline, and early help about
    step-downs not picked up in time (beat runs it every five minutes). Idempotent: each alert is
    recorded once however often, or however many workers at once, it runs."""
    return deadlines_due(now=timezone.now())


@shared_task(acks_late=True)
def figures_summary_tick() -> int:
    """Record each council's summary of last month's figures for its administrators and early help
    lead, from the first working day of the month (beat runs it hourly). Idempotent: each person is
    told once per council and month."""
    return figures_summaries_due(now=timezone.now())


@shared_task(acks_late=True)
def figures_snapshots_tick() -> int:
    """Count each council's figures for the periods people open most, for the page to show at once
    (beat runs it nightly). Idempotent: each run replaces the last."""
    return figures_snapshots_count()
