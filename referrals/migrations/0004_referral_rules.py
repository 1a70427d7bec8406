import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0003_earlier_referrals_complete"),
    ]

    operations = [
        migrations.AlterField(
            model_name='referral',
            name='referring_agency',
            field=models.ForeignKey(help_text="The referrer's agency then.", on_delete=django.db.models.deletion.PROTECT, related_name='referrals_made', to='accounts.agency'),
        ),
        migrations.AddIndex(
            model_name='referral',
            index=models.Index(fields=['council', 'status', 'sent_at'], name='referral_queue'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), models.Q(('sent_at__isnull', False), ('decision_due_at__isnull', False), models.Q(('basis', ''), _negated=True), models.Q(('concern', ''), _negated=True)), _connector='OR'), name='referral_sent_is_complete'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), models.Q(('basis', 'consent'), _negated=True), models.Q(('consent_given_by', ''), _negated=True), _connector='OR'), name='referral_consent_says_who'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'draft'), models.Q(('urgency', 'immediate'), _negated=True), ('front_door_called_at__isnull', False), _connector='OR'), name='referral_immediate_risk_called_first'),
        ),
        migrations.AddConstraint(
            model_name='referral',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'decided'), _negated=True), models.Q(models.Q(('decision', ''), _negated=True), models.Q(('decision_reasons', ''), _negated=True), ('decided_at__isnull', False), ('decided_by__isnull', False)), _connector='OR'), name='referral_decision_is_complete'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='caf',
            field=models.ForeignKey(blank=True, help_text="The family's CAF, if they had one: continued or reopened at pick-up.", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='step_downs', to='caf.caf'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='children',
            field=models.ManyToManyField(related_name='step_downs', to='caf.child'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='consent_agencies',
            field=models.ManyToManyField(help_text='The agencies the family agreed early help may share with.', related_name='+', to='accounts.agency'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='council',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='step_downs', to='accounts.localauthority'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='declined_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='picked_up_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='picked_up_caf',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='step_downs_picked_up', to='caf.caf'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='referral',
            field=models.ForeignKey(blank=True, help_text='The referral it follows: decided at the front door, or the social care work it started.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='step_downs', to='referrals.referral'),
        ),
        migrations.AddField(
            model_name='stepdown',
            name='sent_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='referral',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timeline', to='referrals.referral'),
        ),
        migrations.AddField(
            model_name='timelineentry',
            name='step_down',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='timeline', to='referrals.stepdown'),
        ),
        migrations.AddIndex(
            model_name='stepdown',
            index=models.Index(fields=['council', 'status', 'pick_up_due_on'], name='step_down_queue'),
        ),
        migrations.AddConstraint(
            model_name='stepdown',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['waiting', 'declined']), models.Q(('picked_up_caf__isnull', False), ('picked_up_at__isnull', False), ('picked_up_by__isnull', False)), _connector='OR'), name='step_down_picked_up_has_caf'),
        ),
        migrations.AddConstraint(
            model_name='stepdown',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'completed'), _negated=True), ('completed_at__isnull', False), _connector='OR'), name='step_down_completed_has_date'),
        ),
        migrations.AddConstraint(
            model_name='stepdown',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'declined'), _negated=True), models.Q(('declined_at__isnull', False), models.Q(('decline_reason', ''), _negated=True)), _connector='OR'), name='step_down_declined_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='stepdown',
            constraint=models.UniqueConstraint(condition=models.Q(('referral__isnull', False)), fields=('referral', 'point'), name='step_down_once_per_referral_and_point', violation_error_message='This family has already been stepped down at this point.'),
        ),
        migrations.AddConstraint(
            model_name='timelineentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('referral__isnull', False), ('step_down__isnull', True)), models.Q(('referral__isnull', True), ('step_down__isnull', False)), _connector='OR'), name='timeline_entry_has_one_subject'),
        ),
    ]
