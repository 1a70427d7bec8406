"""How far back and how far ahead each date a person types may be: one home for these rules, which
the GOV.UK date field (core.forms) and the services that take dates both apply.

Every typed date needs bounds (DESIGN.md, Engineering facts): Python's date arithmetic overflows at
year 9999, so one date far out of range can stop a reminder job, and such a date is a typing
mistake rather than a fact about a family.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from django.utils import timezone


@dataclass(frozen=True)
class Bound:
    """One end of the range a date may take. A relative bound counts back from today when it is the
    earliest end and ahead when it is the latest; a fixed bound is that day; neither is today."""

    years: int = 0
    months: int = 0
    fixed: date | None = None

    def day(self, today: date, *, ahead: bool) -> date:
        if self.fixed is not None:
            return self.fixed
        step = relativedelta(years=self.years, months=self.months)
        return today + step if ahead else today - step

    def says(self, *, ahead: bool) -> str:
        """The end of "<the date> must be ...", GOV.UK's wording for a date out of range."""
        if self.fixed is not None:
            return f"{'on or before' if ahead else 'on or after'} {self.fixed:%-d %B %Y}"
        if not (self.years or self.months):
            return "today or in the past" if ahead else "today or in the future"
        count, unit = (self.years, "year") if self.years else (self.months, "month")
        return f"within the {'next' if ahead else 'last'} {count} {unit}{'' if count == 1 else 's'}"


TODAY = Bound()
TWO_YEARS = Bound(years=2)
UNBORN_MONTHS_AHEAD = 10
UNBORN = Bound(months=UNBORN_MONTHS_AHEAD)
SINCE_1900 = Bound(fixed=date(1900, 1, 1))  # dates of birth
SINCE_2000 = Bound(fixed=date(2000, 1, 1))  # consent given or withdrawn

# The rules, as (earliest, latest): a form's field and the service that takes the date use the same.
BIRTH = (SINCE_1900, TODAY)
EXPECTED_BIRTH = (TODAY, UNBORN)
CONSENT = (SINCE_2000, TODAY)
REVIEW_HELD = (TWO_YEARS, TODAY)
NEXT_REVIEW = (TODAY, TWO_YEARS)
ACTION_DUE = (TWO_YEARS, TWO_YEARS)
SOCIAL_CARE_STAGE = (SINCE_1900, TODAY)  # and not before the child's birth (the service checks)


def out_of_bounds(
    value: date, what: str, earliest: Bound | None, latest: Bound | None, *, today: date | None = None
) -> str | None:
    """Why `value` is refused ("<What> must be ..."), or None when it is within the bounds."""
    today = today or timezone.localdate()
    what = what[:1].upper() + what[1:]
    if earliest is not None and value < earliest.day(today, ahead=False):
        return f"{what} must be {earliest.says(ahead=False)}"
    if latest is not None and value > latest.day(today, ahead=True):
        return f"{what} must be {latest.says(ahead=True)}"
    return None
