"""The access log's monthly partitions (Settled question 17): beat keeps them three months ahead.

The table (migration 0007) is range-partitioned by UTC month of `at`, with a DEFAULT partition that
should stay empty: a row lands there only when its month has no partition (the job has not run for
months, a wrong clock, a date pinned in a test), and it still lands, so no page ever fails for it.
The job then alarms (an error in the log, with the count and months) and moves those rows into
partitions of their own months. Dropping or detaching old months is retention's (a later issue).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

TABLE = "caf_accesslog"
DEFAULT_PARTITION = "caf_accesslog_default"
MONTHS_AHEAD = 3
# Attaching a partition briefly locks the table and the tables its foreign keys point to: wait at
# most this long for the lock rather than hold up every page's log row behind a long transaction.
LOCK_TIMEOUT = "5s"


@dataclass
class PartitionsReport:
    created: list[str] = field(default_factory=list)  # the partitions made, e.g. "caf_accesslog_2027_03"
    found_in_default: int = 0  # rows that were in the default partition (the alarm)
    moved: int = 0


def month_start(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def access_log_partitions_ensure(*, now: datetime) -> PartitionsReport:
    """Make the partitions of this month and the next three that are missing, and of any month
    whose rows sit in the default partition (moving them there); alarm when the default partition
    held rows. Idempotent, in one transaction: run twice, or on two workers, it makes each month
    once (the second waits for the first's lock, then finds the month made)."""
    today = now.astimezone(UTC).date()
    report = PartitionsReport()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # Serialise runs: the table lock the attach takes anyway, taken first.
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute(
            "SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date, count(*) FROM caf_accesslog_default GROUP BY 1"
        )
        stray = dict(cursor.fetchall())
        report.found_in_default = sum(stray.values())
        months = {month_start(today, ahead) for ahead in range(MONTHS_AHEAD + 1)} | set(stray)
        for month in sorted(months):
            if _partition_exists(cursor, partition_name(month)):
                continue
            report.moved += _partition_create(cursor, month)
            report.created.append(partition_name(month))
    if report.found_in_default:
        logger.error(
            "Access log: %d rows were in the default partition (months %s): moved into their months' "
            "partitions. The partitions job had not made those months: check that beat runs and that "
            "the servers' clocks are right.",
            report.found_in_default,
            ", ".join(f"{month:%Y-%m}" for month in sorted(stray)),
        )
    if report.created:
        logger.info("Access log: made partitions %s", ", ".join(report.created))
    return report


def _partition_exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = %s::regclass AND inhrelid = to_regclass(%s))",
        [TABLE, name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _partition_create(cursor: CursorWrapper, month: date) -> int:
    """A new month: an empty table like the log, this month's rows moved into it from the default
    partition, then attached (which builds its indexes and foreign keys). Returns the rows moved."""
    name = partition_name(month)
    start, end = f"{month:%Y-%m-%d} 00:00:00+00", f"{month_start(month, 1):%Y-%m-%d} 00:00:00+00"
    cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE})")
    # The name is made from a date above, never from input.
    moved_sql = "WITH moved AS (DELETE FROM caf_accesslog_default WHERE at >= %s AND at < %s RETURNING *) "
    cursor.execute(moved_sql + f"INSERT INTO {name} SELECT * FROM moved", [start, end])  # noqa: S608
    moved = cursor.rowcount
    cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ('{start}') TO ('{end}')")
    return moved
