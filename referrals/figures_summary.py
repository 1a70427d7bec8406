"""The monthly summary of the council's figures (issue 16): e-mailed to the council's administrators and
its early help lead on the first working day of the month, about the month before, exactly once.

Exactly once is the notifications outbox's: one Notification per (person, kind, subject), the subject
naming the council and the month, under its unique constraint; sending is the outbox's (README:
"Notifications, exactly once"). Beat runs the job every hour: from the first working day to the end of
the month it records whatever is missing (a run missed while the service was down is made up by the
next; a council administrator added later in the month gets that month's summary then).

Exact counts go only to people who may see the council's figures (referrals.policies); anyone else
(an early help lead without one of those roles) gets each count rounded to the nearest 5 (Settled
question 22). The summary holds only whole-month totals, no breakdown, so no count can be worked out
from the others: rounding needs no secondary suppression here.
"""

import logging
from datetime import date, datetime
from urllib.parse import urlencode

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.urls import reverse

from accounts.calendar import WorkingCalendar
from accounts.models import LocalAuthority, Notification, Role, User
from accounts.notifications import notification_record
from referrals import policies
from referrals.selectors.council_figures import (
    CouncilFigures,
    FiguresFilters,
    FiguresPeriod,
    council_figures,
    rounded_to_5,
)

logger = logging.getLogger(__name__)


def first_working_day(month: date, calendar: WorkingCalendar) -> date:
    first = month.replace(day=1)
    return first if calendar.is_working_day(first) else calendar.next_working_day(first)


def summary_recipients(council: LocalAuthority) -> list[User]:
    """The council's council administrators and its early help lead, active, each once."""
    people = {
        person.pk: person
        for person in User.objects.filter(
            agency__council=council, is_active=True, groups__name=Role.COUNCIL_ADMINISTRATOR.value
        )
    }
    lead = council.early_help_lead
    if lead is not None and lead.is_active and lead.council_id == council.pk:
        people.setdefault(lead.pk, lead)
    return list(people.values())


def subject_key(council: LocalAuthority, month: date) -> str:
    return f"figures:{council.pk}:{month:%Y-%m}"


def figures_summaries_due(*, now: datetime) -> int:
    """Record each council's summary of last month for whoever has not had it; return how many were
    recorded. One council that fails is logged and skipped; the next run tries it again."""
    recorded = 0
    for council in LocalAuthority.objects.select_related("early_help_lead__agency").order_by("pk"):
        try:
            with transaction.atomic():
                recorded += _council_summary(council, now)
        except Exception:
            logger.exception(
                "The monthly figures of council %s were not recorded; the next run tries again", council.pk
            )
    return recorded


def _council_summary(council: LocalAuthority, now: datetime) -> int:
    calendar = WorkingCalendar.for_council(council)
    today = now.astimezone(calendar.zone).date()
    if today < first_working_day(today, calendar):
        return 0
    month = today.replace(day=1) - relativedelta(months=1)
    subject = subject_key(council, month)
    told = set(
        Notification.objects.filter(kind=Notification.Kind.MONTHLY_FIGURES, subject_key=subject).values_list(
            "recipient_id", flat=True
        )
    )
    waiting = [person for person in summary_recipients(council) if person.pk not in told]
    if not waiting:
        return 0
    shown = council_figures(council, period=FiguresPeriod(month, month), filters=FiguresFilters(), today=today)
    query = urlencode({"from_month": f"{month:%Y-%m}", "to_month": f"{month:%Y-%m}"})
    recorded = 0
    for person in waiting:
        exact = policies.may_see_council_figures(person, council.pk)
        made = notification_record(
            recipient=person,
            kind=Notification.Kind.MONTHLY_FIGURES,
            subject_key=subject,
            title=f"{council.name}: the figures for {month:%B %Y}",
            body=summary_body(shown, month, exact=exact),
            url=f"{reverse('referrals:council_figures')}?{query}" if exact else "",
        )
        recorded += made is not None
    return recorded


def summary_body(shown: CouncilFigures, month: date, *, exact: bool) -> str:
    """The month's totals in sentences: exact for those who may see the figures, else rounded to 5."""

    def total(name: str, column: int) -> int:
        figure = shown.figure(name)
        totals = figure.totals if figure is not None and figure.totals else []
        value = totals[column] if len(totals) > column else 0
        count = value if isinstance(value, int) else 0
        return count if exact else rounded_to_5(count)

    lines = [
        f"CAFs started: {total('cafs-started', -1)}",
        f"New CAFs (not reopened or picked up from a step-down): {total('cafs-started', 1)}",
        f"Referrals to children's social care sent: {total('referrals', 1)}",
        f"Of those, with a CAF: {total('referrals', 2)}",
        f"Step-downs to early help sent: {total('step-downs', 4)}",
        f"CAFs closed: {total('closures', 1)}",
    ]
    how = (
        "Exact counts, for the council's own use: do not publish them without rounding."
        if exact
        else "Each count is rounded to the nearest 5."
    )
    return f"The council's figures for {month:%B %Y} (calendar month, Europe/London). {how}\n\n" + "\n".join(lines)
