"""A CAF's life: starting one (or asking to join the family's), submitting the assessment (draft to
active), registering, closing and reopening as a new episode.
"""

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, Notification, Role, User
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Adult, Caf, CafChild, Child, GrantReason, ReviewDateChange, TeamAroundFamilyMember
from caf.policies import refuse_unless
from caf.selectors import sibling_candidates_for, submit_problems
from caf.services._common import locked, log_change, move, tell_caf_administrators
from caf.services.exclusions import excluded_by_family_of, exclusions_carry
from core.errors import Refused
from thresholds.models import ThresholdModel


@transaction.atomic
def caf_start(*, user: User, children: list[Child], adults: Iterable[Adult] = ()) -> Caf:
    """A practitioner starts a draft CAF for one child or a whole family, with the council's
    current threshold model. The initiator and their agency can see it from now on. The family's
    exclusions on its earlier CAFs come with it, so someone they excluded cannot start one."""
    if not user.is_active or user.agency_id is None:
        raise PermissionDenied("Only a council's staff can start a CAF.")
    if not children:
        raise Refused("Choose the child, or the children of the family, the CAF is for.")
    if any(child.council_id != user.council_id or child.merged_into_id for child in children):
        raise Refused("Choose children recorded in your council (not merged records).")
    if any(child.anonymised_at for child in children):
        raise Refused("This record was anonymised after its retention date: record the child again.")
    if excluded_by_family_of(user, children):
        raise Refused(
            "The family has asked that you or your agency do not see their assessment: contact the CAF administrator."
        )
    threshold_model = ThresholdModel.objects.published().filter(council_id=user.council_id).first()
    if threshold_model is None:
        raise Refused("Your council has no published threshold model yet. Ask your council administrator.")
    caf = Caf.objects.create(
        council_id=user.council_id,
        kind=Caf.Kind.FAMILY if len(children) > 1 else Caf.Kind.CHILD,
        initiating_agency_id=user.agency_id,
        initiated_by=user,
        threshold_model=threshold_model,
    )
    for child in children:
        CafChild.objects.create(caf=caf, child=child)
    # The household comes with the children: the adults recorded with any of them.
    caf.adults.set({*adults, *Adult.objects.filter(children__in=children)})
    exclusions_carry(caf, children)
    perms.grant_user(user, caf, perms.VIEW, perms.CHANGE, reason=GrantReason.INITIATOR)
    perms.grant_agency(user.agency, caf, reason=GrantReason.AGENCY_INVOLVED)
    log_change(user, caf, "Started a draft CAF")
    return caf


@transaction.atomic
def caf_children_add(*, user: User, caf: Caf, children: list[Child]) -> Caf:
    """Brothers and sisters join a draft CAF, which becomes a Family CAF: each with a level of their
    own to choose, the household adults recorded with them, and the family's exclusions on their
    earlier CAFs. A child joins the consent only when a consent names them (Settled question 11):
    until then the draft cannot be submitted."""
    caf = locked(caf)
    refuse_unless(policies.may_add_children(user, caf), "Only the practitioner building this draft CAF adds children.")
    if not children:
        raise Refused("Choose the brothers or sisters to add.")
    if any(child.council_id != caf.council_id or child.merged_into_id for child in children):
        raise Refused("Choose children recorded in your council (not merged records).")
    first = caf.caf_children.select_related("child").order_by("pk").first()
    may_add = sibling_candidates_for(user, first.child) if first else Child.objects.none()
    if may_add.filter(pk__in=[child.pk for child in children]).count() != len({child.pk for child in children}):
        raise Refused("Choose only brothers or sisters recorded that you may see.")
    already = set(caf.caf_children.values_list("child_id", flat=True))
    if any(child.pk in already for child in children):
        raise Refused("A child you chose is already in this CAF.")
    if excluded_by_family_of(user, children):
        raise Refused(
            "The family has asked that you or your agency do not see their assessment: contact the CAF administrator."
        )
    for child in children:
        CafChild.objects.create(caf=caf, child=child)
    caf.adults.add(*Adult.objects.filter(children__in=children).exclude(cafs=caf).distinct())
    exclusions_carry(caf, children)
    caf.kind = Caf.Kind.FAMILY
    caf.save(update_fields=["kind"])
    log_change(user, caf, "Added " + ", ".join(str(child) for child in children) + " to the CAF")
    return caf


@transaction.atomic
def caf_request_to_join(*, user: User, child: Child) -> int:
    """Settled question 18: a practitioner who finds a child already known to early help (a CAF they
    may not see) does not start a second CAF; the council's CAF administrators are asked to put
    them in touch with the lead professional (one request per person and child)."""
    if not user.is_active or user.agency_id is None or user.council_id != child.council_id:
        raise PermissionDenied("Only the council's staff can ask about a child.")
    cafs = Caf.objects.filter(children=child).exclude(status=Caf.Status.CLOSED)
    born = child.date_of_birth or child.expected_date_of_birth
    told = tell_caf_administrators(
        child.council_id,
        cafs,
        kind=Notification.Kind.CAF_REQUESTED,
        subject_key=f"caf-request:{child.pk}:{user.pk}",
        title=f"{user} ({user.agency}) asks to work with {child}",
        body=(
            f"{user} of {user.agency} found {child} (born {born:%-d %B %Y}), who is known to early help, and "
            "would like to work with the family. Put them in touch with the lead professional, who may invite "
            "them to the Team Around the Family with the family's consent."
        ),
        url=reverse("caf:child_detail", args=[child.pk]),
    )
    access_log_write(user=user, action=AccessLog.Action.VIEW, what="Asked the CAF administrator to join", child=child)
    return told


@transaction.atomic
def caf_submit(*, user: User, caf: Caf) -> Caf:
    """Draft to active: needs current consent, the assessment, and a level for every child. The
    initiator becomes the first member of the Team Around the Family."""
    caf = locked(caf)
    if caf.status != Caf.Status.DRAFT:
        move(caf, Caf.Status.ACTIVE)
    refuse_unless(policies.may_submit(user, caf), "Only the initiator submits the assessment.")
    problems = submit_problems(caf)
    if problems:
        raise Refused(problems)
    caf_activate(
        caf,
        by=user,
        first_member=caf.initiated_by,
        agency=caf.initiating_agency,
        role="Initiator",
        what="Submitted the assessment: the CAF is active",
    )
    return caf


def caf_activate(
    caf: Caf,
    *,
    by: User,
    first_member: User,
    agency: Agency | None,
    role: str,
    what: str,
    also_saved: Iterable[str] = (),
) -> None:
    """Draft to active (`CAF_MOVES`), the one way a CAF becomes active: the Team Around the Family forms
    with its first member, and with it the first review date (the council's review interval). The
    caller has locked the CAF and checked it may be submitted; `also_saved` names fields it changed."""
    move(caf, Caf.Status.ACTIVE)
    now = timezone.now()
    caf.activated_at = caf.assessment_submitted_at = now
    caf.next_review_on = timezone.localdate(now) + timedelta(weeks=caf.council.default_review_interval_weeks)
    caf.save(update_fields=["status", "activated_at", "assessment_submitted_at", "next_review_on", *also_saved])
    TeamAroundFamilyMember.objects.create(caf=caf, user=first_member, agency=agency, role=role, added_by=by)
    ReviewDateChange.objects.create(caf=caf, review_on=caf.next_review_on, reason="The TAF formed", changed_by=by)
    log_change(by, caf, what)


@transaction.atomic
def caf_register(*, user: User, caf: Caf, reference: str) -> Caf:
    """The CAF administrator's check of a newly active CAF, giving it the council's reference."""
    caf = locked(caf)
    refuse_unless(
        policies.is_caf_administrator(user, caf.council_id), "Only the council's CAF administrators may do this."
    )
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Only an active CAF is registered.")
    refuse_unless(policies.may_register(user, caf))
    if not reference.strip():
        raise Refused("Enter the council's reference for this CAF.")
    if Caf.objects.filter(council_id=caf.council_id, reference=reference.strip()).exclude(pk=caf.pk).exists():
        raise Refused("Another CAF already has this reference.")
    caf.reference = reference.strip()
    caf.registered_at = timezone.now()
    caf.registered_by = user
    caf.save(update_fields=["reference", "registered_at", "registered_by"])
    log_change(user, caf, f"Registered the CAF as {caf.reference}")
    return caf


@transaction.atomic
def caf_close_stepped_up(*, user: User, caf: Caf, summary: str) -> Caf:
    """For a council whose social care cases live in another system (LocalAuthority.social_worker_leads_caf
    cleared): the CAF closes as stepped up to children's social care when social care takes it on."""
    caf = locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers decide a step-up.")
    close(user=user, caf=caf, reason=Caf.ClosureReason.STEPPED_UP, summary=summary)
    log_change(user, caf, "Closed the CAF: stepped up to children's social care")
    return caf


def close(*, user: User, caf: Caf, reason: str, summary: str) -> None:
    move(caf, Caf.Status.CLOSED)
    caf.closed_at = timezone.now()
    caf.closed_by = user
    caf.closure_reason = reason
    caf.outcome_summary = summary.strip()
    caf.save(update_fields=["status", "closed_at", "closed_by", "closure_reason", "outcome_summary"])
    caf.lead_professionals.filter(ended_at__isnull=True).update(ended_at=caf.closed_at)
    perms.grants_at_closure(caf, closed_at=caf.closed_at)


@transaction.atomic
def caf_close(*, user: User, caf: Caf, reason: str, summary: str) -> Caf:
    caf = locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        move(caf, Caf.Status.CLOSED)  # refused with the lifecycle's message
    refuse_unless(policies.may_close(user, caf), "Only the lead professional or a CAF administrator closes a CAF.")
    if reason not in policies.CLOSURE_REASONS_BY_HAND:
        raise Refused("Choose why the CAF is closing.")
    if not summary.strip():
        raise Refused("Summarise the outcome for the family.")
    close(user=user, caf=caf, reason=reason, summary=summary)
    log_change(user, caf, f"Closed the CAF: {caf.get_closure_reason_display()}")
    return caf


@transaction.atomic
def caf_reopen(*, user: User, caf: Caf) -> Caf:
    """A CAF reopened after closure is a new episode, linked to the old one, with the same children:
    for its last lead professional, a CAF administrator, or its initiator while they still see it."""
    caf = locked(caf)
    if caf.status != Caf.Status.CLOSED:
        raise Refused("Only a closed CAF can be reopened.")
    if Caf.objects.filter(previous_episode=caf).exists():
        raise Refused("This CAF has already been reopened.")
    refuse_unless(
        policies.is_reopener(user, caf),
        "Only its last lead professional, its initiator or a CAF administrator reopens a CAF.",
    )
    episode = caf_start(
        user=user, children=list(caf.children.filter(merged_into__isnull=True)), adults=caf.adults.all()
    )
    episode.previous_episode = caf
    episode.save(update_fields=["previous_episode"])
    return episode
