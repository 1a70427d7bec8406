"""What caf asks of referrals through caf.hooks (registered in ReferralsConfig.ready): a child's
chronology events, whether a child was referred, and a CAF's referrals.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from caf.hooks import ChronologyEvent
from caf.models import Caf, SharingBasis
from referrals.models import Referral, StepDown


def chronology_events(cafs: dict[int, Caf]) -> Iterator[ChronologyEvent]:
    """A child's chronology, from the CAFs the user may see (by id): the referrals they were
    attached to and the step-downs from or into them. Two queries whatever the history's length."""
    for referral in Referral.objects.filter(caf__in=list(cafs)).select_related("referring_agency"):
        caf = cafs[referral.caf_id]
        started = "Referral to children's social care started"
        if referral.basis:
            started += f" ({referral.basis_label.lower()})"
        yield ChronologyEvent(referral.created_at, started, caf)
        if referral.sent_at:
            yield ChronologyEvent(
                referral.sent_at, f"Referral sent to children's social care by {referral.referring_agency}", caf
            )
        if referral.decided_at:
            yield ChronologyEvent(
                referral.decided_at, f"Children's social care decided: {referral.get_decision_display()}", caf
            )
    for step_down in StepDown.objects.filter(Q(caf__in=list(cafs)) | Q(picked_up_caf__in=list(cafs))):
        caf = cafs.get(step_down.picked_up_caf_id) or cafs[step_down.caf_id]
        yield ChronologyEvent(step_down.sent_at, f"Stepped down to early help, {step_down.point_phrase}", caf)
        if step_down.picked_up_at:
            yield ChronologyEvent(step_down.picked_up_at, "Step-down picked up by early help", caf)
        if step_down.declined_at:
            yield ChronologyEvent(step_down.declined_at, "The family declined early help", caf)


def child_referred(records: QuerySet[Any]) -> bool:
    """Whether one of these child records (a child and its merged records) was referred to
    children's social care: a sent referral, decided or not (a draft is not a referral yet)."""
    return Referral.objects.filter(children__in=records).exclude(status=Referral.Status.DRAFT).exists()


def caf_referrals(caf: Caf, safeguarding_override: bool = False) -> QuerySet[Referral]:
    """The referrals a CAF is attached to, newest first; only those started by a safeguarding
    override when asked (the override's pages)."""
    referrals = Referral.objects.filter(caf=caf).order_by("-created_at")
    if safeguarding_override:
        referrals = referrals.filter(basis=SharingBasis.SAFEGUARDING_OVERRIDE)
    return referrals
