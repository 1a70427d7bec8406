"""The load run: gunicorn started with config/gunicorn.py (gthread; WEB_CONCURRENCY x WEB_THREADS) on
a free local port with a Celery worker beside it, and the load generator (home.bench.load_client) in its
own process.

The simulated people sign in with a known password: for the run, the measured people's password
hashes are replaced by one hash of BENCH_PASSWORD (the demo's people keep theirs: the demo's
password is already known), and put back afterwards, so the database keeps its own passwords. The
people whose sign-in asks for a second factor (accounts.two_factor) are given recovery codes for the
run, one per simulated person, and an authenticator device if they have none; both go afterwards."""

import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.models import User
from home.bench.pages import PAGES_BY_ROLE, Subject
from home.demo import DEMO_PASSWORD, DEMO_USERS
from home.ready import queues_changed

BENCH_PASSWORD = "bench-caf-password"
BASE_DIR = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_answers(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped (exit {process.returncode}): see var/bench/gunicorn.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer on {url} within {seconds:.0f} s")


def journeys(subjects: list[Subject]) -> list[dict[str, Any]]:
    demo = {user.email for user in DEMO_USERS}
    plan = []
    for subject in subjects:
        visits = [
            (f"{page.name} ({subject.role.label})", url)
            for page in PAGES_BY_ROLE[subject.role]
            if page.in_load_run and (url := page.url_for(subject))
        ]
        password = DEMO_PASSWORD if subject.user.email in demo else BENCH_PASSWORD
        plan.append(
            {
                "email": subject.user.email,
                "password": password,
                "urls": [url for _, url in visits],
                "pages": [name for name, _ in visits],  # each page's figures under load, by name
            }
        )
    return plan


def _second_factors_for_the_run(subjects: list[Subject], plan: list[dict[str, Any]], people: int) -> list[Any]:
    """Recovery codes for the people whose sign-in asks for a second factor, enough for every simulated
    person who follows their journey, added to the plan; what was added, to delete after the run."""
    added: list[Any] = []
    each = math.ceil(people / max(1, len(plan)))
    for subject, journey in zip(subjects, plan, strict=True):
        user = subject.user
        if not two_factor.asked_at_sign_in(user):
            continue
        if not two_factor.has_second_factor(user):
            added.append(TOTPDevice.objects.create(user=user, name="Bench run", confirmed=True))
        device = StaticDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="Bench run", confirmed=True)
            added.append(device)
        tokens = [StaticToken(device=device, token=StaticToken.random_token()) for _ in range(each)]
        added += StaticToken.objects.bulk_create(tokens)
        journey["codes"] = [token.token for token in tokens]
    return added


def second_factors_delete(added: list[Any]) -> None:
    """Delete what _second_factors_for_the_run added: the codes before the devices that hold them."""
    for each in reversed(added):
        type(each).objects.filter(pk=each.pk).delete()


def load_run(subjects: list[Subject], *, people: int, seconds: float) -> dict[str, object]:
    """Start gunicorn, run the load generator against it, stop gunicorn; the generator's figures."""
    plan = journeys(subjects)
    run_only = _second_factors_for_the_run(subjects, plan, people)
    bench_ids = [
        subject.user.pk
        for subject, journey in zip(subjects, plan, strict=True)
        if journey["password"] == BENCH_PASSWORD
    ]
    saved = dict(User.objects.filter(pk__in=bench_ids).values_list("pk", "password"))
    User.objects.filter(pk__in=bench_ids).update(password=make_password(BENCH_PASSWORD))
    log_dir = BASE_DIR / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", "--config", "config/gunicorn.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null", "--no-control-socket", "config.wsgi"]
    env = {**os.environ, "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false"}
    # A worker beside it, as in production: it counts the busiest people's home queues after each change.
    worker_command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--concurrency", "1", "-l", "WARNING"]
    try:
        with (log_dir / "gunicorn.log").open("w") as log, (log_dir / "worker.log").open("w") as worker_log:
            server = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
            worker = subprocess.Popen(
                worker_command, cwd=BASE_DIR, env=env, stdout=worker_log, stderr=subprocess.STDOUT
            )
        try:
            _wait_until_answers(f"{base_url}/sign-in/", server)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
                json.dump(plan, handle)
            client = [sys.executable, "-m", "home.bench.load_client", "--base-url", base_url, "--plan", handle.name]
            client += ["--users", str(people), "--run-time", str(seconds)]
            stop = threading.Event()
            councils = sorted({subject.user.council_id for subject in subjects if subject.user.council_id})
            changes = threading.Thread(target=_changes_meanwhile, args=(councils, stop), daemon=True)
            changes.start()
            try:
                finished = subprocess.run(client, cwd=BASE_DIR, capture_output=True, text=True, check=True)
            finally:
                stop.set()
                changes.join(timeout=30)
            Path(handle.name).unlink()
        finally:
            for process in (server, worker):
                process.terminate()
            for process in (server, worker):
                process.wait(timeout=30)
    finally:
        for pk, password in saved.items():
            User.objects.filter(pk=pk).update(password=password)
        second_factors_delete(run_only)
    result = json.loads(finished.stdout)
    result |= {"workers": _env_int("WEB_CONCURRENCY", 2), "threads": _env_int("WEB_THREADS", 4)}
    result["change_every_s"] = CHANGE_EVERY_S
    return result


# A change to what the busiest people's queues show, committed every few seconds while the load runs,
# through home.ready as a service's save reaches it: once it commits, the council's version is raised
# and the worker counts the queues again; each web process reads them from the table at its next home
# page, or counts them itself if it comes first. A county's year at the generated size has about
# 500,000 such changes (25,000 CAFs a year, each started with its children, activated, registered,
# given a lead and a team of four, reviewed and closed: about 15 saves; 20,000 referrals of about 5;
# 5,000 step-downs of about 4), one every 16 seconds of a working day (250 days of 9 hours); the load
# run commits one every 15.
CHANGE_EVERY_S = 15.0


def _changes_meanwhile(council_ids: list[int], stop: threading.Event) -> None:
    try:
        while not stop.wait(CHANGE_EVERY_S):
            for council_id in council_ids:
                with transaction.atomic():
                    queues_changed(council_id)
    finally:
        connection.close()  # this thread's own connection


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdecimal() else default
