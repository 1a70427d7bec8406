"""What caf asks of referrals through caf.hooks (registered in ReferralsConfig.ready): a child's
chronology events, whether a child was referred, a CAF's referrals, and the referrals and
step-downs of a subject access export.
"""

from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from accounts.models import FormDraft
from caf.hooks import ChronologyEvent
from caf.models import Caf, Child, SharingBasis
from caf.selectors.subject_access import drafts_section, name_normalised
from caf.subject_access import RecordDocument, Section, Subject, ThirdParties, Value, when
from referrals.models import Referral, StepDown, TimelineEntry


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


def subject_access_documents(subject: Subject) -> list[RecordDocument]:
    """For a subject access export (caf.hooks): each referral and step-down about the subject (naming
    the child, or from a CAF the adult is on), whole, with its timeline and unsaved forms; other
    children and the family's adults are marked as third parties. A fixed number of queries."""
    parties = subject.third_parties
    about = Q(caf__in=subject.caf_ids)
    if subject.child_ids:
        about |= Q(children__in=subject.child_ids)
    referrals = list(
        Referral.objects.filter(council_id=subject.council_id)
        .filter(pk__in=Referral.objects.filter(about).values("pk"))
        .select_related("referring_agency", "created_by", "claimed_by", "decided_by", "allocated_social_worker", "caf")
        .prefetch_related("children", "timeline__by")
        .order_by("created_at", "pk")
    )
    step_downs = list(
        StepDown.objects.filter(council_id=subject.council_id)
        .filter(pk__in=StepDown.objects.filter(about | Q(picked_up_caf__in=subject.caf_ids)).values("pk"))
        .select_related("sent_by", "picked_up_by", "declined_by", "picked_up_caf", "caf")
        .prefetch_related("children", "consent_agencies", "excluded_agencies", "excluded_people", "timeline__by")
        .order_by("sent_at", "pk")
    )
    drafts: dict[str, list[FormDraft]] = {}
    keys = [referral.record_key for referral in referrals]
    for draft in FormDraft.objects.filter(record__in=keys).select_related("user").order_by("saved_at", "pk"):
        drafts.setdefault(draft.record, []).append(draft)

    def free(text: str) -> Value:
        return Value(text, parties.named_in(text))

    def not_subject(name: str) -> bool:
        return not (subject.adult_name and name_normalised(name) == name_normalised(subject.adult_name))

    def children_answer(section: Section, children: list[Child]) -> None:
        others = any(child.pk not in subject.child_ids for child in children)
        section.answer("Children", ", ".join(str(child) for child in children), third_party=others)

    documents = []
    for referral in referrals:
        document = RecordDocument(f"referral-{referral.pk}.html", f"Referral {referral.pk} to children's social care")
        section = document.section("The referral")
        children_answer(section, list(referral.children.all()))
        section.answer("Status", referral.get_status_display())
        section.answer("Urgency", referral.get_urgency_display())
        section.answer("CAF attached", referral.caf or "")
        section.answer("Started", f"{when(referral.created_at)} by {referral.created_by} ({referral.referring_agency})")
        section.answer("Sent", when(referral.sent_at))
        section.answers.append(("The concern", free(referral.concern)))
        section.answers.append(("What has been tried", free(referral.tried)))
        section.answers.append(("The child's views", free(referral.views_of_child)))
        section.answers.append(
            (
                "The family's views",
                Value(referral.views_of_family, bool(referral.views_of_family) and not subject.adult_name),
            )
        )
        section.answer("The family knows", "" if referral.family_informed is None else referral.family_informed)
        section.answer("Basis", referral.basis_label)
        third = bool(referral.consent_given_by) and not_subject(referral.consent_given_by)
        section.answer("Consent given by", referral.consent_given_by, third_party=third)
        section.answer("Relationship", referral.consent_relationship, third_party=third)
        section.answers.append(("Why consent was not sought", free(referral.override_reason)))
        section.answer(
            "The front door was called", f"{referral.front_door_spoke_to} {referral.front_door_advice}".strip()
        )
        decision = document.section("The decision")
        decision.answer("Decision", referral.get_decision_display() if referral.decision else "Not decided yet")
        decision.answers.append(("Reasons", free(referral.decision_reasons)))
        decision.answers.append(("Advice to the referrer", free(referral.advice)))
        decision.answer("Allocated social worker", referral.allocated_social_worker or "")
        decision.answer(
            "Decided", f"{when(referral.decided_at)} by {referral.decided_by}" if referral.decided_at else ""
        )
        _timeline(document, list(referral.timeline.all()), parties)
        drafts_section(document, drafts.get(referral.record_key, []))
        documents.append(document)
    for step_down in step_downs:
        document = RecordDocument(f"step-down-{step_down.pk}.html", f"Step-down {step_down.pk} to early help")
        section = document.section("The step-down")
        children_answer(section, list(step_down.children.all()))
        section.answer("When", step_down.get_point_display())
        section.answer("Status", step_down.get_status_display())
        section.answer("Sent", f"{when(step_down.sent_at)} by {step_down.sent_by}")
        section.answers.append(("Why", free(step_down.reason)))
        section.answers.append(("Needs still open", free(step_down.open_needs)))
        # The social worker's own account of the family: theirs to review before release.
        section.answers.append(("The social worker's summary", Value(step_down.social_worker_summary, True)))
        third = not_subject(step_down.consent_given_by)
        section.answer("Consent given by", step_down.consent_given_by, third_party=third)
        section.answer("Relationship", step_down.consent_relationship, third_party=third)
        section.answer("Agencies", ", ".join(agency.name for agency in step_down.consent_agencies.all()))
        section.answer("Agencies excluded", ", ".join(agency.name for agency in step_down.excluded_agencies.all()))
        section.answer("People excluded", ", ".join(str(person) for person in step_down.excluded_people.all()))
        section.answer("Picked up into", step_down.picked_up_caf or "")
        section.answers.append(("Why declined", free(step_down.decline_reason)))
        _timeline(document, list(step_down.timeline.all()), parties)
        documents.append(document)
    return documents


def _timeline(document: RecordDocument, entries: list[TimelineEntry], parties: ThirdParties) -> None:
    section = document.section("Timeline", columns=["When", "Who", "What"])
    for entry in entries:
        section.row(when(entry.at), entry.by or "", Value(entry.what, parties.named_in(entry.what)))
