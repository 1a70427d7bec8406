"""The practitioner's journey through a draft CAF in a browser: start, consent or override,
assessment, each child's level, check your answers and submit; and who may see each page."""

import html as html_module
import re
from datetime import date

import pytest

from caf import services
from caf.models import AccessLog, AssessmentEntry, Caf, CafChild, Consent, LevelChange, TeamAroundFamilyMember
from core.errors import Refused
from referrals.models import Referral
from tests.caf_helpers import complete, consent

TRUANTING = "Occasional truanting or non-attendance"


def text_of(response) -> str:
    """The page's words, without tags or runs of spaces, as a user reads them."""
    page = response.content.decode()
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def error_summary(response) -> str:
    page = response.content.decode()
    assert 'class="govuk-error-summary"' in page, "no error summary on the page"
    start = page.index('class="govuk-error-summary"')
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page[start : page.index("</ul>", start)])))


def record_child(user, first_name: str, born: date = date(2016, 5, 4)):
    return services.child_create(
        user=user, first_name=first_name, last_name="Smith", date_of_birth=born, postcode="NB1 2AB"
    )


@pytest.fixture
def child(school_practitioner):
    return record_child(school_practitioner, "Jayden")


def consent_data(*agencies, **changes) -> dict:
    data = {
        "given_by_kind": "parent_or_carer",
        "given_by": "Kelly Smith",
        "relationship": "mother",
        "competence_note": "",
        "given_on_0": "2",
        "given_on_1": "11",
        "given_on_2": "2025",
        "method": "signed_form",
        "agencies": [agency.pk for agency in agencies],
        "copy_to": "Kelly Smith",
        "explained": ["storage", "sharing"],
    }
    data.update(changes)
    return data


# The whole journey --------------------------------------------------------------------------------


def test_the_initiator_completes_a_caf_through_the_pages(
    school_practitioner, child, council_model, health_visiting, signed_in
):
    client = signed_in(school_practitioner)
    sister = record_child(school_practitioner, "Amber", date(2019, 1, 9))

    start = client.get(f"/cafs/start/{child.pk}/")
    assert start.status_code == 200
    assert "Amber Smith, born 9 January 2019" in text_of(start)
    response = client.post(f"/cafs/start/{child.pk}/", {"siblings": [sister.pk]})
    caf = Caf.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cafs/{caf.pk}/"
    assert (caf.kind, caf.status, caf.initiated_by) == ("family", "draft", school_practitioner)
    assert set(caf.children.all()) == {child, sister}

    tasks = client.get(f"/cafs/{caf.pk}/")
    assert tasks.status_code == 200
    words = text_of(tasks)
    assert "Record consent Not yet started" in words
    assert "Level of need for Amber Smith" in words and "Level of need for Jayden Smith" in words
    assert "Check answers and submit Cannot start yet" in words

    consent_page = client.get(f"/cafs/{caf.pk}/consent/")
    assert consent_page.status_code == 200
    assert "Oakfield Primary School (the agency that started the CAF) is always covered" in text_of(consent_page)
    no_children = client.post(f"/cafs/{caf.pk}/consent/", consent_data(health_visiting))
    assert "Select the children this consent is for" in no_children.content.decode()  # per person, per child
    response = client.post(f"/cafs/{caf.pk}/consent/", consent_data(health_visiting, children=[child.pk, sister.pk]))
    assert response.status_code == 302
    consent = Consent.objects.get(caf=caf)
    assert set(consent.agencies.all()) == {health_visiting, school_practitioner.agency}
    assert (consent.given_by, consent.given_on, consent.explained_storage) == ("Kelly Smith", date(2025, 11, 2), True)

    assessment = client.get(f"/cafs/{caf.pk}/assessment/")
    assert assessment.status_code == 200
    sub_domain = council_model.indicators.get(text=TRUANTING).sub_domain
    assert sub_domain.name in text_of(assessment)
    response = client.post(
        f"/cafs/{caf.pk}/assessment/",
        {
            f"strengths_{sub_domain.pk}": "Loves football",
            f"needs_{sub_domain.pk}": "Often late",
            "views_of_child": "I like PE",
        },
    )
    assert response.status_code == 302
    assert AssessmentEntry.objects.get(caf=caf).needs == "Often late"
    caf.refresh_from_db()
    assert caf.views_of_child == "I like PE"

    truanting = council_model.indicators.get(text=TRUANTING)
    for caf_child in caf.caf_children.all():
        url = f"/cafs/{caf.pk}/children/{caf_child.pk}/level/"
        page = client.get(url)
        assert page.status_code == 200 and f'value="{truanting.pk}"' in page.content.decode()
        response = client.post(url, {"step": "check", "indicator": [truanting.pk], "extra_unmet_needs": "0"})
        assert response.status_code == 302 and response["Location"] == f"{url}?step=level"
        suggestion = client.get(response["Location"])
        words = text_of(suggestion)
        assert "Suggested level 2: Early Help" in words
        assert f'"{TRUANTING}" is an example of 2: Early Help' in words
        caf_child.refresh_from_db()
        assert caf_child.suggested_level.code == "2" and caf_child.level is None
        assert re.search(rf'value="{caf_child.suggested_level_id}"[^>]*checked', suggestion.content.decode())
        response = client.post(url, {"step": "level", "level": caf_child.suggested_level_id, "reason": ""})
        assert response.status_code == 302
        caf_child.refresh_from_db()
        assert caf_child.level.code == "2"
    assert LevelChange.objects.filter(caf_child__caf=caf).count() == 2

    check = client.get(f"/cafs/{caf.pk}/submit/")
    assert check.status_code == 200
    words = text_of(check)
    assert 'class="govuk-error-summary"' not in check.content.decode()
    assert "Kelly Smith (mother)" in words and "Health Visiting North" in words
    assert "Strengths: Loves football" in words and "I like PE" in words
    assert f"/cafs/{caf.pk}/consent/" in check.content.decode()

    response = client.post(f"/cafs/{caf.pk}/submit/")
    assert response.status_code == 302
    done = client.get(response["Location"])
    assert "CAF submitted" in text_of(done)
    caf.refresh_from_db()
    assert caf.status == Caf.Status.ACTIVE
    assert list(TeamAroundFamilyMember.objects.filter(caf=caf).values_list("user", flat=True)) == [
        school_practitioner.pk
    ]

    summary = client.get(f"/cafs/{caf.pk}/")
    words = text_of(summary)
    assert summary.status_code == 200
    assert "Active" in words and "Highest level in the family 2: Early Help" in words
    assert "Priya Shah (Oakfield Primary School)" in words


def test_submit_is_refused_without_consent(draft, school_practitioner, signed_in):
    complete(draft, school_practitioner)
    client = signed_in(school_practitioner)
    page = client.get(f"/cafs/{draft.pk}/submit/")
    assert "Record the family's consent: a CAF cannot start without it." in error_summary(page)
    response = client.post(f"/cafs/{draft.pk}/submit/")
    assert response.status_code == 200
    assert "Record the family's consent: a CAF cannot start without it." in error_summary(response)
    draft.refresh_from_db()
    assert draft.status == Caf.Status.DRAFT
    assert not TeamAroundFamilyMember.objects.exists()


def test_a_level_other_than_the_suggestion_needs_a_reason(draft, school_practitioner, signed_in):
    caf_child = draft.caf_children.get()
    url = f"/cafs/{draft.pk}/children/{caf_child.pk}/level/"
    client = signed_in(school_practitioner)
    truanting = draft.threshold_model.indicators.get(text=TRUANTING)
    client.post(url, {"step": "check", "indicator": [truanting.pk], "extra_unmet_needs": ""})
    targeted = draft.threshold_model.levels.get(code="3")

    response = client.post(url, {"step": "level", "level": targeted.pk, "reason": " "})
    assert response.status_code == 200
    assert "Say why you chose a different level from the one suggested" in error_summary(response)
    caf_child.refresh_from_db()
    assert caf_child.level is None and not LevelChange.objects.exists()

    response = client.post(url, {"step": "level", "level": targeted.pk, "reason": "Domestic abuse disclosed"})
    assert response.status_code == 302
    change = LevelChange.objects.get()
    assert (change.level, change.suggested_level.code, change.reason) == (targeted, "2", "Domestic abuse disclosed")


def test_an_immediate_harm_indicator_interrupts_with_the_front_door_number(draft, school_practitioner, signed_in):
    caf_child = draft.caf_children.get()
    url = f"/cafs/{draft.pk}/children/{caf_child.pk}/level/"
    harm = draft.threshold_model.indicators.filter(immediate_harm=True).first()
    client = signed_in(school_practitioner)

    response = client.post(url, {"step": "check", "indicator": [harm.pk], "extra_unmet_needs": "0"})
    assert response.status_code == 200
    words = text_of(response)
    assert "Refer Jayden Smith to children's social care today" in words
    assert (
        "Refer to children's social care now: call Northbridge Borough Council's front door on 01632 960 000" in words
    )
    assert f"/cafs/{draft.pk}/override/" in response.content.decode()
    assert 'name="level"' not in response.content.decode()
    # The level step stays closed while the indicator is chosen.
    again = client.get(f"{url}?step=level")
    assert "Refer Jayden Smith to children's social care today" in text_of(again)
    response = client.post(url, {"step": "level", "level": draft.threshold_model.levels.get(code="2").pk})
    assert response.status_code == 200
    caf_child.refresh_from_db()
    assert caf_child.level is None and not LevelChange.objects.exists()
    assert list(caf_child.indicators.all()) == [harm]


def test_a_safeguarding_override_starts_a_referral_and_the_caf_stays_draft(draft, school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    page = client.get(f"/cafs/{draft.pk}/override/")
    assert page.status_code == 200
    assert "Only where seeking the family's consent would increase the risk of significant harm" in text_of(page)

    empty = client.post(f"/cafs/{draft.pk}/override/", {"reason": "  "})
    assert empty.status_code == 200
    assert "Enter why seeking consent would increase the risk of significant harm" in error_summary(empty)
    assert not Referral.objects.exists()

    response = client.post(f"/cafs/{draft.pk}/override/", {"reason": "Disclosure of abuse by the mother's partner"})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert (referral.caf, referral.status, referral.basis) == (draft, "draft", "safeguarding_override")
    assert list(referral.children.all()) == list(draft.children.all())
    done = client.get(response["Location"])
    assert "Referral started" in text_of(done) and "01632 960 000" in text_of(done)
    draft.refresh_from_db()
    assert draft.status == Caf.Status.DRAFT


def test_withdrawing_consent_through_its_page_closes_an_active_caf(active, school_practitioner, signed_in):
    consent = active.consents.get()
    url = f"/cafs/{active.pk}/consent/{consent.pk}/withdraw/"
    client = signed_in(school_practitioner)
    page = client.get(url)
    assert page.status_code == 200 and "Record that consent was withdrawn" in text_of(page)

    response = client.post(
        url, {"withdrawn_on_0": "20", "withdrawn_on_1": "11", "withdrawn_on_2": "2026", "reason": "Mother declines"}
    )
    assert response.status_code == 302
    active.refresh_from_db()
    consent.refresh_from_db()
    assert (active.status, active.closure_reason) == ("closed", "consent_withdrawn")
    assert (consent.withdrawn_on, consent.withdrawal_reason) == (date(2026, 11, 20), "Mother declines")
    assert "Closed on" in text_of(client.get(f"/cafs/{active.pk}/"))


# Bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select who gave consent"),
        (
            {"given_on_0": "31", "given_on_1": "2", "given_on_2": "2025"},
            "The date consent was given must be a real date",
        ),
        ("both", "An agency cannot be both covered and excluded: Neighbourhood Policing"),
        ({"given_by_kind": "young_person"}, "Say why the young person can give consent for themselves"),
    ],
    ids=["empty", "impossible date", "covered and excluded", "young person without a note"],
)
def test_bad_consent_shows_an_error_summary_and_records_nothing(
    draft, school_practitioner, police, signed_in, data, message
):
    if data == "both":
        data = consent_data(police, excluded_agencies=[police.pk])
    elif data:
        data = consent_data(**data)
    response = signed_in(school_practitioner).post(f"/cafs/{draft.pk}/consent/", data)
    assert response.status_code == 200
    assert message in error_summary(response)
    assert not Consent.objects.exists()


def test_a_withdrawal_date_before_the_consent_is_refused(active, school_practitioner, signed_in):
    consent = active.consents.get()
    response = signed_in(school_practitioner).post(
        f"/cafs/{active.pk}/consent/{consent.pk}/withdraw/",
        {"withdrawn_on_0": "1", "withdrawn_on_1": "1", "withdrawn_on_2": "2020", "reason": "No"},
    )
    assert response.status_code == 200
    assert "must be on or after the date it was given" in error_summary(response)
    consent.refresh_from_db()
    active.refresh_from_db()
    assert consent.withdrawn_on is None and active.status == Caf.Status.ACTIVE


# Access -------------------------------------------------------------------------------------------

PAGES = [
    "/cafs/{caf}/",
    "/cafs/{caf}/consent/",
    "/cafs/{caf}/consent/{consent}/withdraw/",
    "/cafs/{caf}/override/",
    "/cafs/{caf}/assessment/",
    "/cafs/{caf}/children/{caf_child}/level/",
    "/cafs/{caf}/submit/",
]
EDIT_PAGES = [page for page in PAGES if page != "/cafs/{caf}/"]


def page_url(template: str, caf: Caf) -> str:
    return template.format(
        child=caf.children.get().pk,
        caf=caf.pk,
        consent=caf.consents.get().pk,
        caf_child=caf.caf_children.get().pk,
    )


@pytest.mark.parametrize("template", PAGES)
@pytest.mark.parametrize("who", ["other_council_user", "police_officer"])
def test_outsiders_get_404_on_every_page_and_the_refusal_is_logged(
    request, draft, school_practitioner, signed_in, template, who
):
    consent(draft, school_practitioner)
    user = request.getfixturevalue(who)
    url = page_url(template, draft)
    client = signed_in(user)
    assert client.get(url).status_code == 404
    posts = template != "/cafs/{caf}/"  # the overview answers GET only
    if posts:
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert AccessLog.objects.filter(user=user, action=AccessLog.Action.REFUSED).count() == 1 + posts
    assert Caf.objects.count() == 1 and not Referral.objects.exists()
    assert Consent.objects.get().withdrawn_on is None


def test_another_council_cannot_start_a_caf_for_a_child(draft, other_council_user, signed_in):
    # Within the council, any practitioner may start a CAF for a child the search found (see above).
    url = f"/cafs/start/{draft.children.get().pk}/"
    assert signed_in(other_council_user).get(url).status_code == 404
    assert signed_in(other_council_user).post(url).status_code == 404
    assert Caf.objects.count() == 1


@pytest.mark.parametrize("template", EDIT_PAGES)
def test_a_taf_member_who_is_not_the_initiator_sees_the_caf_but_cannot_edit_it(
    active, caf_admin, health_visitor, signed_in, template
):
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    client = signed_in(health_visitor)
    overview = client.get(f"/cafs/{active.pk}/")
    assert overview.status_code == 200 and "Hannah Okoro (Health Visiting North)" in text_of(overview)
    url = page_url(template, active)
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, {"reason": "x"}).status_code in (403, 404)
    active.refresh_from_db()
    assert active.status == Caf.Status.ACTIVE and not Referral.objects.exists()
    assert active.consents.get().withdrawn_on is None


def test_the_caf_administrator_sees_the_caf(active, caf_admin, signed_in):
    response = signed_in(caf_admin).get(f"/cafs/{active.pk}/")
    assert response.status_code == 200
    assert "Jayden Smith" in text_of(response) and "Kelly Smith (mother)" in text_of(response)
    assert AccessLog.objects.filter(user=caf_admin, caf=active, action=AccessLog.Action.VIEW).exists()


# Queries ------------------------------------------------------------------------------------------


def family_caf(user, size: int) -> Caf:
    children = [record_child(user, f"Child{n}", date(2012 + n, 1, 1)) for n in range(size)]
    caf = services.caf_start(user=user, children=children)
    consent(caf, user)
    complete(caf, user)
    return caf


@pytest.mark.parametrize("size", [1, 3])
def test_the_overview_runs_a_fixed_number_of_queries(
    school_practitioner, council_model, signed_in, django_assert_max_num_queries, size
):
    caf = family_caf(school_practitioner, size)
    client = signed_in(school_practitioner)
    with django_assert_max_num_queries(30):
        draft_page = client.get(f"/cafs/{caf.pk}/")
    services.caf_submit(user=school_practitioner, caf=caf)
    with django_assert_max_num_queries(34):  # the active overview also asks who may change the plan
        active_page = client.get(f"/cafs/{caf.pk}/")
    assert draft_page.status_code == active_page.status_code == 200
    assert text_of(active_page).count("2: Early Help") >= size


@pytest.mark.parametrize("ticked", [1, 40])
def test_the_level_pages_run_a_fixed_number_of_queries(
    draft, school_practitioner, signed_in, django_assert_max_num_queries, ticked
):
    caf_child = draft.caf_children.get()
    needs = draft.threshold_model.indicators.filter(immediate_harm=False, kind="need")[:ticked]
    services.child_indicators_set(user=school_practitioner, caf_child=caf_child, indicators=needs)
    url = f"/cafs/{draft.pk}/children/{caf_child.pk}/level/"
    client = signed_in(school_practitioner)
    with django_assert_max_num_queries(25):
        indicators_page = client.get(url)
    with django_assert_max_num_queries(25):
        level_page = client.get(f"{url}?step=level")
    assert indicators_page.content.decode().count(" checked") == ticked
    assert "Suggested level" in text_of(level_page)
    assert CafChild.objects.get().indicators.count() == ticked


def test_a_child_found_by_the_search_can_have_a_caf_started_by_another_agency(
    child, health_visitor, other_council_user, council_model, signed_in
):
    from caf.models import Adult, Caf

    adult = Adult.objects.create(
        council=child.council, full_name="Kelly Smith", relationship="mother", parental_responsibility=True
    )
    adult.children.add(child)
    client = signed_in(health_visitor)
    assert client.post(f"/cafs/start/{child.pk}/").status_code == 404  # not found by their search yet
    client.get("/children/find/", {"first_name": "Jayden", "last_name": "Smith"})
    response = client.post(f"/cafs/start/{child.pk}/")
    assert response.status_code == 302
    caf = Caf.objects.get(initiated_by=health_visitor)
    assert list(caf.children.all()) == [child]
    assert list(caf.adults.all()) == [adult]  # the household comes with the child
    assert signed_in(other_council_user).post(f"/cafs/start/{child.pk}/").status_code == 404
    assert Caf.objects.count() == 1


# Brothers and sisters join a draft later (issue 14) ----------------------------------------------


def test_a_brother_joins_the_draft_which_becomes_a_family_caf_and_needs_a_consent_that_names_him(
    draft, school_practitioner, health_visiting, signed_in
):
    consent(draft, school_practitioner, health_visiting)
    brother = record_child(school_practitioner, "Tyler", born=date(2019, 2, 1))
    services.household_record(
        user=school_practitioner,
        child=brother,
        adults=[{"full_name": "Dean Smith", "relationship": "father", "parental_responsibility": True}],
    )
    client = signed_in(school_practitioner)
    assert "Add a brother or sister" in text_of(client.get(f"/cafs/{draft.pk}/"))
    page = client.get(f"/cafs/{draft.pk}/children/add/")
    assert "Tyler Smith" in text_of(page)

    assert client.post(f"/cafs/{draft.pk}/children/add/", {"children": [brother.pk]}).status_code == 302

    draft.refresh_from_db()
    assert draft.kind == Caf.Kind.FAMILY
    assert set(draft.children.all()) == {draft.caf_children.first().child, brother}
    assert draft.adults.filter(full_name="Dean Smith").exists()  # his household came with him
    answers = text_of(client.get(f"/cafs/{draft.pk}/submit/"))
    assert "Record consent for Tyler Smith: no consent names them yet." in answers
    assert "Dean Smith" in answers
    consent(draft, school_practitioner, health_visiting)  # the helper names every child of the CAF
    assert "no consent names them" not in text_of(client.get(f"/cafs/{draft.pk}/submit/"))


def test_adding_a_child_the_practitioner_may_not_see_or_to_a_caf_not_theirs_is_refused(
    active, school_practitioner, school_colleague, health_visitor, signed_in
):
    draft = services.caf_start(user=school_practitioner, children=[record_child(school_practitioner, "Ava")])
    stranger_child = record_child(health_visitor, "Mia")  # recorded by another agency, on no CAF
    client = signed_in(school_practitioner)
    refused = client.post(f"/cafs/{draft.pk}/children/add/", {"children": [stranger_child.pk]})
    assert refused.status_code == 200
    assert "Choose only children listed here" in error_summary(refused)
    assert draft.caf_children.count() == 1

    sibling = record_child(school_practitioner, "Tyler")
    assert (
        signed_in(school_colleague).post(f"/cafs/{draft.pk}/children/add/", {"children": [sibling.pk]}).status_code
        == 403
    )  # sees the draft (same agency), but does not build it
    assert client.post(f"/cafs/{active.pk}/children/add/", {"children": [sibling.pk]}).status_code == 403
    assert signed_in(health_visitor).get(f"/cafs/{draft.pk}/children/add/").status_code == 404
    assert draft.caf_children.count() == 1 and active.caf_children.count() == 1
    with pytest.raises(Refused):  # the service holds the rule too, whatever a form offers
        services.caf_children_add(user=school_practitioner, caf=draft, children=[stranger_child])


def test_a_new_brother_recorded_from_the_draft_comes_back_ticked(draft, school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    add_page = client.get(f"/cafs/{draft.pk}/children/add/").content.decode()
    record_new = html_module.unescape(re.search(r'id="record-new-sibling" href="([^"]+)"', add_page).group(1))
    form = client.get(record_new).content.decode()
    assert 'name="for_caf"' in form and 'value="Smith"' in form  # the family name, in its field

    created = client.post(
        "/children/new/",
        {
            "first_name": "Tyler",
            "last_name": "Smith",
            "date_of_birth_0": "1",
            "date_of_birth_1": "2",
            "date_of_birth_2": "2019",
            "sex": "male",
            "for_caf": draft.pk,
            "checked_new_child": "on",
        },
    )
    tyler = html_module.unescape(created["Location"])
    assert tyler.startswith(f"/cafs/{draft.pk}/children/add/?child=")
    page = client.get(tyler).content.decode()
    assert re.search(r'<input[^>]*name="children"[^>]*checked', page)
