"""Issue 14, no lost work and no dead ends: the referral form reveals the fields of the consent answer
chosen (GOV.UK conditional reveal; without JavaScript every field shows and those of the answers not
chosen are ignored), and a referral is sent from a check-your-answers page, its answers kept as the
person's draft in between (accounts.drafts), never in the session."""

import html
import re
from datetime import date

import pytest

from accounts.models import AgencyType, FormDraft
from caf.models import AccessLog, SharingBasis
from referrals import services
from referrals.models import Referral

CONSENT_GIVEN = {
    "concern": "Jayden says he is hungry every morning.",
    "tried": "Breakfast club since September.",
    "views_of_child": "He wants to stay at home.",
    "views_of_family": "",
    "family_informed": "yes",
    "consent": "given",
    "consent_given_by": "Kelly Smith",
    "consent_relationship": "mother",
    "consent_given_on_0": "20",
    "consent_given_on_1": "11",
    "consent_given_on_2": "2026",
}


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def _input(page: str, name: str, value: str) -> str:
    return next(
        each for each in re.findall(r"<input[^>]*>", page) if f'name="{name}"' in each and f'value="{value}"' in each
    )


def _block(page: str, block_id: str) -> str:
    """The opening tag of the element with this id and what follows it, up to the next radio item."""
    start = page.index(f'id="{block_id}"')
    return page[page.rindex("<", 0, start) : page.find('class="govuk-radios__item"', start)]


@pytest.fixture
def referral(child, school_practitioner, social_care):
    """A draft referral without a CAF, and a council with children's social care to send it to."""
    return services.referral_start(user=school_practitioner, children=[child])


@pytest.fixture
def client(referral, school_practitioner, signed_in):
    return signed_in(school_practitioner)


def _form(referral) -> str:
    return f"/referrals/{referral.pk}/"


def _check(referral) -> str:
    return f"/referrals/{referral.pk}/check/"


# Conditional reveals ------------------------------------------------------------------------------


def test_each_consent_answer_reveals_its_own_fields(client, referral):
    page = _page(client.get(_form(referral)))

    given = re.search(r'data-aria-controls="([^"]+)"', _input(page, "consent", "given"))[1]
    not_sought = re.search(r'data-aria-controls="([^"]+)"', _input(page, "consent", "not_sought"))[1]
    assert "data-aria-controls" not in _input(page, "consent", "refused")  # nothing to reveal
    given_block, not_sought_block = _block(page, given), _block(page, not_sought)
    assert 'class="govuk-radios__conditional govuk-radios__conditional--hidden"' in given_block
    assert 'name="consent_given_by"' in given_block and 'name="consent_given_on_0"' in given_block
    assert 'name="override_reason"' not in given_block
    assert 'name="override_reason"' in not_sought_block and 'name="consent_given_by"' not in not_sought_block
    assert 'data-module="govuk-radios"' in page
    # The error summary's link for the question goes to its first radio, which exists.
    assert 'id="id_consent_1"' in page


def test_the_fields_of_an_answer_not_chosen_are_ignored_and_not_saved(client, referral):
    answers = {
        **CONSENT_GIVEN,
        "consent": "not_sought",
        "override_reason": "Mum's partner is the risk",
        "consent_given_on_2": "99999",  # not a date: ignored with the rest of "Yes"
    }

    written = client.post(_form(referral), answers)
    assert written.status_code == 302 and written.url == _check(referral)
    client.post(_check(referral))

    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE
    assert (referral.consent_given_by, referral.consent_relationship, referral.consent_given_on) == ("", "", None)


def test_the_reason_for_no_consent_is_ignored_when_the_family_agreed(client, referral):
    client.post(_form(referral), {**CONSENT_GIVEN, "override_reason": "Typed, then the answer changed"})
    client.post(_check(referral))

    referral.refresh_from_db()
    assert (referral.status, referral.basis, referral.override_reason) == (Referral.Status.SENT, "consent", "")
    assert referral.consent_given_on == date(2026, 11, 20)


def test_the_chosen_answers_fields_are_required_and_shown_open(client, referral):
    response = client.post(_form(referral), {"concern": "Neglect", "consent": "given"})

    page = _page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter the full name of who agreed to the referral" in page
    assert "Enter their relationship to the child" in page
    assert "Enter the date consent was given" in page
    given = re.search(r'data-aria-controls="([^"]+)"', _input(page, "consent", "given"))
    assert "checked" in _input(page, "consent", "given")
    assert 'class="govuk-radios__conditional"' in _block(page, given[1])  # open: its errors show
    assert Referral.objects.get().status == Referral.Status.DRAFT

    no_reason = _page(client.post(_form(referral), {"concern": "Neglect", "consent": "not_sought"}))
    assert "Say why seeking consent would increase the risk of significant harm" in no_reason
    assert "Enter the full name of who agreed" not in no_reason


# Check your answers -------------------------------------------------------------------------------


def test_write_check_change_and_send(client, referral, school_practitioner):
    written = client.post(_form(referral), CONSENT_GIVEN)
    assert written.status_code == 302 and written.url == _check(referral)

    reads = AccessLog.objects.filter(user=school_practitioner, action="view", what="Viewed a referral")
    before = reads.count()
    check = _page(client.get(_check(referral)))
    assert reads.count() > before  # the check page's read is logged like the referral's page
    assert "Check your answers before sending the referral" in check
    assert "Jayden says he is hungry every morning." in check
    assert "Kelly Smith (mother)" in check and "20 November 2026" in check
    assert "The family's views" in check and "Not said" in check
    assert f'href="/referrals/{referral.pk}/#id_concern"' in check
    assert f'href="/referrals/{referral.pk}/#id_consent_given_on_0"' in check
    assert "Send to children's social care" in check
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT  # nothing sent by looking

    change = _page(client.get(_form(referral)))
    assert "Jayden says he is hungry every morning.</textarea>" in change
    assert 'value="Kelly Smith"' in change
    assert "checked" in _input(change, "consent", "given")

    sent = client.post(_check(referral), follow=True)

    assert "The referral has been sent to children's social care." in _page(sent)
    assert "Awaiting a decision" in _page(sent)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert not FormDraft.objects.filter(user=school_practitioner, record=referral.record_key).exists()


def test_the_check_page_without_answers_goes_to_the_form(client, referral):
    response = client.get(_check(referral))
    assert response.status_code == 302 and response.url == _form(referral)


def test_answers_the_form_refuses_go_back_to_the_form_with_the_error_summary(client, referral, school_practitioner):
    client.post(_form(referral), {**CONSENT_GIVEN, "concern": ""})  # kept as the draft, with its errors

    for response in (client.get(_check(referral)), client.post(_check(referral))):
        page = _page(response)
        assert response.status_code == 200
        assert "govuk-error-summary" in page and "Describe the concern" in page
        assert f'action="/referrals/{referral.pk}/"' in page
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT
    assert FormDraft.objects.filter(user=school_practitioner, record=referral.record_key).exists()


def test_a_refusal_at_the_send_shows_on_the_form_and_keeps_the_answers(
    client, referral, school_practitioner, social_care
):
    client.post(_form(referral), CONSENT_GIVEN)
    # Between checking and sending, the council's children's social care is no longer recorded as one.
    social_care.agency_type = AgencyType.HOSPITAL
    social_care.save()

    response = client.post(_check(referral))

    page = _page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "no children's social care agency recorded" in page
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT
    assert FormDraft.objects.filter(user=school_practitioner, record=referral.record_key).exists()


def test_a_stale_check_page_cannot_send_again(client, referral):
    client.post(_form(referral), CONSENT_GIVEN)
    client.post(_check(referral))
    client.post(_form(referral), CONSENT_GIVEN)  # a second tab, still showing the form: nothing to do now

    again = client.post(_check(referral))

    assert again.status_code == 302 and again.url == _form(referral)
    assert "This referral has already been sent: it cannot be sent again." in _messages(again)
    assert Referral.objects.get().timeline.filter(what__startswith="Sent to children's social care").count() == 1


@pytest.mark.parametrize("who", ["social_worker", "other_council_user", "school_colleague"])
def test_someone_who_may_not_see_the_draft_gets_404(request, who, client, referral, signed_in):
    client.post(_form(referral), CONSENT_GIVEN)
    other = request.getfixturevalue(who)
    stranger = signed_in(other)

    assert stranger.get(_check(referral)).status_code == 404
    assert stranger.post(_check(referral)).status_code == 404
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT
    assert AccessLog.objects.filter(user=other, action="refused").exists()
