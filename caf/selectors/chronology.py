"""A child's chronology: every event of every CAF and record of the child, from each app's event source."""

from datetime import datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from accounts.models import User
from caf import hooks
from caf import permissions as perms
from caf.hooks import ChronologyEvent
from caf.models import (
    Caf,
    Child,
    Consent,
    ExclusionException,
    LeadProfessionalAssignment,
    LevelChange,
    SharingDecision,
    TeamAroundFamilyMember,
)


def child_chronology(user: User, child: Child) -> list[ChronologyEvent]:
    """Everything significant about a child, in time order, derived from the records (never typed
    twice): CAFs opened, activated, registered and closed, consent, level changes, TAF joins and
    leaves, lead professional changes, decisions to share without consent or not to share, the
    exceptions to the family's exclusions, and the events of the apps above caf (referrals and
    step-downs, through caf.hooks). Only from the CAFs the user may see; the
    child's merged records are included. A fixed number of queries whatever the history's length."""
    records = [child.pk, *child.merged_records.values_list("pk", flat=True)]
    cafs = list(
        perms.cafs_visible_among(user, Caf.objects.filter(children__in=records))
        .distinct()
        .select_related("initiated_by", "initiating_agency", "registered_by", "closed_by")
    )
    caf_ids = [caf.pk for caf in cafs]
    by_id = {caf.pk: caf for caf in cafs}
    events: list[ChronologyEvent] = []
    for caf in cafs:
        events.append(
            ChronologyEvent(caf.created_at, f"CAF started by {caf.initiated_by} ({caf.initiating_agency})", caf)
        )
        if caf.activated_at:
            events.append(ChronologyEvent(caf.activated_at, "Assessment submitted: the CAF became active", caf))
        if caf.registered_at:
            events.append(ChronologyEvent(caf.registered_at, f"Registered as {caf.reference}", caf))
        if caf.closed_at:
            events.append(ChronologyEvent(caf.closed_at, f"CAF closed: {caf.get_closure_reason_display()}", caf))
    for consent in Consent.objects.filter(caf__in=caf_ids):
        events.append(
            ChronologyEvent(
                consent.recorded_at,
                f"Consent given by {consent.given_by} ({consent.relationship})",
                by_id[consent.caf_id],
            )
        )
        if consent.withdrawn_on:
            events.append(
                ChronologyEvent(
                    datetime.combine(consent.withdrawn_on, datetime.min.time(), tzinfo=consent.recorded_at.tzinfo),
                    f"Consent withdrawn: {consent.withdrawal_reason}",
                    by_id[consent.caf_id],
                )
            )
    for change in LevelChange.objects.filter(child__in=records, caf_child__caf__in=caf_ids).select_related(
        "level", "changed_by", "caf_child"
    ):
        reason = f" ({change.reason})" if change.reason else ""
        events.append(
            ChronologyEvent(
                change.changed_at,
                f"Level of need set to {change.level.label} by {change.changed_by}{reason}",
                by_id[change.caf_child.caf_id],
            )
        )
    for member in TeamAroundFamilyMember.objects.filter(caf__in=caf_ids).select_related("user", "agency"):
        events.append(
            ChronologyEvent(member.joined_at, f"{member.user} ({member.agency}) joined the TAF", by_id[member.caf_id])
        )
        if member.left_at:
            events.append(
                ChronologyEvent(member.left_at, f"{member.user} ({member.agency}) left the TAF", by_id[member.caf_id])
            )
    events.extend(
        ChronologyEvent(lead.started_at, f"{lead.user} became lead professional", by_id[lead.caf_id])
        for lead in LeadProfessionalAssignment.objects.filter(caf__in=caf_ids).select_related("user")
    )
    for decision in SharingDecision.objects.filter(caf__in=caf_ids).select_related("agency", "recorded_by"):
        if decision.decision == SharingDecision.Decision.SHARED:
            text = f"{decision.recorded_by} shared the CAF with {decision.agency}: {decision.get_basis_display()}"
        else:
            asked = f" (asked by {decision.asked_by})" if decision.asked_by else ""
            text = (
                f"{decision.recorded_by} decided not to share with {decision.agency}{asked}: "
                f"{decision.get_why_not_display()}"
            )
        events.append(ChronologyEvent(decision.recorded_at, text, by_id[decision.caf_id]))
    events.extend(
        ChronologyEvent(
            exception.recorded_at,
            f"{exception.agency or exception.user} may see the CAF despite the family's exclusion: "
            f"{exception.get_basis_display()}",
            by_id[exception.caf_id],
        )
        for exception in ExclusionException.objects.filter(caf__in=caf_ids).select_related("agency", "user")
    )
    events.extend(_former_cafs(user, records))
    # The apps above caf add theirs (referrals: referrals and step-downs), registered in caf.hooks.
    events.extend(hooks.chronology_events(by_id))
    events.sort(key=lambda event: event.at)
    return events


def _former_cafs(user: User, records: list[int]) -> list[ChronologyEvent]:
    """The child's CAFs the user once had and no longer has (closed past the council's period, or a
    decided referral's): only that they exist, their dates and the lead professional's agency
    (Settled question 12). One query."""
    last_lead_agency = (
        LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"))
        .order_by("-started_at")
        .values("user__agency__name")[:1]
    )
    former = (
        perms.cafs_once_visible_among(user, Caf.objects.filter(children__in=records))
        .distinct()
        .annotate(lead_agency=Subquery(last_lead_agency))
        .values("created_at", "closed_at", "lead_agency")
    )
    events = []
    for caf in former:
        ended = f" to {timezone.localdate(caf['closed_at']):%-d %B %Y}" if caf["closed_at"] else ""
        led = f", lead professional's agency: {caf['lead_agency']}" if caf["lead_agency"] else ""
        events.append(
            ChronologyEvent(
                caf["created_at"],
                f"A CAF from {timezone.localdate(caf['created_at']):%-d %B %Y}{ended}{led}. "
                "You no longer have access: ask the CAF administrator",
            )
        )
    return events
