"""What the home pages keep: the version of each council's queues (home.ready)."""

from django.db import models

from accounts.models import LocalAuthority


class QueuesVersion(models.Model):
    """How many times a council's records that its busiest people's queues show have changed: every
    web process reads it with each such home page and counts the queues again when it has moved
    (home.ready). Raised once a change commits, outside the change's own transaction, so no change
    waits on another council-wide row."""

    council = models.OneToOneField(LocalAuthority, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.council_id}: {self.version}"
