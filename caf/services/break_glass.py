"""Break-glass (issue 15; Settled question 24): a safeguarding opening of a child's record by someone
the council lists who may not otherwise see it, and the manager's review of each use.

Opening grants the person read access to each of the child's CAFs (grant reason "break_glass") and,
where the family excluded them or their agency, records the exception (basis "break_glass",
Settled question 10c); both end at the council's set hours, compared with now by every check, so
nothing waits on a job to end them. The CAF administrators and the person's reviewer are told at
once; the use waits in the reviewer's queue until it is marked justified or not.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import LocalAuthority, Notification, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, BreakGlass, Caf, Child, ExclusionException, GrantReason, SharingBasis
from caf.selectors import caf_administrators
from caf.services._common import manager_of
from core.errors import Refused

REASON_MAX = 2000


def break_glass_reviewer(user: User, council: LocalAuthority) -> User | None:
    """Who reviews a use: the person's agency manager, else the council's early help lead (Settled
    question 24); None when neither exists (the CAF administrators then review it)."""
    return manager_of(user, council)


@transaction.atomic
def break_glass_open(*, user: User, child: Child, reason: str, second_factor: bool) -> BreakGlass:
    """Open the child's record, read only, for the council's set hours. Refused (PermissionDenied) for
    anyone the council does not list, and (Refused) without the second factor or a reason."""
    council = LocalAuthority.objects.select_related("early_help_lead").get(pk=child.council_id)
    if not policies.may_break_glass(user, council):
        raise PermissionDenied("Break-glass is not open to you in this council.")
    if not second_factor:
        raise Refused("Sign in with your second factor (an authenticator code) to use break-glass.")
    reason = reason.strip()
    if not reason:
        raise Refused({"reason": "Enter why you need this child's record now"})
    if len(reason) > REASON_MAX:
        raise Refused({"reason": f"Reason must be {REASON_MAX:,} characters or fewer"})
    record = child.merged_into or child
    now = timezone.now()
    use = BreakGlass.objects.create(
        council=council,
        child=record,
        user=user,
        reason=reason,
        opened_at=now,
        ends_at=now + timedelta(hours=council.break_glass_hours),
        reviewer=break_glass_reviewer(user, council),
    )
    cafs = Caf.objects.filter(
        council=council, children__in=Child.objects.filter(Q(pk=record.pk) | Q(merged_into=record))
    )
    for caf in cafs.distinct().order_by("pk"):
        perms.grant_user(user, caf, perms.VIEW, reason=GrantReason.BREAK_GLASS, until=use.ends_at)
        if perms.is_excluded(user, caf):
            ExclusionException.objects.create(
                caf=caf,
                user=user,
                basis=SharingBasis.BREAK_GLASS,
                reason=reason,
                recorded_by=user,
                recorded_at=now,
                ended_at=use.ends_at,
            )
    until = timezone.localtime(use.ends_at)
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Opened the record with break-glass until {until:%H:%M}",
        child=record,
    )
    _tell(use, until)
    return use


def _tell(use: BreakGlass, until: datetime) -> None:
    who = f"{use.user} ({use.user.agency})"
    opened = timezone.localtime(use.opened_at)
    body = (
        f"{who} opened {use.child}'s record with break-glass at {opened:%H:%M on %-d %B %Y}, "
        f"read only until {until:%H:%M}. Their reason: {use.reason}"
    )
    review_url = reverse("caf:break_glass_review", args=[use.pk])
    people: dict[int, tuple[User, str]] = {}
    for administrator in caf_administrators(use.council_id):
        people[administrator.pk] = (administrator, reverse("caf:child_access_log", args=[use.child_id]))
    reviewers = [use.reviewer] if use.reviewer else caf_administrators(use.council_id)
    for reviewer in reviewers:
        people[reviewer.pk] = (reviewer, review_url)
    people.pop(use.user_id, None)
    for person, url in people.values():
        asked = url == review_url
        notification_record(
            recipient=person,
            kind=Notification.Kind.BREAK_GLASS_USED,
            subject_key=f"break_glass:{use.pk}",
            title=f"{use.child}'s record opened with break-glass",
            body=body + (" Please review whether it was justified." if asked else ""),
            url=url,
        )


@transaction.atomic
def break_glass_review(*, user: User, use: BreakGlass, justified: bool, note: str) -> BreakGlass:
    """Mark a use justified or not, once; "not justified" needs a note of why (what follows is the
    council's own procedure)."""
    use = BreakGlass.objects.select_for_update().select_related("council").get(pk=use.pk)
    if not policies.may_review_break_glass(user, use):
        raise PermissionDenied("You do not review this use of break-glass.")
    if use.review != BreakGlass.Review.WAITING:
        raise Refused(f"This use was already reviewed: {use.get_review_display().lower()}.")
    note = note.strip()
    if not justified and not note:
        raise Refused({"note": "Enter why it was not justified"})
    use.review = BreakGlass.Review.JUSTIFIED if justified else BreakGlass.Review.NOT_JUSTIFIED
    use.reviewed_by, use.reviewed_at, use.review_note = user, timezone.now(), note
    use.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_note"])
    access_log_write(
        user=user,
        action=AccessLog.Action.CHANGE,
        what=f"Reviewed a break-glass use: {use.get_review_display()}",
        child=use.child,
    )
    return use
