"""Break-glass reads (issue 15): a person's opening in force on a child's record, the uses a reviewer
has to mark, and a child's uses for its access log."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import LocalAuthority, User
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, BreakGlass, Child
from caf.selectors.children import PossibleMatch, children_matching
from caf.selectors.records import children_may_see_among, refusal_log

REVIEWED_SHOWN = 20


def break_glass_in_force(user: User, child: Child) -> BreakGlass | None:
    """The person's break-glass on this record that has not ended yet, the latest."""
    return (
        BreakGlass.objects.filter(user=user, child_id=child.merged_into_id or child.pk, ends_at__gt=timezone.now())
        .order_by("-ends_at")
        .first()
    )


def _reviewable_by(user: User) -> Q:
    """The rule of policies.may_review_break_glass as a filter: given to them (also a partner council's
    manager, for their team's use in a council that lists it), or in their council as its early help
    lead, or as a CAF administrator where nobody was given it."""
    here = Q(council__early_help_lead=user)
    if policies.is_caf_administrator(user, user.council_id):
        here |= Q(reviewer__isnull=True)
    return (Q(reviewer=user) | (Q(council_id=user.council_id) & here)) & ~Q(user=user)


def break_glass_to_review(user: User) -> QuerySet[BreakGlass]:
    """The uses waiting for this person's review, the oldest first."""
    if not user.is_active or user.council_id is None:
        return BreakGlass.objects.none()
    return (
        BreakGlass.objects.filter(_reviewable_by(user), review=BreakGlass.Review.WAITING)
        .select_related("user__agency", "child")
        .order_by("opened_at", "pk")
    )


def break_glass_reviewed_by(user: User) -> list[BreakGlass]:
    """The last uses this person reviewed."""
    return list(
        BreakGlass.objects.filter(reviewed_by=user)
        .select_related("user__agency", "child")
        .order_by("-reviewed_at", "-pk")[:REVIEWED_SHOWN]
    )


def break_glass_get_for_review(user: User, use_id: int) -> BreakGlass:
    """One use, for its reviewer (404 for anyone else, the attempt logged), with what the person read
    under it (`reads`: their access-log rows about the child while it was open, at most 100)."""
    use = BreakGlass.objects.select_related("council", "user__agency", "child", "reviewed_by").filter(pk=use_id).first()
    if use is None or not policies.may_review_break_glass(user, use):
        refusal_log(user, "Viewed a break-glass use", child=use.child if use else None, attempted_id=use_id)
        raise Http404
    use.reads = list(  # type: ignore[attr-defined]
        AccessLog.objects.filter(
            user_id=use.user_id,
            child_ids__contains=[use.child_id],
            at__gte=use.opened_at,
            at__lte=use.ends_at,
        )
        .exclude(action=AccessLog.Action.REFUSED)
        .order_by("at", "pk")[:100]
    )
    access_log_write(
        user=user, action=AccessLog.Action.VIEW, what="Viewed a break-glass use to review", child=use.child
    )
    return use


def break_glass_uses_of(child: Child) -> list[BreakGlass]:
    """Every break-glass on the child's record, the newest first (for its access log)."""
    return list(
        BreakGlass.objects.filter(child_id=child.merged_into_id or child.pk)
        .select_related("user__agency", "reviewed_by")
        .order_by("-opened_at", "-pk")
    )


def break_glass_children_find(
    user: User, council: LocalAuthority, *, first_name: str, last_name: str, date_of_birth: date | None, postcode: str
) -> list[PossibleMatch]:
    """Find a child of another council that lists the person's agency for break-glass (a partner
    council's emergency duty team, Settled question 24): only enough to recognise the child, each
    result to be opened with break-glass (or open already, while it lasts). Nothing else of that
    council: no CAFs, no leads, no "known to early help". The search is logged in that council's log
    with the ids it showed. PermissionDenied for a council that does not list them."""
    if user.council_id == council.pk or not policies.may_break_glass(user, council):
        raise PermissionDenied("This council does not list your team for break-glass.")
    shown = children_matching(
        council.pk, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, postcode=postcode
    )
    may_open = children_may_see_among(user, [match.child for match in shown])
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Searched for a child to open with break-glass: {len(shown)} possible matches",
        child_ids=[match.child.pk for match in shown],
        council_id=council.pk,
    )
    return [PossibleMatch(match.child, match.score, may_open=match.child.pk in may_open) for match in shown]
