"""Partial indexes for the CAF administrator's queues (issue 13): active CAFs by next review date and
by activation date, and the few not yet registered. Each serves one queue (see Caf.Meta.indexes)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("caf", "0009_grant_once_per_reason"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="caf",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["council", "next_review_on"],
                name="caf_active_by_review",
            ),
        ),
        migrations.AddIndex(
            model_name="caf",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["council", "activated_at"],
                name="caf_active_by_activation",
            ),
        ),
        migrations.AddIndex(
            model_name="caf",
            index=models.Index(
                condition=models.Q(("registered_at__isnull", True), ("status", "active")),
                fields=["council", "activated_at"],
                name="caf_to_register",
            ),
        ),
    ]
