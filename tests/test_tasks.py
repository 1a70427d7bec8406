"""Background jobs: run for real, eagerly and through a real Celery worker on Redis."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import expired_sessions_clear
from config.celery import app


def make_session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["note"] = "x"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_expired_sessions_are_cleared_and_live_ones_kept(db):
    expired = make_session(timedelta(minutes=-1))
    live = make_session(timedelta(minutes=20))

    result = expired_sessions_clear.apply()

    assert result.get() == 1
    assert not Session.objects.filter(session_key=expired).exists()
    assert Session.objects.filter(session_key=live).exists()
    assert expired_sessions_clear.apply().get() == 0  # safe to run twice


def test_the_beat_schedule_runs_the_session_clean_up():
    schedule = app.conf.beat_schedule
    assert schedule["clear-expired-sessions"]["task"] == expired_sessions_clear.name


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_runs_the_task(redis_url):
    expired = make_session(timedelta(minutes=-1))
    app.conf.broker_url = redis_url
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            expired_sessions_clear.delay()
            deadline = time.monotonic() + 30
            while Session.objects.filter(session_key=expired).exists() and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        app.conf.broker_url = None
    assert not Session.objects.filter(session_key=expired).exists()
