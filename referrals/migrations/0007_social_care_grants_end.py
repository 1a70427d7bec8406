"""Children's social care's grants on referred CAFs, under the rule that they end when their reason
ends (Settled question 12): a referral brings its CAF and the CAFs of earlier referrals of the same
children; the grant lasts while any such referral is undecided, then ends at the decision, or 63
calendar days (about the council's default 45 working days) after a Child in Need or child
protection decision on the CAF's own referral, and never later than a closed CAF's own end. A
social care agency keeps an "agency involved" grant only while one of its staff is on the team."""

from django.db import migrations

SOCIAL_CARE_GRANTS = """
WITH social_care AS (
  SELECT grp.id AS group_id, a.id AS agency_id, a.council_id
    FROM accounts_agency a JOIN auth_group grp ON grp.name = 'agency:' || a.id
   WHERE a.agency_type = 'childrens_social_care'
), brought AS (
  SELECT r.id AS referral_id, r.caf_id FROM referrals_referral r
   WHERE r.caf_id IS NOT NULL AND r.sent_at IS NOT NULL
  UNION
  SELECT r.id, other.caf_id
    FROM referrals_referral r
    JOIN referrals_referral_children rc ON rc.referral_id = r.id
    JOIN referrals_referral_children oc ON oc.child_id = rc.child_id
    JOIN referrals_referral other ON other.id = oc.referral_id
   WHERE r.sent_at IS NOT NULL AND other.sent_at IS NOT NULL AND other.caf_id IS NOT NULL
), ends AS (
  SELECT b.caf_id,
         CASE WHEN bool_or(r.status = 'sent') THEN NULL
              ELSE max(CASE WHEN r.decision IN ('child_in_need', 'child_protection') AND r.caf_id = b.caf_id
                            THEN r.decided_at + interval '63 days' ELSE r.decided_at END)
         END AS until
    FROM brought b JOIN referrals_referral r ON r.id = b.referral_id
   GROUP BY b.caf_id
)
INSERT INTO caf_cafgroupobjectpermission (group_id, permission_id, content_object_id, reason, valid_until)
SELECT sc.group_id, p.id, c.id, 'referral',
       CASE WHEN c.status = 'closed'
            THEN LEAST(e.until, c.closed_at + make_interval(months => council.closed_caf_read_months))
            ELSE e.until END
  FROM ends e
  JOIN caf_caf c ON c.id = e.caf_id
  JOIN accounts_localauthority council ON council.id = c.council_id
  JOIN social_care sc ON sc.council_id = c.council_id
  JOIN auth_permission p ON p.codename = 'view_caf'
  JOIN django_content_type t ON t.id = p.content_type_id AND t.app_label = 'caf' AND t.model = 'caf'
ON CONFLICT DO NOTHING;

DELETE FROM caf_cafgroupobjectpermission g
 USING auth_group grp, accounts_agency a, caf_caf c
 WHERE g.group_id = grp.id AND grp.name = 'agency:' || a.id AND a.agency_type = 'childrens_social_care'
   AND g.reason = 'agency_involved' AND c.id = g.content_object_id AND c.initiating_agency_id <> a.id
   AND NOT EXISTS (SELECT 1 FROM caf_teamaroundfamilymember m
                    WHERE m.caf_id = c.id AND m.agency_id = a.id AND m.left_at IS NULL);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("caf", "0009_grant_once_per_reason"),
        ("referrals", "0006_referral_basis_is_a_sharing_basis"),
    ]

    operations = [migrations.RunSQL(SOCIAL_CARE_GRANTS, migrations.RunSQL.noop)]
