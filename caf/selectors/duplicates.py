"""The CAF administrators' queue of possible duplicate records, and one pair of it (the merge page).
Found by caf.services.duplicates; each pair is two records of the council, neither merged yet."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, CafChild, PossibleDuplicate
from caf.selectors.records import child_get_for_caf_administrator, refusal_log
from core.paging import ListPage, list_page

POSSIBLE_DUPLICATES_PAGE_SIZE = 25


def possible_duplicates_open(user: User) -> QuerySet[PossibleDuplicate]:
    """The council's open pairs, the most likely first, for its CAF administrators (anyone else: none),
    less any pair with a child whose family excluded the administrator from one of its CAFs."""
    if not policies.is_caf_administrator(user, user.council_id):
        return PossibleDuplicate.objects.none()
    kept_from = CafChild.objects.filter(caf__in=Caf.objects.filter(perms.excluded_from(user))).values("child_id")
    return (
        PossibleDuplicate.objects.filter(council_id=user.council_id, status=PossibleDuplicate.Status.OPEN)
        .exclude(child_a__in=kept_from)
        .exclude(child_b__in=kept_from)
        .select_related("child_a", "child_b")
        .order_by("-score", "-found_at", "pk")
    )


def possible_duplicates_page(user: User, *, page: object) -> ListPage[PossibleDuplicate]:
    """One page of the queue (anyone but a CAF administrator: 404, the attempt logged), a fixed
    number of queries whatever its size, with one access-log row naming the children listed."""
    if not policies.is_caf_administrator(user, user.council_id):
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what="Refused: the possible duplicates queue")
        raise Http404("The possible duplicates are for the council's CAF administrators.")
    shown = list_page(possible_duplicates_open(user), page, size=POSSIBLE_DUPLICATES_PAGE_SIZE)
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what="Viewed the possible duplicate records" + (f", page {shown.number}" if shown.number > 1 else ""),
        child_ids=[pk for pair in shown.rows for pk in (pair.child_a_id, pair.child_b_id)],
    )
    return shown


def possible_duplicate_get(user: User, pair_id: int, *, what: str) -> PossibleDuplicate:
    """One pair, for its merge page: each record as the CAF administrators' own pages open a child
    (a 404 for anyone who may not see it, a 403 for anyone else who may; logged)."""
    pair = PossibleDuplicate.objects.filter(pk=pair_id, council_id=user.council_id).first()
    if pair is None:
        refusal_log(user, what, attempted_id=pair_id)
        raise Http404("No such pair of records.")
    pair.child_a = child_get_for_caf_administrator(user, pair.child_a_id, what=what)
    pair.child_b = child_get_for_caf_administrator(user, pair.child_b_id, what=what)
    return pair
