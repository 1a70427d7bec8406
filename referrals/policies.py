"""Who may do what with referrals and step-downs: the one home of these rules (Settled question 13).
Services refuse through these predicates; views and templates ask them what to show.

- see a referral: its referrer; the council's front door (its social care managers) once it is
  sent, whatever the family excluded (Settled question 10a: every step-up gets a decision); other
  children's social care staff once it is sent, unless the family excluded them from the CAF it
  carries (the allocated social worker of a referral sent under a safeguarding override always);
  the CAF's lead professional (the initiator's until a lead is logged).
- send a referral: its referrer, or the lead professional of the CAF it carries.
- claim and decide: the front door.
- step down after social care's work: children's social care (social care managers, social workers).
- see a step-down: the council's CAF administrators and children's social care, less anyone the
  family excluded by name from the CAF it carries (Settled question 16).
- pick up or decline a step-down: a CAF administrator the family has not excluded.
- see an earlier referral's outcome, date and agency: whoever may see that referral.
- see the council's figures (/figures/, issue 16): the council's CAF administrators, its social care
  managers (the front door) and its council administrators; nobody else, not another council's.
- enter or correct a month of the council's own social care return (/figures/social-care-return/):
  its council administrators and CAF administrators (who may see the figures it feeds).
- compare the councils' figures (/figures/councils/): service administrators (every council); and
  the CAF administrators, social care managers and council administrators of a council that agreed
  to share its figures (only the councils that agreed).
"""

from accounts.models import AgencyType, Role, User
from caf import permissions as perms
from caf import policies as caf_policies
from caf.models import Caf, SharingBasis
from referrals.models import Referral, StepDown


def is_social_care_staff(user: User, council_id: int | None) -> bool:
    return (
        user.is_active
        and user.agency_id is not None
        and user.council_id == council_id
        and user.agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE
    )


def is_front_door_manager(user: User, council_id: int | None) -> bool:
    return is_social_care_staff(user, council_id) and user.has_role(Role.SOCIAL_CARE_MANAGER)


def _excluded_from(user: User, caf: Caf | None) -> bool:
    return caf is not None and perms.is_excluded(user, caf)


def may_view_referral(user: User, referral: Referral) -> bool:
    if not user.is_active or user.council_id != referral.council_id:
        return False
    if referral.status != Referral.Status.DRAFT and is_front_door_manager(user, referral.council_id):
        return True  # Settled question 10(a): the referral's own text, always
    if _excluded_from(user, referral.caf):
        return (
            referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE
            and referral.allocated_social_worker_id == user.pk
            and referral.status == Referral.Status.DECIDED
        )
    if referral.created_by_id == user.pk:
        return True
    if referral.status != Referral.Status.DRAFT and is_social_care_staff(user, referral.council_id):
        return True
    return referral.caf is not None and caf_policies.may_refer_from(user, referral.caf)


def may_send_referral(user: User, referral: Referral) -> bool:
    if referral.status != Referral.Status.DRAFT or _excluded_from(user, referral.caf):
        return False
    return referral.created_by_id == user.pk or (
        referral.caf is not None and caf_policies.may_refer_from(user, referral.caf)
    )


def is_referrer(user: User, referral: Referral) -> bool:
    """The immediate-risk call page and the draft are the referrer's."""
    return referral.created_by_id == user.pk


def may_record_front_door_call(user: User, referral: Referral) -> bool:
    return referral.status == Referral.Status.DRAFT and is_referrer(user, referral)


def may_decide(user: User, referral: Referral) -> bool:
    return referral.status == Referral.Status.SENT and is_front_door_manager(user, referral.council_id)


may_claim = may_decide


def may_step_down(user: User, council_id: int | None) -> bool:
    """Children's social care steps a family down after its own work (points 2 and 3)."""
    return is_social_care_staff(user, council_id) and (
        user.has_role(Role.SOCIAL_CARE_MANAGER) or user.has_role(Role.SOCIAL_WORKER)
    )


def _step_down_cafs(step_down: StepDown) -> list[Caf]:
    return [caf for caf in (step_down.caf, step_down.picked_up_caf) if caf is not None]


def may_view_step_down(user: User, step_down: StepDown) -> bool:
    if not user.is_active or user.council_id != step_down.council_id:
        return False
    if not (
        caf_policies.is_caf_administrator(user, step_down.council_id)
        or is_social_care_staff(user, step_down.council_id)
    ):
        return False
    if step_down.excluded_people.filter(pk=user.pk).exists() or (
        step_down.excluded_agencies.filter(pk=user.agency_id).exists()
    ):
        return False  # what the family told social care binds before the pick-up records it
    return not any(perms.is_excluded(user, caf) for caf in _step_down_cafs(step_down))


def may_pick_up(user: User, step_down: StepDown) -> bool:
    return (
        step_down.status == StepDown.Status.WAITING
        and caf_policies.is_caf_administrator(user, step_down.council_id)
        and may_view_step_down(user, step_down)
    )


may_decline = may_pick_up


def may_see_earlier_referral(user: User, referral: Referral) -> bool:
    """Outcomes, dates and agencies of a child's earlier referrals: children's social care, and those
    who could already see that referral. Anyone else learns only that the front door will see them."""
    return may_view_referral(user, referral)


def may_see_council_figures(user: User, council_id: int | None) -> bool:
    """The council's figures: exact counts for the council (Settled question 22), so only for its CAF
    administrators, its front door (social care managers) and its council administrators."""
    if not user.is_active or council_id is None or user.council_id != council_id:
        return False
    return (
        caf_policies.is_caf_administrator(user, council_id)
        or is_front_door_manager(user, council_id)
        or user.has_role(Role.COUNCIL_ADMINISTRATOR)
    )


def may_compare_councils(user: User) -> bool:
    """The comparison across the instance's councils, rounded and suppressed (Settled question 22):
    service administrators, and those who may see the figures of a council that agreed to share its
    own (they see only the councils that agreed: council_figures.councils_compared_page)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    council = user.council
    return council is not None and council.shares_figures_with_councils and may_see_council_figures(user, council.pk)


def compares_every_council(user: User) -> bool:
    """A service administrator sees every council in the comparison; anyone else only those that
    agreed to share."""
    return user.is_active and user.is_superuser


def may_enter_social_care_return(user: User, council_id: int | None) -> bool:
    """A month's total of referrals from the council's own social care return (Settled question 22):
    the council's administrators and its CAF administrators, who read the figures it is compared in."""
    if not user.is_active or council_id is None or user.council_id != council_id:
        return False
    return caf_policies.is_caf_administrator(user, council_id) or user.has_role(Role.COUNCIL_ADMINISTRATOR)
