"""Possible duplicate records of a child: found in the database, set-based, and resolved by a CAF
administrator, by merging the two records with a choice per field, or by saying they are different
children.

A pair is found when two unmerged records of one council have the same unique pupil number, or the
same date of birth and last names that sound alike (fuzzystrmatch's double metaphone) with first
names that sound alike or are spelt alike (pg_trgm similarity of 0.4 or more). Its score is
find-before-create's (caf.selectors.children_find): half the names' trigram similarity, 0.5 for the
date of birth, 0.25 each for the same postcode and first names that sound alike; a shared pupil
number adds 1. A pair is stored once, whatever runs find it again; one an administrator dismissed
stays dismissed.

The NHS number is unique among a council's unmerged records (a database constraint), so two
records cannot share one: recording a child whose NHS number is taken is refused at the form.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Child, ChildCorrection, PossibleDuplicate
from caf.services.children import child_merge
from core.errors import Refused

SOUNDS_ALIKE = "Names sound alike, same date of birth"
SAME_UPN = "Same unique pupil number"

# A pair's score and reasons, from its two records x and y (symmetric: either order gives the same).
_SCORED = """
    x.council_id, LEAST(x.id, y.id) AS a_id, GREATEST(x.id, y.id) AS b_id,
    (similarity(lower(x.first_name), lower(y.first_name)) + similarity(lower(x.last_name), lower(y.last_name))) / 2
    + CASE WHEN x.date_of_birth = y.date_of_birth THEN 0.5 ELSE 0 END
    + CASE WHEN x.postcode <> '' AND replace(upper(x.postcode), ' ', '') = replace(upper(y.postcode), ' ', '')
        THEN 0.25 ELSE 0 END
    + CASE WHEN dmetaphone(lower(x.first_name)) = dmetaphone(lower(y.first_name)) THEN 0.25 ELSE 0 END
    + CASE WHEN x.upn <> '' AND x.upn = y.upn THEN 1 ELSE 0 END AS score,
    concat_ws('; ',
        CASE WHEN x.date_of_birth = y.date_of_birth
            AND dmetaphone(lower(x.last_name)) = dmetaphone(lower(y.last_name)) THEN %(sounds_alike)s END,
        CASE WHEN x.upn <> '' AND x.upn = y.upn THEN %(same_upn)s END) AS reasons
"""

# The records asked about (x): all, one council's, those given, or those made since; neither merged.
_ASKED = """
    x.merged_into_id IS NULL AND y.merged_into_id IS NULL
    AND (%(council)s::bigint IS NULL OR x.council_id = %(council)s::bigint)
    AND (%(children)s::bigint[] IS NULL OR x.id = ANY(%(children)s::bigint[]))
    AND (%(since)s::timestamptz IS NULL OR x.created_at >= %(since)s::timestamptz)
"""

# From each record asked about, its pairs by one indexed equality each (never an OR across the
# join, which would compare every pair of a county's records), each scored where it is found, so
# nothing joins back to the whole table; a pair found from both its records, or by both rules, is
# the same row and the UNION keeps it once.
_FIND = """
INSERT INTO caf_possibleduplicate (council_id, child_a_id, child_b_id, score, reasons, found_at, status)
SELECT council_id, a_id, b_id, LEAST(round(score::numeric, 2), 99.99), reasons, now(), 'open'
FROM (
    SELECT <SCORED>
    FROM caf_child x
    JOIN caf_child y ON y.council_id = x.council_id AND y.date_of_birth = x.date_of_birth AND y.id <> x.id
    WHERE <ASKED>
        AND dmetaphone(lower(x.last_name)) = dmetaphone(lower(y.last_name))
        AND (dmetaphone(lower(x.first_name)) = dmetaphone(lower(y.first_name))
            OR similarity(lower(x.first_name), lower(y.first_name)) >= 0.4)
    UNION
    SELECT <SCORED>
    FROM caf_child x
    JOIN caf_child y ON y.council_id = x.council_id AND y.upn = x.upn AND y.id <> x.id
    WHERE x.upn <> '' AND <ASKED>
) AS pairs
ON CONFLICT (child_a_id, child_b_id) DO NOTHING
""".replace("<SCORED>", _SCORED).replace("<ASKED>", _ASKED)


def possible_duplicates_find(
    *, council_id: int | None = None, children: Iterable[Child] = (), since: datetime | None = None
) -> int:
    """Record the possible duplicates not known yet (all councils, or one; every record, or pairs
    with one of `children`, or with a record made `since`); return how many are new. One statement."""
    child_ids = [child.pk for child in children] or None
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL's JIT compiles this statement's expressions on every run (its estimated cost
        # passes jit_above_cost), which cost 45 ms of a 47 ms run for one new record among 30,000
        # children, and 1 s of 1.2 s for all of them: off for this statement's transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(
            _FIND,
            {
                "council": council_id,
                "children": child_ids,
                "since": since,
                "sounds_alike": SOUNDS_ALIKE,
                "same_upn": SAME_UPN,
            },
        )
        return cursor.rowcount


def _pair_locked(user: User, pair: PossibleDuplicate) -> PossibleDuplicate:
    if not policies.may_merge_children(user, pair.council_id):
        raise PermissionDenied("Only the council's CAF administrators resolve possible duplicates.")
    locked = PossibleDuplicate.objects.select_for_update().get(pk=pair.pk)
    if not locked.is_open:
        raise Refused(f"These records were already resolved: {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def possible_duplicate_dismiss(*, user: User, pair: PossibleDuplicate) -> PossibleDuplicate:
    """A CAF administrator says the two records are different children: the pair leaves the queue
    and is not suggested again."""
    pair = _pair_locked(user, pair)
    pair.status, pair.resolved_by, pair.resolved_at = PossibleDuplicate.Status.NOT_DUPLICATE, user, timezone.now()
    pair.save(update_fields=["status", "resolved_by", "resolved_at"])
    access_log_write(
        user=user,
        action=AccessLog.Action.CHANGE,
        what=f"Records {pair.child_a_id} and {pair.child_b_id} are not the same child",
        child_ids=[pair.child_a_id, pair.child_b_id],
    )
    return pair


# What the merge lets the administrator choose, field by field, in the page's order.
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "known_as",
    "date_of_birth",
    "expected_date_of_birth",
    "sex",
    "gender",
    "ethnicity",
    "first_language",
    "interpreter_needed",
    "address",
    "postcode",
    "school_or_setting",
    "nhs_number",
    "upn",
    "send",
)


def _as_text(value: Any) -> str:
    return "" if value is None else value.isoformat() if hasattr(value, "isoformat") else str(value)


def field_label(name: str) -> str:
    """A field of a child's record as a person reads it ("NHS number", "Date of birth")."""
    label = str(getattr(Child._meta.get_field(name), "verbose_name", name))
    return label[0].upper() + label[1:]


def fields_that_differ(first: Child, second: Child) -> list[str]:
    return [name for name in MERGE_FIELDS if getattr(first, name) != getattr(second, name)]


@transaction.atomic
def possible_duplicate_merge(
    *, user: User, pair: PossibleDuplicate, keep: Child, taken_from_other: Iterable[str]
) -> Child:
    """Merge the pair's two records into `keep` (one of them), taking the fields named in
    `taken_from_other` from the other record: the other is merged into it (caf.services.child_merge:
    both stay, with every CAF, consent and level), then the kept record is changed and checked, and
    each change written as a `ChildCorrection` (Settled question 18), in one transaction. Any other
    open pair with the merged record closes with it."""
    pair = _pair_locked(user, pair)
    if keep.pk not in (pair.child_a_id, pair.child_b_id):
        raise Refused("Choose one of the two records to keep.")
    other_id = pair.child_b_id if keep.pk == pair.child_a_id else pair.child_a_id
    taken = [name for name in MERGE_FIELDS if name in set(taken_from_other)]
    child_merge(user=user, keep=keep, duplicate=Child.objects.get(pk=other_id))
    kept, other = Child.objects.get(pk=keep.pk), Child.objects.get(pk=other_id)
    corrections = [
        ChildCorrection(
            child=kept,
            field=name,
            old_value=_as_text(getattr(kept, name)),
            new_value=_as_text(getattr(other, name)),
            taken_from=other,
            made_by=user,
        )
        for name in taken
    ]
    for name in taken:
        setattr(kept, name, getattr(other, name))
    if taken:
        kept.full_clean()
        kept.save(update_fields=taken)
        ChildCorrection.objects.bulk_create(corrections)
    now = timezone.now()
    pair.status, pair.resolved_by, pair.resolved_at = PossibleDuplicate.Status.MERGED, user, now
    pair.save(update_fields=["status", "resolved_by", "resolved_at"])
    PossibleDuplicate.objects.filter(status=PossibleDuplicate.Status.OPEN).filter(
        Q(child_a_id=other_id) | Q(child_b_id=other_id)
    ).update(status=PossibleDuplicate.Status.MERGED, resolved_by=user, resolved_at=now)
    labels = ", ".join(field_label(name) for name in taken)
    access_log_write(
        user=user,
        action=AccessLog.Action.CHANGE,
        what=f"Took from record {other_id} when merging: {labels}" if taken else "Kept every field of this record",
        child=kept,
    )
    return kept
