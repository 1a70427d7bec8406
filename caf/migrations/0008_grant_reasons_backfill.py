"""The reasons of the grants made before grants carried one, and the closure rule applied to them
(Settled question 12): a closed CAF's change rights end, and its view grants end the council's
period after closure. Social care's referral grants are the referrals app's migration. Set-based
SQL, so that it runs in seconds at a county's size."""

from django.db import migrations

GRANT_REASONS = """
-- Change rights beyond the assessment came only from being lead professional.
UPDATE caf_cafuserobjectpermission g SET reason = 'lead_professional'
  FROM auth_permission p WHERE p.id = g.permission_id AND p.codename IN ('change_plan', 'close_caf');
UPDATE caf_cafuserobjectpermission g SET reason = 'initiator'
  FROM auth_permission p, caf_caf c
 WHERE p.id = g.permission_id AND p.codename IN ('view_caf', 'change_caf')
   AND c.id = g.content_object_id AND c.initiated_by_id = g.user_id;
UPDATE caf_cafuserobjectpermission g SET reason = 'lead_professional'
  FROM auth_permission p, caf_caf c
 WHERE p.id = g.permission_id AND p.codename = 'change_caf'
   AND c.id = g.content_object_id AND c.initiated_by_id <> g.user_id;
-- The grants each current lead professional and member holds for that reason.
INSERT INTO caf_cafuserobjectpermission (user_id, permission_id, content_object_id, reason, valid_until)
SELECT l.user_id, p.id, l.caf_id, 'lead_professional', NULL
  FROM caf_leadprofessionalassignment l
  JOIN auth_permission p ON p.codename IN ('view_caf', 'change_caf')
  JOIN django_content_type t ON t.id = p.content_type_id AND t.app_label = 'caf' AND t.model = 'caf'
 WHERE l.ended_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM caf_cafuserobjectpermission g
                    WHERE g.user_id = l.user_id AND g.permission_id = p.id AND g.content_object_id = l.caf_id
                      AND g.reason = 'lead_professional');
INSERT INTO caf_cafuserobjectpermission (user_id, permission_id, content_object_id, reason, valid_until)
SELECT DISTINCT m.user_id, p.id, m.caf_id, 'member', NULL::timestamptz
  FROM caf_teamaroundfamilymember m
  JOIN auth_permission p ON p.codename = 'view_caf'
  JOIN django_content_type t ON t.id = p.content_type_id AND t.app_label = 'caf' AND t.model = 'caf'
 WHERE m.left_at IS NULL
   AND NOT EXISTS (SELECT 1 FROM caf_cafuserobjectpermission g
                    WHERE g.user_id = m.user_id AND g.permission_id = p.id AND g.content_object_id = m.caf_id
                      AND g.reason = 'member');
UPDATE caf_cafgroupobjectpermission SET reason = 'agency_involved';
-- Closure: change rights end; every view ends the council's period after closure.
DELETE FROM caf_cafuserobjectpermission g USING auth_permission p, caf_caf c
 WHERE p.id = g.permission_id AND p.codename <> 'view_caf' AND c.id = g.content_object_id AND c.status = 'closed';
UPDATE caf_cafuserobjectpermission g
   SET valid_until = c.closed_at + make_interval(months => a.closed_caf_read_months)
  FROM caf_caf c JOIN accounts_localauthority a ON a.id = c.council_id
 WHERE c.id = g.content_object_id AND c.status = 'closed';
UPDATE caf_cafgroupobjectpermission g
   SET valid_until = c.closed_at + make_interval(months => a.closed_caf_read_months)
  FROM caf_caf c JOIN accounts_localauthority a ON a.id = c.council_id
 WHERE c.id = g.content_object_id AND c.status = 'closed';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_closed_and_social_care_read_periods"),
        ("caf", "0007_grants_carry_reason_and_end"),
    ]

    operations = [migrations.RunSQL(GRANT_REASONS, migrations.RunSQL.noop)]
