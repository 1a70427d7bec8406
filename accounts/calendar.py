"""A council's working calendar: Monday to Friday less England's bank holidays, within the
council's working day (09:00 to 17:00 Europe/London by default). Every deadline and reminder
counts in it (DESIGN.md, Settled question 8). The bank holidays are data from the `holidays`
package (England's, offline), not code here.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from accounts.models import LocalAuthority


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.UK(subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


@dataclass(frozen=True)
class WorkingCalendar:
    starts: time = time(9, 0)
    ends: time = time(17, 0)
    time_zone: str = "Europe/London"

    @classmethod
    def for_council(cls, council: LocalAuthority | None) -> "WorkingCalendar":
        """The council's calendar (the default one for an account without a council, whose lists are
        empty anyway). A list builds it once and passes it to every row's deadline maths."""
        if council is None:
            return cls()
        return cls(starts=council.working_day_starts, ends=council.working_day_ends, time_zone=council.time_zone)

    # Days ---------------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and not is_bank_holiday(day)

    def next_working_day(self, day: date) -> date:
        """The first working day after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def previous_working_day(self, day: date) -> date:
        """The last working day before `day`."""
        day -= timedelta(days=1)
        while not self.is_working_day(day):
            day -= timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """`count` working days after `day` (0: `day` itself if it is a working day, else the next)."""
        if count < 0:
            return self.subtract_working_days(day, -count)
        if count == 0:
            return day if self.is_working_day(day) else self.next_working_day(day)
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def subtract_working_days(self, day: date, count: int) -> date:
        """`count` working days before `day` (0: `day` itself if it is a working day, else the one before)."""
        if count == 0:
            return day if self.is_working_day(day) else self.previous_working_day(day)
        for _ in range(count):
            day = self.previous_working_day(day)
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count

    # Hours --------------------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def hours_per_day(self) -> float:
        return (datetime.combine(date.min, self.ends) - datetime.combine(date.min, self.starts)).total_seconds() / 3600

    def add_working_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `moment` (an aware datetime). Time outside the
        working day does not count: "one working day" (8 hours, 09:00-17:00) from 15:00 on a Friday
        ends at 15:00 on the next working day. Wall-clock times in the council's zone, so the clock
        change does not move a deadline."""
        local = moment.astimezone(self.zone)
        day, clock = local.date(), local.time().replace(tzinfo=None)
        if not self.is_working_day(day) or clock >= self.ends:
            day, clock = self.next_working_day(day), self.starts
        elif clock < self.starts:
            clock = self.starts
        remaining = timedelta(hours=hours)
        while True:
            left_today = datetime.combine(day, self.ends) - datetime.combine(day, clock)
            if remaining < left_today:
                return (datetime.combine(day, clock) + remaining).replace(tzinfo=self.zone)
            # Exactly the rest of the day ends at the start of the next working day.
            remaining -= left_today
            day, clock = self.next_working_day(day), self.starts

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from `start` to `end` (aware datetimes); negative when `end` is earlier.
        The queues show a deadline's time left, or how late it is, in these hours."""
        if end < start:
            return -self.working_hours_between(end, start)
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens = datetime.combine(day, self.starts, tzinfo=self.zone)
                closes = datetime.combine(day, self.ends, tzinfo=self.zone)
                low, high = max(opens, start), min(closes, end)
                if high > low:
                    total += high - low
            day += timedelta(days=1)
        return total.total_seconds() / 3600
