"""Reads of children's records, each already limited to what the user may see."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.postgres.search import TrigramSimilarity
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet
from django.db.models.functions import Greatest, Lower
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, AgencyType, LocalAuthority, Role, User
from caf import hooks, policies
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.hooks import ChronologyEvent
from caf.models import (
    AccessLog,
    Adult,
    Caf,
    CafChild,
    Child,
    Consent,
    FamilyExclusion,
    LeadProfessionalAssignment,
    LevelChange,
    PlanAction,
    Review,
    ReviewDateChange,
    TeamAroundFamilyMember,
)


class Dmetaphone(Func):
    """fuzzystrmatch's double metaphone code: names that sound alike share it (Jayden, Jaden)."""

    function = "dmetaphone"


# Fetching one record, with the check and the access log -------------------------------------------


def caf_get_for_user(user: User, caf_id: int, permission: str = perms.VIEW, *, what: str = "Viewed the CAF") -> Caf:
    """The one way a page gets a CAF: 404 for anyone without the permission (the attempt is
    logged), and every read is logged."""
    caf = (
        Caf.objects.filter(pk=caf_id)
        .select_related("council", "initiating_agency", "initiated_by", "threshold_model")
        .first()
    )
    if caf is None or not perms.has_caf_permission(user, permission, caf):
        _refused(user, what, caf=caf, attempted_id=caf_id)
        raise Http404("No CAF matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, caf=caf)
    if permission == perms.VIEW:
        caf.__dict__.setdefault("_may_view", {})[user.pk] = True  # caf.policies.may_view asks no more
    return caf


def child_may_see(user: User, child: Child) -> bool:
    """A child's record: the council's CAF administrators, whoever recorded the child, anyone who
    may see one of the child's CAFs, and children's social care once the child is referred. The
    family's exclusions beat each of these (issue 11): someone excluded from any of the family's
    CAFs does not open the child's record, except the front door deciding a referral (Settled
    question 10a)."""
    if not user.is_active or user.council_id != child.council_id:
        return False
    records = Child.objects.filter(Q(pk=child.pk) | Q(merged_into=child.pk)).values("pk")
    social_care = user.agency_id is not None and user.agency.agency_type == AgencyType.CHILDRENS_SOCIAL_CARE
    if Caf.objects.filter(children__in=records).filter(perms.excluded_from(user)).exists():
        return social_care and user.has_role(Role.SOCIAL_CARE_MANAGER) and hooks.child_referred(records)
    if policies.is_caf_administrator(user, child.council_id) or child.created_by_id == user.pk:
        return True
    if perms.cafs_visible_to(user).filter(children__in=records).exists():
        return True
    # Children's social care sees a child referred to it (the agency is the unit of sharing), to
    # read their chronology and earlier referrals while deciding (referrals answers, caf.hooks).
    return social_care and hooks.child_referred(records)


def child_get_for_user(user: User, child_id: int, *, what: str = "Viewed the child's record") -> Child:
    child = Child.objects.filter(pk=child_id).select_related("merged_into").first()
    if child is None or not child_may_see(user, child):
        _refused(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, child=child)
    return child


def _refused(user: User, what: str, *, caf: Caf | None = None, child: Child | None = None, attempted_id: int) -> None:
    """Every refused attempt is logged (Settled question 17): against the record when it exists,
    else with the id asked for, so that someone walking through ids shows in the log."""
    if not user.is_authenticated:
        return
    if caf is not None or child is not None:
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}", caf=caf, child=child)
    else:
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}", attempted_id=attempted_id)


# Find before create -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PossibleMatch:
    child: Child
    score: float
    # The child has a CAF the searcher may not see: the result says only that (Settled question 18).
    known_elsewhere: bool = False

    @property
    def postcode_area(self) -> str:
        return self.child.postcode.split(" ")[0] if self.child.postcode else ""


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
        Child.objects.filter(council_id=user.council_id, merged_into__isnull=True)
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
    shown = matches[:limit]
    known_elsewhere = _with_cafs_not_visible(user, [match.child.pk for match in shown])
    shown = [PossibleMatch(match.child, match.score, match.child.pk in known_elsewhere) for match in shown]
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what=f"Searched for a child: {len(shown)} possible matches",
        child_ids=[match.child.pk for match in shown],
    )
    return shown


def _with_cafs_not_visible(user: User, child_ids: list[int]) -> set[int]:
    """Which of these children (or records merged into them) are on a CAF the user may not see:
    one query."""
    if not child_ids:
        return set()
    hidden = (
        CafChild.objects.filter(Q(child__in=child_ids) | Q(child__merged_into__in=child_ids))
        .exclude(caf__in=perms.cafs_visible_to(user))
        .values_list("child_id", "child__merged_into_id")
    )
    return {merged_into or child for child, merged_into in hidden}


def _sounds(*names: str) -> tuple[str, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["dmetaphone(%s)"] * len(names)), names)
        return tuple(cursor.fetchone())


# Lists --------------------------------------------------------------------------------------------


def _with_children(cafs: QuerySet[Caf]) -> QuerySet[Caf]:
    return cafs.select_related("initiating_agency").prefetch_related("children").order_by("-created_at")


def drafts_of(user: User) -> QuerySet[Caf]:
    return _with_children(perms.cafs_visible_to(user).filter(status=Caf.Status.DRAFT, initiated_by=user))


def cafs_led_by(user: User) -> QuerySet[Caf]:
    led = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), user=user, ended_at__isnull=True)
    return _with_children(perms.cafs_visible_to(user).filter(Exists(led), status=Caf.Status.ACTIVE))


def tafs_of(user: User) -> QuerySet[Caf]:
    member = TeamAroundFamilyMember.objects.filter(caf=OuterRef("pk"), user=user, left_at__isnull=True)
    return _with_children(perms.cafs_visible_to(user).filter(Exists(member), status=Caf.Status.ACTIVE))


def overdue_actions_in_plans_led_by(user: User, *, today: date) -> QuerySet[PlanAction]:
    """Actions past their date in the plans the user leads, whoever owns them (issue 5: "overdue
    actions are listed for the LP")."""
    led = LeadProfessionalAssignment.objects.filter(caf=OuterRef("caf"), user=user, ended_at__isnull=True)
    return (
        PlanAction.objects.filter(
            Exists(led),
            caf__status=Caf.Status.ACTIVE,
            due_on__lt=today,
            status__in=PlanAction.OPEN_STATUSES,
        )
        .select_related("caf", "owner")
        .prefetch_related("caf__children")
        .order_by("due_on", "pk")
    )


def actions_due_for(user: User, *, by: date) -> QuerySet[PlanAction]:
    return (
        PlanAction.objects.filter(
            owner=user,
            caf__status=Caf.Status.ACTIVE,
            due_on__lte=by,
            status__in=PlanAction.OPEN_STATUSES,
            caf__in=perms.cafs_visible_to(user),
        )
        .select_related("caf")
        .order_by("due_on")
    )


def cafs_to_register(user: User) -> QuerySet[Caf]:
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    # From what the administrator may see: every CAF of the council less the family's named exclusions.
    return _with_children(perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE, registered_at__isnull=True))


def cafs_without_lead(user: User) -> QuerySet[Caf]:
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    current = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True)
    return _with_children(perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE).exclude(Exists(current)))


def access_log_for_child(
    user: User, child: Child, *, before: tuple[datetime, int] | None = None
) -> QuerySet[AccessLog]:
    """The log of a child's record (and of its CAFs, and every list or search that showed them),
    for the council's CAF administrators only, newest first. Read through the GIN index on
    `child_ids` alone (no join, no DISTINCT: an OR across a join does not scale, Engineering
    facts); paged by key, `before` being the (at, pk) of the last row already shown."""
    if not (user.has_role(Role.CAF_ADMINISTRATOR) and user.council_id == child.council_id):
        raise Http404("No child matches the given query.")
    entries = AccessLog.objects.filter(child_ids__overlap=_records_of(child))
    if before is not None:
        at, pk = before
        entries = entries.filter(Q(at__lt=at) | Q(at=at, pk__lt=pk))
    return entries.select_related("user", "agency").order_by("-at", "-pk")


# Chronology ---------------------------------------------------------------------------------------


def child_chronology(user: User, child: Child) -> list[ChronologyEvent]:
    """Everything significant about a child, in time order, derived from the records (never typed
    twice): CAFs opened, activated, registered and closed, consent, level changes, TAF joins and
    leaves, lead professional changes, and the events of the apps above caf (referrals and
    step-downs, through caf.hooks). Only from the CAFs the user may see; the
    child's merged records are included. A fixed number of queries whatever the history's length."""
    records = [child.pk, *child.merged_records.values_list("pk", flat=True)]
    cafs = list(
        perms.cafs_visible_to(user)
        .filter(children__in=records)
        .distinct()
        .select_related("initiated_by", "initiating_agency", "registered_by", "closed_by")
    )
    caf_ids = [caf.pk for caf in cafs]
    by_id = {caf.pk: caf for caf in cafs}
    events: list[ChronologyEvent] = []
    for caf in cafs:
        events.append(
            ChronologyEvent(caf.created_at, f"CAF started by {caf.initiated_by} ({caf.initiating_agency})", caf)
        )
        if caf.activated_at:
            events.append(ChronologyEvent(caf.activated_at, "Assessment submitted: the CAF became active", caf))
        if caf.registered_at:
            events.append(ChronologyEvent(caf.registered_at, f"Registered as {caf.reference}", caf))
        if caf.closed_at:
            events.append(ChronologyEvent(caf.closed_at, f"CAF closed: {caf.get_closure_reason_display()}", caf))
    for consent in Consent.objects.filter(caf__in=caf_ids):
        events.append(
            ChronologyEvent(
                consent.recorded_at,
                f"Consent given by {consent.given_by} ({consent.relationship})",
                by_id[consent.caf_id],
            )
        )
        if consent.withdrawn_on:
            events.append(
                ChronologyEvent(
                    datetime.combine(consent.withdrawn_on, datetime.min.time(), tzinfo=consent.recorded_at.tzinfo),
                    f"Consent withdrawn: {consent.withdrawal_reason}",
                    by_id[consent.caf_id],
                )
            )
    for change in LevelChange.objects.filter(child__in=records, caf_child__caf__in=caf_ids).select_related(
        "level", "changed_by", "caf_child"
    ):
        reason = f" ({change.reason})" if change.reason else ""
        events.append(
            ChronologyEvent(
                change.changed_at,
                f"Level of need set to {change.level.label} by {change.changed_by}{reason}",
                by_id[change.caf_child.caf_id],
            )
        )
    for member in TeamAroundFamilyMember.objects.filter(caf__in=caf_ids).select_related("user", "agency"):
        events.append(
            ChronologyEvent(member.joined_at, f"{member.user} ({member.agency}) joined the TAF", by_id[member.caf_id])
        )
        if member.left_at:
            events.append(
                ChronologyEvent(member.left_at, f"{member.user} ({member.agency}) left the TAF", by_id[member.caf_id])
            )
    events.extend(
        ChronologyEvent(lead.started_at, f"{lead.user} became lead professional", by_id[lead.caf_id])
        for lead in LeadProfessionalAssignment.objects.filter(caf__in=caf_ids).select_related("user")
    )
    # The apps above caf add theirs (referrals: referrals and step-downs), registered in caf.hooks.
    events.extend(hooks.chronology_events(by_id))
    events.sort(key=lambda event: event.at)
    return events


def caf_children_with_levels(caf: Caf) -> QuerySet[CafChild]:
    return caf.caf_children.select_related("child", "level", "suggested_level").prefetch_related("indicators")


# The children's screens (find, record, merge, access log) -----------------------------------------


def child_get_for_caf_administrator(user: User, child_id: int, *, what: str) -> Child:
    """For the pages only the council's CAF administrators see (access log, merge): 404 for anyone
    who may not see the child, a 403 for anyone else who may (the refusal middleware logs it), each
    attempt logged, without logging a read they were refused."""
    if not policies.is_caf_administrator(user, user.council_id):
        child = Child.objects.filter(pk=child_id).first()
        if child is not None and child_may_see(user, child):
            raise PermissionDenied("Only the council's CAF administrators see this page.")
        _refused(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    return child_get_for_user(user, child_id, what=what)


def _records_of(child: Child) -> list[int]:
    return [child.pk, *child.merged_records.values_list("pk", flat=True)]


def child_cafs(user: User, child: Child) -> QuerySet[CafChild]:
    """The child's CAFs the user may see (the merged records' too), each with the child's own
    level, newest first. A fixed number of queries whatever their number."""
    return (
        CafChild.objects.filter(child__in=_records_of(child), caf__in=perms.cafs_visible_to(user))
        .select_related("caf", "caf__initiating_agency", "level", "child")
        .order_by("-caf__created_at", "-pk")
    )


def child_level_history(user: User, child: Child) -> QuerySet[LevelChange]:
    """Every level of need set for the child in the CAFs the user may see, newest first."""
    return (
        LevelChange.objects.filter(child__in=_records_of(child), caf_child__caf__in=perms.cafs_visible_to(user))
        .select_related("level", "suggested_level", "changed_by", "caf_child__caf")
        .order_by("-changed_at", "-pk")
    )


@dataclass(frozen=True)
class Household:
    children: list[Child]
    adults: list[Adult]


def child_household(user: User, child: Child) -> Household:
    """The household as the records know it: the other children and the adults of the child's CAFs
    that the user may see."""
    records = _records_of(child)
    visible = perms.cafs_visible_to(user).filter(children__in=records).values("pk")
    return Household(
        children=list(Child.objects.filter(cafs__in=visible).exclude(pk__in=records).distinct()),
        adults=list(Adult.objects.filter(cafs__in=visible).distinct().order_by("full_name", "pk")),
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


# The active CAF's screens and the CAF administrator's home queues ---------------------------------


def caf_possible_duplicates(user: User, caf: Caf) -> QuerySet[Caf]:
    """Other CAFs of the council for any of this CAF's children, for the CAF administrator's check
    at registration that the CAF is not a duplicate."""
    if not policies.is_caf_administrator(user, caf.council_id):
        return Caf.objects.none()
    children = CafChild.objects.filter(caf=caf).values("child_id")
    return _with_children(
        perms.cafs_visible_to(user).filter(caf_children__child__in=children).exclude(pk=caf.pk).distinct()
    )


def cafs_with_lead_to_log(user: User) -> QuerySet[Caf]:
    """Active CAFs whose TAF has formed (two or more current members) but with no current lead
    professional: the TAF has to agree one and the CAF administrator log it."""
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    current_lead = LeadProfessionalAssignment.objects.filter(caf=OuterRef("pk"), ended_at__isnull=True)
    return _with_children(
        perms.cafs_visible_to(user)
        .filter(status=Caf.Status.ACTIVE)
        .exclude(Exists(current_lead))
        .annotate(current_members=Count("taf_members", filter=Q(taf_members__left_at__isnull=True)))
        .filter(current_members__gt=1)
    )


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
        _refused(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, child=child)
    return child


# Home page queues -------------------------------------------------------------------------------


def caf_detail_url(caf_id: int) -> str:
    return reverse("caf:caf_detail", args=[caf_id])


def caf_queue_item(caf: Caf, url: str) -> tuple[str, str]:
    """A CAF in a home page queue: the children's names and the CAF's reference, and where to go.
    Expects the CAF's children prefetched (the caf.selectors lists do)."""
    reference = caf.reference or f"number {caf.pk}"
    return (
        f"{caf.children_names} (CAF {reference}, started {timezone.localdate(caf.created_at):%-d %B %Y})",
        url,
    )


# Reviews ------------------------------------------------------------------------------------------


REVIEWS_UPCOMING_WITHIN_DAYS = 14


def review_state(caf: Caf, *, within_days: int = REVIEWS_UPCOMING_WITHIN_DAYS) -> str | None:
    """ "overdue" when an active CAF's next review date has passed, "upcoming" when it falls between
    today and `within_days` ahead, else None. The same rule as the querysets below, for a list of
    CAFs already fetched (the home page splits the CAFs a user leads without another query)."""
    today = timezone.localdate()
    if caf.status != Caf.Status.ACTIVE or caf.next_review_on is None:
        return None
    if caf.next_review_on < today:
        return "overdue"
    return "upcoming" if caf.next_review_on <= today + timedelta(days=within_days) else None


def reviews_upcoming_for(user: User, *, within_days: int = REVIEWS_UPCOMING_WITHIN_DAYS) -> QuerySet[Caf]:
    """Active CAFs the user leads whose next review falls between today and `within_days` ahead."""
    today = timezone.localdate()
    return (
        cafs_led_by(user)
        .filter(next_review_on__gte=today, next_review_on__lte=today + timedelta(days=within_days))
        .order_by("next_review_on", "pk")
    )


def reviews_overdue_for(user: User) -> QuerySet[Caf]:
    """Active CAFs the user leads whose next review date has passed without a review."""
    return cafs_led_by(user).filter(next_review_on__lt=timezone.localdate()).order_by("next_review_on", "pk")


def reviews_overdue_in_council(user: User) -> QuerySet[Caf]:
    """For the council's CAF administrators, who chase them: every active CAF of the council whose
    review is overdue, led or not."""
    if not policies.is_caf_administrator(user, user.council_id):
        return Caf.objects.none()
    return _with_children(
        perms.cafs_visible_to(user).filter(status=Caf.Status.ACTIVE, next_review_on__lt=timezone.localdate())
    ).order_by("next_review_on", "pk")


@dataclass(frozen=True)
class ReviewFigures:
    held: int
    on_time: int
    late: int
    overdue_today: int


def review_figures(council: LocalAuthority, start: date, end: date) -> ReviewFigures:
    """The figures councils report: reviews held in the period (inclusive) on time (held on or before
    the date they were due) and late, and active CAFs whose review is overdue today. Counted in the
    database; a review with no due date (none was set) counts as held only."""
    counts = Review.objects.filter(caf__council=council, held_on__gte=start, held_on__lte=end).aggregate(
        held=Count("pk"),
        on_time=Count("pk", filter=Q(due_on__isnull=False, held_on__lte=F("due_on"))),
        late=Count("pk", filter=Q(due_on__isnull=False, held_on__gt=F("due_on"))),
    )
    overdue = Caf.objects.filter(
        council=council, status=Caf.Status.ACTIVE, next_review_on__lt=timezone.localdate()
    ).count()
    return ReviewFigures(held=counts["held"], on_time=counts["on_time"], late=counts["late"], overdue_today=overdue)


def caf_reviews(caf: Caf) -> QuerySet[Review]:
    """A CAF's reviews, newest first, with who attended, progress per action and level changes:
    a fixed number of queries whatever their number."""
    return caf.reviews.select_related("recorded_by").prefetch_related(
        "attendees", "progress__action", "level_changes__level", "level_changes__child"
    )


def caf_review_date_changes(caf: Caf) -> QuerySet[ReviewDateChange]:
    return caf.review_date_changes.select_related("changed_by").order_by("-changed_at", "-pk")


# Consent and the family's exclusions --------------------------------------------------------------


@dataclass(frozen=True)
class ConsentChoices:
    """What the consent and exclusion forms offer, from the family's decisions in force."""

    agencies: QuerySet[Agency]
    excludable_agencies: QuerySet[Agency]
    people: QuerySet[User]
    exclusions: list[FamilyExclusion]


def consent_choices(caf: Caf) -> ConsentChoices:
    """Agencies a consent may cover (the council's, less the initiating agency, always covered, and
    those the family excluded, until they lift it); agencies that may be excluded (not the
    council's early help team, Settled question 16, nor one already excluded); people who may be
    named (the council's active staff not already excluded); and the exclusions in force."""
    exclusions = list(
        FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user__agency")
    )
    excluded_agencies = [exclusion.agency_id for exclusion in exclusions if exclusion.agency_id]
    excluded_people = [exclusion.user_id for exclusion in exclusions if exclusion.user_id]
    in_council = Agency.objects.filter(council_id=caf.council_id).order_by("name")
    return ConsentChoices(
        agencies=in_council.exclude(pk=caf.initiating_agency_id).exclude(pk__in=excluded_agencies),
        excludable_agencies=in_council.exclude(pk=caf.initiating_agency_id)
        .exclude(pk__in=excluded_agencies)
        .exclude(agency_type=AgencyType.EARLY_HELP),
        people=User.objects.filter(agency__council_id=caf.council_id, is_active=True)
        .exclude(pk__in=excluded_people)
        .select_related("agency")
        .order_by("full_name", "pk"),
        exclusions=exclusions,
    )


def consent_initial(caf: Caf, changing: Consent | None) -> dict[str, Any]:
    """Settled question 11: "Change" on a draft opens the consent as recorded; a new consent on an
    active CAF starts from the consenting person, never from the agencies covered (no pre-ticked
    consent). Exclusions in force are carried forward by the service, whatever the form holds."""
    source = changing or Consent.objects.current().filter(caf=caf).order_by("-recorded_at", "-pk").first()
    if source is None:
        return {}
    initial: dict[str, Any] = {
        "given_by_kind": "young_person" if source.is_young_person else "parent_or_carer",
        "given_by": source.given_by,
        "relationship": source.relationship,
        "competence_note": source.competence_note,
        "children": list(source.children.values_list("pk", flat=True)),
    }
    if changing is not None and caf.status == Caf.Status.DRAFT:
        initial.update(
            {
                "given_on": source.given_on,
                "method": source.method,
                "agencies": list(source.agencies.exclude(pk=caf.initiating_agency_id).values_list("pk", flat=True)),
                "copy_to": source.copy_to,
                "explained": [
                    key
                    for key, done in (("storage", source.explained_storage), ("sharing", source.explained_sharing))
                    if done
                ],
            }
        )
    return initial
