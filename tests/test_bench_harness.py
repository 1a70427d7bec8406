"""The benchmark harness (home/bench/, `make bench`) end to end on the demo's small data set: every
role's pages answer and keep their query counts, every list returns the same first page as its
hand-written floor, docs/benchmarks.md gets every section, and the data is left as it was. Its times
are not asserted: they are the harness's output, read in the doc. The load generator signs in
through the real form and opens pages against a live server for a few seconds."""

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Role
from caf.models import AccessLog
from home.bench import report
from home.bench.pages import PAGES_BY_ROLE, people, subject_for
from home.bench.run import bench_run, doc_rewrite
from home.demo import DEMO_PASSWORD

# Queries per page and role on the demo's data (the most over the people measured). A page that
# gains a query changes this table: look at the page before changing the number. Issue 14 added the
# CAF list's filter choices (levels, localities, agencies: 3), on Find a child each result's link to
# the record and its open CAF with lead professional (3 to 5, by role), and on a child's page the
# adults recorded with the child (1 or 2); the CAF administrator's home page, the possible duplicate
# records' queue (1). Issue 15: the access log lists the record's break-glass uses (1); a child's page
# asks for a legal hold in force (1) and, for anyone but a CAF administrator, their own break-glass (1);
# every home page counts the break-glass uses waiting for one's review (1), and Find a child asks which
# other councils list one's agency for break-glass (1).
# Issue 16: the council's figures for a year, from the night's count the harness makes first (12: the
# session, user, roles, council, the form's choices, the count itself, notifications). The chronology
# reads the decisions to share without consent or not to share (1) and the exceptions to the family's
# exclusions (1).
# Retention's social care stages: a child's page lists the stages recorded for the child (1).
# Issue 13: a home queue's rows carry their children's names and ids (caf.selectors.queue_children),
# so a queue with rows no longer prefetches them (one query fewer for each such queue). The busiest
# people's queues are kept ready for their council (home.ready): their home page reads the council's
# version (1), a CAF administrator's also whether an exclusion names them (1), and counts no queue.
# After a change a worker counts them into a table (home.ready): a web process's first page after it
# reads them from there (1); a page that comes before the worker counts them and keeps them (1).
EXPECTED_QUERIES = {
    ("Home page", "Practitioner"): 19,
    ("CAF list", "Practitioner"): 17,
    ("A CAF's page", "Practitioner"): 29,
    ("A child's page (chronology)", "Practitioner"): 37,
    ("Find a child", "Practitioner"): 19,
    ("Notifications", "Practitioner"): 10,
    ("Home page", "CAF administrator"): 13,
    ("Home page, the first after a change", "CAF administrator"): 14,
    ("Home page, before the worker has counted", "CAF administrator"): 21,
    ("CAF list", "CAF administrator"): 17,
    ("Pick-up queue (step-downs)", "CAF administrator"): 14,
    ("A CAF's page", "CAF administrator"): 31,
    ("A child's page (chronology)", "CAF administrator"): 34,
    ("A child's access log", "CAF administrator"): 16,
    ("Find a child", "CAF administrator"): 17,
    ("Notifications", "CAF administrator"): 10,
    ("The council's figures, a year", "CAF administrator"): 12,
    ("Home page", "Social care manager"): 12,
    ("Home page, the first after a change", "Social care manager"): 13,
    ("Home page, before the worker has counted", "Social care manager"): 16,
    ("Front-door queue", "Social care manager"): 14,
    ("CAF list", "Social care manager"): 17,
    ("A CAF's page", "Social care manager"): 29,
    ("A child's page (chronology)", "Social care manager"): 36,
    ("Find a child", "Social care manager"): 19,
    ("Notifications", "Social care manager"): 10,
    ("Home page", "Social worker"): 14,
    ("CAF list", "Social worker"): 17,
    ("A CAF's page", "Social worker"): 29,
    ("A child's page (chronology)", "Social worker"): 36,
    ("Find a child", "Social worker"): 19,
    ("Notifications", "Social worker"): 10,
    ("Home page", "Council administrator"): 14,
    ("Notifications", "Council administrator"): 9,
    ("The council's figures, a year", "Council administrator"): 12,
}


def demo_load() -> None:
    call_command("load_demo", stdout=io.StringIO())


def test_the_harness_measures_every_role_and_writes_the_doc(db, tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # committed, as the bench finds its data
        demo_load()
    logged_before, sessions_before = AccessLog.objects.count(), Session.objects.count()
    doc = tmp_path / "benchmarks.md"

    results = bench_run(people_per_role=2, repeat=1, load_seconds=0, size="tiny", results_dir=tmp_path, doc=doc)

    assert {(row["page"], row["role"]): row["queries_max"] for row in results["pages"]} == EXPECTED_QUERIES
    assert [row for row in results["pages"] if row["refused"]] == []
    # One plan per page: its main query for the role whose main query was slowest.
    plans = [(row["page"], "actual time=" in row["plan"]) for row in results["pages"] if row["plan"]]
    assert sorted(plans) == sorted({(row["page"], True) for row in results["pages"]})
    lists = {(row["list"], row["role"]): row for row in results["lists"]}
    assert lists.keys() >= {
        ("CAF list", "Practitioner"),
        ("CAF list", "CAF administrator"),
        ("Home: CAFs you lead", "Social worker"),
    }
    for row in results["lists"]:
        people_measured = row["people"]
        assert row["same_rows_as_floor"] == f"{people_measured}/{people_measured}", row
        if row["role"] != "CAF administrator":
            assert row["guardian_same_rows"] == f"{people_measured}/{people_measured}", row  # fewer than 5
    # Each person's CAF list names the CAFs their grants give them: a practitioner sees some, not all.
    assert 0 < lists[("CAF list", "Practitioner")]["rows_max"] < lists[("CAF list", "CAF administrator")]["rows_max"]
    # The run is rolled back: no access-log rows or sessions left behind by the measured requests.
    assert (AccessLog.objects.count(), Session.objects.count()) == (logged_before, sessions_before)

    text = doc.read_text()
    assert all(section in text for section in report.SECTIONS)
    assert "guardian ignores a grant's `valid_until`" in text
    assert "| referrals_referral | referral_queue | the front-door queue" in text
    assert "EXPLAIN (ANALYZE, BUFFERS)" in text and "actual time=" in text
    assert "- The council's figures, a year (CAF administrator) p95 under 500 ms (measured at tiny size" in text
    # The busiest people's home pages beside the plainest page, for each of the two roles, with figures.
    static_line = next(line for line in text.splitlines() if "wait no longer than for a static page" in line)
    assert "CAF administrator's home page p95 " in static_line and "Social care manager's home page p95" in static_line
    assert json.loads((tmp_path / "tiny.json").read_text())["rows"]["caf_caf"] == results["rows"]["caf_caf"] > 0
    # The page again from the kept figures, measuring nothing (after the misses are edited by hand).
    again = tmp_path / "again.md"
    doc_rewrite("tiny", results_dir=tmp_path, doc=again)
    assert again.read_text() == text
    with pytest.raises(CommandError, match="No run at county size"):
        doc_rewrite("county", results_dir=tmp_path, doc=again)


@pytest.mark.django_db(transaction=True)
def test_the_load_generator_signs_in_and_opens_the_pages_of_a_role(live_server, tmp_path):
    demo_load()
    practitioner = people(Role.PRACTITIONER, 1)[0]
    subject = subject_for(practitioner, Role.PRACTITIONER)
    urls = [url for page in PAGES_BY_ROLE[Role.PRACTITIONER] if (url := page.url_for(subject))]
    names = [page.name for page in PAGES_BY_ROLE[Role.PRACTITIONER] if page.url_for(subject)]
    journeys = [
        {"email": practitioner.email, "password": DEMO_PASSWORD, "urls": urls, "pages": names},
        {"email": practitioner.email, "password": "not-the-password", "urls": urls},
    ]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(journeys))
    command = [sys.executable, "-m", "home.bench.load_client", "--base-url", live_server.url, "--plan", str(plan)]
    command += ["--users", "3", "--run-time", "3", "--think", "0.1", "0.3"]

    finished = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True, timeout=120)

    result = json.loads(finished.stdout)
    # The second person's password is wrong: refused at the sign-in form, and counted as an error.
    assert (result["people"], result["signed_in"], result["errors"]) == (3, 2, 1), result["error_examples"]
    assert result["requests"] > 2
    assert len(urls) == len(PAGES_BY_ROLE[Role.PRACTITIONER])
    # Each page's own figures under the load, by the name the plan gives it: every request is in one.
    assert {row["page"] for row in result["pages"]} <= set(names)
    assert sum(row["requests"] for row in result["pages"]) == result["requests"]


@pytest.mark.django_db(transaction=True)
def test_the_load_generator_gives_the_second_factor_where_sign_in_asks_for_it(live_server, tmp_path):
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from home.bench.load import _second_factors_for_the_run, journeys, second_factors_delete

    demo_load()
    administrator = people(Role.CAF_ADMINISTRATOR, 1)[0]
    subjects = [subject_for(administrator, Role.CAF_ADMINISTRATOR)]
    plan_rows = journeys(subjects)
    added = _second_factors_for_the_run(subjects, plan_rows, 3)
    assert len(plan_rows[0]["codes"]) == 3
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_rows))
    command = [sys.executable, "-m", "home.bench.load_client", "--base-url", live_server.url, "--plan", str(plan)]
    command += ["--users", "3", "--run-time", "2", "--think", "0.1", "0.3"]

    finished = subprocess.run(command, cwd=settings.BASE_DIR, capture_output=True, text=True, check=True, timeout=120)

    result = json.loads(finished.stdout)
    assert (result["signed_in"], result["errors"]) == (3, 0), result["error_examples"]
    assert not StaticToken.objects.filter(token__in=plan_rows[0]["codes"]).exists()  # each used once
    second_factors_delete(added)
    assert not TOTPDevice.objects.filter(user=administrator).exists()
    assert not StaticDevice.objects.filter(user=administrator).exists()
