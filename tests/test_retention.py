"""Retention, anonymisation and legal hold (issue 15; Settled questions 17, 20, 25): the retention
date's rules, the monthly anonymisation and what it keeps, the legal hold and its pages, and the
access log's old months dropped or kept under hold."""

import logging
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import FormDraft, LocalAuthority, Notification
from caf import services
from caf.access_log import access_log_write
from caf.access_log_partitions import access_log_months_retire, access_log_partitions_ensure, partition_name
from caf.models import (
    Adult,
    Anonymisation,
    AssessmentEntry,
    Caf,
    CafChild,
    Child,
    Consent,
    LegalHold,
    PlanAction,
    Review,
)
from caf.selectors.retention import caf_retention_dates, retention_families
from caf.services.retention import PLACEHOLDER, anonymise_due, legal_hold_lift, legal_hold_place
from caf.tasks import retention_tick
from core.errors import Refused
from referrals import services as rs
from tests.caf_helpers import active_caf

CLOSED_ON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
JAYDEN_25 = date(2041, 5, 4)  # the child fixture was born on 4 May 2016


def _close(caf: Caf, caf_admin, closed_at: datetime = CLOSED_ON) -> Caf:
    services.caf_close(user=caf_admin, caf=caf, reason=Caf.ClosureReason.NEEDS_MET, summary="Jayden is settled")
    Caf.objects.filter(pk=caf.pk).update(closed_at=closed_at)
    return caf


def _date_of(caf: Caf) -> date | None:
    return caf_retention_dates(caf.council).get(pk=caf.pk).retention_on


# The retention date ------------------------------------------------------------------------------


def test_the_youngest_childs_25th_birthday_when_it_is_later_than_closure_and_6_years(active, caf_admin):
    _close(active, caf_admin)
    assert _date_of(active) == JAYDEN_25


def test_closure_and_6_years_when_it_is_later_than_the_25th_birthday(school_practitioner, caf_admin, council_model):
    older = services.child_create(
        user=school_practitioner, first_name="Mia", last_name="Hall", date_of_birth=date(2005, 3, 1)
    )
    caf = _close(active_caf(school_practitioner, older), caf_admin)
    assert _date_of(caf) == date(2032, 12, 1)


def test_an_unborn_child_counts_from_the_expected_date_of_birth(school_practitioner, caf_admin, council_model):
    unborn = services.child_create(
        user=school_practitioner, first_name="Baby", last_name="Hall", expected_date_of_birth=date(2027, 2, 1)
    )
    caf = _close(active_caf(school_practitioner, unborn), caf_admin)
    assert _date_of(caf) == date(2052, 2, 1)


def test_a_social_care_stage_extends_the_date_and_is_the_councils_setting(
    active, caf_admin, school_practitioner, social_care_manager, social_worker, child
):
    referral = rs.referral_start(user=school_practitioner, children=[child])
    referral = rs.referral_send(
        user=school_practitioner,
        referral=referral,
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )
    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="child_protection",
        reasons="Section 47 enquiry",
        social_worker=social_worker,
    )
    caf = Caf.objects.get(pk=active.pk)
    if caf.status != Caf.Status.CLOSED:
        _close(caf, caf_admin)
    Caf.objects.filter(pk=caf.pk).update(closed_at=CLOSED_ON)

    assert _date_of(caf) == date(2051, 5, 4)  # the 35th birthday, the child protection default
    LocalAuthority.objects.filter(pk=caf.council_id).update(retention_child_protection_age=40)
    assert _date_of(Caf.objects.get(pk=caf.pk)) == date(2056, 5, 4)


def test_an_open_caf_has_no_date_and_keeps_its_family_from_being_due(active, caf_admin, school_practitioner, child):
    assert _date_of(active) is None
    closed = _close(active, caf_admin)
    again = active_caf(school_practitioner, child)  # the same child, a CAF still open
    family = next(family for family in retention_families(closed.council) if closed.pk in family.caf_ids)
    assert again.pk in family.caf_ids and family.retention_on is None
    assert anonymise_due(council=closed.council, today=date(2060, 1, 1)) == []
    assert Child.objects.get(pk=child.pk).first_name == "Jayden"


# Anonymisation -----------------------------------------------------------------------------------


@pytest.fixture
def closed_family(school_practitioner, caf_admin, council_model):
    """A closed CAF with every kind of personal detail and free text the job replaces."""
    child = services.child_create(
        user=school_practitioner,
        first_name="Jayden",
        last_name="Smith",
        known_as="Jay",
        date_of_birth=date(2016, 5, 4),
        postcode="NB1 2AB",
        address="1 Mill Lane, Northbridge",
        nhs_number="9434765919",
        upn="A123456789012",
        ethnicity="White British",
        school_or_setting="Oakfield Primary",
    )
    (adult,) = services.household_record(
        user=school_practitioner,
        child=child,
        adults=[{"full_name": "Kelly Smith", "relationship": "mother", "phone": "07700 900123"}],
    )
    caf = active_caf(school_practitioner, child)
    caf.adults.add(adult)
    PlanAction.objects.create(
        caf=caf,
        need="Kelly needs help with mornings",
        action="Breakfast club for Jayden",
        agency=school_practitioner.agency,
        due_on=date(2027, 1, 10),
        created_by=school_practitioner,
    )
    Review.objects.create(
        caf=caf, held_on=date(2027, 1, 5), summary="Jayden is on time now", decision="close", recorded_by=caf_admin
    )
    FormDraft.objects.create(
        user=school_practitioner, path=f"/cafs/{caf.pk}/assessment/", record=caf.record_key, data={}, saved_at=CLOSED_ON
    )
    Notification.objects.create(
        recipient=school_practitioner,
        kind=Notification.Kind.REVIEW_DUE,
        subject_key=caf.review_subject_key(date(2027, 1, 5)),
        title="Review of Jayden Smith's CAF",
        body="Jayden Smith's review is due",
    )
    _close(caf, caf_admin)
    return {"caf": caf, "child": child, "adult": adult}


def test_a_family_past_its_date_is_anonymised_field_by_field_and_logged(closed_family, school_practitioner):
    caf, child, adult = closed_family["caf"], closed_family["child"], closed_family["adult"]
    council = caf.council

    assert anonymise_due(council=council, today=JAYDEN_25 - timezone.timedelta(days=1)) == []
    (record,) = anonymise_due(council=council, today=JAYDEN_25)

    child.refresh_from_db()
    assert (child.first_name, child.last_name, child.known_as) == ("Anonymised", "record", "")
    assert child.date_of_birth == date(2016, 7, 1)  # the year kept, for age bands
    assert (child.address, child.postcode, child.nhs_number, child.upn, child.ethnicity, child.school_or_setting) == (
        ("", "", "", "", "", "")
    )
    assert child.anonymised_at is not None
    adult.refresh_from_db()
    assert (adult.full_name, adult.phone, adult.relationship) == ("Anonymised", "", "mother")
    caf.refresh_from_db()
    assert caf.anonymised_at is not None and caf.outcome_summary == PLACEHOLDER and caf.views_of_child == PLACEHOLDER
    entry = AssessmentEntry.objects.get(caf=caf)
    assert (entry.strengths, entry.needs) == (PLACEHOLDER, PLACEHOLDER)
    assert Consent.objects.get(caf=caf).given_by == PLACEHOLDER
    action = PlanAction.objects.get(caf=caf)
    assert (action.need, action.action) == (PLACEHOLDER, PLACEHOLDER)
    assert Review.objects.get(caf=caf).summary == PLACEHOLDER
    assert not FormDraft.objects.filter(record=caf.record_key).exists()
    notice = Notification.objects.get(recipient=school_practitioner, kind=Notification.Kind.REVIEW_DUE)
    assert "Jayden" not in notice.title + notice.body
    # The log says what was done, never what was there.
    assert record.caf_ids == [caf.pk] and record.child_ids == [child.pk] and record.adult_ids == [adult.pk]
    assert record.counts["children"] == 1 and record.counts["planaction"] == 1
    assert "Jayden" not in str(record.counts) and record.retention_date == JAYDEN_25


def test_a_second_run_changes_nothing_and_logs_nothing(closed_family):
    council = closed_family["caf"].council
    anonymise_due(council=council, today=JAYDEN_25)
    before = list(Child.objects.filter(pk=closed_family["child"].pk).values())

    assert anonymise_due(council=council, today=JAYDEN_25) == []
    assert Anonymisation.objects.count() == 1
    assert list(Child.objects.filter(pk=closed_family["child"].pk).values()) == before


def test_a_family_under_legal_hold_is_untouched_until_the_hold_is_lifted(closed_family, caf_admin):
    council, child = closed_family["caf"].council, closed_family["child"]
    legal_hold_place(user=caf_admin, child=child, reason="Claim against the council, ref 2041/7")

    assert anonymise_due(council=council, today=date(2060, 1, 1)) == []
    assert Child.objects.get(pk=child.pk).first_name == "Jayden" and not Anonymisation.objects.exists()

    legal_hold_lift(user=caf_admin, child=child, reason="Claim settled")
    assert len(anonymise_due(council=council, today=date(2060, 1, 1))) == 1


def test_a_person_in_a_record_not_yet_due_is_kept_with_every_record_of_theirs(
    closed_family, school_practitioner, caf_admin
):
    """A sister's later CAF, with the same mother, is not due: the whole family waits."""
    sister = services.child_create(
        user=school_practitioner, first_name="Amber", last_name="Smith", date_of_birth=date(2019, 1, 9)
    )
    later = _close(active_caf(school_practitioner, sister), caf_admin)
    later.adults.add(closed_family["adult"])

    assert anonymise_due(council=later.council, today=JAYDEN_25) == []  # Amber is 25 only in 2044
    assert Child.objects.get(pk=closed_family["child"].pk).first_name == "Jayden"
    assert len(anonymise_due(council=later.council, today=date(2044, 1, 9))) == 1
    assert set(Child.objects.filter(anonymised_at__isnull=False).values_list("pk", flat=True)) == {
        closed_family["child"].pk,
        sister.pk,
    }


def test_the_figures_count_the_same_after_anonymisation(closed_family):
    council = closed_family["caf"].council

    def figures() -> tuple:
        cafs = Caf.objects.filter(council=council)
        return (
            cafs.count(),
            cafs.filter(activated_at__year=timezone.now().year).count(),
            Review.objects.filter(caf__council=council).count(),
            PlanAction.objects.filter(caf__council=council).count(),
            Child.objects.filter(council=council, date_of_birth__year=2016).count(),
            Adult.objects.filter(council=council).count(),
        )

    before = figures()
    anonymise_due(council=council, today=JAYDEN_25)
    assert figures() == before


def test_the_monthly_task_runs_through_celery_and_one_broken_council_does_not_stop_the_others(
    closed_family, other_council, other_council_user, caplog
):
    # Southmoor's setting cannot be counted (the date overflows in SQL); it has a closed family too.
    noah = services.child_create(
        user=other_council_user, first_name="Noah", last_name="Jones", date_of_birth=date(2000, 1, 1)
    )
    theirs = Caf.objects.create(
        council=other_council,
        status=Caf.Status.CLOSED,
        initiating_agency=other_council_user.agency,
        initiated_by=other_council_user,
        threshold_model=closed_family["caf"].threshold_model,
        activated_at=CLOSED_ON,
        closed_at=CLOSED_ON,
        closure_reason=Caf.ClosureReason.NEEDS_MET,
    )
    CafChild.objects.create(caf=theirs, child=noah)
    LocalAuthority.objects.filter(pk=other_council.pk).update(retention_until_age=30000)
    with caplog.at_level(logging.ERROR), time_machine.travel(datetime(2041, 6, 1, 3, 0, tzinfo=UTC), tick=False):
        result = retention_tick.apply().get()

    assert result["northbridge"] == 1 and "southmoor" not in result
    assert Child.objects.get(pk=closed_family["child"].pk).first_name == "Anonymised"
    assert Child.objects.get(pk=noah.pk).first_name == "Noah"
    assert any("southmoor" in record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR)


# The child's page and the legal hold's page -----------------------------------------------------------


def test_the_childs_page_shows_the_placeholder_after_anonymisation(closed_family, signed_in, caf_admin):
    anonymise_due(council=closed_family["caf"].council, today=JAYDEN_25)
    page = signed_in(caf_admin).get(reverse("caf:child_detail", args=[closed_family["child"].pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Anonymised record" in text and "was anonymised on" in text
    assert "Jayden" not in text and "Kelly" not in text and "Mill Lane" not in text and "4 May 2016" not in text
    assert "Start a CAF" not in text
    with pytest.raises(Refused, match="anonymised"):
        services.caf_start(
            user=closed_family["caf"].initiated_by, children=[Child.objects.get(pk=closed_family["child"].pk)]
        )


def test_a_caf_administrator_places_and_lifts_a_hold_shown_plainly_on_the_childs_page(
    active, signed_in, caf_admin, school_practitioner, child
):
    admin = signed_in(caf_admin)
    url = reverse("caf:child_legal_hold", args=[child.pk])

    empty = admin.post(url, {"intent": "place", "reason": ""})
    assert empty.status_code == 200 and "Enter why the records must be kept" in empty.content.decode()
    assert "govuk-error-summary" in empty.content.decode() and not LegalHold.objects.exists()

    placed = admin.post(url, {"intent": "place", "reason": "Police investigation, ref NB/41"})
    assert placed.status_code == 302
    hold = LegalHold.objects.get(child=child)
    assert hold.placed_by == caf_admin and hold.is_in_force
    seen = signed_in(school_practitioner).get(reverse("caf:child_detail", args=[child.pk])).content.decode()
    assert "Legal hold" in seen and "Colin Adeyemi" in seen and "NB/41" not in seen  # the reason: administrators

    stale = admin.post(url, {"intent": "place", "reason": "Again"})
    assert "The legal hold changed since this page was shown" in stale.content.decode()
    assert LegalHold.objects.count() == 1

    lifted = admin.post(url, {"intent": "lift", "reason": "Investigation closed"})
    assert lifted.status_code == 302
    hold.refresh_from_db()
    assert hold.lifted_by == caf_admin and hold.lift_reason == "Investigation closed"
    assert "Earlier holds" in admin.get(url).content.decode()


def test_only_the_councils_caf_administrators_may_hold(
    active, signed_in, school_practitioner, other_council_user, other_council_admin, child
):
    url = reverse("caf:child_legal_hold", args=[child.pk])
    assert signed_in(school_practitioner).post(url, {"intent": "place", "reason": "x"}).status_code == 403
    assert signed_in(other_council_user).get(url).status_code == 404
    assert signed_in(other_council_admin).post(url, {"intent": "place", "reason": "x"}).status_code == 404
    assert not LegalHold.objects.exists()


# The access log's old months ---------------------------------------------------------------------


def _attached() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = 'caf_accesslog'::regclass")
        return {name for (name,) in cursor.fetchall()}


def _exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cursor.fetchone()[0]


def test_old_months_are_dropped_and_a_month_of_a_child_under_hold_is_archived(caf_admin, child, school_practitioner):
    other = services.child_create(
        user=school_practitioner, first_name="Amber", last_name="Hall", date_of_birth=date(2019, 1, 9)
    )
    with time_machine.travel(datetime(2030, 1, 10, tzinfo=UTC), tick=False):
        access_log_partitions_ensure(now=timezone.now())
        access_log_write(user=caf_admin, action="view", what="read in January", child=other)
    with time_machine.travel(datetime(2030, 2, 10, tzinfo=UTC), tick=False):
        access_log_write(user=caf_admin, action="view", what="read in February", child=child)
    legal_hold_place(user=caf_admin, child=child, reason="Claim, ref 7")

    report = access_log_months_retire(now=datetime(2038, 3, 5, tzinfo=UTC), keep_months=84)

    january, february = partition_name(date(2030, 1, 1)), partition_name(date(2030, 2, 1))
    assert january in report.dropped and not _exists(january)
    assert "caf_accesslog_archived_2030_02" in report.archived and february not in _attached()
    assert _exists("caf_accesslog_archived_2030_02")
    assert partition_name(date(2031, 3, 1)) not in report.dropped
    # Again: nothing more to do.
    again = access_log_months_retire(now=datetime(2038, 3, 5, tzinfo=UTC), keep_months=84)
    assert january not in again.dropped and not again.archived


def test_a_month_of_a_child_with_an_open_subject_access_request_is_archived_not_dropped(
    caf_admin, child, school_practitioner
):
    other = services.child_create(
        user=school_practitioner, first_name="Amber", last_name="Hall", date_of_birth=date(2019, 1, 9)
    )
    with time_machine.travel(datetime(2030, 4, 10, tzinfo=UTC), tick=False):
        access_log_partitions_ensure(now=timezone.now())
        access_log_write(user=caf_admin, action="view", what="read in April", child=child)
    with time_machine.travel(datetime(2030, 5, 10, tzinfo=UTC), tick=False):
        access_log_write(user=caf_admin, action="view", what="read in May", child=other)
    with time_machine.travel(datetime(2030, 6, 10, tzinfo=UTC), tick=False):
        access_log_write(user=caf_admin, action="view", what="read in June", child=child)
    request = services.subject_access_request_start(
        user=caf_admin, child=child, requested_by="Kelly Smith", requested_on=timezone.localdate()
    )

    report = access_log_months_retire(now=datetime(2037, 6, 5, tzinfo=UTC), keep_months=84)
    assert "caf_accesslog_archived_2030_04" in report.archived
    assert partition_name(date(2030, 5, 1)) in report.dropped

    # Once the request is answered, the child's next month is dropped as any other.
    services.subject_access_decide(user=caf_admin, request=request, status="withheld", reason="Identity not confirmed.")
    later = access_log_months_retire(now=datetime(2037, 7, 5, tzinfo=UTC), keep_months=84)
    assert partition_name(date(2030, 6, 1)) in later.dropped


# Referrals, and the command ----------------------------------------------------------------------------


def _referral_sent(user, child):
    referral = rs.referral_start(user=user, children=[child])
    return rs.referral_send(
        user=user,
        referral=referral,
        concern="Jayden said Kelly hit him",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put Jayden at risk",
    )


def test_an_open_referral_keeps_the_family_and_a_decided_one_is_anonymised_with_it(
    closed_family, school_practitioner, social_care_manager
):
    from referrals.models import Referral

    council, child = closed_family["caf"].council, closed_family["child"]
    referral = _referral_sent(school_practitioner, child)
    assert anonymise_due(council=council, today=JAYDEN_25) == []  # still waiting for a decision

    rs.referral_decide(
        user=social_care_manager,
        referral=referral,
        decision="no_further_action",
        reasons="Jayden explained",
        advice="Keep talking with Kelly",
    )
    (record,) = anonymise_due(council=council, today=JAYDEN_25)
    referral = Referral.objects.get(pk=referral.pk)
    assert (referral.concern, referral.override_reason, referral.decision_reasons, referral.advice) == (
        PLACEHOLDER,
        PLACEHOLDER,
        PLACEHOLDER,
        PLACEHOLDER,
    )
    assert referral.decision == "no_further_action" and record.counts["referrals"] == 1


def test_the_command_lists_what_is_due_then_anonymises_it(closed_family):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with time_machine.travel(datetime(2041, 6, 1, 3, 0, tzinfo=UTC), tick=False):
        call_command("retention_run", "--council", "northbridge", "--dry-run", stdout=out)
        assert f"CAFs [{closed_family['caf'].pk}], past 04 May 2041" in out.getvalue()
        assert Child.objects.get(pk=closed_family["child"].pk).first_name == "Jayden"

        call_command("retention_run", "--council", "northbridge", stdout=out)
    assert "northbridge: 1 families anonymised." in out.getvalue()
    assert Child.objects.get(pk=closed_family["child"].pk).first_name == "Anonymised"
