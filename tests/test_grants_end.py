"""Grants end when their reason ends (Settled question 12; issue 13): closure, the council's period
after it, children's social care's access to a referred CAF, and the one-off migration that applied
the rule to the grants made before it."""

import importlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from caf import permissions as perms
from caf import services
from caf.models import Caf, CafGroupObjectPermission, CafUserObjectPermission, GrantReason
from referrals import services as rs
from tests.test_referral_services import at, consented


@pytest.fixture
def led(active, caf_admin, health_visitor):
    """The active CAF with the health visitor on the team, as its lead professional."""
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    return active


@pytest.fixture
def closed(led, health_visitor):
    return services.caf_close(user=health_visitor, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")


def page(client, caf):
    return client.get(reverse("caf:caf_detail", args=[caf.pk]))


def test_closure_ends_change_rights_and_keeps_reading_for_the_councils_period(
    closed, health_visitor, school_practitioner, caf_admin, signed_in
):
    assert not perms.has_caf_permission(health_visitor, perms.CHANGE_PLAN, closed)
    assert not perms.has_caf_permission(school_practitioner, perms.CHANGE, closed)
    assert page(signed_in(health_visitor), closed).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=364)):
        assert page(signed_in(health_visitor), closed).status_code == 200
        assert page(signed_in(school_practitioner), closed).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=367)):
        # The initiator's and the members' grants have ended; the CAF administrators see it by role.
        assert page(signed_in(health_visitor), closed).status_code == 404
        assert page(signed_in(school_practitioner), closed).status_code == 404
        assert page(signed_in(caf_admin), closed).status_code == 200
        assert closed not in perms.cafs_visible_to(health_visitor)


def test_after_the_period_the_chronology_only_names_the_caf(closed, health_visitor, health_visiting, child, signed_in):
    with time_machine.travel(timezone.now() + timedelta(days=400)):
        response = signed_in(health_visitor).get(reverse("caf:child_detail", args=[child.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "You no longer have access: ask the CAF administrator" in text
    assert f"lead professional&#x27;s agency: {health_visiting.name}" in text
    assert "Consent given by" not in text  # nothing of the CAF's own record


def test_the_councils_period_is_a_setting(led, council, health_visitor, signed_in):
    council.closed_caf_read_months = 3
    council.save()
    services.caf_close(user=health_visitor, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")
    with time_machine.travel(timezone.now() + timedelta(days=80)):
        assert page(signed_in(health_visitor), led).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=95)):
        assert page(signed_in(health_visitor), led).status_code == 404


def test_a_referral_opens_the_caf_to_social_care_until_it_is_decided(
    led, health_visitor, social_care_manager, social_worker, signed_in
):
    referral = consented(
        health_visitor, rs.referral_start(user=health_visitor, children=list(led.children.all()), caf=led)
    )
    assert page(signed_in(social_care_manager), led).status_code == 200
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="no_further_action", reasons="Below", advice="Keep going"
    )
    assert page(signed_in(social_care_manager), led).status_code == 404
    assert page(signed_in(social_worker), led).status_code == 404
    # The referral and its decision stay with social care.
    response = signed_in(social_care_manager).get(reverse("referrals:referral_detail", args=[referral.pk]))
    assert response.status_code == 200


def test_after_a_child_in_need_decision_social_care_keeps_the_caf_for_the_councils_working_days(
    led, council, health_visitor, social_care_manager, social_worker, signed_in
):
    council.social_worker_leads_caf = False  # social care's case lives elsewhere: nobody from it leads the CAF
    council.save()
    referral = consented(
        health_visitor, rs.referral_start(user=health_visitor, children=list(led.children.all()), caf=led)
    )
    with time_machine.travel(at("2026-12-07 10:00"), tick=False) as clock:
        rs.referral_decide(
            user=social_care_manager,
            referral=referral,
            decision="child_in_need",
            reasons="S17",
            social_worker=social_worker,
        )
        # 45 working days from Monday 7 December: nine weeks, and Christmas Day, Boxing Day (Monday 28th)
        # and New Year's Day: Thursday 11 February 2027, 10:00.
        clock.move_to(at("2027-02-11 09:59"))
        assert page(signed_in(social_care_manager), led).status_code == 200
        clock.move_to(at("2027-02-11 10:01"))
        assert page(signed_in(social_care_manager), led).status_code == 404


def test_while_a_social_worker_leads_the_caf_social_care_keeps_it(
    led, health_visitor, social_care_manager, social_worker, signed_in
):
    referral = consented(
        health_visitor, rs.referral_start(user=health_visitor, children=list(led.children.all()), caf=led)
    )
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="child_in_need",
        reasons="S17",
        social_worker=social_worker,
    )
    with time_machine.travel(timezone.now() + timedelta(days=200)):
        assert page(signed_in(social_worker), led).status_code == 200
        assert page(signed_in(social_care_manager), led).status_code == 200  # the social worker's agency is on the team


def test_an_earlier_caf_opens_to_social_care_again_when_the_child_is_referred_again(
    led, child, health_visitor, school_practitioner, social_care_manager, signed_in
):
    first = consented(health_visitor, rs.referral_start(user=health_visitor, children=[child], caf=led))
    rs.referral_decide(
        user=social_care_manager, referral=first, decision="no_further_action", reasons="No", advice="CAF"
    )
    assert page(signed_in(social_care_manager), led).status_code == 404
    again = consented(school_practitioner, rs.referral_start(user=school_practitioner, children=[child]))
    assert page(signed_in(social_care_manager), led).status_code == 200
    rs.referral_decide(
        user=social_care_manager, referral=again, decision="no_further_action", reasons="No", advice="CAF"
    )
    assert page(signed_in(social_care_manager), led).status_code == 404


def test_lists_are_driven_by_one_union_of_the_grants(health_visitor):
    """Never an OR of two IN subqueries: that plans as a scan of every CAF of the council."""
    sql = str(perms.cafs_visible_to(health_visitor).query).upper()
    assert sql.count(" UNION ") == 1
    assert sql.count(" IN (") == 1


def test_a_teams_grants_in_force_are_one_range_of_an_index_however_many_have_ended(
    draft, school_practitioner, social_worker, social_care
):
    """Ended grants stay (the chronology names who once had a CAF), so a social care team holds a
    decade of them: at county size 97,000, 1,700 in force. The lists read only those in force, as
    one range of the "live" index; with the end compared any other way, the plan reads every grant
    of the team and filters (51 ms instead of 3 at county size)."""
    cafs = Caf.objects.bulk_create(
        Caf(
            council=draft.council,
            initiating_agency=draft.initiating_agency,
            initiated_by=school_practitioner,
            threshold_model=draft.threshold_model,
        )
        for _ in range(600)
    )
    ended, live = cafs[:590], cafs[590:]
    team = perms.agency_group(social_care)
    view = perms._permission(perms.VIEW)
    past = timezone.now() - timedelta(days=1)
    CafGroupObjectPermission.objects.bulk_create(
        [
            CafGroupObjectPermission(
                group=team, permission=view, content_object=caf, reason=GrantReason.REFERRAL, valid_until=past
            )
            for caf in ended
        ]
        + [
            CafGroupObjectPermission(group=team, permission=view, content_object=caf, reason=GrantReason.REFERRAL)
            for caf in live
        ]
        + [  # other teams' ended grants: twenty agencies once involved in every one of these CAFs
            CafGroupObjectPermission(
                group=other, permission=view, content_object=caf, reason=GrantReason.AGENCY_INVOLVED, valid_until=past
            )
            for other in Group.objects.bulk_create(Group(name=f"agency:other-{number}") for number in range(20))
            for caf in cafs
        ]
    )
    granted = perms.granted_ids(social_worker)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE caf_cafgroupobjectpermission, accounts_user_groups")
        cursor.execute(granted.sql, granted.params)
        assert {row[0] for row in cursor.fetchall()} == {caf.pk for caf in live}
        cursor.execute("EXPLAIN (FORMAT JSON) " + granted.sql, granted.params)
        plan = cursor.fetchone()[0]

    reads = {node.get("Index Name"): node.get("Index Cond", "") for node in _plan_nodes(plan)}
    assert "caf_group_grant_live" in reads
    assert "COALESCE(valid_until" in reads["caf_group_grant_live"].replace("g.", "")


def _plan_nodes(plan):
    stack = [node["Plan"] for node in (plan if isinstance(plan, list) else json.loads(plan))]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def test_the_migration_gave_the_earlier_grants_their_reasons_and_ended_the_closed_ones(
    closed, health_visitor, school_practitioner
):
    """The grants as they were before reasons (one row per person, permission and CAF, all read as
    "member", open-ended), then the migration's SQL: each gets its reason, closure's ends apply."""
    CafUserObjectPermission.objects.filter(content_object=closed).delete()
    for user, codename in [
        (school_practitioner, "view_caf"),
        (school_practitioner, "change_caf"),
        (health_visitor, "view_caf"),
        (health_visitor, "change_plan"),
    ]:
        CafUserObjectPermission.objects.create(
            user=user, content_object=closed, permission=perms._permission(f"caf.{codename}"), reason="member"
        )
    CafGroupObjectPermission.objects.filter(content_object=closed).update(reason="member", valid_until=None)
    backfill = importlib.import_module("caf.migrations.0008_grant_reasons_backfill")
    with connection.cursor() as cursor:
        cursor.execute(backfill.GRANT_REASONS)
    rows = {
        (grant.user_id, grant.permission.codename, grant.reason): grant.valid_until
        for grant in CafUserObjectPermission.objects.filter(content_object=closed).select_related("permission")
    }
    ends = closed.closed_at + timedelta(days=365)
    assert set(rows) == {
        (school_practitioner.pk, "view_caf", GrantReason.INITIATOR),
        (school_practitioner.pk, "view_caf", GrantReason.MEMBER),  # the initiator is the first member
        (health_visitor.pk, "view_caf", GrantReason.MEMBER),
    }
    assert all(until.date() == ends.date() for until in rows.values())
    assert set(CafGroupObjectPermission.objects.filter(content_object=closed).values_list("reason", flat=True)) == {
        GrantReason.AGENCY_INVOLVED
    }
