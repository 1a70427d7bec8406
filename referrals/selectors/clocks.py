"""The clocks the queues and pages show: time left to decide a referral, or to pick up a step-down,
in the council's working calendar (Settled question 8), as a GOV.UK tag and words. A list builds
the council's calendar once (`WorkingCalendar.for_council`) and passes it to each row's clock.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from accounts.calendar import WorkingCalendar
from referrals.models import Referral, StepDown


@dataclass(frozen=True)
class Clock:
    """A deadline as a queue shows it: colour (a GOV.UK tag) and words, never colour alone."""

    state: str  # "on_time", "due_soon" or "overdue"
    text: str

    @property
    def tag_class(self) -> str:
        return {"on_time": "govuk-tag--green", "due_soon": "govuk-tag--yellow", "overdue": "govuk-tag--red"}[self.state]

    @property
    def label(self) -> str:
        return {"on_time": "On time", "due_soon": "Due soon", "overdue": "Overdue"}[self.state]


def _duration(hours: float) -> str:
    minutes = max(round(hours * 60), 0)
    whole, rest = divmod(minutes, 60)
    parts = []
    if whole:
        parts.append(f"{whole} hour{'s' if whole != 1 else ''}")
    if rest or not whole:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _moment(moment: datetime, zone: object) -> str:
    local = moment.astimezone(zone)  # type: ignore[arg-type]
    return f"{local:%H:%M} on {local:%A %-d %B}"


def decision_clock(
    referral: Referral, *, now: datetime | None = None, calendar: WorkingCalendar | None = None
) -> Clock | None:
    """Time left to decide, or how late the decision is: in working hours, or on the clock for
    immediate risk. "Due soon" is the last quarter of the council's allowance. `calendar`: the
    referral's council's, when the caller has built it for a whole list."""
    if referral.status != Referral.Status.SENT or referral.decision_due_at is None:
        return None
    now = now or timezone.now()
    council = referral.council
    calendar = calendar or WorkingCalendar.for_council(council)
    due = referral.decision_due_at
    if referral.is_immediate:
        left, unit = (due - now).total_seconds() / 3600, ""
    else:
        left, unit = calendar.working_hours_between(now, due), "working "
    by = f"Decision due by {_moment(due, calendar.zone)}"
    of_time = " of working time" if unit else ""
    if now >= due:
        return Clock("overdue", f"{by}: overdue by {_duration(-left)}{of_time}")
    soon = left <= council.referral_decision_deadline_working_hours / 4
    return Clock("due_soon" if soon else "on_time", f"{by}: {_duration(left)}{of_time} left")


def pick_up_clock(
    step_down: StepDown, *, today: date | None = None, calendar: WorkingCalendar | None = None
) -> Clock | None:
    if step_down.status != StepDown.Status.WAITING:
        return None
    today = today or timezone.localdate()
    calendar = calendar or WorkingCalendar.for_council(step_down.council)
    due = step_down.pick_up_due_on
    by = f"Pick up by {due:%A %-d %B %Y}"
    if today > due:
        late = calendar.working_days_between(due, today)
        return Clock("overdue", f"{by}: overdue by {late} working day{'s' if late != 1 else ''}")
    left = calendar.working_days_between(today, due)
    if left == 0:
        return Clock("due_soon", f"{by}: due today")
    return Clock("due_soon" if left <= 1 else "on_time", f"{by}: {left} working day{'s' if left != 1 else ''} left")
