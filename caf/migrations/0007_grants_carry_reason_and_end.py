"""Every grant row carries its reason and when it ends (Settled question 12); the next migration
sets the reasons of the rows already granted, the one after makes a grant unique per reason."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('caf', '0006_family_exclusions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterUniqueTogether(
            name='cafgroupobjectpermission',
            unique_together=set(),
        ),
        migrations.AlterUniqueTogether(
            name='cafuserobjectpermission',
            unique_together=set(),
        ),
        migrations.AddField(
            model_name='cafgroupobjectpermission',
            name='reason',
            field=models.CharField(choices=[('initiator', 'Started the CAF'), ('member', 'Member of the Team Around the Family'), ('lead_professional', 'Lead professional'), ('agency_involved', "Agency involved (initiating agency or a member's agency)"), ('referral', "Children's social care: a referral of the CAF or of its children")], default='member', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='cafgroupobjectpermission',
            name='valid_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='cafuserobjectpermission',
            name='reason',
            field=models.CharField(choices=[('initiator', 'Started the CAF'), ('member', 'Member of the Team Around the Family'), ('lead_professional', 'Lead professional'), ('agency_involved', "Agency involved (initiating agency or a member's agency)"), ('referral', "Children's social care: a referral of the CAF or of its children")], default='member', max_length=20),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='cafuserobjectpermission',
            name='valid_until',
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
