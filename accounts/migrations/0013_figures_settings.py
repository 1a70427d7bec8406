# The council's annual target for CAFs started per 10,000 children (issue 16: the council's figures).

import django.core.validators

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_sign_in_sessions")]

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
    ]
