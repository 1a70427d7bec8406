from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("caf", "0008_grant_reasons_backfill")]

    operations = [
        migrations.AddConstraint(
            model_name="cafgroupobjectpermission",
            constraint=models.UniqueConstraint(
                fields=("group", "permission", "content_object", "reason"), name="caf_group_grant_once_per_reason"
            ),
        ),
        migrations.AddConstraint(
            model_name="cafuserobjectpermission",
            constraint=models.UniqueConstraint(
                fields=("user", "permission", "content_object", "reason"), name="caf_user_grant_once_per_reason"
            ),
        ),
    ]
