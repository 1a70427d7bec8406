"""The access log's monthly partitions (Settled question 17): beat keeps them three months ahead.

The table (migration 0007) is range-partitioned by UTC month of `at`, with a DEFAULT partition that
should stay empty: a row lands there only when its month has no partition (the job has not run for
months, a wrong clock, a date pinned in a test), and it still lands, so no page ever fails for it.
The job then alarms (an error in the log, with the count and months) and moves those rows into
partitions of their own months.

Retention (access_log_months_retire, run by the monthly retention job): a month older than the
longest of the councils' access log retention (LocalAuthority.access_log_retention_months; the
partitions hold every council's rows) is dropped, a cheap DROP TABLE of one month, unless it holds
a row about a child under legal hold or with an open subject access request: that month is detached and kept, renamed
caf_accesslog_archived_YYYY_MM (Settled question 17).
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db import OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper

logger = logging.getLogger(__name__)

TABLE = "caf_accesslog"
DEFAULT_PARTITION = "caf_accesslog_default"
ARCHIVE_PREFIX = "caf_accesslog_archived"
MONTH_PARTITION = re.compile(r"^caf_accesslog_(\d{4})_(\d{2})$")
MONTHS_AHEAD = 3
# Under PostgreSQL's deadlock_timeout (1 s), so that in a lock cycle with a page it is the job that
# gives up.
LOCK_TIMEOUT = "500ms"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's error code when lock_timeout runs out


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
    once (the second waits for the first's lock, then finds the months made). A run that cannot have
    its locks within LOCK_TIMEOUT changes nothing and says so; the next run tries again."""
    try:
        return _partitions_ensure(now.astimezone(UTC).date())
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        logger.warning("Access log: partitions not checked, their locks were busy for %s; next run", LOCK_TIMEOUT)
        return PartitionsReport()


def _partitions_ensure(today: date) -> PartitionsReport:
    report = PartitionsReport()
    with transaction.atomic(), connection.cursor() as cursor:
        # Attaching locks the default partition (every read of a child's log reads it) and the
        # tables the foreign keys point to: give up quickly rather than queue pages behind us, or
        # deadlock with one; the next run tries again, three months ahead of need.
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        # Serialises runs (the lock an attach takes, on the parent table only: not every month's,
        # which autovacuum may hold); rows are still written and read meanwhile.
        cursor.execute("LOCK TABLE ONLY caf_accesslog IN SHARE UPDATE EXCLUSIVE MODE")
        missing = {month_start(today, ahead) for ahead in range(MONTHS_AHEAD + 1)}
        missing = {month for month in missing if not _partition_exists(cursor, partition_name(month))}
        stray = _stray_months(cursor)
        if not (missing or stray):
            return report
        # No row lands in the default partition from here until the months are attached.
        cursor.execute("LOCK TABLE caf_accesslog_default IN ACCESS EXCLUSIVE MODE")
        stray = _stray_months(cursor)
        report.found_in_default = sum(stray.values())
        new_months = sorted(missing | set(stray))
        for month in new_months:
            report.moved += _partition_fill(cursor, month, from_default=month in stray)
        if stray:
            # Every row of the default partition is now in its month's table: emptied without
            # leaving dead rows behind for every later read of the log to step over.
            # TRUNCATE refuses a table with foreign-key checks still deferred in this transaction
            # (rows written earlier in it: only ever in a test); check them now, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE caf_accesslog_default")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for month in new_months:
            _partition_attach(cursor, month)
            report.created.append(partition_name(month))
    if stray:
        logger.error(
            "Access log: rows in the default partition: %d (months %s), now moved into their months' "
            "partitions. The partitions job had not made those months: check that beat runs and that "
            "the servers' clocks are right.",
            report.found_in_default,
            ", ".join(f"{month:%Y-%m}" for month in sorted(stray)),
        )
    logger.info("Access log: made partitions %s", ", ".join(report.created))
    return report


def _stray_months(cursor: CursorWrapper) -> dict[date, int]:
    """The rows in the default partition, counted by month."""
    cursor.execute(
        "SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date, count(*) FROM caf_accesslog_default GROUP BY 1"
    )
    return dict(cursor.fetchall())


def _partition_exists(cursor: CursorWrapper, name: str) -> bool:
    cursor.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = %s::regclass AND inhrelid = to_regclass(%s))",
        [TABLE, name],
    )
    row = cursor.fetchone()
    return bool(row and row[0])


def _bounds(month: date) -> tuple[str, str]:
    return f"{month:%Y-%m-%d} 00:00:00+00", f"{month_start(month, 1):%Y-%m-%d} 00:00:00+00"


def _partition_fill(cursor: CursorWrapper, month: date, *, from_default: bool) -> int:
    """A table like the log for a new month, with the month's rows copied from the default
    partition. Returns the rows copied."""
    name = partition_name(month)  # made from a date, never from input
    cursor.execute(f"CREATE TABLE {name} (LIKE {TABLE})")
    if not from_default:
        return 0
    cursor.execute(
        f"INSERT INTO {name} SELECT * FROM caf_accesslog_default WHERE at >= %s AND at < %s",  # noqa: S608
        list(_bounds(month)),
    )
    return cursor.rowcount


def _partition_attach(cursor: CursorWrapper, month: date) -> None:
    """Attached, the table gets the log's indexes and foreign keys."""
    start, end = _bounds(month)
    cursor.execute(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {partition_name(month)} FOR VALUES FROM ('{start}') TO ('{end}')"
    )


@dataclass
class RetireReport:
    dropped: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)  # the new names of months detached and kept
    busy: list[str] = field(default_factory=list)  # months whose locks were busy: the next run tries again


def archive_name(month: date) -> str:
    return f"{ARCHIVE_PREFIX}_{month:%Y_%m}"


def access_log_months_retire(*, now: datetime, keep_months: int) -> RetireReport:
    """Drop the log's months that ended more than `keep_months` before this month, except those
    holding a row about a child under legal hold or with a subject access request still open (a
    draft: not yet released or withheld; Settled question 17), which are detached and kept under an
    archive name. Each month in its own short transaction; idempotent (a month dropped or archived is no
    longer a partition)."""
    report = RetireReport()
    oldest_kept = month_start(now.astimezone(UTC).date(), -keep_months)
    for month in _attached_months():
        if month >= oldest_kept:
            continue
        name = partition_name(month)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                cursor.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {name} WHERE child_ids && ARRAY("  # noqa: S608
                    "SELECT child_id FROM caf_legalhold WHERE lifted_at IS NULL"
                    " UNION SELECT child_id FROM caf_subjectaccessrequest"
                    " WHERE status = 'draft' AND child_id IS NOT NULL)::bigint[])"
                )
                row = cursor.fetchone()
                # As in _partitions_ensure: foreign-key checks still deferred in this transaction
                # (only ever in a test) would refuse the DDL; check them now, then defer again.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                if row and row[0]:
                    cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
                    cursor.execute(f"ALTER TABLE {name} RENAME TO {archive_name(month)}")
                    report.archived.append(archive_name(month))
                else:
                    cursor.execute(f"DROP TABLE {name}")
                    report.dropped.append(name)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            report.busy.append(name)
    if report.busy:
        logger.warning("Access log: months %s not retired, their locks were busy; next run", ", ".join(report.busy))
    logger.info(
        "Access log: months dropped %s; kept under legal hold %s",
        ", ".join(report.dropped) or "none",
        ", ".join(report.archived) or "none",
    )
    return report


def _attached_months() -> list[date]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = %s::regclass", [TABLE])
        names = [name for (name,) in cursor.fetchall()]
    months = []
    for name in names:
        match = MONTH_PARTITION.match(name)
        if match:
            months.append(date(int(match[1]), int(match[2]), 1))
    return sorted(months)
