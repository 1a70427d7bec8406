"""Council administrators' threshold model screens: drafts, edits, policy cases, comparing, publishing."""

import re

import pytest

from thresholds.models import Indicator, Level, PolicyCase, Rule, SubDomain, ThresholdModel
from thresholds.services import policy_case_save, threshold_model_draft_start, threshold_model_publish

MANAGE = "/thresholds/manage/"


def _url(threshold_model: ThresholdModel, rest: str = "") -> str:
    return f"{MANAGE}{threshold_model.pk}/{rest}"


def _counts(threshold_model: ThresholdModel) -> tuple[int, int, int]:
    return threshold_model.levels.count(), threshold_model.indicators.count(), threshold_model.rules.count()


@pytest.fixture
def draft(council, council_model, council_admin) -> ThresholdModel:
    """Northbridge's version 2, a draft copy of its published version 1."""
    return threshold_model_draft_start(user=council_admin, council=council)


@pytest.fixture
def admin_client(council_admin, signed_in):
    return signed_in(council_admin)


def _level(threshold_model: ThresholdModel, order: int) -> Level:
    return threshold_model.levels.get(order=order)


def _plain_need(threshold_model: ThresholdModel, order: int) -> Indicator:
    return threshold_model.indicators.filter(
        level__order=order, kind=Indicator.Kind.NEED, immediate_harm=False, min_age=None, max_age=None
    ).first()


def _level_post(level: Level, **changes: str) -> dict[str, str]:
    data = {
        "name": level.name,
        "description": level.description,
        "features": level.features,
        "assessment_process": level.assessment_process,
        "key_services": level.key_services,
        "caf_use": level.caf_use,
        "social_care_referral": level.social_care_referral,
    }
    return {**data, **changes}


def _indicator_post(level: Level, text: str = "Often hungry at school", **changes: str) -> dict[str, str]:
    sub_domain = SubDomain.objects.order_by("pk").first()
    return {"text": text, "level": str(level.pk), "sub_domain": str(sub_domain.pk), "kind": "need", **changes}


def _case_post(name: str, indicators: list[Indicator], expected: Level) -> dict:
    data: dict = {"name": name, "extra_unmet_needs": "0", "age": "", "expected_level": str(expected.pk)}
    for indicator in indicators:
        data.setdefault(f"indicators_{indicator.level_id}", []).append(str(indicator.pk))
    return data


# Starting drafts ----------------------------------------------------------------------------------


def test_the_versions_page_lists_the_councils_versions(admin_client, reference_models, council_model, draft):
    response = admin_client.get(MANAGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["versions"]) == [draft, council_model]
    assert "Version 2" in page and "Version 1" in page
    assert "govuk-tag--green" in page and "govuk-tag--yellow" in page
    assert "Start a new draft version" in page
    # The other councils' published models are offered to copy, never this council's own.
    offered = set(response.context["copy_form"].fields["copy_from"].queryset)
    assert council_model not in offered and len(offered) == 6


def test_a_council_administrator_starts_a_draft_as_a_copy_of_the_latest(admin_client, council, council_model):
    response = admin_client.post(f"{MANAGE}start/")
    draft = ThresholdModel.objects.get(council=council, status=ThresholdModel.Status.DRAFT)
    assert response.status_code == 302
    assert response["Location"] == _url(draft)
    assert draft.version == council_model.version + 1
    assert draft.based_on == council_model
    assert _counts(draft) == _counts(council_model)
    assert draft.indicators.count() > 100
    council_model.refresh_from_db()
    assert council_model.status == ThresholdModel.Status.PUBLISHED
    page = admin_client.get(_url(draft)).content.decode()
    assert "Version 2 started as a draft" in page
    assert "Add an indicator" in page


def test_a_draft_may_start_from_another_councils_model(admin_client, council, reference_model):
    rutland = reference_model("rutland")
    response = admin_client.post(f"{MANAGE}start/", {"copy": "", "copy_from": str(rutland.pk)})
    draft = ThresholdModel.objects.get(council=council)
    assert response.status_code == 302
    assert (draft.version, draft.status, draft.based_on) == (1, ThresholdModel.Status.DRAFT, rutland)
    assert _counts(draft) == _counts(rutland)
    assert draft.rules.filter(kind=Rule.Kind.COUNT).count() == 1
    assert ThresholdModel.objects.filter(council=rutland.council).count() == 1  # Rutland's own history is untouched


def test_a_second_draft_is_refused_with_the_services_message(admin_client, council, draft):
    response = admin_client.post(f"{MANAGE}start/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "There is already a draft version. Change or publish it first." in page
    assert ThresholdModel.objects.filter(council=council).count() == 2


def test_copying_another_councils_draft_is_not_offered(admin_client, council, other_council, reference_model):
    their_draft = threshold_model_draft_start(user=None, council=other_council, copy_from=reference_model("rutland"))
    response = admin_client.post(f"{MANAGE}start/", {"copy": "", "copy_from": str(their_draft.pk)})
    assert response.status_code == 200
    assert "Choose a model in the list" in response.content.decode()
    assert not ThresholdModel.objects.filter(council=council).exists()


# Editing a draft ----------------------------------------------------------------------------------


def test_the_version_page_shows_levels_rules_and_policy_cases(admin_client, draft, council_admin):
    level = _level(draft, 2)
    policy_case_save(
        user=council_admin,
        case=PolicyCase(threshold_model=draft, name="One level 2 need", expected_level=level),
        indicators=[_plain_need(draft, 2)],
    )
    response = admin_client.get(_url(draft))
    page = response.content.decode()
    assert response.status_code == 200
    assert level.label in page
    assert _plain_need(draft, 2).text.replace("'", "&#x27;") in page
    assert "The highest level among the chosen indicators" in page
    assert "One level 2 need" in page and "Passes" in page
    assert f"{_url(draft)}levels/{level.pk}/" in page


def test_a_council_administrator_edits_a_level_of_the_draft(admin_client, draft):
    level = _level(draft, 2)
    data = _level_post(level, name="Early help", key_services="Family hub\nSchool nurse", caf_use="expected")
    response = admin_client.post(_url(draft, f"levels/{level.pk}/"), data)
    assert response.status_code == 302
    level.refresh_from_db()
    assert level.name == "Early help"
    assert level.key_service_list == ["Family hub", "School nurse"]
    assert level.caf_use == Level.CafUse.EXPECTED


def test_a_level_needs_a_name(admin_client, draft):
    level = _level(draft, 2)
    response = admin_client.post(_url(draft, f"levels/{level.pk}/"), _level_post(level, name=""))
    assert response.status_code == 200
    assert "Enter the level&#x27;s name" in response.content.decode()
    assert _level(draft, 2).name == level.name


def test_a_council_administrator_adds_changes_and_removes_an_indicator(admin_client, draft):
    level = _level(draft, 1)
    before = draft.indicators.count()
    response = admin_client.post(_url(draft, "indicators/add/"), _indicator_post(level, min_age="5", max_age="11"))
    assert response.status_code == 302
    indicator = draft.indicators.get(text="Often hungry at school")
    assert (indicator.level, indicator.min_age, indicator.max_age, indicator.kind) == (level, 5, 11, "need")
    assert draft.indicators.count() == before + 1

    higher = _level(draft, 3)
    data = _indicator_post(higher, text="Often hungry and unwashed", immediate_harm="on")
    response = admin_client.post(_url(draft, f"indicators/{indicator.pk}/"), data)
    assert response.status_code == 302
    indicator.refresh_from_db()
    assert (indicator.text, indicator.level, indicator.immediate_harm, indicator.min_age) == (
        "Often hungry and unwashed",
        higher,
        True,
        None,
    )

    confirm = admin_client.get(_url(draft, f"indicators/{indicator.pk}/remove/"))
    assert confirm.status_code == 200
    assert "Remove this indicator?" in confirm.content.decode()
    assert draft.indicators.filter(pk=indicator.pk).exists()
    response = admin_client.post(_url(draft, f"indicators/{indicator.pk}/remove/"))
    assert response.status_code == 302
    assert not draft.indicators.filter(pk=indicator.pk).exists()
    assert draft.indicators.count() == before


def test_an_indicator_age_range_must_be_in_order(admin_client, draft):
    response = admin_client.post(
        _url(draft, "indicators/add/"), _indicator_post(_level(draft, 1), min_age="12", max_age="5")
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert not draft.indicators.filter(text="Often hungry at school").exists()


def test_the_same_indicator_twice_at_one_level_is_refused_on_the_form(admin_client, draft):
    existing = _plain_need(draft, 2)
    data = {
        "text": existing.text,
        "level": str(existing.level_id),
        "sub_domain": str(existing.sub_domain_id),
        "kind": "need",
    }
    before = draft.indicators.count()
    response = admin_client.post(_url(draft, "indicators/add/"), data)
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    assert draft.indicators.count() == before


def test_a_council_administrator_adds_a_count_rule(admin_client, draft):
    at_level, suggests = _level(draft, 1), _level(draft, 2)
    data = {"count": "3", "at_level": str(at_level.pk), "suggests_level": str(suggests.pk), "text": "Three needs"}
    response = admin_client.post(_url(draft, "rules/add/"), data)
    assert response.status_code == 302
    rule = draft.rules.get(kind=Rule.Kind.COUNT)
    assert (rule.count, rule.at_level, rule.suggests_level, rule.text) == (3, at_level, suggests, "Three needs")


def test_a_count_rule_can_be_removed_but_not_the_highest_level_rule(admin_client, draft):
    count_rule = Rule.objects.create(
        threshold_model=draft, kind=Rule.Kind.COUNT, count=3, at_level=_level(draft, 1), suggests_level=_level(draft, 2)
    )
    assert admin_client.post(_url(draft, f"rules/{count_rule.pk}/remove/")).status_code == 302
    assert not Rule.objects.filter(pk=count_rule.pk).exists()

    highest = draft.rules.get(kind=Rule.Kind.HIGHEST_LEVEL)
    response = admin_client.post(_url(draft, f"rules/{highest.pk}/remove/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Every model needs the highest-level rule" in page
    assert Rule.objects.filter(pk=highest.pk).exists()


# A published version never changes ----------------------------------------------------------------


def test_a_published_version_refuses_every_edit(admin_client, council_model):
    level = _level(council_model, 2)
    indicator = _plain_need(council_model, 2)
    rule = council_model.rules.get(kind=Rule.Kind.IMMEDIATE_HARM)
    before = (_counts(council_model), level.name, indicator.text)
    posts = {
        f"levels/{level.pk}/": _level_post(level, name="Changed"),
        "indicators/add/": _indicator_post(level),
        f"indicators/{indicator.pk}/": _indicator_post(level, text="Changed text"),
        f"indicators/{indicator.pk}/remove/": {},
        "rules/add/": {"count": "3", "at_level": str(level.pk), "suggests_level": str(level.pk)},
        f"rules/{rule.pk}/remove/": {},
        "publish/": {},
    }
    for rest, data in posts.items():
        response = admin_client.post(_url(council_model, rest), data)
        assert response.status_code == 409, rest
        assert "Version 1 is published and cannot change" in response.content.decode(), rest
        assert admin_client.get(_url(council_model, rest)).status_code == 409, rest
    level.refresh_from_db()
    indicator.refresh_from_db()
    assert (_counts(council_model), level.name, indicator.text) == before
    council_model.refresh_from_db()
    assert council_model.status == ThresholdModel.Status.PUBLISHED
    page = admin_client.get(_url(council_model)).content.decode()
    assert "Add an indicator" not in page
    assert "cannot change" in page


def test_a_retired_version_refuses_edits(admin_client, council_model, draft, council_admin):
    threshold_model_publish(user=council_admin, threshold_model=draft)
    level = _level(council_model, 2)
    response = admin_client.post(_url(council_model, f"levels/{level.pk}/"), _level_post(level, name="Changed"))
    assert response.status_code == 409
    assert "Version 1 is retired and cannot change" in response.content.decode()
    assert _level(council_model, 2).name == level.name


# Policy cases and publishing ----------------------------------------------------------------------


def test_a_council_administrator_adds_changes_and_removes_a_policy_case(admin_client, draft):
    need = _plain_need(draft, 2)
    form = admin_client.get(_url(draft, "policy-cases/add/"))
    assert form.status_code == 200
    assert f"Indicators at {_level(draft, 2).label}" in form.content.decode()

    data = _case_post("One level 2 need", [need], _level(draft, 2))
    response = admin_client.post(_url(draft, "policy-cases/add/"), data)
    assert response.status_code == 302
    case = draft.policy_cases.get()
    assert (case.name, case.expected_level, list(case.indicators.all())) == (
        "One level 2 need",
        _level(draft, 2),
        [need],
    )

    edit_form = admin_client.get(_url(draft, f"policy-cases/{case.pk}/")).content.decode()
    assert re.search(rf'value="{need.pk}"\s*checked="checked"', edit_form)

    other = _plain_need(draft, 3)
    data = _case_post("Two needs", [need, other], _level(draft, 3))
    assert admin_client.post(_url(draft, f"policy-cases/{case.pk}/"), data).status_code == 302
    case.refresh_from_db()
    assert case.name == "Two needs" and set(case.indicators.all()) == {need, other}

    assert admin_client.post(_url(draft, f"policy-cases/{case.pk}/remove/")).status_code == 302
    assert not draft.policy_cases.exists()


def test_publishing_with_a_failing_policy_case_is_refused_and_lists_it(admin_client, draft, council_model):
    admin_client.post(
        _url(draft, "policy-cases/add/"), _case_post("Wrongly expected", [_plain_need(draft, 3)], _level(draft, 1))
    )
    admin_client.post(_url(draft, "policy-cases/add/"), _case_post("Right", [_plain_need(draft, 2)], _level(draft, 2)))
    assert draft.policy_cases.count() == 2

    confirm = admin_client.get(_url(draft, "publish/"))
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Policy case &quot;Wrongly expected&quot; expects" in page
    assert "Publish version 2</button>" not in page

    response = admin_client.post(_url(draft, "publish/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Policy case &quot;Wrongly expected&quot; expects" in page
    assert "&quot;Right&quot;" not in page
    draft.refresh_from_db()
    council_model.refresh_from_db()
    assert draft.status == ThresholdModel.Status.DRAFT
    assert council_model.status == ThresholdModel.Status.PUBLISHED


def test_publishing_with_passing_policy_cases_retires_the_previous_version(
    admin_client, council, draft, council_model, council_admin
):
    admin_client.post(_url(draft, "policy-cases/add/"), _case_post("Right", [_plain_need(draft, 2)], _level(draft, 2)))
    confirm = admin_client.get(_url(draft, "publish/"))
    assert "Publish version 2</button>" in confirm.content.decode()

    response = admin_client.post(_url(draft, "publish/"))
    assert response.status_code == 302
    draft.refresh_from_db()
    council_model.refresh_from_db()
    assert (draft.status, draft.published_by) == (ThresholdModel.Status.PUBLISHED, council_admin)
    assert council_model.status == ThresholdModel.Status.RETIRED
    assert ThresholdModel.objects.filter(council=council, status=ThresholdModel.Status.PUBLISHED).count() == 1
    assert "Version 2 is published" in admin_client.get(response["Location"]).content.decode()


def test_the_publish_confirmation_lists_what_changes(admin_client, draft):
    admin_client.post(_url(draft, "indicators/add/"), _indicator_post(_level(draft, 1), text="A brand new need"))
    removed = _plain_need(draft, 3)
    admin_client.post(_url(draft, f"indicators/{removed.pk}/remove/"))
    response = admin_client.get(_url(draft, "publish/"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Compared with version 1" in page
    assert "Indicators added" in page and "A brand new need" in page
    assert "Indicators removed" in page
    assert response.context["difference"].indicators_removed[0].endswith(f'"{removed.text}"')
    assert "Publish version 2</button>" in page


def test_the_compare_page_shows_added_and_removed_indicators(admin_client, draft, council_model):
    admin_client.post(_url(draft, "indicators/add/"), _indicator_post(_level(draft, 1), text="A brand new need"))
    removed = _plain_need(draft, 3)
    admin_client.post(_url(draft, f"indicators/{removed.pk}/remove/"))

    response = admin_client.get(_url(draft, "compare/"))  # by default, against the version it started from
    difference = response.context["difference"]
    assert response.status_code == 200
    assert response.context["old"] == council_model
    assert [item for item in difference.indicators_added if "A brand new need" in item]
    assert [item for item in difference.indicators_removed if removed.text in item]
    assert "A brand new need" in response.content.decode()

    # From the published version's side, the same change reads the other way round (old to new).
    response = admin_client.get(_url(council_model, f"compare/?with={draft.pk}"))
    assert response.context["old"] == council_model and response.context["new"] == draft
    assert response.context["difference"].indicators_added == difference.indicators_added


# Who may do what ----------------------------------------------------------------------------------


def _all_pages(threshold_model: ThresholdModel) -> list[str]:
    level = threshold_model.levels.first()
    indicator = threshold_model.indicators.first()
    rule = threshold_model.rules.first()
    return [
        _url(threshold_model),
        _url(threshold_model, f"levels/{level.pk}/"),
        _url(threshold_model, "indicators/add/"),
        _url(threshold_model, f"indicators/{indicator.pk}/"),
        _url(threshold_model, f"indicators/{indicator.pk}/remove/"),
        _url(threshold_model, "rules/add/"),
        _url(threshold_model, f"rules/{rule.pk}/remove/"),
        _url(threshold_model, "policy-cases/add/"),
        _url(threshold_model, "compare/"),
        _url(threshold_model, "publish/"),
    ]


def test_another_councils_administrator_gets_404_and_cannot_start_a_draft_for_it(
    other_council_admin, signed_in, council, draft, council_model
):
    client = signed_in(other_council_admin)
    for url in _all_pages(draft):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "Hijacked"}).status_code == 404, url
    response = client.post(f"{MANAGE}start/")  # always their own council, which has no model to copy
    assert response.status_code == 200
    assert "Choose a model to copy: this council has none yet." in response.content.decode()
    assert ThresholdModel.objects.filter(council=council).count() == 2
    assert not ThresholdModel.objects.filter(council=other_council_admin.council).exists()
    assert _level(draft, 1).name != "Hijacked"
    assert list(client.get(MANAGE).context["versions"]) == []


def test_a_practitioner_gets_403_on_every_manage_page(school_practitioner, signed_in, council, draft):
    client = signed_in(school_practitioner)
    for url in [MANAGE, *_all_pages(draft)]:
        assert client.get(url).status_code == 403, url
    for url in [f"{MANAGE}start/", *_all_pages(draft)]:
        assert client.post(url, {"name": "Changed"}).status_code == 403, url
    assert ThresholdModel.objects.filter(council=council).count() == 2
    assert not draft.policy_cases.exists()


def test_the_home_page_links_council_administrators_to_the_threshold_model(admin_client):
    assert 'href="/thresholds/manage/"' in admin_client.get("/").content.decode()


# Query counts -------------------------------------------------------------------------------------


def _add_versions(council, council_admin, how_many: int) -> None:
    for _ in range(how_many):
        new = threshold_model_draft_start(user=council_admin, council=council)
        threshold_model_publish(user=council_admin, threshold_model=new)


@pytest.mark.parametrize("extra_versions", [0, 3])
def test_the_versions_page_query_count_does_not_grow(
    admin_client, council, council_model, council_admin, extra_versions, django_assert_max_num_queries
):
    _add_versions(council, council_admin, extra_versions)
    with django_assert_max_num_queries(11):
        response = admin_client.get(MANAGE)
    assert len(response.context["versions"]) == 1 + extra_versions


@pytest.mark.parametrize("extra_indicators", [0, 40])
def test_the_version_page_query_count_does_not_grow(
    admin_client, draft, council_admin, extra_indicators, django_assert_max_num_queries
):
    level, sub_domain = _level(draft, 1), SubDomain.objects.first()
    Indicator.objects.bulk_create(
        Indicator(threshold_model=draft, level=level, sub_domain=sub_domain, text=f"Extra need {n}")
        for n in range(extra_indicators)
    )
    for n in range(extra_indicators // 10):
        case = PolicyCase(threshold_model=draft, name=f"Case {n}", expected_level=_level(draft, 2))
        policy_case_save(user=council_admin, case=case, indicators=[_plain_need(draft, 2)])
    with django_assert_max_num_queries(22):
        response = admin_client.get(_url(draft))
    assert response.status_code == 200
    assert ("Extra need 39" in response.content.decode()) == bool(extra_indicators)
