"""What each step-down page shows, in one call each: sending a family to early help, the step-down
itself, picking it up (with the CAF it continues or reopens: `family_caf_for`), recording a
decline, and the monthly figures (the pick-up queue is in `lists`). Each refuses anyone who may not see what it
shows (a 404 or a 403, logged as the page always has) before it reads more.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Agency, AgencyType, LocalAuthority, User
from caf import permissions as perms
from caf import policies as caf_policies
from caf.models import Caf, Child, LevelChange
from caf.selectors import caf_get_for_user
from referrals import policies
from referrals.models import Referral, StepDown, TimelineEntry
from referrals.selectors.clocks import Clock, pick_up_clock
from referrals.selectors.council import staff_of
from referrals.selectors.fetch import referral_get_for_user, step_down_get_for_user
from referrals.selectors.figures import StepDownMonth, step_down_figures
from thresholds.models import Level, ThresholdModel

# Sending a family to early help -------------------------------------------------------------------


@dataclass(frozen=True)
class StepDownNewPage:
    referral: Referral | None
    caf: Caf | None
    children: list[Child]
    agencies: QuerySet[Agency]
    people: QuerySet[User]

    @property
    def record_key(self) -> str:
        """What the step-down form's drafts are kept against: the CAF, else the referral."""
        source = self.caf or self.referral
        if source is None:
            raise ValueError("A step-down starts from a referral or a CAF.")
        return source.record_key


def step_down_new_page(user: User, *, referral_id: int | None, caf_id: int | None) -> StepDownNewPage:
    """From the referral social care took on, or from the social-work-led CAF: its children, the
    agencies early help may share with (all but children's social care) and the staff the family
    may exclude."""
    referral: Referral | None = None
    caf: Caf | None = None
    if referral_id is not None:
        referral = referral_get_for_user(user, referral_id, what="Viewed a referral to step the family down")
        children = list(referral.children.all())
    elif caf_id is not None:
        caf = caf_get_for_user(user, caf_id, what="Viewed the CAF to step the family down")
        children = list(caf.children.all())
    else:
        raise Http404("Step a family down from their referral or their CAF.")
    agencies = (
        Agency.objects.for_council(user.council_id)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .order_by("name")
    )
    return StepDownNewPage(
        referral=referral, caf=caf, children=children, agencies=agencies, people=staff_of(user.council_id)
    )


# One step-down ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepDownPage:
    step_down: StepDown
    children: list[Child]
    clock: Clock | None
    consent_agencies: list[Agency]
    timeline: list[TimelineEntry]
    is_caf_administrator: bool
    may_see_referral: bool
    may_see_caf: bool
    may_see_picked_up_caf: bool


def step_down_page(user: User, step_down_id: int) -> StepDownPage:
    step_down = step_down_get_for_user(user, step_down_id)
    referral = step_down.referral
    return StepDownPage(
        step_down=step_down,
        children=list(step_down.children.all()),
        clock=pick_up_clock(step_down),
        consent_agencies=list(step_down.consent_agencies.order_by("name")),
        timeline=list(step_down.timeline.select_related("by")),
        is_caf_administrator=caf_policies.is_caf_administrator(user, step_down.council_id),
        may_see_referral=referral is not None and policies.may_view_referral(user, referral),
        may_see_caf=step_down.caf is not None and perms.has_caf_permission(user, perms.VIEW, step_down.caf),
        may_see_picked_up_caf=step_down.picked_up_caf is not None
        and perms.has_caf_permission(user, perms.VIEW, step_down.picked_up_caf),
    )


# Picking up, or the family declines ---------------------------------------------------------------


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


def pick_up_lead_candidates(user: User, step_down: StepDown) -> QuerySet[User]:
    """Who the coordinator may name as lead professional at pick-up: active staff of the council
    whom the lead's joining the team will not refuse (issue 14: no choice that can only be refused).
    A new CAF shares with the agencies the family agreed early help may share with and the
    coordinator's own (it starts the CAF); a CAF that continues shares with what the step-down's
    consent leaves it once recorded (`caf.policies.sharing_agencies_once_given`). Nobody the family
    excluded, at the step-down or on the CAF, is offered."""
    people = User.objects.filter(agency__council_id=step_down.council_id, is_active=True).exclude(
        pk__in=step_down.excluded_people.values("pk")
    )
    family_caf = family_caf_for(step_down)
    if family_caf is not None and family_caf.status == Caf.Status.ACTIVE:
        agencies = caf_policies.sharing_agencies_once_given(
            family_caf,
            given_by=step_down.consent_given_by,
            agencies=step_down.consent_agencies.all(),
            excluded_agencies=step_down.excluded_agencies.all(),
        )
        people = people.filter(agency__in=agencies).exclude(pk__in=caf_policies.people_excluded(family_caf))
    else:
        people = people.filter(
            Q(agency__in=step_down.consent_agencies.values("pk")) | Q(agency_id=user.agency_id)
        ).exclude(agency__in=step_down.excluded_agencies.values("pk"))
    return people.select_related("agency").order_by("agency__name", "full_name")


def latest_levels(children: list[Child], threshold_model: ThresholdModel) -> dict[int, int]:
    """Each child's latest level of need (by child id), when it is a level of `threshold_model`:
    the pick-up form starts from it."""
    latest = (
        LevelChange.objects.filter(child__in=children)
        .order_by("child_id", "-changed_at", "-pk")
        .distinct("child_id")
        .values("child_id", "level_id", "level__threshold_model_id")
    )
    return {
        row["child_id"]: row["level_id"] for row in latest if row["level__threshold_model_id"] == threshold_model.pk
    }


@dataclass(frozen=True)
class PickUpPage:
    """The family's CAF that continues (active) or reopens (closed), or none and a CAF starts; when
    one starts, the levels of need to set (from the council's published threshold model, each child
    starting from their latest); and who may be named lead professional."""

    step_down: StepDown
    children: list[Child]
    family_caf: Caf | None
    starts_caf: bool
    no_threshold_model: bool
    levels: QuerySet[Level] | None
    initial_levels: dict[int, int]
    people: QuerySet[User]


def _require_caf_administrator(user: User, step_down: StepDown, message: str) -> None:
    if not caf_policies.is_caf_administrator(user, step_down.council_id):
        raise PermissionDenied(message)


def pick_up_page(user: User, step_down_id: int) -> PickUpPage:
    step_down = step_down_get_for_user(user, step_down_id, what="Viewed a step-down to pick it up")
    _require_caf_administrator(user, step_down, "Only the council's CAF administrators pick up a step-down.")
    children = list(step_down.children.filter(merged_into__isnull=True))
    family_caf = family_caf_for(step_down)
    starts_caf = family_caf is None or family_caf.status != Caf.Status.ACTIVE
    model = ThresholdModel.objects.published().filter(council_id=step_down.council_id).first()
    waiting = step_down.status == StepDown.Status.WAITING
    return PickUpPage(
        step_down=step_down,
        children=children,
        family_caf=family_caf,
        starts_caf=starts_caf,
        no_threshold_model=starts_caf and model is None,
        levels=model.levels.all() if starts_caf and model else None,
        initial_levels=latest_levels(children, model) if waiting and starts_caf and model else {},
        people=pick_up_lead_candidates(user, step_down),
    )


@dataclass(frozen=True)
class DeclinePage:
    step_down: StepDown
    children: list[Child]


def decline_page(user: User, step_down_id: int) -> DeclinePage:
    step_down = step_down_get_for_user(user, step_down_id, what="Viewed a step-down to record a decline")
    _require_caf_administrator(
        user, step_down, "Only the council's CAF administrators record that a family declined early help."
    )
    return DeclinePage(step_down=step_down, children=list(step_down.children.all()))


# The queue and the figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class FiguresPage:
    council: LocalAuthority | None
    months: list[StepDownMonth]
    is_caf_administrator: bool


def figures_page(user: User) -> FiguresPage:
    """For the council's CAF administrators and its front door; anyone else: 404. Who may see them is
    read from the primary (default); only the counts come from the figures database (the replica)."""
    is_caf_administrator = caf_policies.is_caf_administrator(user, user.council_id)
    if not (is_caf_administrator or policies.is_front_door_manager(user, user.council_id)):
        raise Http404("The step-down figures are for the council's CAF administrators and social care managers.")
    return FiguresPage(
        council=user.council, months=step_down_figures(user.council), is_caf_administrator=is_caf_administrator
    )
