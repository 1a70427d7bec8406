"""The access log: every read and change of a child's record, and every refusal (Settled question 17).

The largest table (millions of rows, growing every page view), so in PostgreSQL it is partitioned by
month of `at` (migration 0007, raw SQL: the table's real primary key is (id, at), since PostgreSQL
needs the partition key in every unique constraint; Django keeps `id` as the model's). Nothing has
a foreign key into it. caf.access_log_partitions keeps the months ahead."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from accounts.models import Agency, LocalAuthority
from caf.models.caf import Caf
from caf.models.children import Child


class AccessLog(models.Model):
    """Who read or changed which child's record, when, from which agency. Written by the services
    and views; nobody can edit it (no admin, no update paths; a CAF administrator reads it)."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CHANGE = "change", "Changed"
        REFUSED = "refused", "Refused access"
        # A subject access export (caf.services.subject_access_export): the whole record, downloaded.
        EXPORT = "export", "Exported for subject access"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+", null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, related_name="access_log")
    # Indexed with the time by access_log_caf_at below (a CAF's log), so not on its own.
    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, null=True, related_name="access_log", db_index=False)
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=200)
    # The partition key: a time range prunes to its months, so no index of its own.
    at = models.DateTimeField(default=timezone.now)
    # Settled question 17: every child a row is about (a list page or search: every child shown;
    # a CAF: its children at the time), and the id asked for when it matched nothing.
    child_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    attempted_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            # A child's log: `child_ids && ARRAY[...]` (caf.selectors.access_log_for_child). Without
            # the pending list (fastupdate), so rows just written never make the planner scan the
            # month instead: a little more work per row written, a predictable read.
            GinIndex(fields=["child_ids"], name="access_log_child_ids", fastupdate=False),
            # A CAF's log, newest first, paged by (at, id): read in the index's order.
            models.Index(fields=["caf", "-at", "-id"], name="access_log_caf_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}: {self.what}"
