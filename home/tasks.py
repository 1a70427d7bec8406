"""Background jobs of the home pages: counting a council's kept queues once a change has committed
(home.ready), so the people who open them find them counted."""

from celery import shared_task

from home.selectors import kept_queues_count as count


@shared_task(acks_late=True, expires=60)
def kept_queues_count(council_id: int) -> list[str]:
    """Count the council's kept home queues that are out of date (home.ready). Safe to run twice, or
    late: a count already up to date is left, and a page that finds them out of date counts them
    itself. Expires after a minute: by then the pages have counted them."""
    return count(council_id)
