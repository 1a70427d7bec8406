"""The "Check the threshold" guide: any signed-in user checks a council's published model; nothing is saved."""

import html as html_module
import re

import pytest
from django.test import Client

from thresholds.models import Indicator, PolicyCase, ThresholdModel
from thresholds.services import threshold_model_draft_start

IMMEDIATE_HARM = "Child or family need immediate support and protection due to harassment /discrimination"
REFERENCE_COUNCILS = [
    "Halton Borough Council",
    "Leicester City Council",
    "Leicestershire County Council",
    "Luton Borough Council",
    "Medway Council",
    "Rutland County Council",
]


def url(threshold_model: ThresholdModel) -> str:
    return f"/thresholds/check/{threshold_model.pk}/"


def indicator(threshold_model: ThresholdModel, text: str, level: str) -> Indicator:
    return Indicator.objects.get(threshold_model=threshold_model, level__code=level, text__startswith=text)


def record_counts() -> tuple[int, int, int]:
    return ThresholdModel.objects.count(), Indicator.objects.count(), PolicyCase.objects.count()


def text_of(html: str) -> str:
    """The page's words, without tags or runs of spaces, as a user reads them."""
    return html_module.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_start_page_lists_every_current_model_with_the_users_own_council_first(
    reference_models, council_model, school_practitioner, signed_in
):
    response = signed_in(school_practitioner).get("/thresholds/check/")
    page = response.content.decode()
    assert response.status_code == 200
    listed = re.findall(r'href="/thresholds/check/\d+/">([^<]+)</a>', page)
    assert listed == ["Northbridge Borough Council", *REFERENCE_COUNCILS]
    assert page.count("Your council") == 1
    assert page.index("Your council") < page.index("Halton Borough Council")
    assert re.search(r'item--active">\s*<a [^>]+ href="/thresholds/check/" aria-current="page">Check the', page)


def test_the_start_page_sends_a_chosen_model_to_its_check_page(reference_model, school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    rutland = reference_model("rutland")
    response = client.get("/thresholds/check/", {"model": rutland.pk})
    assert response.status_code == 302
    assert response["Location"] == url(rutland)
    assert client.get("/thresholds/check/", {"model": "nonsense"}).status_code == 404


def test_the_check_page_shows_each_level_its_indicators_and_notes(reference_model, school_practitioner, signed_in):
    leicester = reference_model("leicester")
    response = signed_in(school_practitioner).get(url(leicester))
    page = response.content.decode()
    assert response.status_code == 200
    for label in ["1: Universal", "2: Early Help/CAF", "3: Targeted"]:
        assert f">{label}</h2>" in page
    assert page.count('name="indicator"') == 129
    assert page.count('<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">') > 30
    assert "Cultural and Racial identity and language are taken into account" in page  # a note, as hint text
    good_health = indicator(leicester, "Achieving key stages", "1")
    assert f'aria-describedby="indicator-{good_health.pk}-hint"' in page
    assert "A strength, not a need." in page
    assert "Features of this level" in page and "Assessment process" in page
    assert 'id="refer-now"' not in page and "Suggested level" not in page  # nothing ticked yet
    assert 'type="module" src="/static/js/threshold-check.js"' in page
    assert "<script>" not in page  # no inline scripts: a CSP will forbid them
    form = page[page.index('<form method="get"') : page.index("</form>", page.index('<form method="get"'))]
    assert "csrfmiddlewaretoken" not in form  # a GET form: no token in the shareable address
    assert 'name="age" inputmode="numeric"' in form and '<label for="id_age"' in form


def test_ticking_a_level_3_indicator_suggests_level_3_and_names_it(reference_model, school_practitioner, signed_in):
    leicester = reference_model("leicester")
    before = record_counts()
    chosen = indicator(leicester, "Chronic/recurring health problems", "3")
    lower = indicator(leicester, "Overcrowding", "2")
    response = signed_in(school_practitioner).get(url(leicester), {"indicator": [chosen.pk, lower.pk], "age": "9"})
    page = text_of(response.content.decode())
    assert response.status_code == 200
    assert "Suggested level 3: Targeted" in page
    assert '"Chronic/recurring health problems" is an example of 3: Targeted (Health).' in page
    assert "1 other chosen need is at lower levels." in page
    assert "Local Authority children's social care" in page  # the key services
    assert f'id="indicator-{chosen.pk}" name="indicator" type="checkbox" value="{chosen.pk}" checked' in (
        response.content.decode()
    )
    assert record_counts() == before


def test_an_indicator_of_immediate_harm_says_refer_now_with_the_front_door_number(
    reference_model, school_practitioner, signed_in
):
    leicestershire = reference_model("leicestershire")
    harm = indicator(leicestershire, IMMEDIATE_HARM, "4")
    response = signed_in(school_practitioner).get(url(leicestershire), {"indicator": harm.pk})
    html = response.content.decode()
    page = text_of(html)
    assert response.status_code == 200
    assert 'class="govuk-notification-banner" role="region"' in html
    assert (
        "Refer to children's social care now: call Leicestershire County Council's front door on 0116 305 0005" in page
    )
    assert html.index('id="refer-now"') < html.index('id="result-heading"')  # the warning comes first
    assert "Do not wait to complete a CAF" in page


def test_rutland_three_level_2_needs_call_for_a_caf_and_two_do_not(reference_model, school_practitioner, signed_in):
    rutland = reference_model("rutland")
    client = signed_in(school_practitioner)
    needs = [indicator(rutland, text, "2").pk for text in ["Overcrowding", "Poor self-esteem", "Occasional truanting"]]
    three = text_of(client.get(url(rutland), {"indicator": needs}).content.decode())
    assert "Suggested level 2: Early Help/CAF" in three
    assert "Rule: 3 unmet needs at 2: Early Help/CAF; 3 or more suggest 2: Early Help/CAF and a CAF." in three
    assert "A CAF is suggested" in three
    two = text_of(client.get(url(rutland), {"indicator": needs[:2]}).content.decode())
    assert "fewer than 3, so a single agency may meet them without a CAF" in two
    assert "A CAF is not suggested at this level." in two
    with_other = text_of(client.get(url(rutland), {"indicator": needs[:2], "extra_unmet_needs": "1"}).content.decode())
    assert "3 unmet needs at 2: Early Help/CAF (2 chosen, 1 other)" in with_other


def test_a_model_without_indicators_says_so_and_shows_the_level_descriptions(
    reference_model, school_practitioner, signed_in
):
    response = signed_in(school_practitioner).get(url(reference_model("luton")))
    html = response.content.decode()
    page = text_of(html)
    assert response.status_code == 200
    assert "Luton Borough Council's threshold document gives no example indicators" in page
    assert "choose the level from the level descriptions" in page
    assert "Level 3 &amp; 4</h2>" in html
    assert "emerging needs, best met by a single agency" in page
    assert 'name="indicator"' not in html and '<form method="get"' not in html


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_a_draft_or_retired_model_is_not_found(status, council, reference_model, school_practitioner, signed_in):
    draft = threshold_model_draft_start(user=None, council=council, copy_from=reference_model("leicester"))
    if status == "retired":
        ThresholdModel.objects.filter(pk=draft.pk).update(status="retired", published_at="2024-01-01T00:00Z")
    client = signed_in(school_practitioner)
    assert client.get(url(draft)).status_code == 404
    assert client.get("/thresholds/check/999999/").status_code == 404
    assert client.get("/thresholds/check/", {"model": draft.pk}).status_code == 404


def test_another_councils_published_model_is_public_policy(council_model, other_council_user, signed_in):
    response = signed_in(other_council_user).get(url(council_model))
    assert response.status_code == 200
    assert "Northbridge Borough Council" in response.content.decode()


def test_someone_not_signed_in_is_sent_to_sign_in(reference_model):
    for address in ["/thresholds/check/", url(reference_model("leicester"))]:
        response = Client().get(address)
        assert response.status_code == 302
        assert response["Location"].startswith("/sign-in/?next=/thresholds/check/")


def test_the_navigation_offers_the_guide_on_every_page(school_practitioner, signed_in):
    page = signed_in(school_practitioner).get("/").content.decode()
    assert '<a class="govuk-service-navigation__link" href="/thresholds/check/">Check the threshold</a>' in page


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"age": "abc"}, "Enter the child&#x27;s age in years as a whole number, like 7"),
        ({"age": "40"}, "The child&#x27;s age must be 25 or under"),
        ({"extra_unmet_needs": "-1"}, "The number of other unmet needs must be 0 or more"),
        ({"extra_unmet_needs": "21"}, "The number of other unmet needs must be 20 or fewer"),
        ({"indicator": "99999999"}, "Choose only indicators from this council&#x27;s thresholds"),
        ({"indicator": "abc"}, "Choose only indicators from this council&#x27;s thresholds"),
        ({"age": "3", "unborn": "on"}, "Enter an age or tick unborn, not both"),
    ],
)
def test_bad_answers_show_the_error_summary_not_a_failure(
    answers, message, reference_model, school_practitioner, signed_in
):
    leicester = reference_model("leicester")
    before = record_counts()
    response = signed_in(school_practitioner).get(url(leicester), answers)
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert "<title>Error: Check the threshold" in page
    assert "Suggested level" not in page
    assert record_counts() == before


def test_an_indicator_of_another_model_is_refused(reference_model, school_practitioner, signed_in):
    rutlands = indicator(reference_model("rutland"), "Overcrowding", "2")
    response = signed_in(school_practitioner).get(url(reference_model("leicester")), {"indicator": rutlands.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Choose only indicators from this council&#x27;s thresholds" in page
    assert 'href="#id_indicator"' in page and 'id="id_indicator"' in page


def test_partial_returns_only_the_result_panel(reference_model, school_practitioner, signed_in):
    leicester = reference_model("leicester")
    chosen = indicator(leicester, "Chronic/recurring health problems", "3")
    client = signed_in(school_practitioner)
    response = client.get(url(leicester), {"indicator": chosen.pk, "age": "", "partial": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Suggested level" in html and "3: Targeted" in html
    assert 'data-announcement="Suggested level: 3: Targeted. A CAF is suggested."' in html
    assert "<html" not in html and 'name="indicator"' not in html and "govuk-header" not in html
    bad = client.get(url(leicester), {"age": "abc", "partial": "1"}).content.decode()
    assert "There is a problem" in bad and "<html" not in bad


def test_the_check_page_runs_a_fixed_number_of_queries(
    reference_model, school_practitioner, signed_in, django_assert_max_num_queries
):
    leicester, luton = reference_model("leicester"), reference_model("luton")
    ids = list(Indicator.objects.filter(threshold_model=leicester, kind="need").values_list("pk", flat=True))
    assert Indicator.objects.filter(threshold_model=leicester).count() == 129
    client = signed_in(school_practitioner)
    client.get(url(leicester))  # warm the session
    counts = []
    for params in [{"indicator": ids[:1]}, {"indicator": ids[:40]}, {}]:
        with django_assert_max_num_queries(17) as captured:
            response = client.get(url(leicester), params)
        assert response.status_code == 200
        counts.append(len(captured))
    with django_assert_max_num_queries(17) as captured:
        assert client.get(url(luton)).status_code == 200  # a model without indicators
    counts.append(len(captured))
    assert len(set(counts)) == 1, counts
