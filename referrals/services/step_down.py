"""Children's social care sends a family down to early help: at the front door (the decision,
services.front_door), after a social care assessment, or at the closure of Child in Need. Each
step-down carries the family's consent to early help as given, and the CAF administrators are
told to pick it up by the council's deadline.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, AgencyType, User
from caf.models import Caf, Child
from caf.selectors import caf_administrators
from core.date_bounds import CONSENT, out_of_bounds
from core.errors import Refused
from core.forms import children_names
from referrals import policies
from referrals.deadlines import pick_up_due_on
from referrals.models import Referral, StepDown
from referrals.services._common import Kind, _locked_referral, _tell, _timeline

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
