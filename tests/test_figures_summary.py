"""The monthly summary of the council's figures (issue 16): recorded in the notifications outbox for the
council's administrators and early help lead on the first working day of the month, about the month
before, once per person; exact for those who may see the figures, rounded to 5 for anyone else."""

from datetime import UTC, datetime

import pytest
from django.conf import settings

from accounts.models import Notification, Role
from referrals.figures_summary import figures_summaries_due, rounded_to_5
from tests.factories import UserFactory
from tests.test_council_figures import build, london  # noqa: F401 (the fixture)


@pytest.fixture
def november(build):  # noqa: F811
    for day in range(2, 9):  # seven CAFs started in November 2026
        build.caf(london(2026, 11, day, 10))
    build.caf(london(2026, 10, 30, 10))  # October's


def summaries() -> dict[str, str]:
    return {
        notification.recipient.email: notification.body
        for notification in Notification.objects.filter(kind=Notification.Kind.MONTHLY_FIGURES)
    }


def test_on_the_first_working_day_the_administrators_and_early_help_lead_are_told_once(
    council, november, council_admin, school_practitioner, caf_admin
):
    council.early_help_lead = school_practitioner  # a practitioner: may not see the exact figures
    council.save()

    assert figures_summaries_due(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == 2
    assert figures_summaries_due(now=datetime(2026, 12, 1, 10, 0, tzinfo=UTC)) == 0

    told = summaries()
    assert set(told) == {council_admin.email, school_practitioner.email}  # not the CAF administrator
    assert "CAFs started: 7" in told[council_admin.email]
    assert "Exact counts" in told[council_admin.email]
    assert "CAFs started: 5" in told[school_practitioner.email]
    assert "rounded to the nearest 5" in told[school_practitioner.email]
    notification = Notification.objects.get(recipient=council_admin)
    assert notification.subject_key == f"figures:{council.pk}:2026-11"
    assert notification.title == "Northbridge Borough Council: the figures for November 2026"
    assert notification.url == "/figures/?from_month=2026-11&to_month=2026-11"
    assert Notification.objects.get(recipient=school_practitioner).url == ""


def test_nothing_before_the_first_working_day_after_a_weekend_or_a_bank_holiday(council, council_admin):
    # 1 November 2026 is a Sunday: the first working day is Monday 2 November.
    assert figures_summaries_due(now=datetime(2026, 11, 1, 12, 0, tzinfo=UTC)) == 0
    assert figures_summaries_due(now=datetime(2026, 11, 2, 8, 0, tzinfo=UTC)) == 1
    assert Notification.objects.get().subject_key == f"figures:{council.pk}:2026-10"
    # New Year's Day 2027 is a Friday and a bank holiday: Monday 4 January is the first working day.
    assert figures_summaries_due(now=datetime(2027, 1, 1, 12, 0, tzinfo=UTC)) == 0
    assert not Notification.objects.filter(subject_key=f"figures:{council.pk}:2026-12").exists()
    assert figures_summaries_due(now=datetime(2027, 1, 4, 9, 0, tzinfo=UTC)) == 1
    assert Notification.objects.filter(subject_key=f"figures:{council.pk}:2026-12").exists()


def test_a_month_turns_in_london_time(council, council_admin):
    # 23:30 UTC on 30 November is still November in London: November's summary is October's.
    figures_summaries_due(now=datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert Notification.objects.get().subject_key == f"figures:{council.pk}:2026-10"


def test_each_council_is_told_its_own_figures(council, other_council, november, council_admin, other_council_admin):
    figures_summaries_due(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    told = summaries()
    assert "CAFs started: 7" in told[council_admin.email]
    assert "CAFs started: 0" in told[other_council_admin.email]
    assert Notification.objects.get(recipient=other_council_admin).subject_key == f"figures:{other_council.pk}:2026-11"


def test_an_inactive_administrator_or_another_councils_early_help_lead_is_not_told(
    council, council_admin, other_council_user, early_help_hub
):
    UserFactory(agency=early_help_hub, roles=[Role.COUNCIL_ADMINISTRATOR], is_active=False)
    council.early_help_lead = other_council_user
    council.save()

    figures_summaries_due(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    assert set(summaries()) == {council_admin.email}


@pytest.mark.parametrize(("count", "rounded"), [(0, 0), (2, 0), (3, 5), (7, 5), (8, 10), (12, 10), (13, 15)])
def test_counts_for_people_outside_the_roles_are_rounded_to_5(count, rounded):
    assert rounded_to_5(count) == rounded


def test_beat_runs_it_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["figures-summary-tick"]
    assert entry["task"] == "referrals.tasks.figures_summary_tick" and entry["schedule"] == 60 * 60
