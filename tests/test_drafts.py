"""Nothing typed into a long form is lost (issue 14; Settled questions 19 and 20): a form posted
after the session ended is kept for the person who typed it, given back to them only after they sign
in again, removed when the real record is saved, when their access ends, and after the council's
days unused."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.drafts import TOKEN_FIELD, drafts_discard_unused, keeper_token
from accounts.models import FormDraft
from accounts.tasks import unused_drafts_discard
from caf import services
from caf.models import AssessmentEntry, Caf
from config.celery import app
from tests.factories import PASSWORD, UserFactory

NEEDS = "Dad works nights; Sam is often late and hungry. <b>Not bold</b>"


def field(page: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]+)"', page).group(1))


def checked(page: str, name: str) -> list[str]:
    """The values of the ticked checkboxes or the chosen radio called `name`."""
    inputs = [each for each in re.findall(r"<input[^>]*>", page) if f'name="{name}"' in each]
    return [re.search(r'value="([^"]*)"', each)[1] for each in inputs if " checked" in each]


def textarea(page: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page, re.S)
    return unescape(found.group(1)).strip()


def sign_in(browser: Client, user, *, next_url: str = "") -> object:
    """Sign in through the sign-in page, as a browser does (its CSRF token included)."""
    address = f"/sign-in/?next={next_url}" if next_url else "/sign-in/"
    page = browser.get(address).content.decode()
    data = {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken")}
    return browser.post(address, {**data, "next": next_url} if next_url else data)


@pytest.fixture
def form_page(draft, school_practitioner):
    """The practitioner's browser with the assessment drawn (CSRF checks on, as a browser has them),
    the page's HTML, and the needs field of its first part."""
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, school_practitioner)
    url = f"/cafs/{draft.pk}/assessment/"
    page = browser.get(url).content.decode()
    needs = re.search(r'name="(needs_\d+)"', page).group(1)
    return browser, url, page, needs


def post_after_the_session_ended(form_page, **typed):
    browser, url, page, needs = form_page
    Session.objects.all().delete()  # what the idle timeout does: the session is gone
    return browser.post(
        url,
        {
            "csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"),
            TOKEN_FIELD: field(page, TOKEN_FIELD),
            needs: NEEDS,
            "views_of_child": "I like PE",
            **typed,
        },
    )


def test_a_form_posted_after_the_session_ended_is_kept_and_given_back_after_signing_in(
    form_page, school_practitioner, draft
):
    browser, url, _, needs = form_page
    response = post_after_the_session_ended(form_page)

    assert response.status_code == 302 and response["Location"] == f"/sign-in/?next={url}"
    sign_in_page = browser.get(response["Location"]).content.decode()
    assert "Sign in to go back to your form: what you typed is kept." in sign_in_page
    assert NEEDS not in sign_in_page
    assert not AssessmentEntry.objects.filter(caf=draft).exists()  # kept, not saved behind their back

    back = sign_in(browser, school_practitioner, next_url=url)
    assert back["Location"] == url
    form = browser.get(url).content.decode()
    assert textarea(form, needs) == NEEDS  # escaped on the page, exactly as typed
    assert "<b>Not bold</b>" not in form
    assert textarea(form, "views_of_child") == "I like PE"
    assert "You were signed out before this was saved. We kept what you typed at" in form

    saved = browser.post(
        url,
        {
            "csrfmiddlewaretoken": field(form, "csrfmiddlewaretoken"),
            TOKEN_FIELD: field(form, TOKEN_FIELD),
            needs: textarea(form, needs),
            "views_of_child": "I like PE",
        },
    )
    assert saved.status_code == 302
    assert AssessmentEntry.objects.get(caf=draft).needs == NEEDS
    assert not FormDraft.objects.exists()  # removed with the real save
    assert "We kept what you typed" not in browser.get(url).content.decode()


def test_whoever_signs_in_next_at_that_browser_gets_nothing_of_it(form_page, school_colleague, school_practitioner):
    """The colleague at the same computer follows the sign-in link the post was sent to: the form
    is not theirs (only the initiator edits a draft's assessment), and nothing of the kept text
    reaches them; it stays for the person who typed it."""
    browser, url, _, needs = form_page
    post_after_the_session_ended(form_page)
    assert FormDraft.objects.get().user == school_practitioner

    arrived = sign_in(browser, school_colleague, next_url=url)
    assert arrived["Location"] == url
    form = browser.get(url)
    assert form.status_code == 403
    assert NEEDS not in unescape(form.content.decode()) and "We kept what you typed" not in form.content.decode()
    assert NEEDS not in unescape(browser.get("/").content.decode())

    owner = Client()
    owner.force_login(school_practitioner)
    assert textarea(owner.get(url).content.decode(), needs) == NEEDS


def test_a_post_without_a_good_token_keeps_nothing(form_page, draft, health_visitor):
    browser, url, page, needs = form_page
    Session.objects.all().delete()
    forged = keeper_token(health_visitor, url, draft.record_key)[:-2] + "xx"
    other_form = keeper_token(health_visitor, "/cafs/999/assessment/", "caf:999")
    for token in (forged, other_form, ""):
        response = browser.post(
            url, {"csrfmiddlewaretoken": field(page, "csrfmiddlewaretoken"), TOKEN_FIELD: token, needs: NEEDS}
        )
        assert response.status_code == 302 and response["Location"].startswith("/sign-in/")
    assert not FormDraft.objects.exists()


def test_a_token_older_than_a_working_day_keeps_nothing(form_page):
    with time_machine.travel(timezone.now() + timedelta(hours=13)):
        response = post_after_the_session_ended(form_page)
    assert response["Location"].startswith("/sign-in/")
    assert not FormDraft.objects.exists()


def test_a_post_after_the_session_ended_still_needs_its_csrf_token(form_page):
    browser, url, page, needs = form_page
    Session.objects.all().delete()
    response = browser.post(url, {TOKEN_FIELD: field(page, TOKEN_FIELD), needs: NEEDS})
    assert response.status_code == 403
    assert not FormDraft.objects.exists()


@pytest.fixture
def led(active, caf_admin, health_visitor):
    """The active CAF with the health visitor on the team, as its lead professional."""
    services.taf_member_add(user=caf_admin, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    return active


def kept_for(user, caf, path="/form/"):
    return FormDraft.objects.create(
        user=user, path=path, record=caf.record_key, data={"needs": [NEEDS]}, saved_at=timezone.now()
    )


def test_a_draft_goes_when_its_owners_access_ends_and_no_sooner(led, health_visitor, school_practitioner):
    kept_for(health_visitor, led)
    kept_for(school_practitioner, led)
    services.exclusion_record(
        user=health_visitor, caf=led, made_by="Kelly Smith (mother)", people=[school_practitioner]
    )
    assert list(FormDraft.objects.values_list("user", flat=True)) == [health_visitor.pk]


def test_closing_a_caf_removes_every_draft_of_it(led, health_visitor, school_practitioner):
    kept_for(health_visitor, led)
    kept_for(school_practitioner, led)
    services.caf_close(user=health_visitor, caf=led, reason=Caf.ClosureReason.NEEDS_MET, summary="Done")
    assert not FormDraft.objects.exists()


def test_drafts_unused_for_the_councils_days_are_deleted_each_night(school_practitioner, council):
    council.drafts_kept_days = 10
    council.save()
    now = timezone.now()
    service_admin = UserFactory(agency=None, is_superuser=True)  # of no council: the default 30 days
    for user, days, path in (
        (school_practitioner, 11, "/old/"),
        (school_practitioner, 9, "/recent/"),
        (service_admin, 31, "/admin-old/"),
        (service_admin, 29, "/admin-recent/"),
    ):
        FormDraft.objects.create(user=user, path=path, record="caf:1", data={}, saved_at=now - timedelta(days=days))
    assert unused_drafts_discard.apply().get() == 2
    assert sorted(FormDraft.objects.values_list("path", flat=True)) == ["/admin-recent/", "/recent/"]
    assert drafts_discard_unused() == 0  # safe to run twice
    assert app.conf.beat_schedule["discard-unused-drafts"]["task"] == unused_drafts_discard.name


# Every long form, not just the assessment: a decision refused for a missing answer ------------------


def test_a_decision_sent_back_with_an_error_is_there_when_the_manager_comes_back(
    child, school_practitioner, social_care_manager, social_care, signed_in
):
    from referrals import services as referral_services
    from referrals.models import Referral

    referral = referral_services.referral_start(user=school_practitioner, children=[child], caf=None)
    referral_services.referral_send(
        user=school_practitioner, referral=referral, concern="Bruising", consent="not_sought", override_reason="Risk"
    )
    manager = signed_in(social_care_manager)
    url = f"/referrals/{referral.pk}/decide/"
    reasons = "Threshold not met: the family works with the school nurse already."
    refused = manager.post(url, {"decision": Referral.Decision.NO_FURTHER_ACTION, "reasons": reasons})
    assert "Give your advice to the referrer" in refused.content.decode()

    manager.get("/")  # away to something else, as people do
    back = unescape(manager.get(url).content.decode())
    assert textarea(back, "reasons") == reasons
    assert checked(back, "decision") == ["no_further_action"]
    assert "This form has changes you have not saved yet, from" in back
    assert NEEDS not in back
    assert signed_in(school_practitioner).get(url).status_code in (403, 404)  # the referrer never sees it

    decided = manager.post(
        url, {"decision": Referral.Decision.NO_FURTHER_ACTION, "reasons": reasons, "advice": "Start a CAF."}
    )
    assert decided.status_code == 302
    assert not FormDraft.objects.exists()


def test_the_person_may_discard_what_was_kept_and_see_the_form_as_saved(form_page, school_practitioner, signed_in):
    post_after_the_session_ended(form_page)
    _, url, _, needs = form_page
    owner = signed_in(school_practitioner)
    restored = owner.get(url).content.decode()
    assert 'action="/drafts/discard/"' in restored and textarea(restored, needs) == NEEDS

    discarded = owner.post("/drafts/discard/", {"path": url}, follow=True)
    page = discarded.content.decode()
    assert discarded.redirect_chain == [(url, 302)]
    assert "Your unsaved changes are discarded. The form shows what is saved." in page
    assert textarea(page, needs) == "" and not FormDraft.objects.exists()


def test_discarding_touches_only_your_own_draft_and_only_this_services_addresses(
    form_page, school_practitioner, school_colleague, signed_in
):
    post_after_the_session_ended(form_page)
    url = form_page[1]
    colleague = signed_in(school_colleague)
    assert colleague.post("/drafts/discard/", {"path": url}).status_code == 302
    assert FormDraft.objects.filter(user=school_practitioner).exists()  # not theirs to discard
    for elsewhere in ("https://evil.example/", "//evil.example/x", "", "javascript:alert(1)"):
        assert signed_in(school_practitioner).post("/drafts/discard/", {"path": elsewhere}).status_code == 400
    assert FormDraft.objects.exists()
    assert signed_in(school_practitioner).get("/drafts/discard/").status_code == 405


# Two saves of one assessment from forms drawn at the same version: the second is a conflict ---------


def test_a_save_from_a_form_drawn_before_someone_elses_save_is_refused_side_by_side_and_keeps_the_text(
    draft, school_practitioner, signed_in
):
    """Two tabs (or two people, once the CAF is active and its lead professional changes): both forms
    show version 0; the first save wins, the second is refused, shows what is saved beside what was
    typed, and keeps the typed text in the form; saving that form again is then a deliberate merge."""
    tab_one, tab_two = signed_in(school_practitioner), signed_in(school_practitioner)
    url = f"/cafs/{draft.pk}/assessment/"
    first, second = tab_one.get(url).content.decode(), tab_two.get(url).content.decode()
    needs = re.search(r'name="(needs_\d+)"', first).group(1)
    assert field(first, "version") == field(second, "version") == "0"

    assert tab_one.post(url, {needs: "Often late", "views_of_child": "I like PE", "version": "0"}).status_code == 302
    refused = tab_two.post(url, {needs: "Hungry at school", "views_of_child": "I like PE", "version": "0"})

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "The assessment was saved again after you opened it." in page  # in the error summary
    assert "Someone saved this assessment after you opened it" in page
    assert "Priya Shah saved it at" in page
    conflict = page[page.index('id="conflict"') : page.index("</table>")]
    assert "Often late" in conflict and "Hungry at school" in conflict
    assert "I like PE" not in conflict  # the same on both sides: not listed
    assert textarea(page, needs) == "Hungry at school"  # the second person's text is kept to merge
    assert field(page, "version") == "1"
    assert AssessmentEntry.objects.get(caf=draft).needs == "Often late"  # nothing written over
    assert FormDraft.objects.filter(user=school_practitioner).exists()  # and kept as a draft too

    merged = tab_two.post(url, {needs: "Often late; hungry at school", "views_of_child": "I like PE", "version": "1"})
    assert merged.status_code == 302
    assert AssessmentEntry.objects.get(caf=draft).needs == "Often late; hungry at school"
    draft.refresh_from_db()
    assert (draft.assessment_version, draft.assessment_saved_by) == (2, school_practitioner)
    assert not FormDraft.objects.exists()


def test_a_consent_saved_from_a_form_drawn_before_another_consent_is_a_conflict_that_keeps_the_text(
    active, school_practitioner, caf_admin, health_visiting, signed_in
):
    """The initiator and the CAF administrator both open the consent form; the administrator records
    the father's consent first. The initiator's save is refused, shows the consents in force now, and
    keeps what they typed; saving again, knowing them, records it."""
    from tests.test_caf_draft_views import consent_data

    initiator, administrator = signed_in(school_practitioner), signed_in(caf_admin)
    url = f"/cafs/{active.pk}/consent/"
    drawn = initiator.get(url).content.decode()
    version = field(drawn, "version")
    assert version == field(administrator.get(url).content.decode(), "version") == "1.0"

    dad = consent_data(health_visiting, given_by="Lee Smith", relationship="father", version=version)
    assert administrator.post(url, dad).status_code == 302
    mine = consent_data(health_visiting, given_by="Kelly Smith", relationship="mother", copy_to="Nan", version=version)
    refused = initiator.post(url, mine)

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "Someone recorded or withdrew a consent on this CAF after you opened this form." in page
    panel = page[page.index('id="conflict"') : page.index("</ul>", page.index('id="conflict"'))]
    assert "Lee Smith (father)" in panel and "Kelly Smith (mother)" in panel
    assert field(page, "given_by") == "Kelly Smith" and textarea(page, "copy_to") == "Nan"
    assert field(page, "version") == "2.0"
    assert active.consents.count() == 2  # the initial consent and the father's: nothing written over

    assert initiator.post(url, {**mine, "version": "2.0"}).status_code == 302
    assert active.consents.filter(given_by="Kelly Smith", copy_to="Nan").exists()
    assert not FormDraft.objects.exists()


# With JavaScript: the autosave and the timeout warning's requests ---------------------------------


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_the_autosave_keeps_the_typing_for_its_author_without_keeping_the_session_alive(
    draft, school_practitioner, school_colleague, signed_in
):
    owner = signed_in(school_practitioner)
    url = f"/cafs/{draft.pk}/assessment/"
    page = owner.get(url).content.decode()
    needs = re.search(r'name="(needs_\d+)"', page).group(1)
    token = field(page, TOKEN_FIELD)
    before = expiry(owner)

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        saved = owner.post("/drafts/autosave/", {TOKEN_FIELD: token, needs: NEEDS, "version": "0"})
        left = owner.get("/session/time-left/").json()["seconds"]
    assert saved.status_code == 200 and saved.json()["saved"] is True and saved.json()["saved_at"].endswith("December")
    assert FormDraft.objects.get(user=school_practitioner, path=url).data[needs] == [NEEDS]
    assert expiry(owner) == before  # neither the autosave nor the check counts as the person doing something
    assert 24 * 60 <= left <= 25 * 60  # 30 minutes from the page, 5 gone
    assert not AssessmentEntry.objects.filter(caf=draft).exists()  # a draft, not the record

    # Someone else's token is not a way to write into their drafts, and nothing else is either.
    colleague = signed_in(school_colleague)
    assert colleague.post("/drafts/autosave/", {TOKEN_FIELD: token, needs: "changed"}).status_code == 400
    assert colleague.post("/drafts/autosave/", {needs: "changed"}).status_code == 400
    assert FormDraft.objects.get(user=school_practitioner).data[needs] == [NEEDS]
    assert not FormDraft.objects.filter(user=school_colleague).exists()


def test_staying_signed_in_moves_the_end_and_a_signed_out_page_is_sent_to_sign_in(school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    client.get("/")
    before = expiry(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=28)):
        assert client.post("/session/stay/").json()["seconds"] == 30 * 60
    assert expiry(client) > before + timedelta(minutes=27)

    Session.objects.all().delete()
    assert client.get("/session/time-left/")["Location"].startswith("/sign-in/")
    assert client.post("/drafts/autosave/", {})["Location"].startswith("/sign-in/")


def test_every_signed_in_page_carries_the_warning_and_the_autosave_and_a_signed_out_one_does_not(
    school_practitioner, signed_in
):
    page = signed_in(school_practitioner).get("/").content.decode()
    assert 'id="app-timeout-warning"' in page and 'data-idle-seconds="1800"' in page
    assert "js/timeout.js" in page and "js/drafts.js" in page
    sign_in_page = Client().get("/sign-in/").content.decode()
    assert "app-timeout-warning" not in sign_in_page and "js/drafts.js" not in sign_in_page


def test_a_childs_indicators_sent_back_with_an_error_are_ticked_again_when_the_practitioner_returns(
    draft, school_practitioner, council_model, signed_in
):
    client = signed_in(school_practitioner)
    caf_child = draft.caf_children.get()
    url = f"/cafs/{draft.pk}/children/{caf_child.pk}/level/"
    truanting = council_model.indicators.get(text="Occasional truanting or non-attendance")
    refused = client.post(url, {"step": "check", "indicator": [truanting.pk], "extra_unmet_needs": "lots"})
    assert "Enter the number of other unmet needs as a whole number" in refused.content.decode()

    client.get("/")
    back = unescape(client.get(url).content.decode())
    assert checked(back, "indicator") == [str(truanting.pk)]
    assert field(back, "extra_unmet_needs") == "lots"
    assert "This form has changes you have not saved yet" in back
    assert not caf_child.indicators.exists()  # nothing saved behind their back

    done = client.post(url, {"step": "check", "indicator": [truanting.pk], "extra_unmet_needs": "1"})
    assert done.status_code == 302 and not FormDraft.objects.exists()
    assert list(caf_child.indicators.all()) == [truanting]


def test_adding_to_a_team_that_changed_after_the_page_was_drawn_is_a_conflict_that_keeps_the_choice(
    led, health_visitor, health_colleague, school_colleague, signed_in
):
    tab_one, tab_two = signed_in(health_visitor), signed_in(health_visitor)
    url_one, url = f"/cafs/{led.pk}/team/?who=Harriet", f"/cafs/{led.pk}/team/?who=Sam"
    version = field(tab_one.get(url_one).content.decode(), "version")
    assert field(tab_two.get(url).content.decode(), "version") == version

    assert (
        tab_one.post(url_one, {"member": health_colleague.pk, "role": "Nursery nurse", "version": version}).status_code
        == 302
    )
    refused = tab_two.post(url, {"member": school_colleague.pk, "role": "Mentor", "version": version})

    page = unescape(refused.content.decode())
    assert refused.status_code == 200
    assert "Someone joined or left the team after you opened this page." in page
    assert "Harriet Colleague" in page  # the team as it is now, on the same page
    assert field(page, "role") == "Mentor"
    assert checked(page, "member") == [str(school_colleague.pk)]
    assert not led.taf_members.filter(user=school_colleague).exists()

    again = tab_two.post(url, {"member": school_colleague.pk, "role": "Mentor", "version": field(page, "version")})
    assert again.status_code == 302
    assert led.taf_members.filter(user=school_colleague, left_at__isnull=True).exists()


# No dead ends: every link of an error summary goes to something on the page -----------------------


def summary_targets(page: str) -> list[tuple[str, bool]]:
    summary = page[page.index("govuk-error-summary") : page.index("</ul>", page.index("govuk-error-summary"))]
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    return [(target, target in ids) for target in re.findall(r'href="#([^"]+)"', summary)]


def test_every_error_summary_link_goes_to_a_field_the_page_has_radios_and_checkboxes_included(
    led, health_visitor, signed_in
):
    """crispy-forms-gds linked a group of radios or checkboxes to an id no element has; GOV.UK's
    guidance is the group's first input. Empty posts to forms with radios, checkboxes, dates and text."""
    lead = signed_in(health_visitor)
    pages = [
        lead.post(f"/cafs/{led.pk}/consent/", {}),
        lead.post(f"/cafs/{led.pk}/reviews/new/", {}),
        lead.post(f"/cafs/{led.pk}/close/", {}),
        Client().post("/sign-in/", {}),
    ]
    groups = 0
    for response in pages:
        page = response.content.decode()
        targets = summary_targets(page)
        assert response.status_code == 200 and targets, response.wsgi_request.path
        assert all(found for _, found in targets), (response.wsgi_request.path, targets)
        groups += sum(target.endswith("_1") for target, _ in targets)
    assert groups >= 3  # radio and checkbox groups were among them


def test_once_the_family_excludes_someone_nothing_more_they_type_about_it_is_kept(
    led, health_visitor, caf_admin, signed_in
):
    """The lead professional's form was drawn while they could see the CAF; the family then excludes them by
    name (Settled question 10: the deny beats every grant). Neither the autosave nor a post after
    their session ended keeps anything more of theirs about the family (Settled question 20)."""
    practitioner = signed_in(health_visitor)
    url = f"/cafs/{led.pk}/consent/"
    page = practitioner.get(url).content.decode()
    token = field(page, TOKEN_FIELD)
    assert practitioner.post("/drafts/autosave/", {TOKEN_FIELD: token, "given_by": "Kelly"}).status_code == 200
    services.exclusion_record(user=caf_admin, caf=led, made_by="Kelly Smith (mother)", people=[health_visitor])
    assert not FormDraft.objects.exists()  # the draft went with the access

    assert practitioner.post("/drafts/autosave/", {TOKEN_FIELD: token, "given_by": NEEDS}).status_code == 400
    Session.objects.all().delete()
    after = Client().post(url, {TOKEN_FIELD: token, "given_by": NEEDS})
    assert after["Location"].startswith("/sign-in/")
    assert not FormDraft.objects.exists()


def test_a_record_of_a_kind_no_app_registered_is_never_kept(school_practitioner, signed_in):
    from accounts.drafts import keeper_token

    token = keeper_token(school_practitioner, "/somewhere/", "unknown:1")
    response = signed_in(school_practitioner).post("/drafts/autosave/", {TOKEN_FIELD: token, "a": "b"})
    assert response.status_code == 400 and not FormDraft.objects.exists()
