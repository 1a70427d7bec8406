"""What every referrals service shares: the two lifecycles as tables (`REFERRAL_MOVES`,
`STEP_DOWN_MOVES`) and the one way to move along them (`_move`: any other move is refused with a
message a person can act on), the timeline entry written in the same transaction as the change,
telling people once each (`_tell`, through accounts.notifications), and the row locks a change
takes first.
"""

from collections.abc import Iterable

from accounts.models import Notification, User
from accounts.notifications import notification_record
from core.errors import Refused
from referrals.models import Referral, StepDown, TimelineEntry

REFERRAL_MOVES = {
    (Referral.Status.DRAFT, Referral.Status.SENT): "send the referral to children's social care",
    (Referral.Status.SENT, Referral.Status.DECIDED): "record the front door's decision",
}
STEP_DOWN_MOVES = {
    (StepDown.Status.WAITING, StepDown.Status.PICKED_UP): "pick up into a CAF (a lead professional still to log)",
    (StepDown.Status.WAITING, StepDown.Status.COMPLETED): "pick up into a CAF that has a lead professional",
    (StepDown.Status.PICKED_UP, StepDown.Status.COMPLETED): "log the lead professional of the CAF picked up into",
    (StepDown.Status.WAITING, StepDown.Status.DECLINED): "record that the family declined early help",
}

Kind = Notification.Kind


def _move(record: Referral | StepDown, to: str, moves: dict[tuple[str, str], str]) -> None:
    if (record.status, to) not in moves:
        raise Refused(
            f"This is {record.get_status_display().lower()}, so it cannot become "
            f"{type(record).Status(to).label.lower()}."
        )
    record.status = to


def _timeline(
    *, by: User | None, what: str, referral: Referral | None = None, step_down: StepDown | None = None
) -> None:
    TimelineEntry.objects.create(referral=referral, step_down=step_down, by=by, what=what[:300])


def _distinct_active(users: Iterable[User | None]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active:
            seen.setdefault(user.pk, user)
    return list(seen.values())


def _tell(users: Iterable[User | None], *, kind: str, subject_key: str, title: str, body: str, url: str) -> None:
    for user in _distinct_active(users):
        notification_record(recipient=user, kind=kind, subject_key=subject_key, title=title[:200], body=body, url=url)


def _locked_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("council", "caf").get(pk=referral.pk)


def _locked_step_down(step_down: StepDown) -> StepDown:
    return (
        StepDown.objects.select_for_update(of=("self",))
        .select_related("council", "caf", "referral")
        .get(pk=step_down.pk)
    )
