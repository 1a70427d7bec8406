"""The night's count of the council's figures (issue 16: "precompute only if it must, and then say on
the page how fresh they are"): the page shows the last 12 months and this financial year from the
nightly job's count, saying when it was made, the same tables as counting now; "count them again now",
any filter, another period or yesterday's count are counted when asked. The job runs as Celery runs it."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from referrals.models import FiguresSnapshot
from referrals.services.figures_snapshots import figures_snapshots_count, snapshot_periods
from referrals.tasks import figures_snapshots_tick
from tests.caf_helpers import active_caf

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def tables(response) -> str:
    """The page's figures, without the line that says when they were counted."""
    page = response.content.decode()
    page = re.sub(r'<(div|p) class="govuk-(inset-text|body-s)" id="counted-at">.*?</\1>', "", page, flags=re.S)
    return page[page.index('id="period"') :]


def started_this_month(response) -> str:
    return re.search(r"December 2026</t[hd]>\s*<td[^>]*>(\d+)", response.content.decode()).group(1)


def test_the_page_shows_the_nights_count_saying_when_and_the_same_tables_as_counting_now(
    council, active, caf_admin, signed_in, django_assert_max_num_queries
):
    client = signed_in(caf_admin)
    live = client.get(reverse("referrals:council_figures"))
    assert "Counted now" in live.content.decode()

    counted = figures_snapshots_tick.apply().get()  # as beat runs it: every council of the instance
    assert counted == FiguresSnapshot.objects.count() and FiguresSnapshot.objects.filter(council=council).count() == 2

    with django_assert_max_num_queries(14):
        shown = client.get(reverse("referrals:council_figures"))
    page = shown.content.decode()
    assert "These figures were counted at 03:00 today" in page and "Count them again now" in page
    assert tables(shown) == tables(live)


def test_a_change_after_the_count_shows_when_counted_again_and_the_next_night(
    council, active, school_practitioner, caf_admin, signed_in, health_visiting
):
    figures_snapshots_count()
    active_caf(school_practitioner, active.children.get(), health_visiting)  # a second CAF this month
    client = signed_in(caf_admin)
    url = reverse("referrals:council_figures")
    assert started_this_month(client.get(url)) == "1"
    recounted = client.get(url, {"fresh": "1"})
    assert started_this_month(recounted) == "2" and "Counted now" in recounted.content.decode()
    # Filtered, or another period: counted when asked.
    assert "Counted now" in client.get(url, {"from_month": "2026-11", "to_month": "2026-12"}).content.decode()
    # Yesterday's count is never shown as today's.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        next_day = signed_in(caf_admin).get(url)
        assert "Counted now" in next_day.content.decode() and started_this_month(next_day) == "2"


def test_counting_again_replaces_the_nights_count_for_every_council(council, other_council, active):
    figures_snapshots_count()
    figures_snapshots_count()
    periods = snapshot_periods(NOW.date())
    assert FiguresSnapshot.objects.filter(council__in=[council, other_council]).count() == 2 * len(periods)
    assert {(row.first_month, row.last_month) for row in FiguresSnapshot.objects.filter(council=council)} == {
        (period.first, period.last) for period in periods
    }


def test_the_periods_counted_are_the_last_12_months_and_this_financial_year():
    december, may, april = (date(2026, month, 6) for month in (12, 5, 4))
    assert [(p.first.isoformat(), p.last.isoformat()) for p in snapshot_periods(december)] == [
        ("2026-01-01", "2026-12-01"),
        ("2026-04-01", "2026-12-01"),
    ]
    assert snapshot_periods(may)[1].first.isoformat() == "2026-04-01"
    assert snapshot_periods(date(2027, 2, 1))[1].first.isoformat() == "2026-04-01"
    assert len(snapshot_periods(april)) == 2


def test_nobody_else_sees_a_count(council, active, school_practitioner, signed_in):
    figures_snapshots_count()
    assert signed_in(school_practitioner).get(reverse("referrals:council_figures")).status_code == 403
