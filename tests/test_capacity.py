"""Capacity of the web tier (issue 13): gunicorn's gthread workers with pooled database connections,
static files cached for a year, and a password hashed only when someone signs in."""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from accounts.models import Role
from tests.factories import PASSWORD, UserFactory
from tests.hashers import CountingPasswordHasher
from tests.test_health import current_test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
THREADS = 2
PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


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


def production_static(root: Path) -> dict:
    return {
        "STATIC_ROOT": root,
        "STORAGES": {**django_settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC_STORAGE}},
        "WHITENOISE_USE_FINDERS": False,
    }


@pytest.fixture(scope="module")
def collected_static_root(tmp_path_factory) -> Path:
    """collectstatic as the image runs it, once for these tests: hashed, compressed copies."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(**production_static(root)):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def collected_static(settings, collected_static_root):
    """Production's static files: whitenoise serves the collected copies and pages link to their hashed names."""
    for name, value in production_static(collected_static_root).items():
        setattr(settings, name, value)
    return collected_static_root


def fetch(client: Client, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, dict(response.headers), body


def test_pages_link_to_hashed_static_files_that_browsers_keep_for_a_year(db, collected_static):
    client = Client()
    page = client.get("/sign-in/").content.decode()
    stylesheets = re.findall(r'href="(/static/[^"]+\.css)"', page)
    scripts = re.findall(r'src="(/static/[^"]+\.js)"', page)
    assert stylesheets and scripts
    for url in stylesheets + scripts:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), f"{url} is not a hashed name"
        status, headers, body = fetch(client, url, accept_encoding="gzip")
        assert status == 200
        assert headers["Cache-Control"] == "max-age=31536000, public, immutable"
        assert headers["Content-Encoding"] == "gzip"  # compressed once by collectstatic, not per request
        assert body


def test_a_static_file_asked_for_by_its_plain_name_is_kept_only_a_minute(db, collected_static):
    client = Client()
    hashed = re.findall(r'href="/static/([^"]+\.css)"', client.get("/sign-in/").content.decode())[0]
    plain = re.sub(r"\.[0-9a-f]{12}\.css$", ".css", hashed)
    assert (collected_static / plain).exists()

    status, headers, _ = fetch(client, f"/static/{plain}")

    # The plain name gets the next release's file: never kept past a minute.
    assert status == 200
    assert headers["Cache-Control"] == "max-age=60, public"


def test_an_unknown_static_file_is_not_found(db, collected_static):
    assert Client().get("/static/css/no-such-file.0123456789ab.css").status_code == 404


@pytest.fixture
def counted_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.CountingPasswordHasher"]
    CountingPasswordHasher.hashes.clear()
    yield CountingPasswordHasher.hashes
    CountingPasswordHasher.hashes.clear()


def test_a_password_is_hashed_once_at_sign_in_and_never_on_ordinary_pages(school_practitioner, counted_hashing):
    client = Client()
    counted_hashing.clear()  # the factory stored the password

    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})
    assert response.status_code == 302
    assert counted_hashing == [PASSWORD]  # one hash, to check it

    counted_hashing.clear()
    for url in ["/", "/cafs/", "/notifications/", "/"]:
        assert client.get(url).status_code == 200, url
    assert counted_hashing == []


def test_an_unknown_address_costs_the_same_one_hash_as_a_known_one(db, counted_hashing):
    # So the time a refusal takes does not tell anyone which addresses have accounts.
    response = Client().post("/sign-in/", {"username": "nobody@nowhere.example", "password": PASSWORD})
    assert response.status_code == 200
    assert "Enter a correct e-mail address and password" in response.content.decode()
    assert len(counted_hashing) == 1
