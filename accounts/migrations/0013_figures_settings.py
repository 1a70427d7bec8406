# The council's annual target for CAFs started per 10,000 children, and the monthly figures' notification
# kind (issue 16: the council's figures).

import django.core.validators

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0012_identity_providers")]

    operations = [
        migrations.AddField(
            model_name="localauthority",
            name="caf_target_rate_per_10000",
            field=models.DecimalField(
                blank=True,
                decimal_places=1,
                help_text="The council's annual target (Kent's was 58.9); the figures show each financial year against it.",
                max_digits=6,
                null=True,
                validators=[django.core.validators.MinValueValidator(0)],
                verbose_name="target: CAFs started per 10,000 children a year",
            ),
        ),
        migrations.AddConstraint(
            model_name="localauthority",
            constraint=models.CheckConstraint(
                condition=models.Q(("caf_target_rate_per_10000__gte", 0)), name="council_caf_target_rate_not_negative"
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="kind",
            field=models.CharField(
                choices=[
                    ("review_due", "Review coming up"),
                    ("review_today", "Review today"),
                    ("review_overdue", "Review overdue"),
                    ("review_escalated", "Overdue review escalated"),
                    ("action_due", "Action due"),
                    ("no_lead_professional", "CAF without a lead professional"),
                    ("referral_immediate", "Referral: immediate risk"),
                    ("referral_decided", "Referral decided"),
                    ("referral_overdue", "Referral decision overdue"),
                    ("referral_still_overdue", "Referral decision still overdue"),
                    ("social_worker_allocated", "Allocated as social worker"),
                    ("step_down_sent", "Step-down to pick up"),
                    ("step_down_overdue", "Step-down not picked up in time"),
                    ("step_down_picked_up", "Step-down picked up"),
                    ("account_invitation", "Invitation to choose a password"),
                    ("email_change_confirm", "Confirm a new e-mail address"),
                    ("email_changed", "E-mail address changed"),
                    ("caf_requested", "Another agency asks to work with a child known to early help"),
                    ("monthly_figures", "The council's figures for last month"),
                ],
                max_length=30,
            ),
        ),
    ]
