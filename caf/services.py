"""Every change to a child's record. Each service checks who may make it, changes the state in one
transaction, grants or revokes access in the same transaction, and writes the access log.

The CAF's lifecycle is the table `CAF_MOVES`: draft -> active (consent and a submitted assessment)
-> closed; a closed CAF is reopened as a new episode linked to the old one.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, AgencyType, LocalAuthority, Notification, Role, User
from accounts.notifications import notification_record, notifications_cancel
from caf import hooks, policies
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.models import (
    AccessLog,
    Adult,
    AssessmentEntry,
    Caf,
    CafChild,
    Child,
    Consent,
    ExclusionException,
    FamilyExclusion,
    LeadProfessionalAssignment,
    LevelChange,
    PlanAction,
    Review,
    ReviewActionProgress,
    ReviewDateChange,
    SharingBasis,
    TeamAroundFamilyMember,
)
from core.date_bounds import ACTION_DUE, CONSENT, NEXT_REVIEW, REVIEW_HELD, out_of_bounds
from core.errors import Refused
from thresholds.classifier import Answers, Result, classify
from thresholds.models import Indicator, Level, ThresholdModel
from thresholds.selectors import model_snapshot

CAF_MOVES = {
    # ... or pick up a step-down from social care, which carries the consent and the assessment.
    (Caf.Status.DRAFT, Caf.Status.ACTIVE): "submit the assessment with the family's consent",
    (Caf.Status.ACTIVE, Caf.Status.CLOSED): "close the CAF",
}


def _move(caf: Caf, to: str) -> None:
    if (caf.status, to) not in CAF_MOVES:
        raise Refused(
            f"This CAF is {caf.get_status_display().lower()}, so it cannot become {Caf.Status(to).label.lower()}."
        )
    caf.status = to


def _refuse_unless(allowed: bool, message: str = "You do not have access to change this CAF.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _locked(caf: Caf) -> Caf:
    return Caf.objects.select_for_update().get(pk=caf.pk)


def _log_change(user: User, caf: Caf, what: str) -> None:
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what=what, caf=caf)


# Children -----------------------------------------------------------------------------------------


@transaction.atomic
def child_create(*, user: User, **fields: Any) -> Child:
    if user.council_id is None:
        raise PermissionDenied("Only a council's staff can record a child.")
    fields["postcode"] = fields.get("postcode", "").strip().upper()
    fields["nhs_number"] = fields.get("nhs_number", "").replace(" ", "")
    child = Child(council_id=user.council_id, created_by=user, **fields)
    child.full_clean()
    child.save()
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what="Recorded the child", child=child)
    return child


@transaction.atomic
def child_merge(*, user: User, keep: Child, duplicate: Child) -> Child:
    """A CAF administrator merges a duplicate record into the one to keep. Both stay, with every
    CAF, consent and level of each: the duplicate points at the kept record, and the kept record's
    chronology includes the duplicate's."""
    if not (policies.may_merge_children(user, keep.council_id) and keep.council_id == duplicate.council_id):
        raise PermissionDenied("Only the council's CAF administrators may merge records.")
    if keep.pk == duplicate.pk:
        raise Refused("Choose two different records to merge.")
    keep, duplicate = (Child.objects.select_for_update().get(pk=pk) for pk in (keep.pk, duplicate.pk))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise Refused("One of these records has already been merged. Merge into the record it was merged into.")
    duplicate.merged_into = keep
    duplicate.merged_at = timezone.now()
    duplicate.merged_by = user
    duplicate.save(update_fields=["merged_into", "merged_at", "merged_by"])
    Child.objects.filter(merged_into=duplicate).update(merged_into=keep)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what=f"Merged record {duplicate.pk} into this one", child=keep
    )
    return keep


# Starting a CAF -----------------------------------------------------------------------------------


def _family_exclusions(children: Iterable[Child]) -> QuerySet[FamilyExclusion]:
    """The exclusions in force on any CAF of these children (or of records merged with them): the
    family's decisions follow them into every later CAF (Settled question 11)."""
    records = Child.objects.filter(Q(pk__in=[c.pk for c in children]) | Q(merged_into__in=[c.pk for c in children]))
    return FamilyExclusion.objects.filter(caf__children__in=records, lifted_at__isnull=True).distinct()


def _excluded_by_family_of(user: User, children: Iterable[Child]) -> bool:
    return _family_exclusions(children).filter(Q(user=user) | Q(agency_id=user.agency_id)).exists()


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
    if _excluded_by_family_of(user, children):
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
    _exclusions_carry(caf, children)
    perms.grant_user(user, caf, perms.VIEW, perms.CHANGE)
    perms.grant_agency(user.agency, caf)
    _log_change(user, caf, "Started a draft CAF")
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
    told = _tell_caf_administrators(
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


def _exclusions_carry(caf: Caf, children: Iterable[Child]) -> None:
    seen: set[tuple[int | None, int | None]] = set()
    for exclusion in _family_exclusions(children).exclude(caf=caf).order_by("recorded_at", "pk"):
        target = (exclusion.agency_id, exclusion.user_id)
        if target in seen:
            continue
        seen.add(target)
        FamilyExclusion.objects.create(
            caf=caf,
            agency_id=exclusion.agency_id,
            user_id=exclusion.user_id,
            origin_id=exclusion.origin_id or exclusion.pk,
            made_by=exclusion.made_by,
            recorded_by_id=exclusion.recorded_by_id,
            recorded_at=exclusion.recorded_at,
        )


# Consent and the family's exclusions --------------------------------------------------------------


def current_consent(caf: Caf) -> Consent | None:
    """The newest consent in force (of any person)."""
    return Consent.objects.current().filter(caf=caf).order_by("-recorded_at", "-pk").first()


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _consent_replace(caf: Caf, given_by: str, replaces: Consent | None) -> Consent | None:
    """Consent is per person: a person's new consent replaces their consent in force (the one the
    form changed, or the one given in the same name); another person's stays in force beside it."""
    if replaces is None:
        replaces = next(
            (each for each in Consent.objects.current().filter(caf=caf) if _same_person(each.given_by, given_by)),
            None,
        )
    elif replaces.caf_id != caf.pk or not replaces.is_current:
        raise Refused("This consent has changed since you opened the form: start again from the CAF.")
    if replaces is not None:
        replaces.replaced_at = timezone.now()
        replaces.save(update_fields=["replaced_at"])
    return replaces


def _exclusions_add(
    *,
    user: User,
    caf: Caf,
    made_by: str,
    agencies: Iterable[Agency] = (),
    people: Iterable[User] = (),
    consent: Consent | None = None,
) -> list[FamilyExclusion]:
    """New exclusions in force on this CAF and on every other CAF of the family's children."""
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    have_agencies = set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    have_people = set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    targets = [{"agency": agency} for agency in agencies if agency.pk not in have_agencies]
    targets += [{"user": person} for person in people if person.pk not in have_people]
    family_cafs = list(
        Caf.objects.filter(children__in=caf.children.all()).exclude(pk=caf.pk).distinct().values_list("pk", flat=True)
    )
    added = []
    for target in targets:
        origin = FamilyExclusion.objects.create(
            caf=caf, consent=consent, made_by=made_by.strip(), recorded_by=user, **target
        )
        added.append(origin)
        key = {"agency_id": origin.agency_id} if origin.agency_id else {"user_id": origin.user_id}
        for other in family_cafs:
            if not FamilyExclusion.objects.filter(caf_id=other, lifted_at__isnull=True, **key).exists():
                FamilyExclusion.objects.create(
                    caf_id=other, origin=origin, made_by=origin.made_by, recorded_by=user, **target
                )
    return added


def _exclusion_targets_check(caf: Caf, agencies: set[Agency], people: set[User]) -> None:
    if any(agency.council_id != caf.council_id for agency in agencies):
        raise Refused("Choose agencies of this council.")
    if any(person.council_id != caf.council_id for person in people):
        raise Refused("Choose people of this council.")
    if any(agency.agency_type == AgencyType.EARLY_HELP for agency in agencies):
        # Settled question 16: the council's early help team keeps the record; the family names people.
        raise Refused(
            "The family cannot exclude the council's early help team, which keeps the record: "
            "name the people they do not want to see it instead."
        )


def _sharing_enforce(*, user: User, caf: Caf, why: str) -> list[TeamAroundFamilyMember]:
    """After the family's consent changed: everyone the family excluded, or whose agency no consent
    in force covers, leaves the team and loses their access, in this transaction. Settled question
    10(b): the allocated social worker of social-work-led support, and anyone else with a recorded
    exception, stays. A lead professional who leaves sends the CAF back to "needs a lead
    professional", and the CAF administrators are told."""
    if caf.status != Caf.Status.ACTIVE:
        return []
    in_scope = set(policies.sharing_agencies(caf).values_list("pk", flat=True))
    excepted_people = set(
        ExclusionException.objects.filter(caf=caf, ended_at__isnull=True, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    social_work_lead = (
        caf.lead_professionals.filter(ended_at__isnull=True, social_work_led=True).select_related("user").first()
    )
    if social_work_lead is not None:
        social_worker = social_work_lead.user
        excepted_people.add(social_worker.pk)
        if perms.is_excluded(social_worker, caf):
            # The social care manager decides such a request; until then the allocated worker keeps the record.
            by_name = FamilyExclusion.objects.filter(caf=caf, user=social_worker, lifted_at__isnull=True).exists()
            exclusion_exception_record(
                user=user,
                caf=caf,
                basis=SharingBasis.SOCIAL_WORK_LED,
                reason=(
                    "The allocated social worker leads the support: "
                    "the social care manager decides the family's request"
                ),
                **({"person": social_worker} if by_name else {"agency": social_worker.agency}),
            )
    ended = []
    for membership in caf.taf_members.filter(left_at__isnull=True).select_related("user", "agency", "caf"):
        if membership.user_id in excepted_people:
            continue
        if membership.agency_id in in_scope and not perms.is_excluded(membership.user, caf):
            continue
        was_lead = policies.is_lead_professional(membership.user, caf)
        _membership_end(membership, ended_by=user)
        ended.append(membership)
        _log_change(user, caf, f"{membership.user} ({membership.agency}) left the team: {why}")
        if was_lead:
            _tell_lead_professional_needed(caf, membership.user, why)
    # Grants of people and agencies the family excluded end too (the deny already refuses them).
    for exclusion in FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user"):
        if exclusion.user is not None and exclusion.user_id not in excepted_people:
            perms.revoke_user(exclusion.user, caf, perms.VIEW, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE)
        elif (
            exclusion.agency is not None
            and not ExclusionException.objects.filter(caf=caf, agency=exclusion.agency, ended_at__isnull=True).exists()
        ):
            perms.revoke_agency(exclusion.agency, caf)
    return ended


def _tell_lead_professional_needed(caf: Caf, former: User, why: str) -> None:
    _tell_caf_administrators(
        caf.council_id,
        [caf],
        kind=Notification.Kind.NO_LEAD_PROFESSIONAL,
        subject_key=f"lead-ended:{caf.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        title=f"CAF {caf.reference or caf.pk} needs a lead professional",
        body=(
            f"{former} is no longer the lead professional of CAF {caf.reference or caf.pk}: {why}. "
            "Log the lead professional the team agrees."
        ),
        url=reverse("caf:caf_detail", args=[caf.pk]),
    )


def _tell_caf_administrators(council_id: int, cafs: Iterable[Caf], **notification: str) -> int:
    """Tell the council's CAF administrators, but none the family excluded from these CAFs; if no
    administrator remains, the council's early help lead is told instead (Settled question 16)."""
    cafs = list(cafs)
    admins = caf_administrators(council_id)
    excluded: set[int] = set()
    for caf in cafs:
        excluded |= perms.excluded_among(admins, caf)
    recipients = [admin for admin in admins if admin.pk not in excluded]
    if not recipients:
        council = LocalAuthority.objects.filter(pk=council_id).select_related("early_help_lead").first()
        lead = council.early_help_lead if council else None
        if lead is not None and lead.is_active and not any(perms.excluded_among([lead], caf) for caf in cafs):
            recipients = [lead]
    return sum(notification_record(recipient=person, **notification) is not None for person in recipients)


def caf_administrators(council_id: int) -> list[User]:
    return list(
        User.objects.filter(agency__council_id=council_id, groups__name=Role.CAF_ADMINISTRATOR.value, is_active=True)
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def consent_record(
    *,
    user: User,
    caf: Caf,
    agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    children: Iterable[Child] | None = None,
    replaces: Consent | None = None,
    **fields: Any,
) -> Consent:
    """Record one person's consent: who gave it, for which children, how, which agencies it covers,
    and who may not see the assessment. Consent is cumulative (Settled question 11): every
    exclusion in force stays (only the family lifting it ends it); the agencies shared with are
    those every consent in force covers. The initiating agency is always covered (it is the one
    asking); an agency cannot be both covered and excluded. A consent that excludes someone, or no
    longer covers an agency, ends their membership and access now."""
    caf = _locked(caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed: reopen it as a new episode to record consent.")
    if not policies.may_record_consent(user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records consent.")
    agencies = set(agencies) | {caf.initiating_agency}
    excluded = set(excluded_agencies)
    people = set(excluded_people)
    if agencies & excluded:
        raise Refused("An agency cannot be both covered by the consent and excluded by the family.")
    if any(agency.council_id != caf.council_id for agency in agencies):
        raise Refused("Choose agencies of this council.")
    _exclusion_targets_check(caf, excluded, people)
    if fields.get("is_young_person") and not fields.get("competence_note", "").strip():
        raise Refused("Say why the young person can give consent for themselves.")
    given_on = fields.get("given_on")
    if given_on and (problem := out_of_bounds(given_on, "the date consent was given", *CONSENT)):
        raise Refused(problem)
    caf_children = list(caf.children.all())
    children = caf_children if children is None else list(children)
    if not children or any(child not in caf_children for child in children):
        raise Refused("Choose the children of this CAF the consent is for.")
    replaces = _consent_replace(caf, fields.get("given_by", ""), replaces)
    consent = Consent(caf=caf, recorded_by=user, replaces=replaces, **fields)
    consent.full_clean()
    consent.save()
    consent.children.set(children)
    consent.agencies.set(agencies)
    _exclusions_add(user=user, caf=caf, made_by=consent.given_by, agencies=excluded, people=people, consent=consent)
    # The consent shows every exclusion in force, carried forward or new, as the family now stands.
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    consent.excluded_agencies.set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    consent.excluded_people.set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    if agencies & set(consent.excluded_agencies.all()):
        raise Refused("An agency the family excluded cannot be covered: the family lifts an exclusion first.")
    _log_change(user, caf, f"Recorded consent given by {consent.given_by}")
    _sharing_enforce(user=user, caf=caf, why=f"the family's consent given by {consent.given_by}")
    return consent


@transaction.atomic
def exclusion_record(
    *, user: User, caf: Caf, made_by: str, agencies: Iterable[Agency] = (), people: Iterable[User] = ()
) -> list[FamilyExclusion]:
    """The family tells us someone must not see their assessment, apart from a new consent (also
    on a closed CAF, Settled question 11). Takes effect at once, on every CAF of the family."""
    caf = _locked(caf)
    if not policies.may_record_exclusion(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    agencies, people = set(agencies), set(people)
    if not (agencies or people):
        raise Refused("Choose the agencies or people the family does not want to see the assessment.")
    if not made_by.strip():
        raise Refused("Enter who in the family asked for this.")
    _exclusion_targets_check(caf, agencies, people)
    added = _exclusions_add(user=user, caf=caf, made_by=made_by, agencies=agencies, people=people)
    names = ", ".join(str(exclusion.agency or exclusion.user) for exclusion in added)
    _log_change(user, caf, f"Recorded that {made_by.strip()} does not want {names} to see the assessment")
    _sharing_enforce(user=user, caf=caf, why=f"{made_by.strip()} asked that they do not see the assessment")
    return added


@transaction.atomic
def exclusion_lift(*, user: User, exclusion: FamilyExclusion, asked_by: str, reason: str) -> FamilyExclusion:
    """Only the family member who made an exclusion can lift it (Settled question 11): a recorded
    act, with who asked, who recorded it, when and why. It is lifted on every CAF of the family."""
    caf = _locked(exclusion.caf)
    if not policies.may_lift_exclusion(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    exclusion = FamilyExclusion.objects.select_for_update().get(pk=exclusion.pk)
    if exclusion.lifted_at is not None:
        raise Refused("This exclusion has already been lifted.")
    if not _same_person(asked_by, exclusion.made_by):
        raise Refused(f"Only {exclusion.made_by}, who asked for it, can lift this exclusion.")
    if not reason.strip():
        raise Refused("Enter why the family is lifting it.")
    now = timezone.now()
    origin_id = exclusion.origin_id or exclusion.pk
    FamilyExclusion.objects.filter(Q(pk=origin_id) | Q(origin_id=origin_id), lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=user, lift_reason=f"Asked by {exclusion.made_by}: {reason.strip()}"
    )
    exclusion.refresh_from_db()
    _log_change(user, caf, f"{exclusion.made_by} lifted their exclusion of {exclusion.agency or exclusion.user}")
    return exclusion


@transaction.atomic
def exclusion_exception_record(
    *,
    user: User,
    caf: Caf,
    basis: str,
    reason: str,
    agency: Agency | None = None,
    person: User | None = None,
) -> ExclusionException | None:
    """One of Settled question 10's recorded exceptions to the family's exclusions (a safeguarding
    override, a section 47 decision, the social worker of social-work-led support): recorded only
    where an exclusion would otherwise refuse them. Called by the referrals services."""
    if basis not in SharingBasis.values or basis == SharingBasis.CONSENT:
        raise Refused("Choose the statutory basis for sharing despite the family's exclusion.")
    if (agency is None) == (person is None):
        raise Refused("Name the agency or the person the exception is for.")
    target = {"agency": agency} if agency is not None else {"user": person}
    excluded = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    if agency is not None and not excluded.filter(agency=agency).exists():
        return None
    if person is not None and not excluded.filter(Q(user=person) | Q(agency_id=person.agency_id)).exists():
        return None
    exception = ExclusionException.objects.create(caf=caf, basis=basis, reason=reason, recorded_by=user, **target)
    _log_change(
        user, caf, f"Shared with {agency or person} despite the family's exclusion: {exception.get_basis_display()}"
    )
    return exception


@transaction.atomic
def consent_withdraw(
    *, user: User, consent: Consent, withdrawn_on: date, reason: str, safeguarding_referral_follows: bool = False
) -> Consent:
    """Withdrawal stops further sharing at once: members from other agencies than the initiator's
    leave the TAF and lose access. Without a consent in force for every child, the CAF closes as
    "consent withdrawn" unless a safeguarding referral follows, in which case a referral draft is
    started with the CAF attached as evidence."""
    caf = _locked(consent.caf)
    if not policies.may_withdraw_consent(user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records this.")
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise Refused("This consent has already been withdrawn.")
    if consent.replaced_at is not None:
        raise Refused("This consent has been updated since: withdraw the newer one.")
    if not reason.strip():
        raise Refused("Enter the reason the consent was withdrawn.")
    if problem := out_of_bounds(withdrawn_on, "the date consent was withdrawn", *CONSENT):
        raise Refused(problem)
    if withdrawn_on < consent.given_on:
        raise Refused("The date consent was withdrawn must be on or after the date it was given.")
    consent.withdrawn_on = withdrawn_on
    consent.withdrawal_reason = reason.strip()
    consent.withdrawal_recorded_by = user
    consent.full_clean()
    consent.save(update_fields=["withdrawn_on", "withdrawal_reason", "withdrawal_recorded_by"])
    covered = set(
        Consent.children.through.objects.filter(consent__in=Consent.objects.current().filter(caf=caf)).values_list(
            "child_id", flat=True
        )
    )
    uncovered = caf.caf_children.exclude(child_id__in=covered).exists()
    if uncovered or safeguarding_referral_follows:
        for membership in caf.taf_members.filter(left_at__isnull=True).exclude(agency=caf.initiating_agency):
            _membership_end(membership, ended_by=user)
    else:
        _sharing_enforce(user=user, caf=caf, why=f"consent given by {consent.given_by} was withdrawn")
    if safeguarding_referral_follows:
        _referral_draft(
            user=user,
            caf=caf,
            reason=f"Consent withdrawn ({consent.withdrawal_reason}); a safeguarding referral follows.",
        )
    elif caf.status == Caf.Status.ACTIVE and uncovered:
        _close(user=user, caf=caf, reason=Caf.ClosureReason.CONSENT_WITHDRAWN, summary=consent.withdrawal_reason)
    _log_change(user, caf, "Recorded that consent was withdrawn")
    return consent


def _referral_draft(*, user: User, caf: Caf, reason: str) -> Any:
    # Only referrals creates referrals and their timeline (Settled question 14): it registers
    # referrals.services.safeguarding_referral_start, run here inside this service's transaction.
    return hooks.referral_draft_from_caf(user=user, caf=caf, reason=reason)


@transaction.atomic
def safeguarding_override_record(*, user: User, caf: Caf, reason: str) -> Any:
    """Without consent, a CAF cannot go on (it is voluntary). Where seeking consent would increase
    the risk of significant harm, the concern becomes a step-up referral draft, with the draft CAF
    attached as evidence (DESIGN.md, Settled question 2)."""
    caf = _locked(caf)
    if caf.status != Caf.Status.DRAFT:
        raise Refused("A safeguarding override is recorded on a draft CAF. For an active CAF, refer to social care.")
    _refuse_unless(policies.may_record_safeguarding_override(user, caf))
    if not reason.strip():
        raise Refused("Enter why seeking consent would increase the risk of significant harm.")
    referral = _referral_draft(user=user, caf=caf, reason=reason.strip())
    _log_change(user, caf, "Recorded a safeguarding override: started a referral to children's social care")
    return referral


# Assessment and levels ----------------------------------------------------------------------------


@transaction.atomic
def assessment_save(
    *, user: User, caf: Caf, entries: dict[int, tuple[str, str]], views_of_child: str = "", views_of_family: str = ""
) -> Caf:
    """Strengths and needs per sub-domain (by sub-domain id), and the views of the child and family."""
    caf = _locked(caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    _refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes the assessment.")
    for sub_domain_id, (strengths, needs) in entries.items():
        AssessmentEntry.objects.update_or_create(
            caf=caf, sub_domain_id=sub_domain_id, defaults={"strengths": strengths.strip(), "needs": needs.strip()}
        )
    caf.views_of_child = views_of_child.strip()
    caf.views_of_family = views_of_family.strip()
    caf.save(update_fields=["views_of_child", "views_of_family"])
    _log_change(user, caf, "Saved the assessment")
    return caf


@transaction.atomic
def child_indicators_set(
    *, user: User, caf_child: CafChild, indicators: Iterable[Indicator], extra_unmet_needs: int = 0
) -> Result:
    """Record the indicators chosen for one child and the classifier's suggestion (with reasons).
    An immediate-harm result is returned for the page to interrupt with what to do now."""
    caf = _locked(caf_child.caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    _refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes the assessment.")
    indicators = list(indicators)
    if any(indicator.threshold_model_id != caf.threshold_model_id for indicator in indicators):
        raise Refused("Choose indicators of the threshold model this CAF uses.")
    child = caf_child.child
    result = classify(
        model_snapshot(caf.threshold_model),
        Answers(
            indicator_ids=frozenset(indicator.pk for indicator in indicators),
            extra_unmet_needs=extra_unmet_needs,
            age=child.age_on(timezone.localdate()),
            unborn=child.is_unborn,
            send=child.send,
        ),
    )
    caf_child.indicators.set(indicators)
    caf_child.extra_unmet_needs = extra_unmet_needs
    caf_child.suggested_level_id = result.level.id if result.level else None
    caf_child.suggestion_reasons = list(result.reasons)
    caf_child.save(update_fields=["extra_unmet_needs", "suggested_level", "suggestion_reasons"])
    _log_change(user, caf, f"Chose indicators for {child}")
    return result


def _level_set(
    caf_child: CafChild, *, level: Level, reason: str, by: User, review: Review | None = None
) -> LevelChange:
    """A child's level, and its row in the level history: the one way a level changes."""
    caf_child.level = level
    caf_child.level_reason = reason
    caf_child.save(update_fields=["level", "level_reason"])
    return LevelChange.objects.create(
        caf_child=caf_child,
        child=caf_child.child,
        level=level,
        suggested_level_id=caf_child.suggested_level_id,
        reason=reason,
        changed_by=by,
        review=review,
    )


@transaction.atomic
def child_level_set(*, user: User, caf_child: CafChild, level: Level, reason: str = "") -> LevelChange:
    """Thresholds drive, people decide: the practitioner's chosen level, with a reason when it
    differs from the suggestion. Every change is kept in the child's level history."""
    caf = _locked(caf_child.caf)
    if caf.status == Caf.Status.CLOSED:
        raise Refused("This CAF is closed.")
    _refuse_unless(policies.may_change_assessment(user, caf), "Only the lead professional changes a level of need.")
    if level.threshold_model_id != caf.threshold_model_id:
        raise Refused("Choose a level of the threshold model this CAF uses.")
    if caf_child.suggested_level_id and level.pk != caf_child.suggested_level_id and not reason.strip():
        raise Refused("Say why you chose a different level from the one suggested.")
    if caf_child.level_id and level.pk != caf_child.level_id and not reason.strip():
        raise Refused("Say why the level is changing.")
    change = _level_set(caf_child, level=level, reason=reason.strip(), by=user)
    _log_change(user, caf, f"Set {caf_child.child}'s level of need to {level.label}")
    return change


# Submitting ---------------------------------------------------------------------------------------


def submit_problems(caf: Caf) -> list[str]:
    problems = []
    if current_consent(caf) is None:
        problems.append("Record the family's consent: a CAF cannot start without it.")
    if not caf.assessment_entries.exclude(strengths="", needs="").exists():
        problems.append("Write the strengths and needs of at least one part of the assessment.")
    problems.extend(
        f"Choose {caf_child.child}'s level of need."
        for caf_child in caf.caf_children.select_related("child")
        if caf_child.level_id is None
    )
    return problems


@transaction.atomic
def caf_submit(*, user: User, caf: Caf) -> Caf:
    """Draft to active: needs current consent, the assessment, and a level for every child. The
    initiator becomes the first member of the Team Around the Family."""
    caf = _locked(caf)
    if caf.status != Caf.Status.DRAFT:
        _move(caf, Caf.Status.ACTIVE)
    _refuse_unless(policies.may_submit(user, caf), "Only the initiator submits the assessment.")
    problems = submit_problems(caf)
    if problems:
        raise Refused(problems)
    _move(caf, Caf.Status.ACTIVE)
    now = timezone.now()
    caf.activated_at = caf.assessment_submitted_at = now
    # The TAF forms with the initiator, and with it the first review date (the council's interval).
    caf.next_review_on = timezone.localdate(now) + timedelta(weeks=caf.council.default_review_interval_weeks)
    caf.save(update_fields=["status", "activated_at", "assessment_submitted_at", "next_review_on"])
    TeamAroundFamilyMember.objects.create(
        caf=caf, user=caf.initiated_by, agency=caf.initiating_agency, role="Initiator", added_by=user
    )
    ReviewDateChange.objects.create(caf=caf, review_on=caf.next_review_on, reason="The TAF formed", changed_by=user)
    _log_change(user, caf, "Submitted the assessment: the CAF is active")
    return caf


@transaction.atomic
def caf_register(*, user: User, caf: Caf, reference: str) -> Caf:
    """The CAF administrator's check of a newly active CAF, giving it the council's reference."""
    caf = _locked(caf)
    _refuse_unless(
        policies.is_caf_administrator(user, caf.council_id), "Only the council's CAF administrators may do this."
    )
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Only an active CAF is registered.")
    _refuse_unless(policies.may_register(user, caf))
    if not reference.strip():
        raise Refused("Enter the council's reference for this CAF.")
    if Caf.objects.filter(council_id=caf.council_id, reference=reference.strip()).exclude(pk=caf.pk).exists():
        raise Refused("Another CAF already has this reference.")
    caf.reference = reference.strip()
    caf.registered_at = timezone.now()
    caf.registered_by = user
    caf.save(update_fields=["reference", "registered_at", "registered_by"])
    _log_change(user, caf, f"Registered the CAF as {caf.reference}")
    return caf


# Team Around the Family and lead professional ---------------------------------------------------


@transaction.atomic
def taf_member_add(*, user: User, caf: Caf, member: User, role: str = "") -> TeamAroundFamilyMember:
    caf = _locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("People join the Team Around the Family of an active CAF.")
    _refuse_unless(
        policies.may_manage_team(user, caf), "Only the lead professional manages the Team Around the Family."
    )
    if current_consent(caf) is None:
        raise Refused("Consent has been withdrawn: nobody new can join the Team Around the Family.")
    refusal = policies.why_may_not_join(member, caf)
    if refusal:
        raise Refused(refusal)
    if caf.taf_members.filter(user=member, left_at__isnull=True).exists():
        raise Refused(f"{member} is already in the Team Around the Family.")
    membership = TeamAroundFamilyMember.objects.create(
        caf=caf, user=member, agency=member.agency, role=role.strip(), added_by=user
    )
    perms.grant_user(member, caf, perms.VIEW)
    perms.grant_agency(member.agency, caf)
    _log_change(user, caf, f"Added {member} ({member.agency}) to the Team Around the Family")
    return membership


def _membership_end(membership: TeamAroundFamilyMember, *, ended_by: User) -> None:
    caf = membership.caf
    membership.left_at = timezone.now()
    membership.save(update_fields=["left_at"])
    current_lead = caf.lead_professionals.filter(ended_at__isnull=True, user=membership.user).first()
    if current_lead:
        current_lead.ended_at = membership.left_at
        current_lead.save(update_fields=["ended_at"])
        perms.revoke_user(membership.user, caf, perms.CHANGE_PLAN, perms.CLOSE)
    if membership.user_id != caf.initiated_by_id:
        perms.revoke_user(membership.user, caf, perms.VIEW, perms.CHANGE)
    still_involved = (
        membership.agency_id == caf.initiating_agency_id
        or caf.taf_members.filter(agency_id=membership.agency_id, left_at__isnull=True).exists()
    )
    if not still_involved:
        perms.revoke_agency(membership.agency, caf)


@transaction.atomic
def taf_member_remove(*, user: User, membership: TeamAroundFamilyMember) -> TeamAroundFamilyMember:
    """Leaving the TAF removes the person's access, and their agency's once it is no longer involved."""
    caf = _locked(membership.caf)
    _refuse_unless(
        policies.may_manage_team(user, caf) or policies.may_leave_team(user, membership),
        "Only the lead professional manages the Team Around the Family.",
    )
    if membership.left_at is not None:
        raise Refused(f"{membership.user} has already left the Team Around the Family.")
    if caf.lead_professionals.filter(ended_at__isnull=True, user_id=membership.user_id).exists() and (
        caf.status == Caf.Status.ACTIVE
    ):
        raise Refused("The lead professional cannot leave until the CAF administrator logs another.")
    _membership_end(membership, ended_by=user)
    _log_change(user, caf, f"{membership.user} left the Team Around the Family")
    return membership


@transaction.atomic
def lead_professional_assign(*, user: User, caf: Caf, lead: User) -> LeadProfessionalAssignment:
    """The CAF administrator logs the lead professional the TAF agreed. Exactly one is current;
    the history is kept."""
    caf = _locked(caf)
    _refuse_unless(
        policies.is_caf_administrator(user, caf.council_id), "Only the council's CAF administrators may do this."
    )
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("A lead professional is logged for an active CAF.")
    _refuse_unless(policies.may_log_lead_professional(user, caf))
    if not policies.may_be_lead_professional(lead, caf):
        raise Refused(f"{lead} must be a current member of the Team Around the Family to be lead professional.")
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == lead.pk:
        raise Refused(f"{lead} is already the lead professional.")
    assignment = _lead_switch(caf=caf, lead=lead, by=user, social_work_led=lead.has_role(Role.SOCIAL_WORKER))
    _log_change(user, caf, f"Logged {lead} as lead professional")
    _step_downs_complete(user=user, caf=caf, assignment=assignment)
    return assignment


def _lead_switch(*, caf: Caf, lead: User, by: User, social_work_led: bool) -> LeadProfessionalAssignment:
    """End the current lead professional's assignment (they stay on the team with a member's rights
    only) and start the new one's: the one way the lead changes."""
    now = timezone.now()
    current = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    if current:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        perms.revoke_user(current.user, caf, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE)
    assignment = LeadProfessionalAssignment.objects.create(
        caf=caf, user=lead, started_at=now, logged_by=by, social_work_led=social_work_led
    )
    perms.grant_user(lead, caf, perms.VIEW, perms.CHANGE, perms.CHANGE_PLAN, perms.CLOSE)
    return assignment


def _step_downs_complete(*, user: User, caf: Caf, assignment: LeadProfessionalAssignment) -> None:
    # A step-down picked up into this CAF is closed once early help has a lead professional:
    # referrals owns that rule and hears of the new lead through caf.hooks (in this transaction).
    hooks.lead_professional_logged(user=user, caf=caf, assignment=assignment)


# Step-up and step-down (called by referrals.services) --------------------------------------------


@transaction.atomic
def lead_professional_from_social_care(*, user: User, caf: Caf, social_worker: User) -> LeadProfessionalAssignment:
    """Settled question 7: when social care takes a referral on and allocates a social worker, the
    social worker joins the Team Around the Family and becomes lead professional; the CAF continues
    as one record, social-work led. The decision is the social care manager's, so the CAF
    administrator is not asked; the referral is the basis for sharing with social care, but never
    with an agency or person the family excluded (Settled question 2)."""
    caf = _locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers allocate a social worker.")
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Only an active CAF takes a lead professional.")
    if not social_worker.has_role(Role.SOCIAL_WORKER) or social_worker.council_id != caf.council_id:
        raise Refused("Choose a social worker of this council.")
    if perms.is_excluded(social_worker, caf):
        raise Refused(f"The family asked that {social_worker} ({social_worker.agency}) does not see the assessment.")
    if not caf.taf_members.filter(user=social_worker, left_at__isnull=True).exists():
        TeamAroundFamilyMember.objects.create(
            caf=caf, user=social_worker, agency=social_worker.agency, role="Allocated social worker", added_by=user
        )
        perms.grant_agency(social_worker.agency, caf)
    if not policies.may_be_lead_professional(social_worker, caf):  # the one rule for who may lead
        raise Refused(f"{social_worker} cannot be lead professional of this CAF.")
    current = caf.lead_professionals.filter(ended_at__isnull=True).first()
    if current and current.user_id == social_worker.pk:
        current.social_work_led = True
        current.save(update_fields=["social_work_led"])
        return current
    assignment = _lead_switch(caf=caf, lead=social_worker, by=user, social_work_led=True)
    _log_change(user, caf, f"Allocated {social_worker} as social worker: lead professional, support is social-work led")
    return assignment


@transaction.atomic
def caf_close_stepped_up(*, user: User, caf: Caf, summary: str) -> Caf:
    """For a council whose social care cases live in another system (LocalAuthority.social_worker_leads_caf
    cleared): the CAF closes as stepped up to children's social care when social care takes it on."""
    caf = _locked(caf)
    if not (user.has_role(Role.SOCIAL_CARE_MANAGER) and user.council_id == caf.council_id):
        raise PermissionDenied("Only the council's social care managers decide a step-up.")
    _close(user=user, caf=caf, reason=Caf.ClosureReason.STEPPED_UP, summary=summary)
    _log_change(user, caf, "Closed the CAF: stepped up to children's social care")
    return caf


def consent_from_step_down(
    *,
    user: User,
    caf: Caf,
    consent: dict[str, Any],
    consent_agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
) -> Consent:
    """The family's consent to early help, given to social care at the step-down, recorded on the
    CAF that picks them up as it was given (Settled question 11): the agencies the family named,
    the exclusions they made (added to those already in force, which stay), and "explained storage
    and sharing" only if social care recorded it. Nothing is merged from an earlier consent and no
    one is removed silently: agencies on the team that the step-down does not name are listed for
    the CAF administrator to check with the family (`agencies_not_named`)."""
    if not policies.is_caf_administrator(user, caf.council_id):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    if perms.is_excluded(user, caf):
        raise PermissionDenied("The family asked that you do not see their records: ask another CAF administrator.")
    excluded_agencies, excluded_people = set(excluded_agencies), set(excluded_people)
    _exclusion_targets_check(caf, excluded_agencies, excluded_people)
    replaces = _consent_replace(caf, consent.get("given_by", ""), None)
    record = Consent(caf=caf, recorded_by=user, replaces=replaces, **consent)
    record.full_clean()
    record.save()
    record.children.set(caf.children.all())
    record.agencies.set({*consent_agencies, caf.initiating_agency})
    _exclusions_add(
        user=user, caf=caf, made_by=record.given_by, agencies=excluded_agencies, people=excluded_people, consent=record
    )
    in_force = FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True)
    record.excluded_agencies.set(in_force.filter(agency__isnull=False).values_list("agency_id", flat=True))
    record.excluded_people.set(in_force.filter(user__isnull=False).values_list("user_id", flat=True))
    _log_change(user, caf, f"Recorded consent to early help given by {record.given_by} (from the step-down)")
    return record


def agencies_not_named(caf: Caf, consent: Consent) -> list[Agency]:
    """Agencies with someone on the team that this consent does not name: for the CAF administrator
    to check with the family after a pick-up (never removed silently)."""
    named = consent.agencies.values("pk")
    return list(
        Agency.objects.filter(pk__in=caf.taf_members.filter(left_at__isnull=True).values("agency_id"))
        .exclude(pk__in=named)
        .order_by("name")
    )


@transaction.atomic
def caf_start_from_step_down(
    *,
    user: User,
    children: list[Child],
    previous: Caf | None,
    consent: dict[str, Any],
    consent_agencies: Iterable[Agency],
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    levels: dict[int, Level],
    level_reason: str,
) -> Caf:
    """An early help coordinator picks up a step-down into a new CAF (a new episode of `previous`
    when the family had one), active at once: the transfer carries the family's consent and social
    care's assessment, so nothing is keyed twice. The household, the assessment and the views come
    across from the previous episode; each child gets the level the coordinator chose (kept in the
    level history with the reason). The coordinator is the first member of the Team Around the Family."""
    if not policies.is_caf_administrator(user, user.council_id):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    if previous is not None and Caf.objects.filter(previous_episode=previous).exists():
        raise Refused("The family's last CAF has already been reopened: continue that one.")
    adults = previous.adults.all() if previous is not None else ()
    caf = caf_start(user=user, children=children, adults=adults)
    caf = _locked(caf)
    if previous is not None:
        caf.previous_episode = previous
        caf.views_of_child, caf.views_of_family = previous.views_of_child, previous.views_of_family
        AssessmentEntry.objects.bulk_create(
            AssessmentEntry(caf=caf, sub_domain_id=entry.sub_domain_id, strengths=entry.strengths, needs=entry.needs)
            for entry in previous.assessment_entries.all()
        )
    consent_from_step_down(
        user=user,
        caf=caf,
        consent=consent,
        consent_agencies=consent_agencies,
        excluded_agencies=excluded_agencies,
        excluded_people=excluded_people,
    )
    for caf_child in caf.caf_children.select_related("child"):
        level = levels.get(caf_child.child_id)
        if level is None or level.threshold_model_id != caf.threshold_model_id:
            raise Refused(f"Choose {caf_child.child}'s level of need now, from the council's threshold model.")
        _level_set(caf_child, level=level, reason=level_reason, by=user)
    now = timezone.now()
    _move(caf, Caf.Status.ACTIVE)
    caf.activated_at = caf.assessment_submitted_at = now
    caf.next_review_on = timezone.localdate(now) + timedelta(weeks=caf.council.default_review_interval_weeks)
    caf.save(
        update_fields=[
            "status",
            "activated_at",
            "assessment_submitted_at",
            "next_review_on",
            "previous_episode",
            "views_of_child",
            "views_of_family",
        ]
    )
    TeamAroundFamilyMember.objects.create(
        caf=caf, user=user, agency=user.agency, role="Early help coordinator", added_by=user
    )
    ReviewDateChange.objects.create(caf=caf, review_on=caf.next_review_on, reason="The TAF formed", changed_by=user)
    _log_change(user, caf, "Picked up a step-down from children's social care: the CAF is active")
    return caf


# The plan -----------------------------------------------------------------------------------------


def _plan_action_create(*, user: User, caf: Caf, **fields: Any) -> PlanAction:
    """One action of the plan, given only to an agency the family's consent covers and, if named,
    to a current member of the team the family has not excluded (issue 11)."""
    due_on = fields.get("due_on")
    if due_on and (refusal := out_of_bounds(due_on, "The date it will be done by", *ACTION_DUE)):
        raise Refused(f"{refusal}.")
    action = PlanAction(caf=caf, created_by=user, **fields)
    if action.agency.council_id != caf.council_id:
        raise Refused("Choose an agency of this council.")
    if not policies.sharing_agencies(caf).filter(pk=action.agency_id).exists():
        raise Refused(
            f"The family's consent does not cover {action.agency}, or they asked that it does not see the plan."
        )
    owner = action.owner
    if owner is not None:
        if not policies.is_current_member(owner, caf):
            raise Refused(f"{owner} is not a current member of the team: choose someone who is, or nobody.")
        refusal = policies.why_may_not_join(owner, caf)
        if refusal:
            raise Refused(refusal)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def plan_action_add(*, user: User, caf: Caf, **fields: Any) -> PlanAction:
    caf = _locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("The plan of an active CAF changes; this one is not active.")
    _refuse_unless(policies.may_manage_plan(user, caf), "Only the lead professional changes the plan.")
    action = _plan_action_create(user=user, caf=caf, **fields)
    _log_change(user, caf, "Added an action to the plan")
    return action


@transaction.atomic
def plan_action_update(*, user: User, action: PlanAction, status: str, outcome: str = "") -> PlanAction:
    """The lead professional changes any action; a TAF member their own."""
    caf = _locked(action.caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("The plan of a closed CAF does not change.")
    action.caf = caf
    _refuse_unless(policies.may_update_action(user, action), "You can update only your own actions.")
    action.status = status
    action.outcome = outcome.strip()
    action.full_clean()
    action.save(update_fields=["status", "outcome"])
    _log_change(user, caf, "Updated an action of the plan")
    return action


# Closing and reopening ----------------------------------------------------------------------------


def _close(*, user: User, caf: Caf, reason: str, summary: str) -> None:
    _move(caf, Caf.Status.CLOSED)
    caf.closed_at = timezone.now()
    caf.closed_by = user
    caf.closure_reason = reason
    caf.outcome_summary = summary.strip()
    caf.save(update_fields=["status", "closed_at", "closed_by", "closure_reason", "outcome_summary"])
    caf.lead_professionals.filter(ended_at__isnull=True).update(ended_at=caf.closed_at)


@transaction.atomic
def caf_close(*, user: User, caf: Caf, reason: str, summary: str) -> Caf:
    caf = _locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        _move(caf, Caf.Status.CLOSED)  # refused with the lifecycle's message
    _refuse_unless(policies.may_close(user, caf), "Only the lead professional or a CAF administrator closes a CAF.")
    if reason not in policies.CLOSURE_REASONS_BY_HAND:
        raise Refused("Choose why the CAF is closing.")
    if not summary.strip():
        raise Refused("Summarise the outcome for the family.")
    _close(user=user, caf=caf, reason=reason, summary=summary)
    _log_change(user, caf, f"Closed the CAF: {caf.get_closure_reason_display()}")
    return caf


@transaction.atomic
def caf_reopen(*, user: User, caf: Caf) -> Caf:
    """A CAF reopened after closure is a new episode, linked to the old one, with the same children:
    for its last lead professional, a CAF administrator, or its initiator while they still see it."""
    caf = _locked(caf)
    if caf.status != Caf.Status.CLOSED:
        raise Refused("Only a closed CAF can be reopened.")
    if Caf.objects.filter(previous_episode=caf).exists():
        raise Refused("This CAF has already been reopened.")
    _refuse_unless(
        policies.is_reopener(user, caf),
        "Only its last lead professional, its initiator or a CAF administrator reopens a CAF.",
    )
    episode = caf_start(
        user=user, children=list(caf.children.filter(merged_into__isnull=True)), adults=caf.adults.all()
    )
    episode.previous_episode = caf
    episode.save(update_fields=["previous_episode"])
    return episode


# The household ------------------------------------------------------------------------------------


@transaction.atomic
def household_record(*, user: User, child: Child, adults: Iterable[dict[str, Any]]) -> list[Adult]:
    """Record the adults of a child's household (name, relationship, parental responsibility,
    phone), in the user's council, logged against the child's record. They are offered to the
    CAF when it starts (Caf.adults)."""
    if user.council_id is None or user.council_id != child.council_id:
        raise PermissionDenied("Only the council's staff can record a child's household.")
    recorded = []
    for fields in adults:
        adult = Adult(council_id=child.council_id, **fields)
        adult.full_clean()
        adult.save()
        adult.children.add(child)
        recorded.append(adult)
    if recorded:
        names = ", ".join(adult.full_name for adult in recorded)
        access_log_write(
            user=user, action=AccessLog.Action.CHANGE, what=f"Recorded the household: {names}", child=child
        )
    return recorded


# Reviews ------------------------------------------------------------------------------------------

# What a review records about each open action, and the plan status it leaves the action in.
REVIEW_PROGRESS_TO_ACTION_STATUS = {
    "done": PlanAction.Status.DONE,
    "in_progress": PlanAction.Status.IN_PROGRESS,
    "not_started": PlanAction.Status.NOT_STARTED,
    "no_longer_needed": PlanAction.Status.STOPPED,
}
OPEN_ACTION_STATUSES = PlanAction.OPEN_STATUSES


def _review_date_move(*, user: User, caf: Caf, review_on: date | None, reason: str) -> None:
    """Cancel the unsent reminders of the old date, then keep the new one (with its history row)."""
    if caf.next_review_on is not None and caf.next_review_on != review_on:
        notifications_cancel(subject_key=caf.review_subject_key(caf.next_review_on))
    caf.next_review_on = review_on
    caf.save(update_fields=["next_review_on"])
    if review_on is not None:
        ReviewDateChange.objects.create(caf=caf, review_on=review_on, reason=reason, changed_by=user)


@transaction.atomic
def review_date_set(*, user: User, caf: Caf, review_on: date, reason: str) -> ReviewDateChange:
    """The lead professional moves the next review, with a reason; the old date's reminders are
    cancelled and every date set is kept."""
    caf = _locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Reviews are for an active CAF; this one is not active.")
    _refuse_unless(policies.may_record_review(user, caf), "Only the lead professional changes the review date.")
    if review_on < timezone.localdate():
        raise Refused("The next review date must be today or in the future.")
    if refusal := out_of_bounds(review_on, "The next review date", *NEXT_REVIEW):
        raise Refused(f"{refusal}.")
    if not reason.strip():
        raise Refused("Enter why the review date is changing.")
    if review_on == caf.next_review_on:
        raise Refused(f"The next review is already on {review_on:%-d %B %Y}.")
    _review_date_move(user=user, caf=caf, review_on=review_on, reason=reason.strip())
    _log_change(user, caf, f"Moved the next review to {review_on:%-d %B %Y}")
    return caf.review_date_changes.order_by("-pk").first()


def _review_decision_check(
    *,
    user: User,
    caf: Caf,
    held_on: date,
    decision: str,
    next_review_on: date | None,
    close_reason: str,
    outcome: str,
) -> tuple[bool, str]:
    """The review's date and decision; returns whether it closes the CAF, and with which reason."""
    today = timezone.localdate()
    if held_on > today:
        raise Refused("The review date cannot be in the future: record a review after it is held.")
    if refusal := out_of_bounds(held_on, "The review date", *REVIEW_HELD):
        raise Refused(f"{refusal}.")
    if caf.activated_at and held_on < timezone.localdate(caf.activated_at):
        raise Refused("The review date cannot be before the CAF became active.")
    if decision not in Review.Decision.values:
        raise Refused("Choose the decision of the review.")
    closes = decision in (Review.Decision.CLOSE, Review.Decision.STEP_DOWN)
    # Only a continuing plan needs its next review: close and step down end the CAF, step up hands
    # the decision to children's social care (Review's constraint says the same).
    if decision == Review.Decision.CONTINUE and next_review_on is None:
        raise Refused("Enter the date of the next review.")
    if next_review_on is not None and not closes:
        if next_review_on < today:
            raise Refused("The next review date must be today or in the future.")
        if refusal := out_of_bounds(next_review_on, "The next review date", *NEXT_REVIEW):
            raise Refused(f"{refusal}.")
    if not closes:
        return False, ""
    if not policies.is_lead_professional(user, caf):
        raise Refused("Only the lead professional closes the CAF: ask the CAF administrator to log one first.")
    if not outcome.strip():
        raise Refused("Summarise the outcome for the family: the CAF closes.")
    if decision == Review.Decision.STEP_DOWN:
        close_reason = Caf.ClosureReason.NEEDS_MET
    close_reason = close_reason or Caf.ClosureReason.NEEDS_MET
    if close_reason not in policies.CLOSURE_REASONS_BY_HAND:
        raise Refused("Choose why the CAF is closing.")
    return True, close_reason


def _review_progress_check(caf: Caf, progress: list[tuple[PlanAction, str, str]]) -> dict[int, PlanAction]:
    """Progress on every open action of the plan, once each; returns the open actions by id."""
    open_actions = {action.pk: action for action in caf.actions.filter(status__in=OPEN_ACTION_STATUSES)}
    reviewed = [action.pk for action, _, _ in progress]
    if len(set(reviewed)) != len(reviewed) or any(pk not in open_actions for pk in reviewed):
        raise Refused("Record progress only on the open actions of this CAF's plan, once each.")
    if set(reviewed) != set(open_actions):
        raise Refused("Record progress on every open action of the plan: the plan has changed, start again.")
    if any(status not in REVIEW_PROGRESS_TO_ACTION_STATUS for _, status, _ in progress):
        raise Refused("Choose where each action is now.")
    return open_actions


def _review_level_changes(caf: Caf, levels: dict[CafChild, tuple[Level, str]]) -> list[tuple[CafChild, Level, str]]:
    """The children whose level the review changes, each with its reason."""
    changes = []
    for caf_child, (level, reason) in levels.items():
        if caf_child.caf_id != caf.pk or level.threshold_model_id != caf.threshold_model_id:
            raise Refused("Choose a level of the threshold model this CAF uses, for a child of this CAF.")
        if caf_child.level_id != level.pk:
            if not reason.strip():
                raise Refused(f"Say why {caf_child.child}'s level of need is changing.")
            changes.append((caf_child, level, reason.strip()))
    return changes


def _review_progress_record(
    review: Review, progress: list[tuple[PlanAction, str, str]], open_actions: dict[int, PlanAction]
) -> None:
    rows = []
    for reviewed, status, note in progress:
        action = open_actions[reviewed.pk]
        action.status = REVIEW_PROGRESS_TO_ACTION_STATUS[status]
        update_fields = ["status"]
        if note.strip():
            action.outcome = note.strip()
            update_fields.append("outcome")
        action.save(update_fields=update_fields)
        rows.append(ReviewActionProgress(review=review, action=action, status=status, note=note.strip()))
    ReviewActionProgress.objects.bulk_create(rows)


@transaction.atomic
def review_record(
    *,
    user: User,
    caf: Caf,
    held_on: date,
    attendees: Iterable[User] = (),
    family_attendees: str = "",
    summary: str = "",
    progress: Iterable[tuple[PlanAction, str, str]] = (),
    new_actions: Iterable[dict[str, Any]] = (),
    levels: dict[CafChild, tuple[Level, str]] | None = None,
    decision: str,
    next_review_on: date | None = None,
    close_reason: str = "",
    outcome: str = "",
) -> Review:
    """The lead professional records a Team Around the Family review: progress on every open action
    of the plan (the form starts from it), new actions, each child's level after the review (kept in
    the level history), and the decision. Continuing sets the next review date; closing (or stepping
    down to universal services, closed as "needs met, universal services continue": Settled
    question 6) closes the CAF; stepping up leaves it active for the referral to social care."""
    caf = _locked(caf)
    if caf.status != Caf.Status.ACTIVE:
        raise Refused("Reviews are recorded for an active CAF; this one is not active.")
    _refuse_unless(policies.may_record_review(user, caf), "Only the lead professional records a review.")
    closes, close_reason = _review_decision_check(
        user=user,
        caf=caf,
        held_on=held_on,
        decision=decision,
        next_review_on=next_review_on,
        close_reason=close_reason,
        outcome=outcome,
    )
    current_members = set(caf.taf_members.filter(left_at__isnull=True).values_list("user_id", flat=True))
    attendees = list(attendees)
    if any(attendee.pk not in current_members for attendee in attendees):
        raise Refused("Choose who attended from the current Team Around the Family.")
    progress = list(progress)
    open_actions = _review_progress_check(caf, progress)
    level_changes = _review_level_changes(caf, levels or {})

    review = Review(
        caf=caf,
        held_on=held_on,
        due_on=caf.next_review_on,
        family_attendees=family_attendees.strip(),
        summary=summary.strip(),
        decision=decision,
        next_review_on=None if closes else next_review_on,
        recorded_by=user,
    )
    review.full_clean()
    review.save()
    review.attendees.set(attendees)
    _review_progress_record(review, progress, open_actions)
    for fields in new_actions:
        _plan_action_create(user=user, caf=caf, **fields)
    for caf_child, level, reason in level_changes:
        _level_set(caf_child, level=level, reason=reason, by=user, review=review)

    held = f"{held_on:%-d %B %Y}"
    if closes:
        _review_date_move(user=user, caf=caf, review_on=None, reason="")
        summary_text = outcome.strip()
        if decision == Review.Decision.STEP_DOWN:
            summary_text = (
                f"Stepped down at the review of {held}: needs met, universal services continue. {summary_text}"
            )
        _close(user=user, caf=caf, reason=close_reason, summary=summary_text)
        _log_change(user, caf, f"Recorded the review of {held} and closed the CAF: {caf.get_closure_reason_display()}")
    else:
        _review_date_move(user=user, caf=caf, review_on=next_review_on, reason=f"After the review of {held}")
        _log_change(user, caf, f"Recorded the review of {held}: {review.get_decision_display()}")
    return review
