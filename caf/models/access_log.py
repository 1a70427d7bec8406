"""The access log: every read and change of a child's record, and every refusal (Settled question 17)."""

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

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+", null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, related_name="access_log")
    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, null=True, related_name="access_log")
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Settled question 17: every child a row is about (a list page or search: every child shown;
    # a CAF: its children at the time), and the id asked for when it matched nothing.
    child_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    attempted_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [GinIndex(fields=["child_ids"], name="access_log_child_ids")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}: {self.what}"
