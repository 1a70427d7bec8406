from datetime import timedelta

from django.db import migrations


def earlier_referrals_complete(apps, schema_editor):
    """Referrals made before this migration (an older `make run` database keeps its data): the
    referrer's agency, and for those already sent a decision due one day after sending (the default
    deadline, counted on the clock: an overdue alert then follows at once rather than never)."""
    Referral = apps.get_model("referrals", "Referral")
    for referral in Referral.objects.select_related("created_by"):
        referral.referring_agency_id = referral.created_by.agency_id
        if referral.status == "sent" and referral.decision_due_at is None:
            referral.decision_due_at = referral.sent_at + timedelta(days=1)
        referral.save(update_fields=["referring_agency", "decision_due_at"])


class Migration(migrations.Migration):
    # Its own migration (its own transaction): PostgreSQL refuses to alter a table with the data
    # step's foreign-key checks still pending.

    dependencies = [
        ("referrals", "0002_decisions_and_step_downs"),
    ]

    operations = [
        migrations.RunPython(earlier_referrals_complete, migrations.RunPython.noop),
    ]
