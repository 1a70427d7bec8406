"""The children's screens: find before create (sounds-alike matching), a child's CAFs, levels and
household, siblings (the child's access log is caf.selectors.access_log).
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection
from django.db.models import Func, Q, QuerySet
from django.db.models.functions import Greatest, Lower
from django.http import Http404

from accounts.models import User
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Adult, Caf, CafChild, Child, LeadProfessionalAssignment, LevelChange
from caf.selectors.records import child_may_see, children_may_see_among, refusal_log


class Dmetaphone(Func):
    """fuzzystrmatch's double metaphone code: names that sound alike share it (Jayden, Jaden)."""

    function = "dmetaphone"


@dataclass(frozen=True)
class PossibleMatch:
    child: Child
    score: float
    # The child has a CAF the searcher may not see: the result says only that (Settled question 18).
    known_elsewhere: bool = False
    # Whether the searcher may open the child's record (the result links to it), and the child's
    # open CAFs they may see, with who leads each: so a second agency joins the team instead of
    # starting a duplicate (issue 14).
    may_open: bool = False
    open_cafs: tuple["OpenCaf", ...] = ()

    @property
    def postcode_area(self) -> str:
        return self.child.postcode.split(" ")[0] if self.child.postcode else ""


@dataclass(frozen=True)
class OpenCaf:
    """A draft or active CAF of a child, as find a child and starting a CAF name it."""

    caf: Caf
    lead: LeadProfessionalAssignment | None

    @property
    def led_by(self) -> str:
        if self.lead is None:
            return "no lead professional yet"
        return (
            f"{self.lead.user.full_name}, {self.lead.user.agency.name}"
            if self.lead.user.agency
            else str(self.lead.user)
        )


def children_open_cafs(user: User, child_ids: Collection[int]) -> dict[int, list[OpenCaf]]:
    """The draft and active CAFs of these children (or of records merged into them) that the user may
    see, each with its current lead professional: two queries, whatever the number of children."""
    if not child_ids:
        return {}
    records = Child.objects.filter(Q(pk__in=child_ids) | Q(merged_into__in=child_ids)).values("pk")
    open_cafs = Caf.objects.filter(caf_children__child__in=records, status__in=[Caf.Status.DRAFT, Caf.Status.ACTIVE])
    rows = list(
        CafChild.objects.filter(child__in=records, caf__in=perms.cafs_visible_among(user, open_cafs))
        .select_related("caf", "child")
        .order_by("caf__pk")
    )
    leads = {
        lead.caf_id: lead
        for lead in LeadProfessionalAssignment.objects.filter(
            caf__in={row.caf_id for row in rows}, ended_at__isnull=True
        ).select_related("user", "user__agency")
    }
    found: dict[int, list[OpenCaf]] = {}
    for row in rows:
        found.setdefault(row.child.merged_into_id or row.child_id, []).append(OpenCaf(row.caf, leads.get(row.caf_id)))
    return found


def child_known_elsewhere(user: User, child: Child) -> bool:
    """The child has a CAF this person may not see (Settled question 18): a second CAF is not started;
    the request goes to the CAF administrator."""
    return bool(_with_cafs_not_visible(user, [child.pk]))


def children_find(
    user: User,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    postcode: str = "",
    limit: int = 10,
) -> list[PossibleMatch]:
    """Children of the user's council who may be the one being recorded: tolerant of spelling
    (trigram similarity), of sound (double metaphone) and of name order (first and last swapped).
    Only a name matches: a date of birth or a postcode alone never does, they only raise the score
    of a name that matches (so a search cannot list every child born on a day). Shows only enough
    to recognise a child; the search is logged with the ids of the children it showed."""
    if user.council_id is None:
        return []
    shown = children_matching(
        user.council_id,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        postcode=postcode,
        limit=limit,
    )
    shown_ids = [match.child.pk for match in shown]
    known_elsewhere = _with_cafs_not_visible(user, shown_ids)
    open_cafs = children_open_cafs(user, shown_ids)
    may_open = children_may_see_among(user, [match.child for match in shown if match.child.pk not in known_elsewhere])
    shown = [
        PossibleMatch(
            match.child,
            match.score,
            known_elsewhere=match.child.pk in known_elsewhere,
            may_open=match.child.pk in may_open,
            open_cafs=tuple(open_cafs.get(match.child.pk, ())),
        )
        for match in shown
    ]
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Searched for a child: {len(shown)} possible matches",
        child_ids=[match.child.pk for match in shown],
    )
    return shown


def children_matching(
    council_id: int, *, first_name: str, last_name: str, date_of_birth: date | None, postcode: str, limit: int = 10
) -> list[PossibleMatch]:
    """The matching of `children_find`, in one council, best first, before any rule of who may see
    what: its callers add that, and log what they show."""
    first, last = first_name.strip().lower(), last_name.strip().lower()
    first_code, last_code = _sounds(first, last)
    similarity = Greatest(
        TrigramSimilarity(Lower("first_name"), first) + TrigramSimilarity(Lower("last_name"), last),
        TrigramSimilarity(Lower("first_name"), last) + TrigramSimilarity(Lower("last_name"), first),
    )
    sounds_alike = (Q(first_sound=first_code) & Q(last_sound=last_code)) | (
        Q(first_sound=last_code) & Q(last_sound=first_code)
    )
    candidates = (
        Child.objects.filter(council_id=council_id, merged_into__isnull=True)
        .annotate(
            similarity=similarity,
            first_lower=Lower("first_name"),
            last_lower=Lower("last_name"),
            first_sound=Dmetaphone(Lower("first_name")),
            last_sound=Dmetaphone(Lower("last_name")),
        )
        # Each branch can use an index: pg_trgm's % on the lower-cased names (GIN) and the sound
        # codes (b-tree), so PostgreSQL combines them instead of reading every child.
        .filter(
            Q(first_lower__trigram_similar=first, last_lower__trigram_similar=last)
            | Q(first_lower__trigram_similar=last, last_lower__trigram_similar=first)
            | sounds_alike
        )
    )
    matches = []
    for child in candidates.order_by("-similarity")[: limit * 3]:
        score = float(child.similarity) / 2
        if date_of_birth and child.date_of_birth == date_of_birth:
            score += 0.5
        if postcode and child.postcode and child.postcode.replace(" ", "") == postcode.replace(" ", "").upper():
            score += 0.25
        if {child.first_sound, child.last_sound} == {first_code, last_code}:
            score += 0.25
        matches.append(PossibleMatch(child, round(score, 2)))
    matches.sort(key=lambda match: (-match.score, match.child.last_name, match.child.pk))
    return matches[:limit]


def _with_cafs_not_visible(user: User, child_ids: list[int]) -> set[int]:
    """Which of these children (or records merged into them) are on a CAF the user may not see:
    one query."""
    if not child_ids:
        return set()
    # The OR stays inside one table (two index lookups): an OR across a join reads every CAF child.
    records = Child.objects.filter(Q(pk__in=child_ids) | Q(merged_into__in=child_ids)).values("pk")
    their_cafs = Caf.objects.filter(caf_children__child__in=records)
    hidden = (
        CafChild.objects.filter(child__in=records)
        .exclude(caf__in=perms.cafs_visible_among(user, their_cafs))
        .values_list("child_id", "child__merged_into_id")
    )
    return {merged_into or child for child, merged_into in hidden}


def _sounds(*names: str) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["dmetaphone(%s)"] * len(names)), names)
        return tuple(cursor.fetchone())


def _records_of(child: Child) -> list[int]:
    return [child.pk, *child.merged_records.values_list("pk", flat=True)]


def _cafs_of(records: list[int]) -> QuerySet[Caf]:
    """The CAFs of a child's records: the few that `perms.cafs_visible_among` checks one by one."""
    return Caf.objects.filter(children__in=records)


def child_cafs(user: User, child: Child) -> QuerySet[CafChild]:
    """The child's CAFs the user may see (the merged records' too), each with the child's own
    level, newest first. A fixed number of queries whatever their number."""
    records = _records_of(child)
    return (
        CafChild.objects.filter(child__in=records, caf__in=perms.cafs_visible_among(user, _cafs_of(records)))
        .select_related("caf", "caf__initiating_agency", "level", "child")
        .order_by("-caf__created_at", "-pk")
    )


def child_level_history(user: User, child: Child) -> QuerySet[LevelChange]:
    """Every level of need set for the child in the CAFs the user may see, newest first."""
    records = _records_of(child)
    return (
        LevelChange.objects.filter(
            child__in=records, caf_child__caf__in=perms.cafs_visible_among(user, _cafs_of(records))
        )
        .select_related("level", "suggested_level", "changed_by", "caf_child__caf")
        .order_by("-changed_at", "-pk")
    )


@dataclass(frozen=True)
class Household:
    children: list[Child]
    adults: list[Adult]


def child_household(user: User, child: Child) -> Household:
    """The household as the records know it: the other children and the adults of the child's CAFs
    that the user may see, and the adults recorded with the child (issue 14)."""
    records = _records_of(child)
    visible = perms.cafs_visible_among(user, _cafs_of(records)).values("pk")
    adults = list(Adult.objects.filter(cafs__in=visible).distinct().order_by("full_name", "pk"))
    # The adults recorded with the child before any CAF (caf_start brings them onto the CAF): for
    # whoever recorded the child and the CAF administrators, not for someone who only once saw a CAF.
    if child.created_by_id == user.pk or policies.is_caf_administrator(user, child.council_id):
        shown = {adult.pk for adult in adults}
        adults += [adult for adult in Adult.objects.filter(children__in=records).distinct() if adult.pk not in shown]
        adults.sort(key=lambda adult: (adult.full_name, adult.pk))
    return Household(
        children=list(Child.objects.filter(cafs__in=visible).exclude(pk__in=records).distinct()),
        adults=adults,
    )


def sibling_candidates_for(user: User, child: Child) -> QuerySet[Child]:
    """Children a practitioner may add to a Family CAF for `child`: recorded in the same council,
    not merged, and ones the user may see (recorded by them or on a CAF they can see). A CAF
    administrator, who may see every child of the council, is offered those sharing the child's
    surname or postcode."""
    if not user.is_active or user.council_id != child.council_id:
        return Child.objects.none()
    candidates = Child.objects.filter(council_id=child.council_id, merged_into__isnull=True).exclude(pk=child.pk)
    if policies.is_caf_administrator(user, child.council_id):
        same_home = Q(last_name__iexact=child.last_name)
        if child.postcode:
            same_home |= Q(postcode__iexact=child.postcode)
        candidates = candidates.filter(same_home)
    else:
        on_visible_cafs = CafChild.objects.filter(caf__in=perms.cafs_visible_to(user)).values("child_id")
        candidates = candidates.filter(Q(created_by=user) | Q(pk__in=on_visible_cafs))
    return candidates.order_by("last_name", "first_name", "pk")


def child_for_new_caf(
    user: User, child_id: int, *, found: Collection[int] = (), what: str = "Opened the page to start a CAF"
) -> Child:
    """A child of the user's council (not a merged record) that a practitioner may start a CAF or a
    referral for: one their own search found (`found`: the ids their searches showed, kept in their
    session by the find page), one they recorded, or one they may already see. Starting a CAF is
    how a second agency comes to work with a child already known to another; it shows no other
    agency's records. Anything else is a 404 with the attempt logged, so that ids cannot be walked
    through to read the council's children's names."""
    child = Child.objects.filter(pk=child_id).first()
    allowed = (
        child is not None
        and user.is_active
        and user.agency_id is not None
        and child.council_id == user.council_id
        and child.merged_into_id is None
        and (child.pk in found or child.created_by_id == user.pk or child_may_see(user, child))
    )
    if not allowed:
        refusal_log(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, child=child)
    return child
