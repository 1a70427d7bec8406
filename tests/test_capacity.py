"""Capacity of the web tier (issue 13): gunicorn's gthread workers with pooled database connections."""

import http.client
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role
from tests.factories import UserFactory
from tests.test_health import current_test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
THREADS = 2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(address: tuple[str, int], path: str, session: str | None = None) -> tuple[int, str]:
    server = http.client.HTTPConnection(*address, timeout=20)
    try:
        server.request("GET", path, headers={"Cookie": f"sessionid={session}"} if session else {})
        response = server.getresponse()
        return response.status, response.read().decode()
    finally:
        server.close()


def other_connections() -> int:
    """Connections to the test database other than this test's own: the gunicorn worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def gunicorn_address(transactional_db, redis_url, tmp_path):
    """gunicorn as production runs it (config/gunicorn.py, gthread), one worker of two threads, against
    the test database; stopped, and its connections gone, before the test's tables are emptied."""
    address = ("127.0.0.1", free_port())
    environment = {
        **os.environ,
        "DATABASE_URL": current_test_database_url(),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": str(THREADS),
    }
    environment.pop("DATABASE_POOL_MAX_SIZE", None)
    command = ["gunicorn", "--config", "config/gunicorn.py", "--bind", "{}:{}".format(*address), "config.wsgi"]
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", *command], cwd=BASE_DIR, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(address, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while other_connections() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert other_connections() == 0, "gunicorn left connections behind"
    assert "Traceback" not in log_path.read_text(), log_path.read_text()


@pytest.mark.django_db(transaction=True)
def test_gunicorn_serves_many_requests_at_once_from_a_pool_of_one_connection_per_thread(gunicorn_address, school):
    person = UserFactory(full_name="Priya Shah", agency=school, roles=[Role.PRACTITIONER])
    browser = Client()
    browser.force_login(person)
    session = browser.cookies["sessionid"].value

    # Four times as many requests as threads, at once: signed-in pages and health checks.
    requests = [("/", session), ("/cafs/", session), ("/healthz", None)] * 4
    with ThreadPoolExecutor(max_workers=4 * THREADS) as pool:
        answers = list(pool.map(lambda request: get(gunicorn_address, *request), requests))

    assert [status for status, _ in answers] == [200] * len(requests)
    for (path, _), (_, page) in zip(requests, answers, strict=True):
        if path == "/healthz":
            assert page == "ok"
        else:
            assert "Signed in as <strong>Priya Shah</strong>" in page
    # The connections stay open for the next requests (the test environment's DATABASE_CONN_MAX_AGE is 0,
    # so without the pool there would be none now), and never more than the worker's threads.
    assert 1 <= other_connections() <= THREADS
