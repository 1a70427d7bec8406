"""Background jobs about CAFs. Each is a few lines around caf.reminders, caf.access_log_partitions,
caf.services.duplicates or caf.services.retention, and safe to run twice."""

from celery import shared_task
from django.utils import timezone

from caf.access_log_partitions import access_log_partitions_ensure
from caf.reminders import reminders_due
from caf.services.duplicates import possible_duplicates_find
from caf.services.retention import retention_run


@shared_task(acks_late=True)
def reminders_tick() -> int:
    """Record the reminders, overdue notices and flags due by today (beat runs it every five
    minutes). Idempotent: twice, at once on two workers, or again after a crash, each notification
    is recorded once."""
    return reminders_due(today=timezone.localdate())


@shared_task(acks_late=True)
def access_log_partitions_tick() -> list[str]:
    """Keep the access log's monthly partitions three months ahead, and alarm (an error in the log)
    when a row has landed in the default partition (beat runs it every hour). Idempotent."""
    return access_log_partitions_ensure(now=timezone.now()).created


@shared_task(acks_late=True)
def possible_duplicates_tick() -> int:
    """Record the possible duplicate records not known yet, every council's (beat runs it nightly).
    Idempotent: a pair is stored once, and one an administrator dismissed stays dismissed."""
    return possible_duplicates_find()


@shared_task(acks_late=True)
def retention_tick() -> dict[str, int]:
    """Anonymise every council's families past their retention date and retire the access log's old
    months (beat runs it every night at 02:30, so nothing waits long past its date). Idempotent: a
    family anonymised is skipped, a month dropped is gone."""
    return retention_run(today=timezone.localdate())
