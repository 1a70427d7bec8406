"""Earlier referrals of the same children: the re-referral warning (sent in the 12 months before),
the front door's evidence (every earlier one), each shown only to whoever may see that referral,
and each showing logged.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.db.models import DateTimeField, Func, OuterRef, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from caf.access_log import access_log_write
from caf.models import AccessLog, Child
from referrals import policies
from referrals.models import Referral

REREFERRAL_MONTHS = 12


class _MonthsBefore(Func):
    template = "(%(expressions)s - interval '" + str(REREFERRAL_MONTHS) + " months')"
    output_field = DateTimeField()


def _with_earlier_referral(referrals: QuerySet[Referral]) -> QuerySet[Referral]:
    """Annotate each sent referral with the latest earlier one (sent in the 12 months before it)
    for any of the same children: its id, when it was sent, its status and decision."""
    earlier = (
        Referral.objects.filter(
            children__referrals=OuterRef("pk"),
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=OuterRef("sent_at"),
            sent_at__gte=_MonthsBefore(OuterRef("sent_at")),
        )
        .exclude(pk=OuterRef("pk"))
        .order_by("-sent_at", "-pk")
    )
    return referrals.annotate(
        earlier_id=Subquery(earlier.values("pk")[:1]),
        earlier_sent_at=Subquery(earlier.values("sent_at")[:1]),
        earlier_decision=Subquery(earlier.values("decision")[:1]),
    )


def earlier_outcome(decision: str) -> str:
    return Referral.Decision(decision).label if decision else "still awaiting a decision"


def referrals_within_a_year(children: list[Child], *, before: datetime, exclude: int | None = None) -> list[Referral]:
    """Referrals to social care sent in the 12 months before `before` for any of these children
    (their merged records too), newest first: the re-referral warning on the form and the page."""
    records = [child.pk for child in children] + list(
        Child.objects.filter(merged_into__in=children).values_list("pk", flat=True)
    )
    return list(
        Referral.objects.filter(
            children__in=records,
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=before,
            sent_at__gte=before - relativedelta(months=REREFERRAL_MONTHS),
        )
        .exclude(pk=exclude)
        # The CAF too: the pages ask referral_may_see of each one, which reads it.
        .select_related("referring_agency", "caf")
        .distinct()
        .order_by("-sent_at", "-pk")
    )


def previous_referrals(referral: Referral) -> QuerySet[Referral]:
    """Every earlier referral of these children, at any time, for the front door's evidence."""
    return (
        Referral.objects.filter(
            children__in=referral.children.all(),
            status__in=[Referral.Status.SENT, Referral.Status.DECIDED],
            sent_at__lt=referral.sent_at or timezone.now(),
        )
        .exclude(pk=referral.pk)
        .select_related("referring_agency", "decided_by")
        .distinct()
        .order_by("-sent_at", "-pk")
    )


@dataclass(frozen=True)
class EarlierReferral:
    """An earlier referral as the re-referral warning lists it: when, from whom, and the outcome."""

    referral: Referral
    sent_at: datetime | None
    outcome: str


def earlier_referrals(user: User, referrals: Iterable[Referral]) -> list[EarlierReferral]:
    """Only those the user may see (children's social care, and whoever already had access to that
    referral). Anyone else learns only that the front door will see the children's history."""
    return [
        EarlierReferral(referral=each, sent_at=each.sent_at, outcome=earlier_outcome(each.decision))
        for each in referrals
        if policies.may_see_earlier_referral(user, each)
    ]


def earlier_referrals_log(user: User, children: list[Child], *shown: list[EarlierReferral]) -> None:
    """Each showing of earlier referrals is logged: one row for the page, with the children's ids."""
    count = len({each.referral.pk for listed in shown for each in listed})
    if count:
        access_log_write(
            user=user,
            action=AccessLog.Action.VIEW,
            what=f"Viewed {count} earlier referral{'s' if count != 1 else ''} to children's social care",
            child_ids=[child.pk for child in children],
        )
