"""Retention, continued (issue 15; Settled question 25): the social care stages a child reached (looked
after and adopted, recorded by a social care manager; Child in Need and child protection from
referral decisions), which keep a family's records to the stage's age; children on no CAF (found or
referred only), who get a retention date and are anonymised like any family; and the nightly run."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from celery.schedules import crontab
from dateutil.relativedelta import relativedelta
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import LocalAuthority
from caf import services
from caf.models import AccessLog, Anonymisation, Caf, Child, SocialCareStage
from caf.selectors.retention import caf_retention_dates, child_retention_date, family_child_ids, retention_families
from caf.services.retention import anonymise_due, legal_hold_lift, legal_hold_place, social_care_stage_record
from core.errors import Refused
from referrals import services as rs
from tests.caf_helpers import complete, consent

JAYDEN_BORN = date(2016, 5, 4)  # the child fixture
CLOSED_ON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _close(caf: Caf, caf_admin) -> Caf:
    services.caf_close(user=caf_admin, caf=caf, reason=Caf.ClosureReason.NEEDS_MET, summary="Settled")
    Caf.objects.filter(pk=caf.pk).update(closed_at=CLOSED_ON)
    return caf


def _referral_sent(user, child):
    referral = rs.referral_start(user=user, children=[child])
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Jayden said he is hungry at home",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put Jayden at risk",
    )


def _family_of(child: Child):
    return next(family for family in retention_families(child.council) if child.pk in family.child_ids)


def _each_childs_date_is_its_familys(council) -> None:
    """The legal hold page reads one family (family_child_ids): the same date as the council's run."""
    for family in retention_families(council):
        for pk in family.child_ids:
            child = Child.objects.get(pk=pk)
            assert set(family.child_ids) <= family_child_ids(child)
            assert child_retention_date(child) == family.retention_on, child


# The nightly run ---------------------------------------------------------------------------------------


def test_beat_runs_the_anonymisation_every_night_early_in_the_morning():
    entry = django_settings.CELERY_BEAT_SCHEDULE["retention"]
    assert entry["task"] == "caf.tasks.retention_tick"
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {2} and schedule.minute == {30}
    assert len(schedule.day_of_month) == 31 and len(schedule.day_of_week) == 7  # every day


def test_a_family_is_anonymised_the_night_its_date_passes(active, caf_admin, child):
    caf = _close(active, caf_admin)
    assert anonymise_due(council=caf.council, today=date(2041, 5, 3)) == []  # the day before the 25th birthday
    (record,) = anonymise_due(council=caf.council, today=date(2041, 5, 4))
    assert record.caf_ids == [caf.pk] and Child.objects.get(pk=child.pk).first_name == "Anonymised"


# Social care stages --------------------------------------------------------------------------------------


def test_looked_after_and_adoption_keep_the_familys_records_to_the_stages_age(
    active, caf_admin, child, social_care_manager
):
    caf = _close(active, caf_admin)
    assert caf_retention_dates(caf.council).get(pk=caf.pk).retention_on == date(2041, 5, 4)  # 25th birthday

    social_care_stage_record(
        user=social_care_manager, child=child, stage="looked_after", reached_on=date(2025, 2, 1), note="LAC/123"
    )
    assert caf_retention_dates(caf.council).get(pk=caf.pk).retention_on == date(2091, 5, 4)  # 75th birthday
    assert child_retention_date(child) == date(2091, 5, 4)
    assert anonymise_due(council=caf.council, today=date(2041, 5, 4)) == []

    social_care_stage_record(user=social_care_manager, child=child, stage="adopted", reached_on=date(2026, 3, 1))
    assert _family_of(child).retention_on == date(2116, 5, 4)  # the longest applies: the 100th birthday
    LocalAuthority.objects.filter(pk=caf.council_id).update(retention_adoption_age=110)
    assert child_retention_date(Child.objects.get(pk=child.pk)) == date(2126, 5, 4)


def test_a_stage_reached_by_one_child_keeps_the_whole_family(
    school_practitioner, caf_admin, child, council_model, social_care_manager
):
    sister = services.child_create(
        user=school_practitioner, first_name="Mia", last_name="Smith", date_of_birth=date(2019, 3, 9)
    )
    caf = services.caf_start(user=school_practitioner, children=[child, sister])
    consent(caf, school_practitioner)
    complete(caf, school_practitioner)
    caf = _close(services.caf_submit(user=school_practitioner, caf=caf), caf_admin)
    social_care_stage_record(user=social_care_manager, child=sister, stage="looked_after", reached_on=date(2024, 1, 1))
    assert caf_retention_dates(caf.council).get(pk=caf.pk).retention_on == date(2094, 3, 9)  # Mia's 75th
    _each_childs_date_is_its_familys(caf.council)
    assert anonymise_due(council=caf.council, today=date(2060, 1, 1)) == []
    assert Child.objects.get(pk=child.pk).first_name == "Jayden"


def test_child_protection_decided_on_a_referral_counts_without_a_recorded_stage(
    child, school_practitioner, social_care_manager, social_worker
):
    referral = _referral_sent(school_practitioner, child)
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="child_protection",
        reasons="Section 47 enquiry",
        social_worker=social_worker,
    )
    assert not SocialCareStage.objects.exists()
    assert child_retention_date(child) == date(2051, 5, 4)  # the 35th birthday, the child protection default


def test_only_a_social_care_manager_of_the_childs_council_records_a_stage_once_within_bounds(
    child, caf_admin, social_care_manager, other_council
):
    from accounts.models import AgencyType, Role
    from tests.factories import AgencyFactory, UserFactory

    with pytest.raises(PermissionDenied):
        social_care_stage_record(user=caf_admin, child=child, stage="looked_after", reached_on=date(2025, 1, 1))
    southmoor_social_care = AgencyFactory(council=other_council, agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
    elsewhere = UserFactory(
        email="scm@southmoor.example", agency=southmoor_social_care, roles=[Role.SOCIAL_CARE_MANAGER]
    )
    with pytest.raises(PermissionDenied):
        social_care_stage_record(user=elsewhere, child=child, stage="looked_after", reached_on=date(2025, 1, 1))
    for reached_on, says in [
        (date(2016, 5, 3), "on or after their date of birth, 4 May 2016"),
        (date(2099, 1, 1), "today or in the past"),
        (date(1899, 12, 31), "on or after 1 January 1900"),
    ]:
        with pytest.raises(Refused) as refused:
            social_care_stage_record(user=social_care_manager, child=child, stage="adopted", reached_on=reached_on)
        assert says in str(refused.value)
    with pytest.raises(Refused):
        social_care_stage_record(user=social_care_manager, child=child, stage="fostered", reached_on=date(2025, 1, 1))
    social_care_stage_record(user=social_care_manager, child=child, stage="adopted", reached_on=date(2025, 1, 1))
    with pytest.raises(Refused) as refused:
        social_care_stage_record(user=social_care_manager, child=child, stage="adopted", reached_on=date(2025, 2, 1))
    assert "already recorded" in str(refused.value)
    assert SocialCareStage.objects.count() == 1


def test_a_social_care_manager_records_a_stage_from_the_childs_page(
    child, school_practitioner, social_care_manager, caf_admin, signed_in
):
    _referral_sent(school_practitioner, child)  # social care sees a child referred to it
    client = signed_in(social_care_manager)
    page = client.get(reverse("caf:child_detail", args=[child.pk])).content.decode()
    url = reverse("caf:child_social_care_stage", args=[child.pk])
    assert url in page

    day = {"reached_on_0": "31", "reached_on_1": "2", "reached_on_2": "2026"}
    response = client.post(url, {"stage": "looked_after", **day})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert "must be a real date" in response.content.decode()
    assert not SocialCareStage.objects.exists()

    response = client.post(
        url,
        {"stage": "looked_after", **day, "reached_on_0": "2", "note": "<b>LAC</b>"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("caf:child_detail", args=[child.pk])
    stage = SocialCareStage.objects.get()
    assert (stage.child, stage.stage, stage.reached_on, stage.recorded_by) == (
        child,
        "looked_after",
        date(2026, 2, 2),
        social_care_manager,
    )
    assert AccessLog.objects.filter(
        user=social_care_manager,
        action=AccessLog.Action.CHANGE,
        what="Recorded a social care stage: Became looked after",
        child_ids__contains=[child.pk],
    ).exists()
    page = client.get(reverse("caf:child_detail", args=[child.pk])).content.decode()
    assert "Became looked after from 2 February 2026" in page
    # The stage recorded is not offered again; the note is shown escaped.
    form_page = client.get(url).content.decode()
    assert 'value="looked_after"' not in form_page and "&lt;b&gt;LAC&lt;/b&gt;" in form_page

    # A CAF administrator sees the stage on the child's page, and may not record one.
    admin = signed_in(caf_admin)
    assert "Became looked after" in admin.get(reverse("caf:child_detail", args=[child.pk])).content.decode()
    assert url not in admin.get(reverse("caf:child_detail", args=[child.pk])).content.decode()
    assert admin.get(url).status_code == 403
    assert AccessLog.objects.filter(user=caf_admin, action=AccessLog.Action.REFUSED).exists()


def test_the_stage_page_is_a_404_for_who_may_not_see_the_child(
    child, social_care_manager, other_council_user, signed_in
):
    url = reverse("caf:child_social_care_stage", args=[child.pk])
    # Before any referral, social care does not see the child.
    assert signed_in(social_care_manager).get(url).status_code == 404
    assert signed_in(other_council_user).get(url).status_code == 404
    assert signed_in(other_council_user).post(url, {"stage": "adopted"}).status_code == 404
    assert not SocialCareStage.objects.exists()


def test_a_stage_note_is_anonymised_with_the_family(active, caf_admin, child, social_care_manager):
    caf = _close(active, caf_admin)
    social_care_stage_record(
        user=social_care_manager, child=child, stage="child_in_need", reached_on=date(2025, 1, 1), note="Case 77 Jayden"
    )
    (record,) = anonymise_due(council=caf.council, today=date(2041, 5, 4))  # Child in Need: 25 by default
    assert SocialCareStage.objects.get().note == "[Anonymised]"
    assert record.counts["social_care_stages"] == 1


# Children on no CAF ----------------------------------------------------------------------------------------


def test_a_child_found_and_on_no_caf_is_kept_to_25_then_anonymised(child, school_practitioner):
    council = child.council
    family = _family_of(child)
    assert family.caf_ids == [] and family.retention_on == date(2041, 5, 4)  # later than creation + 6 years
    assert anonymise_due(council=council, today=date(2041, 5, 3)) == []
    out = StringIO()
    with time_machine.travel(datetime(2041, 5, 4, 3, 0, tzinfo=UTC), tick=False):
        call_command("retention_run", "--council", council.slug, "--dry-run", stdout=out)
    assert f"children [{child.pk}] (no CAF), past 04 May 2041" in out.getvalue()
    (record,) = anonymise_due(council=council, today=date(2041, 5, 4))
    assert record.caf_ids == [] and record.child_ids == [child.pk]
    child = Child.objects.get(pk=child.pk)
    assert (child.first_name, child.last_name, child.date_of_birth, child.postcode) == (
        "Anonymised",
        "record",
        date(2016, 7, 1),
        "",
    )
    assert anonymise_due(council=council, today=date(2041, 5, 4)) == []  # idempotent
    assert Anonymisation.objects.count() == 1


def test_a_child_with_nothing_else_is_kept_six_years_from_their_record_when_that_is_later(
    school_practitioner, council_model
):
    older = services.child_create(
        user=school_practitioner, first_name="Ava", last_name="Old", date_of_birth=date(1999, 1, 1)
    )
    Child.objects.filter(pk=older.pk).update(created_at=datetime(2020, 3, 10, 12, tzinfo=UTC))
    younger = services.child_create(
        user=school_practitioner, first_name="Sam", last_name="Doe", date_of_birth=date(2001, 1, 1)
    )
    Child.objects.filter(pk=younger.pk).update(created_at=datetime(2021, 6, 1, 12, tzinfo=UTC))
    assert _family_of(older).retention_on == date(2026, 3, 10)  # 25 in 2024; recorded in 2020 + 6 years
    assert _family_of(younger).retention_on == date(2027, 6, 1)
    _each_childs_date_is_its_familys(older.council)
    done = anonymise_due(council=older.council, today=date(2026, 3, 10))
    assert [record.child_ids for record in done] == [[older.pk]]
    assert Child.objects.get(pk=younger.pk).first_name == "Sam"


def test_a_child_on_a_referral_only_is_kept_while_it_is_open_and_after_its_decision(
    school_practitioner, social_care_manager, council_model
):
    teenager = services.child_create(
        user=school_practitioner, first_name="Leo", last_name="Ray", date_of_birth=date(2003, 1, 1)
    )
    referral = _referral_sent(school_practitioner, teenager)
    council = teenager.council
    assert _family_of(teenager).open_work
    assert anonymise_due(council=council, today=date(2040, 1, 1)) == []  # waiting for a decision

    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="no_further_action",
        reasons="Leo is safe",
        advice="Keep in touch with the school",
    )
    decided = timezone.localdate(referral.__class__.objects.get(pk=referral.pk).decided_at)
    kept_until = decided + relativedelta(years=6)  # later than the 25th birthday (2028)
    assert _family_of(teenager).retention_on == kept_until
    assert anonymise_due(council=council, today=kept_until - timedelta(days=1)) == []
    (record,) = anonymise_due(council=council, today=kept_until)
    assert record.child_ids == [teenager.pk] and record.counts["referrals"] == 1
    assert referral.__class__.objects.get(pk=referral.pk).concern == "[Anonymised]"


def test_a_legal_hold_keeps_a_child_on_no_caf(child, caf_admin):
    legal_hold_place(user=caf_admin, child=child, reason="A claim, ref 42")
    assert anonymise_due(council=child.council, today=date(2050, 1, 1)) == []
    legal_hold_lift(user=caf_admin, child=child, reason="Settled")
    assert len(anonymise_due(council=child.council, today=date(2050, 1, 1))) == 1


def test_a_child_on_no_caf_in_a_household_with_a_caf_waits_for_the_familys_date(
    active, caf_admin, child, school_practitioner
):
    """Settled question 25: a person is anonymised only when every record about them is past its date.
    The baby of the household is on no CAF; the mother links them to Jayden's CAF."""
    baby = services.child_create(
        user=school_practitioner, first_name="Ruby", last_name="Smith", date_of_birth=date(2025, 8, 1)
    )
    (mother,) = services.household_record(
        user=school_practitioner, child=child, adults=[{"full_name": "Kelly Smith", "relationship": "mother"}]
    )
    mother.children.add(baby)
    caf = _close(active, caf_admin)
    family = _family_of(baby)
    assert family.caf_ids == [caf.pk] and family.retention_on == date(2050, 8, 1)  # Ruby's 25th birthday
    _each_childs_date_is_its_familys(caf.council)
    assert anonymise_due(council=caf.council, today=date(2041, 5, 4)) == []
    assert len(anonymise_due(council=caf.council, today=date(2050, 8, 1))) == 1
    assert Child.objects.get(pk=baby.pk).first_name == "Anonymised"


def test_children_named_on_one_referral_wait_for_each_other(
    child, school_practitioner, social_care_manager, council_model
):
    """Settled question 25: the referral names both; its text is anonymised only when both are due."""
    older = services.child_create(
        user=school_practitioner, first_name="Leo", last_name="Smith", date_of_birth=date(2004, 1, 1)
    )
    referral = rs.referral_start(user=school_practitioner, children=[child, older])
    referral = rs.referral_send(
        user=school_practitioner,
        referral=referral,
        concern="Both boys came to school hungry",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put them at risk",
    )
    rs.referral_decide(
        user=social_care_manager, referral=referral, decision="no_further_action", reasons="Fed", advice="Watch"
    )
    family = _family_of(older)
    assert family.child_ids == sorted([child.pk, older.pk]) and family.retention_on == date(2041, 5, 4)
    _each_childs_date_is_its_familys(child.council)
    assert anonymise_due(council=child.council, today=date(2035, 1, 1)) == []  # Leo alone would be due
    assert Child.objects.get(pk=older.pk).first_name == "Leo"
    (record,) = anonymise_due(council=child.council, today=date(2041, 5, 4))
    assert sorted(record.child_ids) == sorted([child.pk, older.pk])


def test_break_glass_reads_and_records_no_stage(child, social_care_manager, signed_in):
    """A social care manager who opened the record with break-glass reads it, and changes nothing."""
    from caf.models import BreakGlass

    BreakGlass.objects.create(
        council_id=child.council_id,
        child=child,
        user=social_care_manager,
        reason="Out of hours call",
        ends_at=timezone.now() + timedelta(hours=3),
    )
    client = signed_in(social_care_manager)
    url = reverse("caf:child_social_care_stage", args=[child.pk])
    page = client.get(reverse("caf:child_detail", args=[child.pk]))
    assert page.status_code == 200 and url not in page.content.decode()
    day = {"reached_on_0": "2", "reached_on_1": "2", "reached_on_2": "2026"}
    assert client.post(url, {"stage": "adopted", **day}).status_code == 403
    assert not SocialCareStage.objects.exists()


def test_a_merged_record_is_one_family_with_the_record_kept(active, caf_admin, child, school_practitioner):
    duplicate = services.child_create(
        user=school_practitioner, first_name="Jaden", last_name="Smith", date_of_birth=date(2016, 5, 4)
    )
    services.child_merge(user=caf_admin, keep=child, duplicate=duplicate)
    caf = _close(active, caf_admin)
    family = _family_of(duplicate)
    assert family.child_ids == sorted([child.pk, duplicate.pk]) and family.caf_ids == [caf.pk]
    _each_childs_date_is_its_familys(caf.council)
    assert len(anonymise_due(council=caf.council, today=date(2041, 5, 4))) == 1
    assert Child.objects.get(pk=duplicate.pk).first_name == "Anonymised"
