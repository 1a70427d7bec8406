"""The access log becomes a table partitioned by month of `at` (Settled question 17, issue 13).

PostgreSQL's declarative range partitioning, in raw SQL: Django's model state keeps the same model
(`id` its primary key), while the table's real primary key is (id, at), because PostgreSQL needs the
partition key in every unique constraint. Nothing has a foreign key into the access log, so the
table can be swapped: the rows are copied into the partitioned table, the old one dropped, and the
indexes, primary key and foreign keys built once the rows are in (faster than row by row). One
partition per month that holds rows, up to three months ahead of today, and an empty DEFAULT
partition that catches a row of any other month (caf.access_log_partitions alarms on it and keeps
the months ahead). Months are UTC months. `id` is no longer an identity column (PostgreSQL 15 has
none on partitioned tables) but a sequence owned by the column, which Django resets and flushes the
same way. Self-contained: it does not import caf.access_log_partitions, which may change.
"""

import django.contrib.postgres.indexes
import django.utils.timezone
from django.db import migrations, models

COLUMNS = (
    "id bigint NOT NULL, action varchar(10) NOT NULL, what varchar(200) NOT NULL, at timestamptz NOT NULL, "
    "agency_id bigint, council_id bigint, user_id bigint NOT NULL, caf_id bigint, child_id bigint, "
    "attempted_id bigint, child_ids bigint[] NOT NULL"
)
NAMES = "id, action, what, at, agency_id, council_id, user_id, caf_id, child_id, attempted_id, child_ids"
FOREIGN_KEYS = (
    ("caf_accesslog_agency_id_afb1fdfc_fk_accounts_agency_id", "agency_id", "accounts_agency"),
    ("caf_accesslog_caf_id_c5099f2f_fk_caf_caf_id", "caf_id", "caf_caf"),
    ("caf_accesslog_child_id_0f93cd59_fk_caf_child_id", "child_id", "caf_child"),
    ("caf_accesslog_council_id_4f6d810a_fk_accounts_localauthority_id", "council_id", "accounts_localauthority"),
    ("caf_accesslog_user_id_6be20275_fk_accounts_user_id", "user_id", "accounts_user"),
)
# The foreign keys' own indexes (Django's names): deleting a user, agency, child or council checks
# PROTECT through them. caf_id's is the first column of access_log_caf_at.
FOREIGN_KEY_INDEXES = (
    ("caf_accesslog_agency_id_afb1fdfc", "agency_id"),
    ("caf_accesslog_child_id_0f93cd59", "child_id"),
    ("caf_accesslog_council_id_4f6d810a", "council_id"),
    ("caf_accesslog_user_id_6be20275", "user_id"),
)
MONTHS_AHEAD = 3


def _constraints_and_indexes(execute, *, primary_key: str, gin_options: str) -> None:
    execute(f"ALTER TABLE caf_accesslog ADD CONSTRAINT caf_accesslog_pkey PRIMARY KEY ({primary_key})")
    execute(f"CREATE INDEX access_log_child_ids ON caf_accesslog USING gin (child_ids){gin_options}")
    execute("CREATE INDEX access_log_caf_at ON caf_accesslog (caf_id, at DESC, id DESC)")
    for name, column in FOREIGN_KEY_INDEXES:
        execute(f"CREATE INDEX {name} ON caf_accesslog ({column})")
    for name, column, table in FOREIGN_KEYS:
        execute(
            f"ALTER TABLE caf_accesslog ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
            f"REFERENCES {table} (id) DEFERRABLE INITIALLY DEFERRED"
        )


def _id_sequence(execute) -> None:
    """The new table's ids continue from the old: a sequence owned by the column, past the last id."""
    execute("CREATE SEQUENCE caf_accesslog_id_seq OWNED BY caf_accesslog.id")
    execute("SELECT setval('caf_accesslog_id_seq', COALESCE((SELECT max(id) FROM caf_accesslog), 0) + 1, false)")
    execute("ALTER TABLE caf_accesslog ALTER COLUMN id SET DEFAULT nextval('caf_accesslog_id_seq')")


def partition(apps, schema_editor) -> None:
    execute = schema_editor.execute
    execute("ALTER TABLE caf_accesslog RENAME TO caf_accesslog_unpartitioned")
    execute(f"CREATE TABLE caf_accesslog ({COLUMNS}) PARTITION BY RANGE (at)")
    with schema_editor.connection.cursor() as cursor:
        # Every month from the oldest row's to three months ahead of now (UTC), and any later month
        # that holds rows (a wrong clock): no row of the old table goes to the default partition.
        cursor.execute(
            "SELECT to_char(month, 'YYYY_MM'), to_char(month, 'YYYY-MM-DD'), to_char(month + interval '1 month', 'YYYY-MM-DD')"
            " FROM (SELECT generate_series("
            "  date_trunc('month', COALESCE((SELECT min(at) FROM caf_accesslog_unpartitioned), now()) AT TIME ZONE 'UTC'),"
            "  date_trunc('month', now() AT TIME ZONE 'UTC') + %s * interval '1 month', interval '1 month') AS month"
            " UNION SELECT date_trunc('month', at AT TIME ZONE 'UTC') FROM caf_accesslog_unpartitioned"
            "  WHERE at >= date_trunc('month', now() AT TIME ZONE 'UTC') + %s * interval '1 month') AS months"
            " ORDER BY month",
            [MONTHS_AHEAD, MONTHS_AHEAD + 1],
        )
        months = cursor.fetchall()
    for suffix, start, end in months:
        execute(
            f"CREATE TABLE caf_accesslog_{suffix} PARTITION OF caf_accesslog "
            f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
        )
    execute("CREATE TABLE caf_accesslog_default PARTITION OF caf_accesslog DEFAULT")
    execute(f"INSERT INTO caf_accesslog ({NAMES}) SELECT {NAMES} FROM caf_accesslog_unpartitioned")
    execute("DROP TABLE caf_accesslog_unpartitioned")  # and its identity sequence
    _id_sequence(execute)
    # No pending list on the GIN index: rows just written would otherwise lead the planner to scan the
    # month (it prices a long pending list like a scan) until autovacuum merged them.
    _constraints_and_indexes(execute, primary_key="id, at", gin_options=" WITH (fastupdate = off)")
    execute("ANALYZE caf_accesslog")


def unpartition(apps, schema_editor) -> None:
    execute = schema_editor.execute
    execute("ALTER TABLE caf_accesslog RENAME TO caf_accesslog_partitioned")
    execute(f"CREATE TABLE caf_accesslog ({COLUMNS})")
    execute(f"INSERT INTO caf_accesslog ({NAMES}) SELECT {NAMES} FROM caf_accesslog_partitioned")
    execute("DROP TABLE caf_accesslog_partitioned")  # its partitions and sequence with it
    _id_sequence(execute)
    _constraints_and_indexes(execute, primary_key="id", gin_options="")
    execute("DROP INDEX access_log_caf_at")
    execute("CREATE INDEX caf_accesslog_caf_id_c5099f2f ON caf_accesslog (caf_id)")
    execute("CREATE INDEX caf_accesslog_at_3ba615b0 ON caf_accesslog (at)")


class Migration(migrations.Migration):
    dependencies = [
        ("caf", "0010_queue_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(partition, unpartition)],
            state_operations=[
                migrations.AlterField(
                    model_name="accesslog",
                    name="at",
                    field=models.DateTimeField(default=django.utils.timezone.now),
                ),
                migrations.AlterField(
                    model_name="accesslog",
                    name="caf",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=models.deletion.PROTECT,
                        related_name="access_log",
                        to="caf.caf",
                    ),
                ),
                migrations.AddIndex(
                    model_name="accesslog",
                    index=models.Index(fields=["caf", "-at", "-id"], name="access_log_caf_at"),
                ),
                migrations.RemoveIndex(model_name="accesslog", name="access_log_child_ids"),
                migrations.AddIndex(
                    model_name="accesslog",
                    index=django.contrib.postgres.indexes.GinIndex(
                        fastupdate=False, fields=["child_ids"], name="access_log_child_ids"
                    ),
                ),
            ],
        ),
    ]
