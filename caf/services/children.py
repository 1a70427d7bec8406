"""Children and their households: recording a child, merging duplicate records, the household."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Adult, Child
from core.errors import Refused


@transaction.atomic
def child_create(*, user: User, **fields: Any) -> Child:
    if user.council_id is None:
        raise PermissionDenied("Only a council's staff can record a child.")
    fields["postcode"] = fields.get("postcode", "").strip().upper()
    fields["nhs_number"] = fields.get("nhs_number", "").replace(" ", "")
    child = Child(council_id=user.council_id, created_by=user, **fields)
    child.full_clean()
    child.save()
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what="Recorded the child", child=child)
    # A record like one already there (the person went past find-before-create's matches) goes to
    # the CAF administrators' possible duplicates at once. (Imported here: duplicates merges with
    # this module's child_merge.)
    from caf.services.duplicates import possible_duplicates_find

    possible_duplicates_find(council_id=child.council_id, children=[child])
    return child


@transaction.atomic
def child_merge(*, user: User, keep: Child, duplicate: Child) -> Child:
    """A CAF administrator merges a duplicate record into the one to keep. Both stay, with every
    CAF, consent and level of each: the duplicate points at the kept record, and the kept record's
    chronology includes the duplicate's."""
    if not (policies.may_merge_children(user, keep.council_id) and keep.council_id == duplicate.council_id):
        raise PermissionDenied("Only the council's CAF administrators may merge records.")
    if keep.pk == duplicate.pk:
        raise Refused("Choose two different records to merge.")
    keep, duplicate = (Child.objects.select_for_update().get(pk=pk) for pk in (keep.pk, duplicate.pk))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise Refused("One of these records has already been merged. Merge into the record it was merged into.")
    duplicate.merged_into = keep
    duplicate.merged_at = timezone.now()
    duplicate.merged_by = user
    duplicate.save(update_fields=["merged_into", "merged_at", "merged_by"])
    Child.objects.filter(merged_into=duplicate).update(merged_into=keep)
    access_log_write(
        user=user, action=AccessLog.Action.CHANGE, what=f"Merged record {duplicate.pk} into this one", child=keep
    )
    return keep


@transaction.atomic
def household_record(*, user: User, child: Child, adults: Iterable[dict[str, Any]]) -> list[Adult]:
    """Record the adults of a child's household (name, relationship, parental responsibility,
    phone), in the user's council, logged against the child's record. They are offered to the
    CAF when it starts (Caf.adults)."""
    if user.council_id is None or user.council_id != child.council_id:
        raise PermissionDenied("Only the council's staff can record a child's household.")
    recorded = []
    for fields in adults:
        adult = Adult(council_id=child.council_id, **fields)
        adult.full_clean()
        adult.save()
        adult.children.add(child)
        recorded.append(adult)
    if recorded:
        names = ", ".join(adult.full_name for adult in recorded)
        access_log_write(
            user=user, action=AccessLog.Action.CHANGE, what=f"Recorded the household: {names}", child=child
        )
    return recorded
