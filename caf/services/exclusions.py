"""The family's exclusions (Settled questions 10 and 11): recording and lifting them, carrying them to
every CAF of the children, the recorded exceptions, and ending the access of whoever they remove.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Agency, AgencyType, User
from caf import permissions as perms
from caf import policies
from caf.models import Caf, Child, Consent, ExclusionException, FamilyExclusion, SharingBasis, TeamAroundFamilyMember
from caf.services._common import locked, log_change, tell_lead_professional_needed
from caf.services.team import membership_end
from core.errors import Refused


def exclusions_carry(caf: Caf, children: Iterable[Child]) -> None:
    seen: set[tuple[int | None, int | None]] = set()
    for exclusion in family_exclusions(children).exclude(caf=caf).order_by("recorded_at", "pk"):
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


def family_exclusions(children: Iterable[Child]) -> QuerySet[FamilyExclusion]:
    """The exclusions in force on any CAF of these children (or of records merged with them): the
    family's decisions follow them into every later CAF (Settled question 11)."""
    records = Child.objects.filter(Q(pk__in=[c.pk for c in children]) | Q(merged_into__in=[c.pk for c in children]))
    return FamilyExclusion.objects.filter(caf__children__in=records, lifted_at__isnull=True).distinct()


def excluded_by_family_of(user: User, children: Iterable[Child]) -> bool:
    return family_exclusions(children).filter(Q(user=user) | Q(agency_id=user.agency_id)).exists()


def exclusions_add(
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


def exclusion_targets_check(caf: Caf, agencies: set[Agency], people: set[User]) -> None:
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


def sharing_enforce(*, user: User, caf: Caf, why: str) -> list[TeamAroundFamilyMember]:
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
        membership_end(membership, ended_by=user)
        ended.append(membership)
        log_change(user, caf, f"{membership.user} ({membership.agency}) left the team: {why}")
        if was_lead:
            tell_lead_professional_needed(caf, membership.user, why)
    # Grants of people and agencies the family excluded end too (the deny already refuses them).
    for exclusion in FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user"):
        if exclusion.user is not None and exclusion.user_id not in excepted_people:
            perms.revoke_user(exclusion.user, caf)
        elif (
            exclusion.agency is not None
            and not ExclusionException.objects.filter(caf=caf, agency=exclusion.agency, ended_at__isnull=True).exists()
        ):
            perms.revoke_agency(exclusion.agency, caf)
    return ended


@transaction.atomic
def exclusion_record(
    *, user: User, caf: Caf, made_by: str, agencies: Iterable[Agency] = (), people: Iterable[User] = ()
) -> list[FamilyExclusion]:
    """The family tells us someone must not see their assessment, apart from a new consent (also
    on a closed CAF, Settled question 11). Takes effect at once, on every CAF of the family."""
    caf = locked(caf)
    if not policies.may_record_exclusion(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    agencies, people = set(agencies), set(people)
    if not (agencies or people):
        raise Refused("Choose the agencies or people the family does not want to see the assessment.")
    if not made_by.strip():
        raise Refused("Enter who in the family asked for this.")
    exclusion_targets_check(caf, agencies, people)
    added = exclusions_add(user=user, caf=caf, made_by=made_by, agencies=agencies, people=people)
    names = ", ".join(str(exclusion.agency or exclusion.user) for exclusion in added)
    log_change(user, caf, f"Recorded that {made_by.strip()} does not want {names} to see the assessment")
    sharing_enforce(user=user, caf=caf, why=f"{made_by.strip()} asked that they do not see the assessment")
    return added


@transaction.atomic
def exclusion_lift(*, user: User, exclusion: FamilyExclusion, asked_by: str, reason: str) -> FamilyExclusion:
    """Only the family member who made an exclusion can lift it (Settled question 11): a recorded
    act, with who asked, who recorded it, when and why. It is lifted on every CAF of the family."""
    caf = locked(exclusion.caf)
    if not policies.may_lift_exclusion(user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    exclusion = FamilyExclusion.objects.select_for_update().get(pk=exclusion.pk)
    if exclusion.lifted_at is not None:
        raise Refused("This exclusion has already been lifted.")
    if not policies.same_name(asked_by, exclusion.made_by):
        raise Refused(f"Only {exclusion.made_by}, who asked for it, can lift this exclusion.")
    if not reason.strip():
        raise Refused("Enter why the family is lifting it.")
    now = timezone.now()
    origin_id = exclusion.origin_id or exclusion.pk
    FamilyExclusion.objects.filter(Q(pk=origin_id) | Q(origin_id=origin_id), lifted_at__isnull=True).update(
        lifted_at=now, lifted_by=user, lift_reason=f"Asked by {exclusion.made_by}: {reason.strip()}"
    )
    exclusion.refresh_from_db()
    log_change(user, caf, f"{exclusion.made_by} lifted their exclusion of {exclusion.agency or exclusion.user}")
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
    log_change(
        user, caf, f"Shared with {agency or person} despite the family's exclusion: {exception.get_basis_display()}"
    )
    return exception
