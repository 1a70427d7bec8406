"""The access log at county scale (issue 13, Settled question 17): a table partitioned by month, kept
three months ahead by a beat job that alarms when a row lands in the default partition, and a
child's log read through its index, never a scan of every month."""

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from caf.access_log import access_log_write
from caf.access_log_partitions import DEFAULT_PARTITION, month_start, partition_name
from caf.models import AccessLog
from caf.selectors import access_log_for_child
from caf.tasks import access_log_partitions_tick
from config.celery import app

FAR_AHEAD = datetime(2035, 3, 10, 11, 0, tzinfo=UTC)  # a month no partition is made for


def _partition_of(row: AccessLog) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM caf_accesslog WHERE id = %s", [row.pk])
        return cursor.fetchone()[0]


def _partitions() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'caf_accesslog'::regclass")
        return {name for (name,) in cursor.fetchall()}


def _alarms(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "caf.access_log_partitions" and r.levelno >= 40]


def test_a_row_of_a_month_without_a_partition_still_lands_and_the_page_answers(signed_in, caf_admin, child):
    with time_machine.travel(FAR_AHEAD, tick=False):
        response = signed_in(caf_admin).get(reverse("caf:child_access_log", args=[child.pk]))
        read = AccessLog.objects.get(user=caf_admin, what="Viewed the access log")

    assert response.status_code == 200 and "Viewed the access log" in response.content.decode()
    assert _partition_of(read) == DEFAULT_PARTITION


def test_the_job_makes_the_missing_months_and_alarms_on_rows_in_the_default_partition(caplog, caf_admin, child):
    caplog.set_level(logging.INFO)
    with time_machine.travel(FAR_AHEAD, tick=False):
        read = access_log_write(user=caf_admin, action="view", what="read in 2035", child=child)
        late = AccessLog.objects.create(
            user=caf_admin, action="view", what="clock wrong", at=FAR_AHEAD - timedelta(days=200)
        )
        assert _partition_of(read) == _partition_of(late) == DEFAULT_PARTITION

        made = access_log_partitions_tick()
        again = access_log_partitions_tick()

    # This month and three ahead, and the month of the stray row: its rows moved there.
    assert made == [
        "caf_accesslog_2034_08",
        "caf_accesslog_2035_03",
        "caf_accesslog_2035_04",
        "caf_accesslog_2035_05",
        "caf_accesslog_2035_06",
    ]
    assert set(made) <= _partitions()
    assert (_partition_of(read), _partition_of(late)) == ("caf_accesslog_2035_03", "caf_accesslog_2034_08")
    moved = AccessLog.objects.filter(pk__in=[read.pk, late.pk]).order_by("at")
    assert [(row.what, row.child_ids) for row in moved] == [("clock wrong", []), ("read in 2035", [child.pk])]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM caf_accesslog_default")
        assert cursor.fetchone()[0] == 0
    # The alarm, once: the second run finds nothing to do.
    assert again == []
    alarms = _alarms(caplog)
    assert len(alarms) == 1 and "rows in the default partition: 2 (months 2034-08, 2035-03)" in alarms[0]


def test_the_job_keeps_three_months_ahead_quietly(caplog, caf_admin):
    caplog.set_level(logging.INFO)
    now = timezone.now()
    assert access_log_partitions_tick() == []  # the migration made this month and three ahead

    with time_machine.travel(now + timedelta(days=31), tick=False):
        made = access_log_partitions_tick()

    four_ahead = month_start(now.astimezone(UTC).date(), 4)
    next_day_month = month_start((now + timedelta(days=31)).astimezone(UTC).date(), 3)
    assert made == [partition_name(next_day_month)] and next_day_month <= four_ahead
    assert _alarms(caplog) == []


def test_beat_runs_the_partitions_job():
    entry = app.conf.beat_schedule["access-log-partitions"]
    assert entry["task"] == access_log_partitions_tick.name and entry["schedule"] <= 24 * 60 * 60


def test_a_childs_log_is_read_through_its_index_in_every_month_that_holds_rows(caf_admin, school_practitioner, child):
    """With some thousands of rows over three months (and the statistics ANALYZE gives), the plan of a
    child's page reads each partition holding rows through the GIN index, never a scan of the month,
    the rows just written included (the index has no pending list). Empty partitions (the months
    ahead) may be 'scanned': there is nothing in them to read."""
    now = timezone.now()
    AccessLog.objects.bulk_create(
        AccessLog(
            council=child.council,
            user=school_practitioner,
            action="view",
            what="generated",
            at=now - timedelta(days=31 * (number % 3), minutes=number),
            child_ids=[child.pk] if number % 500 == 0 else [10_000_000 + number % 1500, 20_000_000 + number],
        )
        for number in range(4500)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE caf_accesslog")
        cursor.execute("SELECT tableoid::regclass::text, count(*) FROM caf_accesslog GROUP BY 1")
        holding = {name for name, count in cursor.fetchall() if count > 100}
        page = access_log_for_child(caf_admin, child).select_related("user", "agency").order_by("-at", "-pk")[:51]
        sql, params = page.query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]

    scans = dict(_scans(plan if isinstance(plan, list) else json.loads(plan)))
    assert len(holding) >= 2  # the rows span months
    assert {name: scans[name] for name in holding} == dict.fromkeys(holding, "Bitmap Heap Scan")
    assert "DISTINCT" not in sql and " OR " not in sql and "caf_cafchild" not in sql


def _scans(plan):
    """(partition, node type) of every scan of an access log partition in an EXPLAIN (FORMAT JSON)."""
    stack = [node["Plan"] for node in plan]
    while stack:
        node = stack.pop()
        if node.get("Relation Name", "").startswith("caf_accesslog"):
            yield node["Relation Name"], node["Node Type"]
        stack.extend(node.get("Plans", []))


@pytest.mark.django_db(transaction=True)
def test_emptying_the_database_empties_the_partitioned_log(caf_admin, child):
    """pytest-django empties every table after a transaction=True test (TRUNCATE): the partitioned
    table and its partitions with it, the partitions themselves kept."""
    access_log_write(user=caf_admin, action="view", what="before the flush", child=child)
    before = _partitions()

    call_command("flush", interactive=False, verbosity=0)

    assert not AccessLog.objects.exists()
    assert _partitions() == before and DEFAULT_PARTITION in before


def test_the_conversion_migration_copies_the_rows_into_their_months(caf_admin, child):
    """Migration 0007 turns the plain table into the partitioned one with every row kept, each in
    its month's partition, and ids carrying on after the last."""
    executor = MigrationExecutor(connection)
    with connection.cursor() as cursor:
        # The fixtures' rows, written in this test's transaction, have their foreign-key checks
        # deferred, and PostgreSQL drops no table with checks pending: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Back to just before the conversion, whatever number it carries once merged.
    conversion = next(key for key in executor.loader.graph.nodes if key[1].endswith("access_log_partitioned_by_month"))
    executor.migrate(sorted(parent for parent in executor.loader.graph.node_map[conversion].parents))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO caf_accesslog (action, what, at, user_id, child_ids) VALUES "
            "('view', 'old read', '2024-02-29 23:30:00+00', %s, %s), "
            "('view', 'far ahead', '2040-07-01 00:00:00+00', %s, '{}') RETURNING id",
            [caf_admin.pk, [child.pk], caf_admin.pk],
        )
        old_ids = [row[0] for row in cursor.fetchall()]
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.what: row for row in AccessLog.objects.filter(pk__in=old_ids)}
    assert rows["old read"].child_ids == [child.pk]
    assert _partition_of(rows["old read"]) == "caf_accesslog_2024_02"
    assert _partition_of(rows["far ahead"]) == "caf_accesslog_2040_07"  # never the default
    assert access_log_write(user=caf_admin, action="view", what="new", child=child).pk > max(old_ids)


def test_a_run_that_cannot_have_its_locks_gives_way_and_says_so(caplog):
    """Another session holds the lock a month's attach needs (a long-running maintenance, say): the
    job waits half a second, changes nothing, warns, and leaves the month to the next run."""
    caplog.set_level(logging.INFO)
    other = connection.copy()
    try:
        other.connect()
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE ONLY caf_accesslog IN SHARE UPDATE EXCLUSIVE MODE")
        with time_machine.travel(FAR_AHEAD, tick=False):
            assert access_log_partitions_tick() == []
    finally:
        other.rollback()
        other.close()

    assert "caf_accesslog_2035_03" not in _partitions()
    assert any("locks were busy" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert _alarms(caplog) == []
