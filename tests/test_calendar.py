"""The working calendar: weekends and England's bank holidays do not count, nor time outside the
council's working day, and the clock change does not move a deadline."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.calendar import WorkingCalendar, is_bank_holiday
from tests.factories import LocalAuthorityFactory

LONDON = ZoneInfo("Europe/London")
calendar = WorkingCalendar()


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 25),  # Christmas Day, a Friday
        date(2026, 12, 28),  # Boxing Day falls on a Saturday: the substitute is Monday
        date(2027, 1, 1),  # New Year's Day
        date(2027, 3, 26),  # Good Friday
        date(2027, 3, 29),  # Easter Monday
    ],
)
def test_englands_bank_holidays_are_not_working_days(day):
    assert is_bank_holiday(day)
    assert not calendar.is_working_day(day)


def test_weekends_are_not_working_days_and_weekdays_are():
    assert not calendar.is_working_day(date(2026, 11, 21))  # Saturday
    assert not calendar.is_working_day(date(2026, 11, 22))  # Sunday
    assert calendar.is_working_day(date(2026, 11, 23))  # Monday
    assert calendar.is_working_day(date(2026, 12, 29))  # Tuesday between Christmas and New Year


def test_adding_working_days_skips_the_weekend():
    friday = date(2026, 11, 20)
    assert calendar.add_working_days(friday, 1) == date(2026, 11, 23)
    assert calendar.add_working_days(friday, 5) == date(2026, 11, 27)
    assert calendar.subtract_working_days(date(2026, 11, 23), 1) == friday
    assert calendar.add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)  # Saturday: the next
    assert calendar.subtract_working_days(date(2026, 11, 22), 0) == friday  # Sunday: the one before
    assert calendar.add_working_days(friday, -1) == date(2026, 11, 19)


def test_adding_working_days_across_christmas_2026():
    christmas_eve = date(2026, 12, 24)
    assert calendar.add_working_days(christmas_eve, 1) == date(2026, 12, 29)
    assert calendar.add_working_days(christmas_eve, 3) == date(2026, 12, 31)
    assert calendar.add_working_days(christmas_eve, 4) == date(2027, 1, 4)  # over New Year's Day
    assert calendar.subtract_working_days(date(2026, 12, 29), 1) == christmas_eve
    assert calendar.working_days_between(christmas_eve, date(2027, 1, 4)) == 4


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (london(2026, 11, 20, 15, 0), london(2026, 11, 23, 15, 0)),  # Friday afternoon to Monday
        (london(2026, 12, 24, 15, 0), london(2026, 12, 29, 15, 0)),  # over Christmas and Boxing Day
        (london(2026, 11, 23, 9, 0), london(2026, 11, 24, 9, 0)),  # a whole day ends as the next begins
        (london(2026, 11, 23, 18, 30), london(2026, 11, 25, 9, 0)),  # after hours: from 09:00 tomorrow
        (london(2026, 11, 21, 11, 0), london(2026, 11, 24, 9, 0)),  # a Saturday: from Monday 09:00
        (london(2026, 11, 23, 7, 0), london(2026, 11, 24, 9, 0)),  # before hours: from 09:00 today
    ],
)
def test_one_working_day_in_hours(start, end):
    assert calendar.add_working_hours(start, 8) == end


def test_the_clock_change_does_not_move_a_deadline():
    # British Summer Time ends at 02:00 on Sunday 25 October 2026: the weekend is an hour longer,
    # the deadline is still 15:00 on Monday by the council's clocks.
    with time_machine.travel(london(2026, 10, 23, 15, 0), tick=False):
        deadline = calendar.add_working_hours(london(2026, 10, 23, 15, 0), 8)

    assert deadline == london(2026, 10, 26, 15, 0)
    assert deadline.tzinfo == LONDON
    assert deadline.utcoffset().total_seconds() == 0  # GMT again
    assert deadline.isoformat() == "2026-10-26T15:00:00+00:00"


def test_an_aware_moment_from_another_zone_is_counted_in_the_councils():
    # 14:00 UTC on a summer Friday is 15:00 in London.
    assert calendar.add_working_hours(datetime(2026, 7, 17, 14, 0, tzinfo=ZoneInfo("UTC")), 8) == london(
        2026, 7, 20, 15, 0
    )


def test_half_a_working_day_and_several_days():
    # Exactly the rest of the day ends at the start of the next working day, not at 17:00.
    assert calendar.add_working_hours(london(2026, 11, 23, 13, 0), 4) == london(2026, 11, 24, 9, 0)
    assert calendar.add_working_hours(london(2026, 11, 23, 13, 0), 3.5) == london(2026, 11, 23, 16, 30)
    assert calendar.add_working_hours(london(2026, 11, 23, 13, 0), 4.5) == london(2026, 11, 24, 9, 30)
    assert calendar.add_working_hours(london(2026, 11, 20, 10, 0), 24) == london(2026, 11, 25, 10, 0)


@pytest.mark.django_db
def test_a_council_works_its_own_day():
    council = LocalAuthorityFactory(working_day_starts=time(8, 30), working_day_ends=time(16, 30))
    councils = WorkingCalendar.for_council(council)

    assert councils.starts == time(8, 30) and councils.ends == time(16, 30)
    assert councils.hours_per_day == 8
    assert councils.add_working_hours(london(2026, 11, 20, 15, 0), 8) == london(2026, 11, 23, 15, 0)
    assert councils.add_working_hours(london(2026, 11, 23, 17, 0), 1) == london(2026, 11, 24, 9, 30)
    assert councils.add_working_hours(london(2026, 11, 23, 8, 0), 8) == london(2026, 11, 24, 8, 30)
