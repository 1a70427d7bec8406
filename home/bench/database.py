"""What a benchmark's figures depend on: the machine, PostgreSQL, the row counts of the big tables,
and the project's indexes on them, each with why it is there."""

import os
import platform
import re
from pathlib import Path

from django.db import connection

# The tables that grow with a county's ten years: their rows, and their indexes below.
BIG_TABLES = [
    "accounts_agency",
    "accounts_user",
    "caf_child",
    "caf_caf",
    "caf_cafchild",
    "caf_teamaroundfamilymember",
    "caf_leadprofessionalassignment",
    "caf_cafuserobjectpermission",
    "caf_cafgroupobjectpermission",
    "caf_planaction",
    "caf_accesslog",
    "referrals_referral",
    "referrals_stepdown",
    "accounts_notification",
]

# Why each index is there. Django's own (a primary key, an index on a foreign key, a unique
# constraint's) are recognised by their shape; a named index that is not here is reported as
# "(no reason recorded)": add its reason when you add it.
INDEX_REASONS = {
    "caf_reference_unique_in_council": "a CAF's reference is unique within its council (constraint)",
    "caf_caf_previous_episode_id_key": "one later episode per CAF (constraint)",
    "child_once_per_caf": "a child is in a CAF once (constraint); also the CAF's children by CAF",
    "one_current_lead_professional": "at most one current lead professional per CAF (partial unique constraint)",
    "one_current_taf_membership": "one current TAF membership per person and CAF (partial unique constraint)",
    "caf_user_grant_once_per_reason": (
        "one grant row per user, permission, CAF and reason; checks one CAF's grants of a user"
    ),
    "caf_group_grant_once_per_reason": (
        "one grant row per agency group, permission, CAF and reason; checks one CAF's grants of an agency"
    ),
    "caf_user_grant_live": (
        "a user's grants in force as one range (holder, permission, end or never): drives their lists,"
        " however many grants have ended"
    ),
    "caf_group_grant_live": (
        "an agency's grants in force as one range (holder, permission, end or never): drives its staff's"
        " lists; a social care team's ended referral grants (97,000 at county size) are never read"
    ),
    "agency_name_unique_in_council": "an agency's name is unique within its council (constraint)",
    "notification_once": "one notification per person, kind and subject: exactly once (constraint)",
    "notification_unsent": "the sender's claim of notifications not yet sent or cancelled (partial)",
    "user_email_unique_ignoring_case": "one account per e-mail address, whatever its case (constraint); sign-in",
    "caf_active_by_review": "the CAF administrator's overdue reviews: a council's active CAFs by review date",
    "caf_active_by_activation": "the CAF administrator's queues of active CAFs, longest active first",
    "caf_closed_by_closure": "the council's figures: a council's CAFs closed in a period (partial)",
    "caf_to_register": 'the CAF administrator\'s "New CAFs to register": active CAFs not yet registered (partial)',
    "referral_decision_due": "the front-door queue: referrals waiting, earliest decision deadline first",
    "referral_decided": "the front door's referrals decided in the last 7 days",
    "access_log_caf_at": "a CAF's access log, newest first, paged by key (time and id)",
    "access_log_child_at": "a child's access log, newest first, paged by key (time and id)",
    "child_council_birth_date": "find before create: children of a council by date of birth",
    "child_first_name_sound": "find before create: first names that sound alike",
    "child_last_name_sound": "find before create: last names that sound alike",
    "child_first_name_trgm": "find before create: first names spelt alike (trigram)",
    "child_last_name_trgm": "find before create: last names spelt alike (trigram)",
    "child_nhs_number_unique_in_council": "an NHS number is unique within its council (constraint)",
    "child_postcode": "find before create: children at a postcode",
    "access_log_child_ids": "a child's access log: rows that name the child among several (GIN on child_ids)",
    "referral_queue": "the front-door queue: a council's referrals by status",
    "step_down_queue": "the pick-up queue: a council's step-downs by status",
    "step_down_once_per_referral_and_point": "one step-down per referral and point (constraint)",
}
# Django's own names: <table>_<column>_<hash> (an index on a foreign key or a db_index field), and
# the same with _like (the varchar_pattern_ops copy Django adds for LIKE on an indexed text field).
_DJANGO_NAMED = re.compile(r"^(?P<column>[a-z0-9_]+?)_[0-9a-f]{8}(?P<like>_like)?$")


def index_reason(table: str, name: str) -> str:
    if name in INDEX_REASONS:
        return INDEX_REASONS[name]
    if name.endswith("_pkey"):
        return "primary key"
    if name.endswith("_key"):
        return "unique field"
    match = _DJANGO_NAMED.match(name.removeprefix(f"{table}_"))
    if match and name.startswith(f"{table}_"):
        column = match["column"]
        if match["like"]:
            return f"Django's pattern index on {column} (LIKE and startswith lookups)"
        if column.endswith("_id"):
            return f"Django's index on the foreign key {column} (joins, and deletes of the row it names)"
        return f"Django's index on {column} (db_index=True)"
    return "(no reason recorded)"


def indexes() -> list[dict[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = current_schema() AND tablename = ANY(%s) ORDER BY tablename, indexname",
            [BIG_TABLES],
        )
        rows = cursor.fetchall()
    return [
        {"table": table, "name": name, "definition": definition, "reason": index_reason(table, name)}
        for table, name, definition in rows
    ]


def row_counts() -> dict[str, int]:
    """Exact counts (the harness runs seldom; an estimate would hide a generator's mistake)."""
    counts = {}
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 (our own table names)
            counts[table] = cursor.fetchone()[0]
    return counts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "postgresql": server_version,
        "shared_buffers": shared_buffers,
        # The machine is shared: a busy neighbour shows here, and in every figure.
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
