"""Writing generated rows into the real tables with PostgreSQL COPY (psycopg 3's `cursor.copy`), with
ids chosen here so that rows can point at each other before they are written.

Every column a model has and the generator does not name gets the field's default, so a COPY never
leaves a NOT NULL column empty (Django keeps defaults in Python, not in the database).
"""

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb

ACCESS_LOG_TABLE = "caf_accesslog"


class Copier:
    """Ids per table (from the highest already there) and COPY of rows with named columns."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.checks = True  # whether the foreign-key triggers ran

    def ids(self, model: type[models.Model], count: int) -> range:
        table = model._meta.db_table
        if table not in self._next:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")  # noqa: S608 (a model's table)
                self._next[table] = cursor.fetchone()[0]
        start = self._next[table]
        self._next[table] = start + count
        return range(start, start + count)

    def copy(
        self, model: type[models.Model], columns: list[str], rows: Iterable[tuple[Any, ...]], *, table: str = ""
    ) -> int:
        """COPY `rows` (tuples in the order of `columns`, db column names) into the model's table; the
        model's other columns get their fields' defaults, the primary key the database's."""
        table = table or model._meta.db_table
        extra_columns, extra_values = _defaults(model, columns)
        names = ", ".join(columns + extra_columns)
        written = 0
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + extra_values if extra_values else row)
                written += 1
        self.counts[table] = self.counts.get(table, 0) + written
        return written

    def sequences_reset(self) -> None:
        """Point each table's id sequence past the ids written here, so the service's own inserts follow."""
        with connection.cursor() as cursor:
            for table in self._next:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (a model's table)
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )


def _defaults(model: type[models.Model], columns: list[str]) -> tuple[list[str], tuple[Any, ...]]:
    names: list[str] = []
    values: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key:
            continue
        value = field.get_default()
        if isinstance(value, datetime | date):
            raise ValueError(f"{model.__name__}.{field.name}: give a date, not the default (now)")
        if isinstance(field, models.JSONField):
            value = Jsonb(value)
        names.append(str(field.column))
        values.append(value)
    return names, tuple(values)


def access_log_partitions_make(months: Iterator[date] | list[date]) -> None:
    """When the access log is partitioned by month (Settled question 17), make the partitions of the
    months the generated rows fall in, named as the partitions job names them, so no row lands in
    the default partition. A plain table needs nothing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [ACCESS_LOG_TABLE])
        if cursor.fetchone() is None:
            return
        for month in sorted(set(months)):
            following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
            name = f"{ACCESS_LOG_TABLE}_{month:%Y_%m}"  # made from a date, never from input
            cursor.execute("SELECT to_regclass(%s)", [name])
            if cursor.fetchone()[0] is not None:
                continue
            cursor.execute(
                f"CREATE TABLE {name} PARTITION OF {ACCESS_LOG_TABLE} "
                f"FOR VALUES FROM ('{month:%Y-%m-%d} 00:00:00+00') TO ('{following:%Y-%m-%d} 00:00:00+00')"
            )


def foreign_key_checks_off() -> bool:
    """Skip the foreign-key triggers while copying (the generator makes every reference itself): a
    superuser's `session_replication_role`. Without the right it copies with the checks, slower."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if not (row and row[0]):
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


def vacuum_analyze() -> None:
    """Leave the tables as a service running for years would have them: statistics for the planner,
    and the visibility map set (autovacuum's work after inserts), so index-only scans read no table
    pages. Without it, the first run measured reads the heap that production would not (a county
    CAF administrator's counts 30 to 50% slower). VACUUM cannot run inside a transaction (a test's
    is one): there, the statistics alone."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
