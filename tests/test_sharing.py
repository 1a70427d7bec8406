"""Sharing without consent, and its basis as data (issue 15; Settled questions 1, 10d and 15): a share
under the duty to share (Children Act 2004 s.16LA) once the council says it is in force, which beats
the family's exclusion of that agency (never of a named person); a recorded decision not to share
(who asked, what, why); both in the chronology, told to the person's manager and on the managers'
list; the CAF's page of who reads it and on what basis. And every refusal."""

import io
import zipfile
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Agency, LocalAuthority, Notification, Role
from caf import services
from caf.models import (
    AccessLog,
    CafGroupObjectPermission,
    ExclusionException,
    GrantReason,
    SharingBasis,
    SharingDecision,
)
from caf.selectors import child_chronology
from caf.services.retention import PLACEHOLDER, anonymise_due
from caf.services.sharing import decision_not_to_share_record, duty_to_share_record
from tests.caf_helpers import active_caf
from tests.factories import AgencyFactory, UserFactory

WHAT = "The assessment and the plan: Jayden is often alone at home after school."
WHY = "The police are looking into reports of older boys collecting him; they need the plan to act."


@pytest.fixture
def in_force(council):
    council.duty_to_share_from = date(2026, 12, 1)
    council.save(update_fields=["duty_to_share_from"])
    return council


@pytest.fixture
def school_manager(school, school_practitioner):
    manager = UserFactory(full_name="Martha Head", agency=school, roles=[Role.PRACTITIONER])
    Agency.objects.filter(pk=school.pk).update(manager=manager)
    return manager


def share_form(client, caf, agency, what=WHAT, reason=WHY):
    return client.post(
        reverse("caf:caf_duty_to_share", args=[caf.pk]), {"agency": agency.pk, "what": what, "reason": reason}
    )


def not_shared_form(client, caf, agency, **overrides):
    data = {
        "agency": agency.pk,
        "asked_by": "DC Ray Moss, Neighbourhood Policing",
        "what": "The views of the child.",
        "why_not": "more_detrimental",
        "reason": "Jayden told us in confidence; his father would learn of it and he would stop talking to us.",
        **overrides,
    }
    return client.post(reverse("caf:caf_not_shared", args=[caf.pk]), data)


def test_a_share_under_the_duty_lets_the_agency_read_the_caf_on_that_basis_and_the_manager_is_told(
    in_force, active, child, school_practitioner, school_manager, police, police_officer, signed_in
):
    caf_url = reverse("caf:caf_detail", args=[active.pk])
    assert signed_in(police_officer).get(caf_url).status_code == 404  # no consent covers the police

    response = share_form(signed_in(school_practitioner), active, police)

    assert response.status_code == 302 and response["Location"] == reverse("caf:caf_sharing", args=[active.pk])
    decision = SharingDecision.objects.get()
    assert (decision.decision, decision.basis, decision.agency, decision.what, decision.reason) == (
        SharingDecision.Decision.SHARED,
        SharingBasis.DUTY_TO_SHARE,
        police,
        WHAT,
        WHY,
    )
    assert signed_in(police_officer).get(caf_url).status_code == 200
    grant = CafGroupObjectPermission.objects.get(content_object=active, group__name=f"agency:{police.pk}")
    assert grant.reason == GrantReason.DUTY_TO_SHARE and grant.valid_until is None
    # The police officer reads it, never changes it.
    assert signed_in(police_officer).post(reverse("caf:plan", args=[active.pk]), {}).status_code == 403

    page = signed_in(school_practitioner).get(reverse("caf:caf_sharing", args=[active.pk])).content.decode()
    agencies = page[page.index('id="sharing-agencies"') :]
    assert "Neighbourhood Policing" in agencies and "s.16LA" in agencies
    assert "Health Visiting North" in page[page.index('id="consent-covers"') :]

    told = Notification.objects.get(kind=Notification.Kind.SHARING_DECISION)
    assert told.recipient == school_manager and "under the duty to share" in told.body
    assert "Jayden" not in told.body + told.title  # the e-mail names no child
    assert AccessLog.objects.filter(user=school_practitioner, caf=active, what__contains="s.16LA").exists()
    assert not AccessLog.objects.filter(what__contains="alone at home").exists()  # the log outlives the record
    events = [event.what for event in child_chronology(school_practitioner, child)]
    assert any("shared the CAF with Neighbourhood Policing" in text and "16LA" in text for text in events)


def test_a_share_under_the_duty_beats_the_familys_exclusion_of_the_agency_but_not_of_a_named_person(
    in_force, active, child, school_practitioner, police, police_officer, signed_in
):
    named = UserFactory(full_name="Pete Named", agency=police, roles=[Role.PRACTITIONER])
    services.exclusion_record(user=school_practitioner, caf=active, made_by="Kelly Smith", agencies=[police])
    services.exclusion_record(user=school_practitioner, caf=active, made_by="Kelly Smith", people=[named])

    duty_to_share_record(user=school_practitioner, caf=active, agency=police, what=WHAT, reason=WHY)

    caf_url = reverse("caf:caf_detail", args=[active.pk])
    assert signed_in(police_officer).get(caf_url).status_code == 200
    assert signed_in(named).get(caf_url).status_code == 404
    exception = ExclusionException.objects.get(caf=active, agency=police)
    assert exception.basis == SharingBasis.DUTY_TO_SHARE and exception.reason == WHY
    page = signed_in(school_practitioner).get(reverse("caf:caf_sharing", args=[active.pk])).content.decode()
    assert "Shared despite the family&#x27;s exclusion" in page or "Shared despite the family's exclusion" in page
    events = [event.what for event in child_chronology(school_practitioner, child)]
    assert any("despite the family's exclusion" in text and "16LA" in text for text in events)


def test_no_share_under_the_duty_before_the_council_says_it_is_in_force(
    council, active, school_practitioner, police, police_officer, signed_in
):
    client = signed_in(school_practitioner)
    page = client.get(reverse("caf:caf_sharing", args=[active.pk])).content.decode()
    assert 'id="duty-to-share-link"' not in page and 'id="duty-not-in-force"' in page
    assert client.get(reverse("caf:caf_duty_to_share", args=[active.pk])).status_code == 403
    assert share_form(client, active, police).status_code == 403
    # From a date still to come: not yet.
    council.duty_to_share_from = timezone.localdate() + timedelta(days=30)
    council.save(update_fields=["duty_to_share_from"])
    assert share_form(client, active, police).status_code == 403
    with pytest.raises(ValidationError):
        duty_to_share_record(user=school_practitioner, caf=active, agency=police, what=WHAT, reason=WHY)
    assert not SharingDecision.objects.exists()
    assert signed_in(police_officer).get(reverse("caf:caf_detail", args=[active.pk])).status_code == 404


def test_the_councils_date_is_bounded(council):
    council.duty_to_share_from = date(1999, 1, 1)
    with pytest.raises(ValidationError) as error:
        council.full_clean()
    assert "duty_to_share_from" in error.value.message_dict
    council.duty_to_share_from = date(2027, 4, 1)
    council.full_clean()
    assert LocalAuthority(duty_to_share_from=None).duty_to_share_in_force(date(2030, 1, 1)) is False
    assert council.duty_to_share_in_force(date(2027, 4, 1)) and not council.duty_to_share_in_force(date(2027, 3, 31))


def test_a_decision_not_to_share_is_recorded_with_who_what_and_why_and_managers_see_it(
    active,
    child,
    school_practitioner,
    school_manager,
    police,
    police_officer,
    caf_admin,
    social_care_manager,
    health_visitor,
    signed_in,
):
    response = not_shared_form(signed_in(school_practitioner), active, police)

    assert response.status_code == 302
    decision = SharingDecision.objects.get()
    assert (decision.decision, decision.why_not, decision.asked_by, decision.basis) == (
        SharingDecision.Decision.NOT_SHARED,
        SharingDecision.WhyNot.MORE_DETRIMENTAL,
        "DC Ray Moss, Neighbourhood Policing",
        "",
    )
    assert signed_in(police_officer).get(reverse("caf:caf_detail", args=[active.pk])).status_code == 404
    assert Notification.objects.get(kind=Notification.Kind.SHARING_DECISION).recipient == school_manager
    events = [event.what for event in child_chronology(school_practitioner, child)]
    assert any("decided not to share with Neighbourhood Policing (asked by DC Ray Moss" in text for text in events)

    listing = reverse("caf:sharing_decisions")
    for manager in (caf_admin, school_manager):
        page = signed_in(manager).get(listing)
        assert page.status_code == 200 and "Jayden Smith" in page.content.decode(), manager
    # A social care manager sees the list, but not a CAF no referral sent them.
    page = signed_in(social_care_manager).get(listing)
    assert page.status_code == 200 and "Jayden Smith" not in page.content.decode()
    assert 'id="sharing-decisions-none"' in page.content.decode()
    # A practitioner who is nobody's manager is refused the list.
    assert signed_in(health_visitor).get(listing).status_code == 403
    shown = AccessLog.objects.get(user=caf_admin, what="Viewed the list of sharing decisions")
    assert shown.child_ids == [child.pk]
    # The filter: shares only.
    page = signed_in(caf_admin).get(listing, {"decision": "shared"}).content.decode()
    assert "Jayden Smith" not in page
    assert signed_in(caf_admin).get(listing, {"decision": "nonsense"}).status_code == 200


def test_who_may_record_them(in_force, active, school, police, other_council, caf_admin, signed_in):
    """The lead professional or a CAF administrator (the initiator until a lead is logged); a colleague
    who reads the CAF through their agency is refused; someone who may not see it is not told it exists."""
    colleague = UserFactory(full_name="Sam Colleague", agency=school, roles=[Role.PRACTITIONER])
    member = signed_in(colleague)
    assert member.get(reverse("caf:caf_sharing", args=[active.pk])).status_code == 200
    assert member.get(reverse("caf:caf_not_shared", args=[active.pk])).status_code == 403
    assert not_shared_form(member, active, police).status_code == 403
    assert share_form(member, active, police).status_code == 403
    stranger = UserFactory(agency=AgencyFactory(council=other_council), roles=[Role.CAF_ADMINISTRATOR])
    for url in ("caf:caf_sharing", "caf:caf_not_shared", "caf:caf_duty_to_share"):
        assert signed_in(stranger).get(reverse(url, args=[active.pk])).status_code == 404
    with pytest.raises(PermissionDenied):
        duty_to_share_record(user=colleague, caf=active, agency=police, what=WHAT, reason=WHY)
    assert not SharingDecision.objects.exists()
    # A CAF administrator may.
    assert not_shared_form(signed_in(caf_admin), active, police).status_code == 302


def test_bad_input_is_shown_on_the_form_and_nothing_is_written(
    in_force, active, school_practitioner, police, other_council_school, signed_in
):
    client = signed_in(school_practitioner)
    empty = client.post(reverse("caf:caf_not_shared", args=[active.pk]), {})
    page = empty.content.decode()
    assert empty.status_code == 200 and "govuk-error-summary" in page
    for message in ("Choose the agency", "Enter what was not shared", "Choose why the information was not shared"):
        assert message in page
    assert not_shared_form(client, active, other_council_school).status_code == 200  # not a choice here
    bad_choice = not_shared_form(client, active, police, why_not="because")
    assert bad_choice.status_code == 200 and "Choose why the information was not shared" in bad_choice.content.decode()
    too_long = share_form(client, active, police, what="x" * 5001)
    assert too_long.status_code == 200 and "5,000 characters or fewer" in too_long.content.decode()
    blank = share_form(client, active, police, reason="   ")
    assert blank.status_code == 200 and "Enter why sharing is needed" in blank.content.decode()
    assert not SharingDecision.objects.exists()
    with pytest.raises(ValidationError):
        duty_to_share_record(user=school_practitioner, caf=active, agency=other_council_school, what=WHAT, reason=WHY)
    with pytest.raises(ValidationError):
        decision_not_to_share_record(
            user=school_practitioner, caf=active, agency=police, why_not="because", asked_by="", what=WHAT, reason=WHY
        )
    assert not SharingDecision.objects.exists()


def test_a_share_of_a_closed_caf_lasts_the_councils_period_from_the_share(
    in_force, active, caf_admin, police, police_officer, signed_in
):
    services.caf_close(user=caf_admin, caf=active, reason="needs_met", summary="Going well at school")
    active.refresh_from_db()
    duty_to_share_record(user=caf_admin, caf=active, agency=police, what=WHAT, reason=WHY)
    grant = CafGroupObjectPermission.objects.get(content_object=active, group__name=f"agency:{police.pk}")
    months = in_force.closed_caf_read_months
    assert (
        timezone.now() + timedelta(days=28 * months)
        < grant.valid_until
        < timezone.now() + timedelta(days=31 * months + 1)
    )
    assert signed_in(police_officer).get(reverse("caf:caf_detail", args=[active.pk])).status_code == 200


def test_the_managers_list_runs_a_fixed_number_of_queries(
    active, school_practitioner, health_visiting, police, caf_admin, signed_in, django_assert_max_num_queries
):
    client = signed_in(caf_admin)
    decision_not_to_share_record(
        user=school_practitioner, caf=active, agency=police, why_not="not_needed", asked_by="", what=WHAT, reason=WHY
    )
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("caf:sharing_decisions"))
    for number in range(2, 25):
        child = services.child_create(
            user=school_practitioner,
            first_name=f"Child{number}",
            last_name="Jones",
            date_of_birth=date(2015, 1, 1),
            postcode="nb1 2ab",
        )
        decision_not_to_share_record(
            user=school_practitioner,
            caf=active_caf(school_practitioner, child, health_visiting),
            agency=police,
            why_not="other",
            asked_by="",
            what=WHAT,
            reason=WHY,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("caf:sharing_decisions"))
    assert page.content.decode().count("Not shared</strong>") == 24


def test_a_decision_is_in_the_subject_access_export_and_anonymised_with_the_family(
    active, child, school_practitioner, caf_admin, police
):
    decision_not_to_share_record(
        user=school_practitioner,
        caf=active,
        agency=police,
        why_not="more_detrimental",
        asked_by="DC Ray Moss",
        what="Jayden's own words about home",
        reason=WHY,
    )
    sar = services.subject_access_request_start(
        user=caf_admin, child=child, requested_by="Kelly Smith, his mother", requested_on=date(2026, 12, 1)
    )
    with zipfile.ZipFile(io.BytesIO(services.subject_access_export(user=caf_admin, request=sar))) as archive:
        page = archive.read(f"caf-{active.pk}.html").decode()
    assert "Decisions about sharing without consent" in page and "Jayden&#x27;s own words about home" in page

    services.caf_close(user=caf_admin, caf=active, reason="needs_met", summary="Going well")
    assert len(anonymise_due(council=active.council, today=date(2041, 5, 4))) == 1  # Jayden is 25
    decision = SharingDecision.objects.get()
    assert (decision.what, decision.reason, decision.asked_by) == (PLACEHOLDER, PLACEHOLDER, PLACEHOLDER)
