"""The reminder jobs (issue 5): what each person must be told about reviews, plan actions and CAFs
still without a lead professional, found by a frequent tick (caf.tasks.reminders_tick).

Days are working days of the council's calendar (DESIGN.md, Settled question 8). Nothing here is
scheduled ahead with an ETA: every tick looks at today and records what is due by now, so a tick
missed while the service was down is made up by the next one.

Exactly once: each notification is recorded through accounts.notifications.notification_record,
unique per (recipient, kind, subject), so a tick that runs twice, two ticks at once, or a tick re-run
after a crash records nothing new. Each CAF is handled in its own short transaction holding its row
lock (SKIP LOCKED): two ticks take different CAFs and neither waits, and a review date being moved
(the reviews service locks the CAF too) is never reminded about half-way through the move.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import LocalAuthority, Notification, Role, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf.models import Caf, LeadProfessionalAssignment, PlanAction, Review

logger = logging.getLogger(__name__)
Kind = Notification.Kind
OPEN_ACTION = PlanAction.OPEN_STATUSES


def review_subject_key(caf: Caf) -> str:
    """What review reminders are about: the CAF and its review date (Caf.review_subject_key, the
    one place the key is built; moving the date cancels the old key's unsent reminders)."""
    if caf.next_review_on is None:
        raise ValueError(f"CAF {caf.pk} has no review date")
    return caf.review_subject_key(caf.next_review_on)


def action_subject_key(action: PlanAction) -> str:
    return f"action:{action.pk}:{action.due_on.isoformat()}"


def no_lead_subject_key(caf: Caf) -> str:
    return f"no-lead:{caf.pk}"


@dataclass(frozen=True)
class Notice:
    recipient: User
    kind: str
    subject_key: str
    title: str
    body: str
    url: str


def reminders_due(*, today: date) -> int:
    """Record every reminder due on or before `today` and not yet recorded; return how many were
    recorded. Safe to run at any time, as often as wanted, in parallel.

    One bad record never stops the tick: a CAF whose reminders cannot be worked out (a date at the
    edge of the calendar overflows) or a council whose settings are broken is logged with its id and
    skipped, each in its own savepoint, and every other CAF and council is still reminded. The next
    tick tries the skipped ones again."""
    recorded = 0
    for council in LocalAuthority.objects.select_related("early_help_lead").order_by("pk"):
        try:
            with transaction.atomic():  # a failed query must not poison the next council's
                calendar = WorkingCalendar.for_council(council)
                caf_ids = _cafs_needing_something(council, calendar, today)
                caf_administrators = (
                    list(
                        User.objects.filter(
                            agency__council=council, groups__name=Role.CAF_ADMINISTRATOR.value, is_active=True
                        )
                        .distinct()
                        .order_by("pk")
                    )
                    if caf_ids
                    else []
                )
        except Exception:
            logger.exception("Reminders: council %s skipped, its CAFs could not be listed", council.pk)
            continue
        for caf_id in sorted(caf_ids):
            try:
                recorded += _caf_remind(
                    caf_id, council=council, calendar=calendar, today=today, caf_administrators=caf_administrators
                )
            except Exception:
                logger.exception("Reminders: CAF %s (council %s) skipped, its reminders failed", caf_id, council.pk)
    return recorded


# Finding the CAFs: a cheap superset; the exact rules are applied under the lock ------------------


def _cafs_needing_something(council: LocalAuthority, calendar: WorkingCalendar, today: date) -> set[int]:
    active = Caf.objects.filter(council=council, status=Caf.Status.ACTIVE)

    # Reviews: reminders reach at most this far ahead; overdue ones stay until a review is recorded
    # (or the date moves), except those already escalated, the last thing that can happen to them.
    reach = calendar.add_working_days(today, max(council.review_reminder_working_days, 1))
    reviewed = Review.objects.filter(caf=OuterRef("pk"), due_on=OuterRef("next_review_on"))
    reviews = dict(
        active.filter(next_review_on__lte=reach).exclude(Exists(reviewed)).values_list("pk", "next_review_on")
    )
    escalated = set(
        Notification.objects.filter(
            kind=Kind.REVIEW_ESCALATED,
            subject_key__in=[Caf(pk=pk).review_subject_key(day) for pk, day in reviews.items()],
        ).values_list("subject_key", flat=True)
    )
    caf_ids = {pk for pk, day in reviews.items() if Caf(pk=pk).review_subject_key(day) not in escalated}

    # Actions due by the next working day (a reminder goes the working day before, or on the day).
    caf_ids |= set(
        PlanAction.objects.filter(
            caf__in=active, status__in=OPEN_ACTION, due_on__gte=today, due_on__lte=calendar.next_working_day(today)
        ).values_list("caf_id", flat=True)
    )

    # No lead professional: n working days are at least n calendar days, so nothing activated later
    # than this can be due yet.
    activated_before = datetime.combine(
        today - timedelta(days=council.no_lead_flag_working_days - 1), time.min, tzinfo=calendar.zone
    )
    current_lead = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True)
    flagged = Notification.objects.filter(
        kind=Kind.NO_LEAD_PROFESSIONAL,
        subject_key=Concat(Value("no-lead:"), Cast(OuterRef("pk"), CharField())),
    )
    caf_ids |= set(
        active.filter(activated_at__lt=activated_before)
        .exclude(Exists(current_lead))
        .exclude(Exists(flagged))
        .values_list("pk", flat=True)
    )
    return caf_ids


# One CAF, under its lock ----------------------------------------------------------------------------


def _caf_remind(
    caf_id: int,
    *,
    council: LocalAuthority,
    calendar: WorkingCalendar,
    today: date,
    caf_administrators: list[User],
) -> int:
    # Its own transaction (a savepoint inside a caller's): a failure undoes only this CAF's rows.
    with transaction.atomic():
        # Another tick holds it (and is doing this), or the reviews service is changing it: the next
        # tick, minutes away, looks again.
        caf = Caf.objects.select_for_update(skip_locked=True).filter(pk=caf_id, status=Caf.Status.ACTIVE).first()
        if caf is None:
            return 0
        caf.council = council
        people = _People.of(caf, caf_administrators)
        notices = [
            *_review_notices(caf, people, calendar, today),
            *_action_notices(caf, people, calendar, today),
            *_no_lead_notices(caf, people, calendar, today),
        ]
        if not notices:
            return 0
        # Only an optimisation (most ticks find everything already recorded): the unique constraint
        # behind notification_record is what makes each notification once.
        known = set(
            Notification.objects.filter(subject_key__in={notice.subject_key for notice in notices}).values_list(
                "recipient_id", "kind", "subject_key"
            )
        )
        # Nobody the family excluded is told about their CAF (issue 11): a named CAF administrator, an
        # agency manager or early help lead whose agency they excluded (one query for the CAF).
        excluded = perms.excluded_among({notice.recipient for notice in notices}, caf)
        recorded = 0
        for notice in notices:
            if (notice.recipient.pk, notice.kind, notice.subject_key) in known or notice.recipient.pk in excluded:
                continue
            row = notification_record(
                recipient=notice.recipient,
                kind=notice.kind,
                subject_key=notice.subject_key,
                title=notice.title[:200],
                body=notice.body,
                url=notice.url,
            )
            recorded += row is not None
        return recorded


@dataclass(frozen=True)
class _People:
    lead: User | None
    members: list[User]  # the current Team Around the Family
    caf_administrators: list[User]
    names: str  # the children's names, for every message

    @classmethod
    def of(cls, caf: Caf, caf_administrators: list[User]) -> "_People":
        current = caf.lead_professionals.filter(ended_at__isnull=True)
        assignment = current.select_related("user__agency__manager").first()
        members = [
            membership.user
            for membership in caf.taf_members.filter(left_at__isnull=True).select_related("user").order_by("pk")
        ]
        return cls(assignment.user if assignment else None, members, caf_administrators, caf.children_names)

    @property
    def lead_and_team(self) -> list[User]:
        return _distinct([self.lead, *self.members])

    def may_see(self, user: User) -> bool:
        # Only people who can open the CAF are told about it (a TAF member who left cannot).
        return user == self.lead or user in self.members


def _distinct(users: list[User | None]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _day(day: date) -> str:
    return f"{day:%A %-d %B %Y}"


def _caf_name(caf: Caf) -> str:
    return f"CAF {caf.reference or f'number {caf.pk}'}"


def _review_notices(caf: Caf, people: _People, calendar: WorkingCalendar, today: date) -> list[Notice]:
    review_on = caf.next_review_on
    if review_on is None or Review.objects.filter(caf=caf, due_on=review_on).exists():
        return []
    council = caf.council
    key = review_subject_key(caf)
    url = reverse("caf:caf_detail", args=[caf.pk])
    names, when = people.names, _day(review_on)
    notices: list[Notice] = []

    def tell(users: list[User], kind: str, title: str, body: str) -> None:
        notices.extend(Notice(user, kind, key, title, body, url) for user in _distinct(users))

    reminder_day = calendar.subtract_working_days(review_on, council.review_reminder_working_days)
    if reminder_day <= today < review_on:
        tell(
            people.lead_and_team,
            Kind.REVIEW_DUE,
            f"Team Around the Family review for {names} on {when}",
            f"The Team Around the Family review for {names} ({_caf_name(caf)}) is on {when}. "
            "Please come ready to say how your actions in the plan are going.",
        )
    if today == review_on:
        tell(
            people.lead_and_team,
            Kind.REVIEW_TODAY,
            f"Team Around the Family review for {names} today",
            f"The Team Around the Family review for {names} ({_caf_name(caf)}) is today, {when}.",
        )

    overdue_on = calendar.next_working_day(review_on)
    if today < overdue_on:
        return notices
    lead_line = (
        f"The lead professional is {people.lead}." if people.lead else "The CAF has no lead professional logged."
    )
    tell(
        [people.lead, *people.caf_administrators],
        Kind.REVIEW_OVERDUE,
        f"Review for {names} is overdue",
        f"The Team Around the Family review for {names} ({_caf_name(caf)}) was due on {when} and no review "
        f"has been recorded. {lead_line} Please record the review, or move the date with a reason.",
    )

    escalate_on = calendar.add_working_days(overdue_on, council.overdue_escalation_working_days)
    if today < escalate_on:
        return notices
    to, why = _escalation_to(people, council)
    tell(
        to,
        Kind.REVIEW_ESCALATED,
        f"Overdue review for {names} escalated to you",
        f"The Team Around the Family review for {names} ({_caf_name(caf)}) was due on {when} and is still not "
        f"recorded {council.overdue_escalation_working_days} working days after it became overdue. {lead_line} "
        f"{why}",
    )
    return notices


def _escalation_to(people: _People, council: LocalAuthority) -> tuple[list[User], str]:
    """The lead professional's agency manager, else the council's early help lead, else (saying so)
    the CAF administrators: an escalation is never lost for want of a name."""
    lead = people.lead
    agency = lead.agency if lead is not None and lead.agency_id else None
    manager = agency.manager if agency is not None else None
    if manager is not None and manager.is_active and manager != lead:
        return [manager], f"You are told as the manager of {agency}."
    early_help_lead = council.early_help_lead
    if early_help_lead is not None and early_help_lead.is_active:
        return [early_help_lead], f"You are told as {council}'s early help lead."
    return people.caf_administrators, (
        f"Neither the lead professional's agency has a manager nor {council} an early help lead, so this comes to "
        "the CAF administrators. A council administrator can name them in the administration pages."
    )


def _action_notices(caf: Caf, people: _People, calendar: WorkingCalendar, today: date) -> list[Notice]:
    notices = []
    url = reverse("caf:plan", args=[caf.pk])
    due = caf.actions.filter(status__in=OPEN_ACTION, due_on__gte=today).select_related("owner").order_by("pk")
    for action in due:
        if not calendar.previous_working_day(action.due_on) <= today <= action.due_on:
            continue
        owner = action.owner if action.owner and people.may_see(action.owner) else people.lead
        if owner is None or not owner.is_active:
            continue
        notices.append(
            Notice(
                owner,
                Kind.ACTION_DUE,
                action_subject_key(action),
                f"Action for {people.names} due on {_day(action.due_on)}",
                f"An action in the plan for {people.names} ({_caf_name(caf)}) is due on {_day(action.due_on)}: "
                f"{action.action}\nPlease update it in the plan when it is done.",
                url,
            )
        )
    return notices


def _no_lead_notices(caf: Caf, people: _People, calendar: WorkingCalendar, today: date) -> list[Notice]:
    if people.lead is not None or caf.activated_at is None:
        return []
    council = caf.council
    activated_on = timezone.localdate(caf.activated_at, calendar.zone)
    if today < calendar.add_working_days(activated_on, council.no_lead_flag_working_days):
        return []
    url = reverse("caf:caf_detail", args=[caf.pk])
    return [
        Notice(
            admin,
            Kind.NO_LEAD_PROFESSIONAL,
            no_lead_subject_key(caf),
            f"CAF for {people.names} has no lead professional",
            f"The CAF for {people.names} ({_caf_name(caf)}) became active on {_day(activated_on)} and, "
            f"{council.no_lead_flag_working_days} working days later, has no lead professional. Please log the "
            "lead professional the Team Around the Family agreed.",
            url,
        )
        for admin in _distinct(list(people.caf_administrators))
    ]
