"""Reads for accounts pages. Each returns data already limited to the user's council."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import RoleChange, User

ROLE_CHANGES_SHOWN = 10
ROLE_CHANGES_DAYS = 30


def role_changes_recent(user: User) -> list[RoleChange]:
    """The council's latest role changes, so that its administrators see each other's (never a
    service administrator's account)."""
    since = timezone.now() - timedelta(days=ROLE_CHANGES_DAYS)
    return list(
        RoleChange.objects.for_council(user.council_id)
        .filter(changed_at__gte=since)
        .exclude(user__is_superuser=True)
        .select_related("user", "changed_by")[:ROLE_CHANGES_SHOWN]
    )
