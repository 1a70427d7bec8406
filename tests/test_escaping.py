"""Text people type (agency names, level names, people's names) is always shown as text: never as
markup, wherever it lands, including labels and hints that crispy-forms-gds renders unescaped."""

import pytest

from accounts.models import Agency, AgencyType
from tests.factories import AgencyFactory
from thresholds.models import Level
from thresholds.services import threshold_model_draft_start

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
IMAGE = '<img src=x onerror="alert(2)">'


def assert_shown_as_text(page: str) -> None:
    assert ESCAPED in page
    assert SCRIPT not in page
    assert "<img src=x" not in page


def test_an_agency_name_is_escaped_on_the_consent_form(
    council_admin, school, locality, draft, school_practitioner, signed_in
):
    # The council administrator names the practitioner's own agency (shown in the hint) through the admin page.
    response = signed_in(council_admin).post(
        f"/admin/accounts/agency/{school.pk}/change/",
        {"council": school.council_id, "name": SCRIPT, "agency_type": AgencyType.SCHOOL, "locality": locality.pk},
    )
    assert response.status_code == 302
    assert Agency.objects.get(pk=school.pk).name == SCRIPT
    AgencyFactory(council=school.council, name=IMAGE, agency_type=AgencyType.HOUSING)

    page = signed_in(school_practitioner).get(f"/cafs/{draft.pk}/consent/")

    assert page.status_code == 200
    text = page.content.decode()
    assert_shown_as_text(text)
    assert f"{ESCAPED} (the agency that started the CAF) is always covered" in text  # the hint
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in text


@pytest.fixture
def draft_model(council, council_model, council_admin):
    return threshold_model_draft_start(user=council_admin, council=council)


def test_a_level_name_is_escaped_on_the_administrators_pages(council_admin, draft_model, signed_in):
    client = signed_in(council_admin)
    level = draft_model.levels.get(order=2)
    edit = {
        "name": SCRIPT,
        "description": level.description,
        "features": level.features,
        "assessment_process": level.assessment_process,
        "key_services": level.key_services,
        "caf_use": level.caf_use,
        "social_care_referral": level.social_care_referral,
    }
    response = client.post(f"/thresholds/manage/{draft_model.pk}/levels/{level.pk}/", edit, follow=True)
    assert response.status_code == 200
    assert Level.objects.get(pk=level.pk).name == SCRIPT
    assert_shown_as_text(response.content.decode())  # the model's page and the "saved" message

    for path in ["policy-cases/add/", f"levels/{level.pk}/", "indicators/add/", "compare/"]:
        page = client.get(f"/thresholds/manage/{draft_model.pk}/{path}")
        assert page.status_code == 200, path
        assert SCRIPT not in page.content.decode(), path
    assert (
        f"Indicators at 2: {ESCAPED}"
        in client.get(f"/thresholds/manage/{draft_model.pk}/policy-cases/add/").content.decode()
    )


def test_a_level_name_is_escaped_in_the_threshold_guide(council_model, school_practitioner, signed_in):
    level = council_model.levels.get(order=2)
    Level.objects.filter(pk=level.pk).update(name=SCRIPT)  # as a published edit left it
    chosen = council_model.indicators.filter(level=level, immediate_harm=False).first()
    client = signed_in(school_practitioner)

    guide = client.get(f"/thresholds/check/{council_model.pk}/")
    result = client.get(f"/thresholds/check/{council_model.pk}/", {"indicator": [chosen.pk]})

    assert guide.status_code == result.status_code == 200
    assert_shown_as_text(guide.content.decode())
    assert_shown_as_text(result.content.decode())


def test_a_persons_name_is_escaped_in_the_header_and_the_administration_list(
    council_admin, school_practitioner, signed_in
):
    school_practitioner.full_name = SCRIPT
    school_practitioner.save()
    assert_shown_as_text(signed_in(school_practitioner).get("/").content.decode())
    assert_shown_as_text(signed_in(council_admin).get("/admin/accounts/user/").content.decode())
