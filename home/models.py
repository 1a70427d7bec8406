"""What the home pages keep: each council's queues version, and its queues as last counted (home.ready)."""

from django.contrib.postgres.fields import ArrayField
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


class KeptQueues(models.Model):
    """A council's queues for one role as last counted (home.ready): what the page shows, for every web
    process to read instead of counting them. Counted by a worker once a change commits
    (home.tasks.kept_queues_count), or by the first page that finds them older than the council's
    version, the day or, for the front door, the minute. Names children: only the council's people of
    that role whom no exclusion names are shown it (home.selectors)."""

    class Kind(models.TextChoices):
        CAF_ADMINISTRATION = "caf_administration", "CAF administration"
        FRONT_DOOR = "front_door", "The front door"

    council = models.ForeignKey(LocalAuthority, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    version = models.BigIntegerField()  # the council's QueuesVersion they were counted at
    counted_at = models.DateTimeField()  # when counting began: the clocks they show are as of then
    queues = models.JSONField()  # each queue's heading, rows, count and link (home.selectors)
    html = models.TextField()  # the same, rendered (templates/home/_queues.html): names no user
    child_ids = ArrayField(models.BigIntegerField(), default=list)  # for each page's access-log row

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council", "kind"], name="kept_queues_one_per_council_kind")]

    def __str__(self) -> str:
        return f"{self.council_id} {self.kind}: {self.version} at {self.counted_at:%H:%M:%S}"
