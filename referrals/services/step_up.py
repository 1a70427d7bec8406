"""Every change to referrals and step-downs. Each service checks who may make it, changes the state
in one transaction, grants access in the same transaction, writes the timeline and records the
notifications (sent once the transaction commits).

The lifecycles are the tables `REFERRAL_MOVES` and `STEP_DOWN_MOVES`; any other move is refused
with a message a person can act on.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, AgencyType, LocalAuthority, Notification, Role, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf import policies as caf_policies
from caf import services as caf_services
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, Child, FamilyExclusion, LeadProfessionalAssignment, SharingBasis
from caf.services import Refused, caf_administrators
from core.date_bounds import CONSENT, out_of_bounds
from core.forms import children_names
from referrals import policies
from referrals.models import Referral, StepDown, TimelineEntry
from referrals.policies import is_front_door_manager, is_social_care_staff
from thresholds.models import Level

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
Decision = Referral.Decision


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


def social_care_agencies(council_id: int) -> list[Agency]:
    return list(Agency.objects.filter(council_id=council_id, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE))


def front_door_managers(council_id: int) -> list[User]:
    """The social care managers of the council's children's social care: the front door."""
    return list(
        User.objects.filter(
            agency__council_id=council_id,
            agency__agency_type=AgencyType.CHILDRENS_SOCIAL_CARE,
            groups__name=Role.SOCIAL_CARE_MANAGER.value,
            is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


# Deadlines ----------------------------------------------------------------------------------------


def decision_due_at(referral: Referral, sent_at: datetime) -> datetime:
    """Settled question 8: the council's deadline in working hours ("one working day" ends at the same
    time on the next working day). Immediate risk is never held to office hours: its written
    referral is due the same number of hours later on the clock, nights and weekends included."""
    council = referral.council
    hours = council.referral_decision_deadline_working_hours
    if referral.urgency == Referral.Urgency.IMMEDIATE:
        return sent_at + timedelta(hours=hours)
    return WorkingCalendar.for_council(council).add_working_hours(sent_at, hours)


def pick_up_due_on(council: LocalAuthority, sent_at: datetime) -> date:
    calendar = WorkingCalendar.for_council(council)
    return calendar.add_working_days(timezone.localdate(sent_at, calendar.zone), council.step_down_pick_up_working_days)


# Making a referral --------------------------------------------------------------------------------


def _locked_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("council", "caf").get(pk=referral.pk)


def _require_referrer(user: User, referral: Referral) -> None:
    if not policies.is_referrer(user, referral):
        raise PermissionDenied("Only the person who started the referral may change or send it.")


@transaction.atomic
def referral_start(
    *, user: User, children: list[Child], caf: Caf | None = None, immediate_risk: bool = False
) -> Referral:
    """A practitioner or lead professional starts a referral for a child or several children of a
    family, with their CAF attached as evidence when there is one (a referral can also be made
    without a CAF, for any child of the council, as a CAF can be started for one)."""
    if not user.is_active or user.agency_id is None:
        raise PermissionDenied("Only a council's staff can refer a child to children's social care.")
    if not children:
        raise Refused("Choose the child, or the children, you are referring.")
    if any(child.council_id != user.council_id or child.merged_into_id for child in children):
        raise Refused("Choose children recorded in your council (not merged records).")
    if caf is not None:
        if not caf_policies.may_refer_from(user, caf):
            raise PermissionDenied(
                "Only the CAF's lead professional refers with the CAF attached: refer from the child's record."
            )
        caf_children = set(caf.children.values_list("pk", flat=True))
        if any(child.pk not in caf_children for child in children):
            raise Refused("Choose children of this CAF, or refer the others separately.")
    referral = Referral.objects.create(
        council_id=user.council_id,
        caf=caf,
        referring_agency_id=user.agency_id,
        urgency=Referral.Urgency.IMMEDIATE if immediate_risk else Referral.Urgency.STANDARD,
        created_by=user,
    )
    referral.children.set(children)
    what = "Started the referral" + (": a child is at immediate risk" if immediate_risk else "")
    _timeline(by=user, what=what, referral=referral)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what="Started a referral to children's social care", caf=caf
    )
    return referral


@transaction.atomic
def safeguarding_referral_start(*, user: User, caf: Caf, reason: str) -> Referral:
    """A safeguarding concern without consent is a step-up referral, not a CAF (Settled question 2):
    a referral draft without consent, saying why, with the CAF and its children attached as
    evidence. caf's safeguarding override and "consent withdrawn, a safeguarding referral follows"
    call it through caf.hooks, inside their own transaction and after their own checks."""
    referral = Referral.objects.create(
        council_id=caf.council_id,
        caf=caf,
        basis=Referral.Basis.SAFEGUARDING_OVERRIDE,
        override_reason=reason,
        created_by=user,
        referring_agency_id=user.agency_id,
    )
    referral.children.set(caf.children.all())
    TimelineEntry.objects.create(
        referral=referral, by=user, what="Started from the draft CAF: a safeguarding override (no consent sought)"
    )
    return referral


@transaction.atomic
def front_door_call_record(
    *, user: User, referral: Referral, called_at: datetime, spoke_to: str, advice: str = ""
) -> Referral:
    """Immediate risk: the referrer has phoned the front door (or the emergency duty team) first;
    this records the call before the written referral."""
    referral = _locked_referral(referral)
    _require_referrer(user, referral)
    if referral.status != Referral.Status.DRAFT:
        raise Refused("This referral has already been sent.")
    if not spoke_to.strip():
        raise Refused("Enter who you spoke to at the front door.")
    if called_at > timezone.now() + timedelta(minutes=5):
        raise Refused("The time of the call cannot be in the future.")
    if called_at < timezone.now() - timedelta(days=1):
        raise Refused("The time of the call must be within the last day: record the call when you make it.")
    referral.urgency = Referral.Urgency.IMMEDIATE
    referral.front_door_called_at = called_at
    referral.front_door_spoke_to = spoke_to.strip()
    referral.front_door_advice = advice.strip()
    referral.save(update_fields=["urgency", "front_door_called_at", "front_door_spoke_to", "front_door_advice"])
    _timeline(
        by=user,
        what=(
            f"Phoned the front door at {timezone.localtime(called_at):%H:%M on %-d %B} "
            f"and spoke to {referral.front_door_spoke_to}"
        ),
        referral=referral,
    )
    return referral


CONSENT_GIVEN = "given"
CONSENT_NOT_SOUGHT = "not_sought"  # seeking it would increase the risk of significant harm
CONSENT_REFUSED = "refused"


def _referral_basis_set(
    referral: Referral,
    *,
    consent: str | None,
    consent_given_by: str,
    consent_relationship: str,
    consent_given_on: date | None,
    override_reason: str,
) -> None:
    """The basis for sending: the family's consent (who, relationship, when), or the safeguarding
    override (why seeking consent would increase the risk); a refusal stops the referral."""
    if consent is None:
        # A referral started from a safeguarding override already says why consent was not sought.
        consent = CONSENT_NOT_SOUGHT if referral.basis == Referral.Basis.SAFEGUARDING_OVERRIDE else None
    if consent == CONSENT_GIVEN:
        if not (consent_given_by.strip() and consent_relationship.strip() and consent_given_on):
            raise Refused("Say who agreed to the referral, their relationship to the child and when.")
        if consent_given_on > timezone.localdate():
            raise Refused("The date consent was given cannot be in the future.")
        if refusal := out_of_bounds(consent_given_on, "The date consent was given", *CONSENT):
            raise Refused(f"{refusal}.")
        referral.basis = Referral.Basis.CONSENT
        referral.override_reason = ""
    elif consent == CONSENT_NOT_SOUGHT:
        reason = override_reason.strip() or referral.override_reason
        if not reason:
            raise Refused("Say why seeking consent would increase the risk of significant harm.")
        referral.basis = Referral.Basis.SAFEGUARDING_OVERRIDE
        referral.override_reason = reason
    elif consent == CONSENT_REFUSED:
        raise Refused(
            "Without the family's consent, a referral goes only when seeking consent would increase the risk of "
            "significant harm. If that is so, choose that answer and say why; if not, talk to the family again, "
            "or phone the front door for advice."
        )
    else:
        raise Refused("Say whether the family agrees to the referral.")


@transaction.atomic
def referral_send(
    *,
    user: User,
    referral: Referral,
    concern: str,
    tried: str = "",
    views_of_child: str = "",
    views_of_family: str = "",
    family_informed: bool | None = None,
    consent: str | None = None,
    consent_given_by: str = "",
    consent_relationship: str = "",
    consent_given_on: date | None = None,
    override_reason: str = "",
) -> Referral:
    """Send the referral to the council's children's social care. Consent is sought unless seeking
    it would increase the risk of significant harm (002 App. B): then the referral goes without it,
    saying why, and nothing else in the form may hold it up. Without either, it does not go.
    From sending, children's social care sees the referral and the CAF attached (in this
    transaction), and the decision clock starts."""
    referral = _locked_referral(referral)
    if referral.status != Referral.Status.DRAFT:
        raise Refused("This referral has already been sent.")
    if not policies.may_send_referral(user, referral):
        raise PermissionDenied("Only the person who started the referral may send it.")
    if not concern.strip():
        raise Refused("Describe the concern: what you have seen or been told, and when.")
    _referral_basis_set(
        referral,
        consent=consent,
        consent_given_by=consent_given_by,
        consent_relationship=consent_relationship,
        consent_given_on=consent_given_on,
        override_reason=override_reason,
    )
    if referral.urgency == Referral.Urgency.IMMEDIATE and referral.front_door_called_at is None:
        raise Refused("A child is at immediate risk: phone the front door now, then record the call.")
    agencies = social_care_agencies(referral.council_id)
    if not agencies:
        raise Refused("Your council has no children's social care agency recorded: phone the front door instead.")

    _move(referral, Referral.Status.SENT, REFERRAL_MOVES)
    now = timezone.now()
    referral.concern = concern.strip()
    referral.tried = tried.strip()
    referral.views_of_child = views_of_child.strip()
    referral.views_of_family = views_of_family.strip()
    referral.family_informed = family_informed
    if referral.basis == Referral.Basis.CONSENT:
        referral.consent_given_by = consent_given_by.strip()
        referral.consent_relationship = consent_relationship.strip()
        referral.consent_given_on = consent_given_on
    referral.sent_at = now
    referral.decision_due_at = decision_due_at(referral, now)
    referral.save()
    if referral.caf_id:
        _caf_to_social_care(user=user, referral=referral, agencies=agencies)
    _timeline(
        by=user, what=f"Sent to children's social care ({referral.get_basis_display().lower()})", referral=referral
    )
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what="Sent a referral to children's social care", caf=referral.caf
    )
    if referral.is_immediate:
        names = children_names(referral.children.all())
        _tell(
            front_door_managers(referral.council_id),
            kind=Kind.REFERRAL_IMMEDIATE,
            subject_key=f"referral:{referral.pk}",
            title=f"Immediate risk: referral for {names}",
            body=(
                f"{user} ({referral.referring_agency}) has sent a referral for {names}: a child is at immediate risk. "
                f"They phoned the front door at {timezone.localtime(referral.front_door_called_at):%H:%M} and spoke "
                f"to {referral.front_door_spoke_to}."
            ),
            url=reverse("referrals:referral_detail", args=[referral.pk]),
        )
    return referral


def _caf_to_social_care(*, user: User, referral: Referral, agencies: list[Agency]) -> None:
    """Children's social care is granted the CAF the referral carries. The family's exclusions stand
    over the grant (Settled question 10a) unless the referral went under a safeguarding override,
    a recorded exception; either way the timeline says what was shared and why."""
    caf = referral.caf
    excluded = set(
        FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True, agency__in=agencies).values_list(
            "agency_id", flat=True
        )
    )
    for agency in agencies:
        perms.grant_agency(agency, caf)
        if agency.pk not in excluded:
            continue
        if referral.basis == Referral.Basis.SAFEGUARDING_OVERRIDE:
            caf_services.exclusion_exception_record(
                user=user,
                caf=caf,
                agency=agency,
                basis=SharingBasis.SAFEGUARDING_OVERRIDE,
                reason=f"Referral {referral.pk}: {referral.override_reason}",
            )
            _timeline(
                by=user,
                what=(
                    f"The CAF is shared with {agency} although the family excluded it: sent under a safeguarding "
                    "override (risk of significant harm)"
                ),
                referral=referral,
            )
        else:
            _timeline(
                by=user,
                what=f"The CAF is not shared with {agency}: the family excluded it from the assessment",
                referral=referral,
            )


# The front door -----------------------------------------------------------------------------------


def _require_front_door_manager(user: User, referral: Referral) -> None:
    if not is_front_door_manager(user, referral.council_id):
        raise PermissionDenied("Only the council's social care managers decide referrals.")


@transaction.atomic
def referral_claim(*, user: User, referral: Referral) -> Referral:
    """A front-door manager takes a referral to decide it; another may take it over (the timeline
    says from whom)."""
    referral = _locked_referral(referral)
    _require_front_door_manager(user, referral)
    if referral.status != Referral.Status.SENT:
        raise Refused("Only a referral awaiting a decision can be claimed.")
    if referral.claimed_by_id == user.pk:
        raise Refused("You have already claimed this referral.")
    previous = referral.claimed_by
    referral.claimed_by = user
    referral.claimed_at = timezone.now()
    referral.save(update_fields=["claimed_by", "claimed_at"])
    _timeline(
        by=user,
        what=f"Claimed by {user}" + (f", taking it over from {previous}" if previous else ""),
        referral=referral,
    )
    return referral


@transaction.atomic
def referral_decide(
    *,
    user: User,
    referral: Referral,
    decision: str,
    reasons: str,
    advice: str = "",
    social_worker: User | None = None,
    step_down: dict[str, Any] | None = None,
) -> Referral:
    """The front door's decision, with reasons. No further action needs advice to the referrer;
    stepping down sends the family to early help (step-down point 1, `step_down` holds the
    transfer); social care work (section 17 or 47) needs the allocated social worker, who becomes
    the CAF's lead professional when the council chooses so (Settled question 7), or else the CAF
    closes as stepped up. The referrer and the CAF's lead professional are told the outcome."""
    referral = _locked_referral(referral)
    _require_front_door_manager(user, referral)
    if referral.status == Referral.Status.DECIDED:
        raise Refused("This referral has already been decided.")
    if decision not in Decision.values:
        raise Refused("Choose the decision.")
    if not reasons.strip():
        raise Refused("Give the reasons for the decision.")
    if decision == Decision.NO_FURTHER_ACTION and not advice.strip():
        raise Refused("Give your advice to the referrer: what they and the family can do now.")
    if decision in Referral.SOCIAL_CARE_DECISIONS:
        if social_worker is None:
            raise Refused("Choose the social worker allocated to the family.")
        if not (
            social_worker.is_active
            and social_worker.has_role(Role.SOCIAL_WORKER)
            and is_social_care_staff(social_worker, referral.council_id)
        ):
            raise Refused("Choose a social worker of this council's children's social care.")
    elif social_worker is not None:
        raise Refused("A social worker is allocated only when social care takes the referral on.")
    if decision == Decision.STEP_DOWN and step_down is None:
        raise Refused("Say what early help needs to know: the needs still open and the family's consent.")

    _move(referral, Referral.Status.DECIDED, REFERRAL_MOVES)
    now = timezone.now()
    referral.decision = decision
    referral.decision_reasons = reasons.strip()
    referral.advice = advice.strip()
    referral.allocated_social_worker = social_worker
    referral.decided_by = user
    referral.decided_at = now
    if referral.claimed_by_id is None:
        referral.claimed_by, referral.claimed_at = user, now
    referral.save()
    _timeline(by=user, what=f"Decided: {referral.get_decision_display()}", referral=referral)
    access_log_write(
        user=user,
        action=AccessLog.Action.CHANGE,
        what=f"Decided a referral: {referral.get_decision_display()}",
        caf=referral.caf,
    )

    caf = referral.caf
    lead = _current_lead(caf)
    if decision == Decision.STEP_DOWN:
        _step_down_create(
            user=user,
            point=StepDown.Point.FRONT_DOOR,
            referral=referral,
            caf=caf,
            children=list(referral.children.all()),
            reason=reasons,
            **step_down,
        )
    elif decision in Referral.SOCIAL_CARE_DECISIONS:
        _social_care_takes_on(user=user, referral=referral, social_worker=social_worker)

    names = children_names(referral.children.all())
    outcome = referral.get_decision_display()
    body = f"Children's social care has decided the referral for {names}: {outcome}."
    body += f"\n\nReasons: {referral.decision_reasons}"
    if referral.advice:
        body += f"\n\nAdvice to the referrer: {referral.advice}"
    _tell(
        [referral.created_by, lead],
        kind=Kind.REFERRAL_DECIDED,
        subject_key=f"referral:{referral.pk}",
        title=f"Referral for {names}: {outcome}",
        body=body,
        url=reverse("referrals:referral_detail", args=[referral.pk]),
    )
    return referral


def _current_lead(caf: Caf | None) -> User | None:
    if caf is None:
        return None
    assignment = caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first()
    return assignment.user if assignment else None


def _social_care_takes_on(*, user: User, referral: Referral, social_worker: User) -> None:
    caf = referral.caf
    names = children_names(referral.children.all())
    _tell(
        [social_worker],
        kind=Kind.SOCIAL_WORKER_ALLOCATED,
        subject_key=f"referral:{referral.pk}",
        title=f"You are allocated to {names}",
        body=f"{user} has allocated you as social worker for {names}: {referral.get_decision_display()}.",
        url=reverse("referrals:referral_detail", args=[referral.pk]),
    )
    _timeline(by=user, what=f"Allocated {social_worker} as social worker", referral=referral)
    if caf is None:
        return
    _exceptions_for_social_care_work(user=user, referral=referral, social_worker=social_worker)
    if caf.status != Caf.Status.ACTIVE:
        _timeline(
            by=user,
            what=f"The CAF attached is {caf.get_status_display().lower()}: it is kept as evidence",
            referral=referral,
        )
        return
    if referral.council.social_worker_leads_caf and perms.is_excluded(social_worker, caf):
        _timeline(
            by=user,
            what=(
                f"The family excluded {social_worker} ({social_worker.agency}) from the CAF: the CAF keeps its "
                "lead professional and the social worker's work is recorded on this referral"
            ),
            referral=referral,
        )
    elif referral.council.social_worker_leads_caf:
        caf_services.lead_professional_from_social_care(user=user, caf=caf, social_worker=social_worker)
        _timeline(
            by=user,
            what=f"{social_worker} became the CAF's lead professional: support is social-work led",
            referral=referral,
        )
    else:
        caf_services.caf_close_stepped_up(
            user=user, caf=caf, summary=f"Stepped up: {referral.get_decision_display()}. {referral.decision_reasons}"
        )
        _timeline(by=user, what="The CAF closed as stepped up to children's social care", referral=referral)


def _exceptions_for_social_care_work(*, user: User, referral: Referral, social_worker: User) -> None:
    """Settled question 10: a section 47 enquiry takes the CAF to children's social care whatever the
    family excluded, and the allocated social worker of a referral sent under a safeguarding
    override sees it; each such share is a recorded exception, with its basis, in the timeline."""
    caf = referral.caf
    shares: list[dict[str, Any]] = []
    if referral.decision == Decision.CHILD_PROTECTION:
        shares.extend(
            {"agency": agency, "basis": SharingBasis.CHILD_PROTECTION}
            for agency in social_care_agencies(referral.council_id)
        )
    if referral.basis == Referral.Basis.SAFEGUARDING_OVERRIDE:
        shares.append({"person": social_worker, "basis": SharingBasis.SAFEGUARDING_OVERRIDE})
    for share in shares:
        exception = caf_services.exclusion_exception_record(
            user=user, caf=caf, reason=f"Referral {referral.pk}: {referral.get_decision_display()}", **share
        )
        if exception is not None:
            _timeline(
                by=user,
                what=(
                    f"The CAF is shared with {share.get('agency') or share.get('person')} although the family "
                    f"excluded them: {exception.get_basis_display().lower()}"
                ),
                referral=referral,
            )


# Step-down ----------------------------------------------------------------------------------------


STEP_DOWN_FIELDS = (
    "open_needs",
    "social_worker_summary",
    "consent_given_by",
    "consent_relationship",
    "consent_given_on",
    "consent_method",
)


def _step_down_create(
    *,
    user: User,
    point: str,
    referral: Referral | None,
    caf: Caf | None,
    children: list[Child],
    reason: str,
    consent_agencies: Iterable[Agency] = (),
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    **fields: Any,
) -> StepDown:
    council = referral.council if referral is not None else user.council
    if not children:
        raise Refused("Choose the children early help is to pick up.")
    if any(child.council_id != council.pk for child in children):
        raise Refused("Choose children of this council.")
    missing = [name for name in STEP_DOWN_FIELDS if not fields.get(name)]
    if missing or not reason.strip():
        raise Refused(
            "Early help needs the reason, the needs still open, the social worker's summary and the family's "
            "consent to early help (who gave it, their relationship to the child, when and how)."
        )
    if fields["consent_given_on"] > timezone.localdate():
        raise Refused("The date consent was given cannot be in the future.")
    if refusal := out_of_bounds(fields["consent_given_on"], "The date consent was given", *CONSENT):
        raise Refused(f"{refusal}.")
    consent_agencies, excluded_agencies = list(consent_agencies), list(excluded_agencies)
    excluded_people = list(excluded_people)
    if any(agency.council_id != council.pk for agency in [*consent_agencies, *excluded_agencies]):
        raise Refused("Choose agencies of this council.")
    if any(person.council_id != council.pk for person in excluded_people):
        raise Refused("Choose people of this council.")
    if set(consent_agencies) & set(excluded_agencies):
        raise Refused("An agency cannot be both agreed by the family and excluded by them.")
    if any(agency.agency_type == AgencyType.EARLY_HELP for agency in excluded_agencies):
        raise Refused(
            "The family cannot exclude the council's early help team, which picks them up: "
            "name the people they do not want to see it instead."
        )
    now = timezone.now()
    step_down = StepDown(
        council=council,
        point=point,
        referral=referral,
        caf=caf,
        reason=reason.strip(),
        sent_by=user,
        sent_at=now,
        pick_up_due_on=pick_up_due_on(council, now),
        **{name: value.strip() if isinstance(value, str) else value for name, value in fields.items()},
    )
    step_down.full_clean(exclude=["referral", "caf"], validate_constraints=False)
    try:
        with transaction.atomic():
            step_down.save()
    except IntegrityError:
        raise Refused("This family has already been stepped down at this point.") from None
    step_down.children.set(children)
    step_down.consent_agencies.set(consent_agencies)
    step_down.excluded_agencies.set(excluded_agencies)
    step_down.excluded_people.set(excluded_people)
    _timeline(by=user, what=f"Sent to early help: {step_down.point_phrase}", step_down=step_down)
    names = children_names(children)
    _tell(
        caf_administrators(council.pk),
        kind=Kind.STEP_DOWN_SENT,
        subject_key=f"step-down:{step_down.pk}",
        title=f"Step-down to pick up: {names}",
        body=(
            f"Children's social care ({user}) has stepped {names} down to early help "
            f"({step_down.point_phrase}). Please pick them up by "
            f"{step_down.pick_up_due_on:%A %-d %B %Y}."
        ),
        url=reverse("referrals:step_down_detail", args=[step_down.pk]),
    )
    return step_down


@transaction.atomic
def step_down_send(
    *,
    user: User,
    point: str,
    referral: Referral | None = None,
    caf: Caf | None = None,
    children: list[Child] | None = None,
    reason: str,
    consent_agencies: Iterable[Agency] = (),
    excluded_agencies: Iterable[Agency] = (),
    excluded_people: Iterable[User] = (),
    **fields: Any,
) -> StepDown:
    """Social care sends a family down to early help after its own work: after a social care
    assessment that finds the threshold not met (point 2), or at the closure of a Child in Need
    case (point 3). Point 1, the front door's decision, is made by referral_decide. From a referral
    that social care took on, or from a CAF that is social-work led."""
    if not policies.may_step_down(user, user.council_id):
        raise PermissionDenied("Only children's social care steps a family down.")
    if point not in (StepDown.Point.AFTER_ASSESSMENT, StepDown.Point.CHILD_IN_NEED_CLOSURE):
        raise Refused(
            "Choose when the family is stepping down: after an assessment, or at the closure of Child in Need."
        )
    if referral is not None:
        referral = _locked_referral(referral)
        if referral.council_id != user.council_id:
            raise PermissionDenied("This referral is not your council's.")
        if referral.status != Referral.Status.DECIDED or referral.decision not in Referral.SOCIAL_CARE_DECISIONS:
            raise Refused("Only a referral that social care took on (section 17 or 47) steps down after its work.")
        caf = referral.caf
        children = list(referral.children.all()) if children is None else children
        allowed = set(referral.children.values_list("pk", flat=True))
    elif caf is not None:
        caf = Caf.objects.select_for_update().get(pk=caf.pk)
        if caf.council_id != user.council_id:
            raise PermissionDenied("This CAF is not your council's.")
        if not caf.lead_professionals.filter(ended_at__isnull=True, social_work_led=True).exists():
            raise Refused("Only a social-work-led CAF steps down from here.")
        children = list(caf.children.all()) if children is None else children
        allowed = set(caf.children.values_list("pk", flat=True))
    else:
        raise Refused("Step down from the referral or the CAF that social care is working on.")
    if any(child.pk not in allowed for child in children or []):
        raise Refused("Choose children of this family.")
    if StepDown.objects.filter(
        children__in=children, status__in=[StepDown.Status.WAITING, StepDown.Status.PICKED_UP]
    ).exists():
        raise Refused("These children already have a step-down waiting for early help.")
    step_down = _step_down_create(
        user=user,
        point=point,
        referral=referral,
        caf=caf,
        children=children or [],
        reason=reason,
        consent_agencies=consent_agencies,
        excluded_agencies=excluded_agencies,
        excluded_people=excluded_people,
        **fields,
    )
    if referral is not None:
        _timeline(by=user, what=f"Stepped down to early help: {step_down.point_phrase}", referral=referral)
    return step_down


def _locked_step_down(step_down: StepDown) -> StepDown:
    return (
        StepDown.objects.select_for_update(of=("self",))
        .select_related("council", "caf", "referral")
        .get(pk=step_down.pk)
    )


def _require_caf_administrator(user: User, step_down: StepDown) -> None:
    if not (
        caf_policies.is_caf_administrator(user, step_down.council_id) and policies.may_view_step_down(user, step_down)
    ):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")


def family_caf_for(step_down: StepDown) -> Caf | None:
    """The CAF a pick-up continues or reopens: the one the step-down names, else the newest CAF of
    any of its children (early help may have known the family before social care did); a closed
    CAF already reopened leads to its newest episode."""
    caf = step_down.caf
    if caf is None:
        caf = (
            Caf.objects.filter(council_id=step_down.council_id, children__in=step_down.children.all())
            .exclude(status=Caf.Status.DRAFT)
            .order_by("-created_at", "-pk")
            .first()
        )
    while caf is not None and caf.status == Caf.Status.CLOSED:
        following = Caf.objects.filter(previous_episode=caf).first()
        if following is None:
            break
        caf = following
    if caf is not None and caf.status == Caf.Status.DRAFT:
        return caf.previous_episode
    return caf


@transaction.atomic
def step_down_pick_up(
    *, user: User, step_down: StepDown, levels: dict[int, Level] | None = None, lead: User | None = None
) -> StepDown:
    """An early help coordinator picks the family up: the family's CAF continues if it is active,
    a closed one is reopened as a new episode with its history, or a new CAF starts; the children,
    household, assessment and needs come across. With a lead professional chosen (who joins the
    team), the step-down closes now; without, it waits until the CAF administrator logs one."""
    step_down = _locked_step_down(step_down)
    _require_caf_administrator(user, step_down)
    if step_down.status != StepDown.Status.WAITING:
        raise Refused("This step-down has already been picked up or declined.")
    children = list(step_down.children.filter(merged_into__isnull=True))
    family_caf = family_caf_for(step_down)
    # The family's consent exactly as social care recorded it (Settled question 11).
    given = {
        "consent": {
            "given_by": step_down.consent_given_by,
            "relationship": step_down.consent_relationship,
            "given_on": step_down.consent_given_on,
            "method": step_down.consent_method,
            "explained_storage": step_down.explained_storage,
            "explained_sharing": step_down.explained_sharing,
        },
        "consent_agencies": list(step_down.consent_agencies.all()),
        "excluded_agencies": list(step_down.excluded_agencies.all()),
        "excluded_people": list(step_down.excluded_people.all()),
    }
    to_check: list[Agency] = []
    if family_caf is not None and family_caf.status == Caf.Status.ACTIVE:
        caf = family_caf
        recorded = caf_services.consent_from_step_down(user=user, caf=caf, **given)
        to_check = caf_services.agencies_not_named(caf, recorded)
        how = "continued the family's active CAF"
    else:
        caf = caf_services.caf_start_from_step_down(
            user=user,
            children=children,
            previous=family_caf,
            **given,
            levels=levels or {},
            level_reason=f"Stepped down from children's social care: {step_down.point_phrase}",
        )
        how = "reopened the family's CAF as a new episode" if family_caf is not None else "started a CAF"
    now = timezone.now()
    step_down.picked_up_by, step_down.picked_up_at, step_down.picked_up_caf = user, now, caf
    _move(step_down, StepDown.Status.PICKED_UP, STEP_DOWN_MOVES)
    step_down.save()
    _timeline(by=user, what=f"Picked up by {user}, who {how}", step_down=step_down)
    if to_check:
        _timeline(
            by=user,
            what=(
                "Check with the family: the step-down's consent does not name "
                + ", ".join(agency.name for agency in to_check)
                + ", on the team now"
            ),
            step_down=step_down,
        )
    if lead is not None and _current_lead(caf) != lead:
        if not caf.taf_members.filter(user=lead, left_at__isnull=True).exists():
            caf_services.taf_member_add(user=user, caf=caf, member=lead, role="Lead professional")
        caf_services.lead_professional_assign(user=user, caf=caf, lead=lead)
    # An early help lead professional in place (just logged, or leading the CAF that continues)
    # closes the step-down now.
    assignment = caf.lead_professionals.filter(ended_at__isnull=True, social_work_led=False).first()
    if assignment is not None:
        step_downs_complete_for(user=user, caf=caf, assignment=assignment)
    step_down.refresh_from_db()
    names = children_names(children)
    _tell(
        [step_down.sent_by],
        kind=Kind.STEP_DOWN_PICKED_UP,
        subject_key=f"step-down:{step_down.pk}",
        title=f"Early help has picked up {names}",
        body=f"{user} has picked up the step-down of {names}: they {how}.",
        url=reverse("referrals:step_down_detail", args=[step_down.pk]),
    )
    return step_down


def step_downs_complete_for(*, user: User, caf: Caf, assignment: LeadProfessionalAssignment) -> list[StepDown]:
    """Called when a lead professional is logged: a step-down picked up into this CAF closes once it
    has a lead professional in early help (not the social worker it came from)."""
    if assignment.social_work_led:
        return []
    completed = []
    for step_down in StepDown.objects.select_for_update().filter(picked_up_caf=caf, status=StepDown.Status.PICKED_UP):
        _move(step_down, StepDown.Status.COMPLETED, STEP_DOWN_MOVES)
        step_down.completed_at = assignment.started_at
        step_down.save(update_fields=["status", "completed_at"])
        _timeline(
            by=user, what=f"{assignment.user} became lead professional: the step-down is complete", step_down=step_down
        )
        completed.append(step_down)
    return completed


@transaction.atomic
def step_down_decline(*, user: User, step_down: StepDown, reason: str) -> StepDown:
    """Early help is voluntary: a family may decline it. Recorded with the reason, and counted."""
    step_down = _locked_step_down(step_down)
    _require_caf_administrator(user, step_down)
    if not reason.strip():
        raise Refused("Say why the family declined early help, in their words if you can.")
    _move(step_down, StepDown.Status.DECLINED, STEP_DOWN_MOVES)
    step_down.declined_by, step_down.declined_at, step_down.decline_reason = user, timezone.now(), reason.strip()
    step_down.save(update_fields=["status", "declined_by", "declined_at", "decline_reason"])
    _timeline(by=user, what=f"The family declined early help: {step_down.decline_reason}", step_down=step_down)
    return step_down
