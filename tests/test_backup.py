"""`make backup` and `make restore` (config/backup.py): a populated instance dumped with pg_dump and
restored into an empty database has the same rows and a working sign-in, and the e-mails already
sent before the dump are not sent again; a restore never lands on a database holding data unless
its name is confirmed, and a restore that fails changes nothing."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from psycopg import sql

from accounts.models import Notification, User
from accounts.notifications import notification_record
from config.backup import BackupError, backup, libpq_url, restore
from home.demo import DEMO_PASSWORD
from tests.databases import beside, current_test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent

# In a fresh process on the restored database: sign in as a demo person, then run the e-mail sender.
PROBE = """
import django, json
django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as the tests hashed them
settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
from django.core import mail
from django.test import Client
from accounts.notifications import notifications_send_pending
client = Client()
signed_in = client.post("/sign-in/", {"username": "%(email)s", "password": "%(password)s"})
home = client.get("/")
mail.outbox = []
sent = notifications_send_pending()
print(json.dumps({"sign_in": signed_in.status_code, "home": home.status_code, "sent": sent,
                  "subjects": sorted(message.subject for message in mail.outbox)}))
"""


def row_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(libpq_url(database_url)) as db:
        tables = [row[0] for row in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        count = sql.SQL("SELECT count(*) FROM {}")
        return {table: db.execute(count.format(sql.Identifier(table))).fetchone()[0] for table in sorted(tables)}


@pytest.fixture
def empty_database() -> Iterator[str]:
    url = beside(current_test_database_url(), f"{connection.settings_dict['NAME']}_restored")
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(current_test_database_url()), dbname="postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}"')
        server.execute(f'CREATE DATABASE "{name}"')
    yield url
    with psycopg.connect(libpq_url(current_test_database_url()), dbname="postgres", autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_has_every_row_signs_in_and_does_not_send_again(empty_database, tmp_path):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    practitioner = User.objects.get(email="practitioner@demo.example")
    administrator = User.objects.get(email="caf.admin@demo.example")
    already_sent = notification_record(
        recipient=practitioner, kind=Notification.Kind.REVIEW_DUE, subject_key="review:1", title="Sent", body="."
    )
    Notification.objects.filter(pk=already_sent.pk).update(sent_at=timezone.now())
    notification_record(
        recipient=administrator, kind=Notification.Kind.REVIEW_DUE, subject_key="review:2", title="Waiting", body="."
    )
    waiting = Notification.objects.filter(sent_at__isnull=True, cancelled_at__isnull=True, recipient__is_active=True)
    waiting_at_dump = sorted(waiting.values_list("title", flat=True))
    source = current_test_database_url()

    dump = backup(source, tmp_path / "caf.dump")
    restored = restore(empty_database, dump)

    assert restored.tables == len(row_counts(source))
    assert row_counts(empty_database) == row_counts(source)
    env = {**os.environ, "DATABASE_URL": empty_database, "DJANGO_SETTINGS_MODULE": "config.settings"}
    probe = PROBE % {"email": practitioner.email, "password": DEMO_PASSWORD}
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert (found["sign_in"], found["home"]) == (302, 200)
    # What had gone before the dump does not go again; what was waiting goes, once.
    assert found["subjects"] == waiting_at_dump and "Sent" not in found["subjects"] and "Waiting" in found["subjects"]


@pytest.mark.django_db(transaction=True)
def test_a_restore_refuses_a_database_with_data_unless_confirmed_and_a_failed_one_changes_nothing(
    empty_database, tmp_path
):
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    dump = backup(current_test_database_url(), tmp_path / "caf.dump")
    restore(empty_database, dump)
    before = row_counts(empty_database)

    with pytest.raises(BackupError, match="already holds the service's tables"):
        restore(empty_database, dump)
    with pytest.raises(BackupError, match="There is no backup file"):
        restore(empty_database, tmp_path / "missing.dump")
    broken = tmp_path / "broken.dump"
    broken.write_bytes(dump.read_bytes()[: len(dump.read_bytes()) // 2])
    name = empty_database.rsplit("/", 1)[1]
    with pytest.raises(BackupError, match="changed nothing"):
        restore(empty_database, broken, confirm=name)
    assert row_counts(empty_database) == before

    replaced = restore(empty_database, dump, confirm=name)
    assert replaced.tables == len(before) and row_counts(empty_database) == before
