"""The deadlines of referrals and step-downs: when each is due (`decision_due_at`, `pick_up_due_on`,
`still_overdue_at`, in the council's working calendar), and the deadline job
(referrals.tasks.deadlines_tick): nothing can be left without a decision or a pick-up unnoticed
(DESIGN.md, rule 4).

- A referral still undecided when its decision deadline passes alerts the council's front-door
  managers; if it is still undecided one more deadline later, they are alerted again. Each
  threshold is crossed, and alerted, once.
- A step-down not picked up by its last working day is chased with the CAF administrators and the
  council's early help lead.

Like the reminders (caf.reminders), every tick looks at now and records what is due by now, so a
tick missed while the service was down is made up by the next. Exactly once: each notification is
recorded through accounts.notifications.notification_record, unique per (recipient, kind,
subject); each referral or step-down is handled under its row lock taken with SKIP LOCKED, so a
decision being recorded (referral_decide locks the row too) is never alerted about half-way.
"""

import logging
from datetime import date, datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import LocalAuthority, Notification, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf.selectors import caf_administrators
from referrals.models import Referral, StepDown, TimelineEntry
from referrals.selectors import front_door_managers

logger = logging.getLogger(__name__)
Kind = Notification.Kind


def deadlines_due(*, now: datetime) -> int:
    """Record every deadline alert due by `now` and not yet recorded; return how many were recorded.
    Safe to run at any time, as often as wanted, in parallel.

    One bad record never stops the tick: a referral or step-down whose alert cannot be worked out
    (a date at the edge of the calendar, a council's broken setting) is logged with its id and
    skipped, in its own savepoint, and every other one is still alerted; the next tick tries again."""
    recorded = 0
    overdue_referrals = Referral.objects.filter(status=Referral.Status.SENT, decision_due_at__lte=now)
    for referral_id in overdue_referrals.order_by("decision_due_at", "pk").values_list("pk", flat=True):
        try:
            recorded += _referral_alert(referral_id, now=now)
        except Exception:
            logger.exception("Deadlines: referral %s skipped, its alert failed", referral_id)
    waiting = StepDown.objects.filter(status=StepDown.Status.WAITING, pick_up_due_on__lt=timezone.localdate(now))
    for step_down_id in waiting.order_by("pick_up_due_on", "pk").values_list("pk", flat=True):
        try:
            recorded += _step_down_chase(step_down_id, now=now)
        except Exception:
            logger.exception("Deadlines: step-down %s skipped, its chase failed", step_down_id)
    return recorded


def decision_due_at(referral: Referral, sent_at: datetime) -> datetime:
    """Settled question 8: the council's deadline in working hours ("one working day" ends at the same
    time on the next working day). Immediate risk is never held to office hours: its written
    referral is due the same number of hours later on the clock, nights and weekends included."""
    council = referral.council
    hours = council.referral_decision_deadline_working_hours
    if referral.urgency == Referral.Urgency.IMMEDIATE:
        return sent_at + timedelta(hours=hours)
    return WorkingCalendar.for_council(council).add_working_hours(sent_at, hours)


def pick_up_due_on(council: LocalAuthority, sent_at: datetime) -> date:
    """The last working day for early help to pick a step-down up (the council's setting)."""
    calendar = WorkingCalendar.for_council(council)
    return calendar.add_working_days(timezone.localdate(sent_at, calendar.zone), council.step_down_pick_up_working_days)


def still_overdue_at(referral: Referral) -> datetime:
    """The second threshold: one more of the council's deadlines after the first (working hours, or
    clock hours for immediate risk, as the deadline itself)."""
    if referral.decision_due_at is None:
        raise ValueError(f"Referral {referral.pk} has no decision deadline: it was never sent")
    hours = referral.council.referral_decision_deadline_working_hours
    if referral.is_immediate:
        return referral.decision_due_at + timedelta(hours=hours)
    return WorkingCalendar.for_council(referral.council).add_working_hours(referral.decision_due_at, hours)


def _referral_alert(referral_id: int, *, now: datetime) -> int:
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("council", "referring_agency", "claimed_by")
            .filter(pk=referral_id, status=Referral.Status.SENT)
            .first()
        )
        if referral is None:  # decided meanwhile, or another tick holds it
            return 0
        names = ", ".join(f"{child.first_name} {child.last_name}" for child in referral.children.all())
        due = timezone.localtime(referral.decision_due_at, WorkingCalendar.for_council(referral.council).zone)
        holder = f" {referral.claimed_by} has claimed it." if referral.claimed_by else " Nobody has claimed it."
        managers = front_door_managers(referral.council_id)
        thresholds = [
            (
                referral.decision_due_at,
                Kind.REFERRAL_OVERDUE,
                "overdue",
                f"Referral for {names} is past its decision deadline",
                f"The referral for {names} from {referral.referring_agency} was due a decision by "
                f"{due:%H:%M on %A %-d %B} and has none.{holder} Please decide it now.",
                "Decision deadline passed: the front-door managers were alerted",
            ),
            (
                still_overdue_at(referral),
                Kind.REFERRAL_STILL_OVERDUE,
                "still-overdue",
                f"Referral for {names} is still waiting for a decision",
                f"The referral for {names} from {referral.referring_agency} was due a decision by "
                f"{due:%H:%M on %A %-d %B} and, a further "
                f"{referral.council.referral_decision_deadline_working_hours} hours later, still has none."
                f"{holder} Please decide it now.",
                "Still undecided a further deadline later: the front-door managers were alerted again",
            ),
        ]
        recorded = 0
        for crossed_at, kind, key, title, body, history in thresholds:
            if now < crossed_at:
                break
            recorded += _alert(
                managers,
                kind=kind,
                subject_key=f"referral:{referral.pk}:{key}",
                title=title,
                body=body,
                url=reverse("referrals:referral_detail", args=[referral.pk]),
                history=history,
                timeline={"referral": referral},
                at=now,
            )
        return recorded


def _step_down_chase(step_down_id: int, *, now: datetime) -> int:
    with transaction.atomic():
        step_down = (
            StepDown.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("council__early_help_lead", "caf")
            .filter(pk=step_down_id, status=StepDown.Status.WAITING)
            .first()
        )
        if step_down is None:
            return 0
        council = step_down.council
        names = ", ".join(f"{child.first_name} {child.last_name}" for child in step_down.children.all())
        people = [*caf_administrators(council.pk), council.early_help_lead]
        if step_down.caf_id is not None:  # nobody the family excluded is told about them (issue 11)
            excluded = perms.excluded_among([person for person in people if person], step_down.caf)
            people = [person for person in people if person is not None and person.pk not in excluded]
        return _alert(
            people,
            kind=Kind.STEP_DOWN_OVERDUE,
            subject_key=f"step-down:{step_down.pk}:overdue",
            title=f"Step-down of {names} not picked up in time",
            body=(
                f"Children's social care stepped {names} down to early help on "
                f"{timezone.localtime(step_down.sent_at):%A %-d %B}. It was due to be picked up by "
                f"{step_down.pick_up_due_on:%A %-d %B} and is still waiting: help for the family may have "
                "stopped. Please pick it up, or record that the family declined."
            ),
            url=reverse("referrals:step_down_detail", args=[step_down.pk]),
            history="Not picked up in time: the CAF administrators and the early help lead were alerted",
            timeline={"step_down": step_down},
            at=now,
        )


def _alert(
    people: list[User | None],
    *,
    kind: str,
    subject_key: str,
    title: str,
    body: str,
    url: str,
    history: str,
    timeline: dict[str, object],
    at: datetime,
) -> int:
    recorded = 0
    seen: set[int] = set()
    for person in people:
        if person is None or not person.is_active or person.pk in seen:
            continue
        seen.add(person.pk)
        recorded += (
            notification_record(recipient=person, kind=kind, subject_key=subject_key, title=title, body=body, url=url)
            is not None
        )
    # The timeline says so once, when the threshold is first alerted (under the row lock).
    if recorded and not TimelineEntry.objects.filter(what=history, **timeline).exists():
        TimelineEntry.objects.create(at=at, what=history, **timeline)
    return recorded
