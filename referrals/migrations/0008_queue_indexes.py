"""Indexes for the front door's queues (issue 13): referrals by council, status and decision
deadline (the front-door queue) and by decision time (decided in the last 7 days)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_social_care_grants_end"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["council", "status", "decision_due_at"], name="referral_decision_due"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["council", "status", "decided_at"], name="referral_decided"),
        ),
    ]
