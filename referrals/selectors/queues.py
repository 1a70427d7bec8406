"""The lists of referrals and step-downs that the queues and the home pages show, each limited to
what the user may see: the front door's queue (with the re-referral annotations) and its recent
decisions, a referrer's own referrals, a social worker's allocations, and early help's and social
care's step-downs.
"""

from datetime import timedelta

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from caf import permissions as perms
from caf import policies as caf_policies
from caf import selectors as caf_selectors
from caf.models import Caf
from referrals.models import Referral, StepDown
from referrals.policies import is_front_door_manager, is_social_care_staff
from referrals.selectors.history import _with_earlier_referral

OPEN_STEP_DOWN = [StepDown.Status.WAITING, StepDown.Status.PICKED_UP]


def referrals_searched(referrals: QuerySet[Referral], council_id: int | None, words: str) -> QuerySet[Referral]:
    """Those referring a child with each word in their name, or from the CAF with that reference:
    one `pk IN` of a union per word, each half answered by its own index (never an OR across a join)."""
    for word in caf_selectors.search_words(words):
        named = Referral.children.through.objects.filter(child__in=caf_selectors.children_named(council_id, word))
        from_caf = Referral.objects.filter(caf__in=caf_selectors.cafs_referenced(council_id, word)).order_by()
        referrals = referrals.filter(pk__in=named.order_by().values("referral_id").union(from_caf.values("pk")))
    return referrals


def step_downs_searched(step_downs: QuerySet[StepDown], council_id: int | None, words: str) -> QuerySet[StepDown]:
    """As `referrals_searched`, for step-downs: a child's name, or the reference of the CAF the
    family had or was picked up into."""
    for word in caf_selectors.search_words(words):
        named = StepDown.children.through.objects.filter(child__in=caf_selectors.children_named(council_id, word))
        cafs = caf_selectors.cafs_referenced(council_id, word)
        from_caf = StepDown.objects.filter(Q(caf__in=cafs) | Q(picked_up_caf__in=cafs)).order_by()
        step_downs = step_downs.filter(pk__in=named.order_by().values("stepdown_id").union(from_caf.values("pk")))
    return step_downs


def front_door_queue(
    user: User, *, urgency: str = "", locality_id: int | None = None, agency_type: str = "", words: str = ""
) -> QuerySet[Referral]:
    """Referrals awaiting a decision, for the council's front-door managers: immediate risk first,
    then the earliest decision deadline (the most overdue), so the first rows a home page shows are
    the most urgent; each with the re-referral annotations. A fixed number of queries."""
    if not is_front_door_manager(user, user.council_id):
        return Referral.objects.none()
    referrals: QuerySet[Referral] = Referral.objects.filter(council_id=user.council_id, status=Referral.Status.SENT)
    if urgency:
        referrals = referrals.filter(urgency=urgency)
    if locality_id:
        referrals = referrals.filter(referring_agency__locality_id=locality_id)
    if agency_type:
        referrals = referrals.filter(referring_agency__agency_type=agency_type)
    referrals = referrals_searched(referrals, user.council_id, words)
    return (
        _with_earlier_referral(referrals)
        .annotate(
            urgency_order=Case(
                When(urgency=Referral.Urgency.IMMEDIATE, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .select_related("council", "referring_agency__locality", "created_by", "claimed_by")
        .prefetch_related("children")
        .order_by("urgency_order", "decision_due_at", "pk")
    )


def referrals_decided_recently(user: User, *, days: int = 7) -> QuerySet[Referral]:
    if not is_front_door_manager(user, user.council_id):
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            council_id=user.council_id,
            status=Referral.Status.DECIDED,
            decided_at__gte=timezone.now() - timedelta(days=days),
        )
        .select_related("decided_by", "referring_agency")
        .prefetch_related("children")
        .order_by("-decided_at", "-pk")
    )


def referrals_made_by(user: User, *, days: int = 90) -> QuerySet[Referral]:
    """The user's own referrals: drafts, and those sent in the last `days` with their outcome."""
    return (
        Referral.objects.filter(created_by=user, council_id=user.council_id)
        .filter(Q(status=Referral.Status.DRAFT) | Q(sent_at__gte=timezone.now() - timedelta(days=days)))
        .select_related("council")
        .prefetch_related("children")
        .order_by("-created_at", "-pk")
    )


def referrals_allocated_to(user: User) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(
            allocated_social_worker=user,
            council_id=user.council_id,
            decision__in=Referral.SOCIAL_CARE_DECISIONS,
        )
        .exclude(step_downs__point__in=[StepDown.Point.AFTER_ASSESSMENT, StepDown.Point.CHILD_IN_NEED_CLOSURE])
        .prefetch_related("children")
        .order_by("-decided_at", "-pk")
    )


def step_down_exclusions_naming(user: User) -> QuerySet[StepDown]:
    """Step-downs whose family asked that the user, or their agency, not see them (the step-down's own
    exclusions, beside the family's on its CAF): `_step_downs` leaves these out for the user."""
    # Each from its own through table's index, never an OR across two joins of every step-down.
    people = StepDown.excluded_people.through.objects.filter(user=user).values("stepdown_id")
    agencies = StepDown.excluded_agencies.through.objects.filter(agency=user.agency).values("stepdown_id")
    return StepDown.objects.filter(pk__in=people.union(agencies))


def _step_downs(council_id: int | None, user: User | None = None) -> QuerySet[StepDown]:
    """The council's step-downs; for a user, less those whose CAF the family excluded them from
    (Settled question 16: a named-person exclusion binds a CAF administrator too)."""
    step_downs = StepDown.objects.filter(council_id=council_id)
    if user is not None:
        # The one rule (caf.permissions.excluded_from), tried only on the CAFs with an exclusion row
        # naming the user or their agency: a lookup in the small exclusions table, never a scan of
        # every CAF of the council.
        excluded = (
            Caf.objects.filter(council_id=council_id, pk__in=perms.exclusions_naming(user).values("caf_id"))
            .filter(perms.excluded_from(user))
            .values("pk")
        )
        step_downs = (
            step_downs.exclude(caf__in=excluded)
            .exclude(picked_up_caf__in=excluded)
            .exclude(excluded_people=user)
            .exclude(excluded_agencies=user.agency_id)
        )
    # Only what a queue row shows (the clock takes the council's calendar, built once per list): each
    # join more is planning time on every home page.
    return step_downs.select_related("sent_by", "picked_up_caf", "picked_up_by").prefetch_related("children")


def step_downs_to_pick_up(user: User) -> QuerySet[StepDown]:
    """The early help pick-up queue: waiting step-downs, the nearest deadline first."""
    if not caf_policies.is_caf_administrator(user, user.council_id):
        return StepDown.objects.none()
    return (
        _step_downs(user.council_id, user)
        .filter(status=StepDown.Status.WAITING)
        .order_by("pick_up_due_on", "sent_at", "pk")
    )


def step_downs_waiting_for_lead(user: User) -> QuerySet[StepDown]:
    if not caf_policies.is_caf_administrator(user, user.council_id):
        return StepDown.objects.none()
    return _step_downs(user.council_id, user).filter(status=StepDown.Status.PICKED_UP).order_by("picked_up_at", "pk")


def step_downs_open_from_social_care(user: User) -> QuerySet[StepDown]:
    if not is_social_care_staff(user, user.council_id):
        return StepDown.objects.none()
    return _step_downs(user.council_id).filter(status__in=OPEN_STEP_DOWN).order_by("pick_up_due_on", "sent_at", "pk")
