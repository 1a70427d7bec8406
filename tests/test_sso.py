"""Single sign-on over OpenID Connect (issue 15, Settled question 23), against a real OpenID provider
(oidc-provider-mock, a Flask app served by werkzeug in a thread on 127.0.0.1): our client is
registered with it, the browser (Django's test client) is sent to its authorize endpoint, the person
"signs in" there by posting their subject (the provider's form), and the provider's redirect brings
the code back to our callback, which fetches the token, checks the ID token and signs in or refuses.
Nothing of ours is mocked."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import IdentityLink, IdentityProvider, Role, SignInSession, User
from accounts.sso import client_secret_encrypt, client_secret_of
from accounts.two_factor import VERIFIED_BY_KEY, VERIFIED_KEY
from caf import services
from caf.models import BreakGlass
from tests.factories import AgencyFactory, UserFactory
from tests.oidc_provider import CALLBACK, registered_provider, running_provider

pytestmark = pytest.mark.django_db

START = "/sign-in/organisation/"
ASK = "Ask your council administrator"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as issuer:
        yield issuer


@pytest.fixture
def trust(issuer, council) -> IdentityProvider:
    return registered_provider(issuer, council=council, domains=["oakfield.example"])


def person_at_provider(issuer: str, sub: str, **claims: object) -> None:
    """What the provider will say about the person with this subject."""
    answer = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    assert answer.status_code == 204, answer.text


@dataclass
class Journey:
    browser: Client
    authorize_url: str


def go_to_provider(browser: Client, email: str, **extra: str) -> Journey:
    response = browser.post(START, {"email": email, **extra})
    assert response.status_code == 302, response.content.decode()
    return Journey(browser, response["Location"])


def sign_in_at_provider(journey: Journey, sub: str, *, deny: bool = False) -> str:
    """The person's answer at the provider's own page; returns where the provider sends the browser."""
    form = {"action": "deny"} if deny else {"sub": sub}
    answer = requests.post(journey.authorize_url, data=form, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back_at_service(journey: Journey, location: str):
    assert location.startswith(CALLBACK), location
    return journey.browser.get(location.removeprefix("http://testserver"))


def sso(email: str, sub: str, browser: Client | None = None):
    journey = go_to_provider(browser or Client(), email)
    return back_at_service(journey, sign_in_at_provider(journey, sub))


def signed_in_as(browser: Client) -> User | None:
    user_id = browser.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def refused(response) -> None:
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot sign in to this service yet" in page and ASK in page


def test_first_sign_in_links_the_account_by_its_verified_email(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-1", email="Priya@Oakfield.example", email_verified=True)
    browser = Client(HTTP_USER_AGENT="Edge on the school laptop")
    journey = go_to_provider(browser, "priya@oakfield.example")

    # Authorization code flow with PKCE, state and nonce, to the issuer's own authorize endpoint.
    asked = parse_qs(urlsplit(journey.authorize_url).query)
    assert journey.authorize_url.startswith(f"{issuer}/oauth2/authorize?")
    assert asked["response_type"] == ["code"] and asked["client_id"] == [trust.client_id]
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["state"][0] and asked["nonce"][0] and "openid" in asked["scope"][0].split()
    assert asked["login_hint"] == ["priya@oakfield.example"]

    response = back_at_service(journey, sign_in_at_provider(journey, "entra-oid-1"))

    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(browser) == school_practitioner
    assert browser.get("/").status_code == 200
    link = IdentityLink.objects.get()
    assert (link.user, link.issuer, link.subject, link.provider) == (school_practitioner, issuer, "entra-oid-1", trust)
    assert link.linked_by_email == "priya@oakfield.example"
    session = SignInSession.objects.get(user=school_practitioner)  # as a password sign-in records it
    assert session.session_key == browser.session.session_key and browser.session["sso_issuer"] == issuer
    assert session.user_agent == "Edge on the school laptop"


def test_a_linked_account_matches_on_its_subject_even_when_the_email_claim_changed(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-2", email="priya@oakfield.example", email_verified=True)
    sso("priya@oakfield.example", "entra-oid-2")
    # She married and her address at the trust changed (and it is not even marked verified now).
    person_at_provider(issuer, "entra-oid-2", email="priya.jones@oakfield.example", email_verified=False)

    browser = Client()
    response = sso("priya.jones@oakfield.example", "entra-oid-2", browser)

    assert response.status_code == 302 and signed_in_as(browser) == school_practitioner
    assert IdentityLink.objects.count() == 1


def test_a_linked_account_never_matches_by_email_again(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-3", email="priya@oakfield.example", email_verified=True)
    sso("priya@oakfield.example", "entra-oid-3")
    # Someone else at the trust is given her old address: the account stays with its subject.
    person_at_provider(issuer, "entra-oid-other", email="priya@oakfield.example", email_verified=True)

    browser = Client()
    refused(sso("priya@oakfield.example", "entra-oid-other", browser))

    assert signed_in_as(browser) is None
    assert list(IdentityLink.objects.values_list("subject", flat=True)) == ["entra-oid-3"]


def test_an_unverified_email_is_refused(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-4", email="priya@oakfield.example", email_verified=False)
    browser = Client()

    refused(sso("priya@oakfield.example", "entra-oid-4", browser))

    assert signed_in_as(browser) is None and not IdentityLink.objects.exists()


def test_entra_ids_domain_owner_verified_claim_counts_as_verified(issuer, trust, school_practitioner):
    # Microsoft Entra ID sends no email_verified; its optional claim xms_edov says the same.
    person_at_provider(issuer, "entra-oid-5", email="priya@oakfield.example", xms_edov=True)
    browser = Client()

    assert sso("priya@oakfield.example", "entra-oid-5", browser).status_code == 302

    assert signed_in_as(browser) == school_practitioner


def test_an_email_outside_the_providers_domains_is_refused(issuer, trust, school):
    # The account exists, but under an address the provider is not trusted for.
    UserFactory(email="priya@personal.example", agency=school, roles=[Role.PRACTITIONER])
    person_at_provider(issuer, "entra-oid-6", email="priya@personal.example", email_verified=True)
    browser = Client()

    refused(sso("priya@oakfield.example", "entra-oid-6", browser))

    assert signed_in_as(browser) is None and not IdentityLink.objects.exists()


def test_an_unknown_person_is_refused_and_no_account_is_made(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-7", email="new.teacher@oakfield.example", email_verified=True)
    accounts = User.objects.count()
    browser = Client()

    response = sso("new.teacher@oakfield.example", "entra-oid-7", browser)

    refused(response)
    assert "does not make one when you sign in" in response.content.decode()
    assert User.objects.count() == accounts and not IdentityLink.objects.exists()
    assert signed_in_as(browser) is None


def test_an_answer_with_the_wrong_state_is_refused(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-8", email="priya@oakfield.example", email_verified=True)
    journey = go_to_provider(Client(), "priya@oakfield.example")
    location = sign_in_at_provider(journey, "entra-oid-8")
    code = parse_qs(urlsplit(location).query)["code"][0]

    response = journey.browser.get("/sign-in/organisation/return/", {"code": code, "state": "forged-state"})

    assert response.status_code == 400
    assert "This sign-in was not started in this browser" in response.content.decode()
    assert signed_in_as(journey.browser) is None and not IdentityLink.objects.exists()
    # Nor does the right answer work in another browser (its state belongs to the first one's session).
    other = Client()
    assert other.get(location.removeprefix("http://testserver")).status_code == 400
    assert signed_in_as(other) is None


def test_an_answer_used_twice_is_refused(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-9", email="priya@oakfield.example", email_verified=True)
    journey = go_to_provider(Client(), "priya@oakfield.example")
    location = sign_in_at_provider(journey, "entra-oid-9")
    assert back_at_service(journey, location).status_code == 302
    journey.browser.logout()

    response = back_at_service(journey, location)

    assert response.status_code == 400 and signed_in_as(journey.browser) is None


def test_the_person_saying_no_at_the_provider_gets_a_clear_page(issuer, trust, school_practitioner):
    journey = go_to_provider(Client(), "priya@oakfield.example")
    location = sign_in_at_provider(journey, "", deny=True)
    assert "error=access_denied" in location

    response = back_at_service(journey, location)

    assert response.status_code == 400
    page = response.content.decode()
    assert "You are not signed in" in page and "it said no or you cancelled" in page
    assert signed_in_as(journey.browser) is None


def test_an_answer_after_ten_minutes_is_refused(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-10", email="priya@oakfield.example", email_verified=True)
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        journey = go_to_provider(Client(), "priya@oakfield.example")
        location = sign_in_at_provider(journey, "entra-oid-10")
        traveller.shift(timedelta(minutes=11))

        response = back_at_service(journey, location)

    assert response.status_code == 400 and "took longer than 10 minutes" in response.content.decode()
    assert signed_in_as(journey.browser) is None and not IdentityLink.objects.exists()


def test_another_councils_provider_cannot_sign_in_to_this_councils_account(
    issuer, trust, school_practitioner, other_council
):
    # Southmoor configures the same trust's tenant (the same issuer) for its own schools.
    other = registered_provider(
        issuer, council=other_council, domains=["oakfield.example"], name="Oakfield (Southmoor)"
    )
    person_at_provider(issuer, "entra-oid-11", email="priya@oakfield.example", email_verified=True)

    # Not linked yet: Southmoor's provider does not link Northbridge's account by e-mail.
    browser = Client()
    refused(_through(other, browser))
    assert not IdentityLink.objects.exists() and signed_in_as(browser) is None

    # Linked through Northbridge's own provider: Southmoor's still cannot use the link.
    assert _through(trust, Client()).status_code == 302
    browser = Client()
    refused(_through(other, browser))
    assert signed_in_as(browser) is None


def _through(provider: IdentityProvider, browser: Client):
    """Sign in as entra-oid-11 choosing this provider (two take the domain: the person chooses)."""
    choose = browser.post(START, {"email": "priya@oakfield.example"})
    assert choose.status_code == 200 and "Which organisation" in choose.content.decode()
    unchosen = browser.post(START, {"email": "priya@oakfield.example", "provider": ""}).content.decode()
    assert "govuk-error-summary" in unchosen and "Choose the organisation you sign in with" in unchosen
    journey = go_to_provider(browser, "priya@oakfield.example", provider=str(provider.pk))
    assert parse_qs(urlsplit(journey.authorize_url).query)["client_id"] == [provider.client_id]
    return back_at_service(journey, sign_in_at_provider(journey, "entra-oid-11"))


def test_a_partners_provider_signs_in_only_its_own_agencys_people(issuer, council, school, school_practitioner):
    police = AgencyFactory(council=council, name="Northbridge Police")
    registered_provider(issuer, council=council, agency=police, domains=["oakfield.example"], name="Police")
    person_at_provider(issuer, "entra-oid-12", email="priya@oakfield.example", email_verified=True)

    refused(sso("priya@oakfield.example", "entra-oid-12"))


def test_a_deactivated_account_is_refused(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-13", email="priya@oakfield.example", email_verified=True)
    school_practitioner.is_active = False
    school_practitioner.save()
    browser = Client()

    response = sso("priya@oakfield.example", "entra-oid-13", browser)

    assert response.status_code == 403 and "no longer active" in response.content.decode()
    assert signed_in_as(browser) is None and not IdentityLink.objects.exists()

    # And once linked, deactivating the account stops the link working too.
    school_practitioner.is_active = True
    school_practitioner.save()
    assert sso("priya@oakfield.example", "entra-oid-13").status_code == 302
    school_practitioner.is_active = False
    school_practitioner.save()
    browser = Client()
    assert sso("priya@oakfield.example", "entra-oid-13", browser).status_code == 403
    assert signed_in_as(browser) is None


def test_an_address_no_provider_takes_is_told_to_use_a_password(trust):
    response = Client().post(START, {"email": "someone@elsewhere.example"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and "does not sign in to this service with its own account" in page


def test_a_switched_off_provider_is_not_offered(trust):
    trust.enabled = False
    trust.save()

    response = Client().post(START, {"email": "priya@oakfield.example"})

    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()


def test_a_provider_that_does_not_answer_gives_a_clear_page(council):
    IdentityProvider.objects.create(
        council=council, name="Gone", issuer="http://127.0.0.1:9", client_id="x", allowed_domains=["gone.example"]
    )

    response = Client().post(START, {"email": "someone@gone.example"})

    assert response.status_code == 502
    assert "did not answer as expected" in response.content.decode()


def test_a_wrong_client_secret_gives_a_clear_page_not_a_sign_in(issuer, trust, school_practitioner):
    # The provider refuses our token request (invalid_client): nobody is signed in.
    trust.client_secret_encrypted = client_secret_encrypt("not-the-secret")
    trust.save()
    person_at_provider(issuer, "entra-oid-16", email="priya@oakfield.example", email_verified=True)
    browser = Client()

    response = sso("priya@oakfield.example", "entra-oid-16", browser)

    assert response.status_code == 400 and "did not answer as expected" in response.content.decode()
    assert signed_in_as(browser) is None and not IdentityLink.objects.exists()


def test_a_secret_that_can_no_longer_be_read_says_so(trust, settings):
    settings.SSO_SECRET_KEY = "a-new-key-after-rotation"

    response = Client().post(START, {"email": "priya@oakfield.example"})

    assert response.status_code == 502 and "client secret needs entering again" in response.content.decode()


def test_a_provider_switched_off_while_someone_signs_in_lets_nobody_in(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-17", email="priya@oakfield.example", email_verified=True)
    journey = go_to_provider(Client(), "priya@oakfield.example")
    location = sign_in_at_provider(journey, "entra-oid-17")
    trust.enabled = False
    trust.save()

    response = back_at_service(journey, location)

    assert response.status_code == 400 and "switched off" in response.content.decode()
    assert signed_in_as(journey.browser) is None


def test_the_sign_in_page_offers_single_sign_on_and_returns_to_the_page_asked_for(issuer, trust, school_practitioner):
    assert "Sign in with your organisation" in Client().get("/sign-in/?next=/notifications/").content.decode()
    person_at_provider(issuer, "entra-oid-14", email="priya@oakfield.example", email_verified=True)
    browser = Client()
    journey = go_to_provider(browser, "priya@oakfield.example", next="/notifications/")

    response = back_at_service(journey, sign_in_at_provider(journey, "entra-oid-14"))

    assert response.status_code == 302 and response["Location"] == "/notifications/"


def test_an_offsite_next_is_ignored(issuer, trust, school_practitioner):
    person_at_provider(issuer, "entra-oid-15", email="priya@oakfield.example", email_verified=True)
    journey = go_to_provider(Client(), "priya@oakfield.example", next="https://evil.example/")

    response = back_at_service(journey, sign_in_at_provider(journey, "entra-oid-15"))

    assert response.status_code == 302 and response["Location"] == "/"


# Administration -----------------------------------------------------------------------------------


def test_a_council_administrator_configures_a_provider_with_its_secret_encrypted(signed_in, council_admin, council):
    client = signed_in(council_admin)
    response = client.post(
        "/admin/accounts/identityprovider/add/",
        {
            "council": council.pk,
            "agency": "",
            "name": "Northbridge Council (Microsoft)",
            "issuer": "https://login.microsoftonline.com/8f1e4a52-0000-4000-8000-000000000001/v2.0/",
            "client_id": "b7c6a1d0-app",
            "client_secret": "s3cret~value",
            "allowed_domains": "Northbridge.gov.uk, @schools.northbridge.gov.uk",
            "enabled": "on",
        },
    )

    assert response.status_code == 302, response.content.decode()
    provider = IdentityProvider.objects.get()
    assert provider.issuer == "https://login.microsoftonline.com/8f1e4a52-0000-4000-8000-000000000001/v2.0"
    assert provider.allowed_domains == ["northbridge.gov.uk", "schools.northbridge.gov.uk"]
    assert "s3cret" not in provider.client_secret_encrypted and client_secret_of(provider) == "s3cret~value"
    page = client.get(f"/admin/accounts/identityprovider/{provider.pk}/change/").content.decode()
    assert "s3cret" not in page and "/sign-in/organisation/return/" in page


def test_an_issuer_must_be_https(signed_in, council_admin, council):
    response = signed_in(council_admin).post(
        "/admin/accounts/identityprovider/add/",
        {
            "council": council.pk,
            "name": "Plain",
            "issuer": "http://idp.example",
            "client_id": "x",
            "allowed_domains": "a.example",
        },
    )

    assert response.status_code == 200 and "starting https://" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_council_administrator_sees_only_their_councils_providers_and_links(
    issuer, signed_in, council_admin, other_council, trust
):
    theirs = registered_provider(issuer, council=other_council, domains=["southmoor.example"], name="Southmoor IdP")
    client = signed_in(council_admin)

    listing = client.get("/admin/accounts/identityprovider/").content.decode()

    assert "Oakfield Trust" in listing and "Southmoor IdP" not in listing
    assert client.get(f"/admin/accounts/identityprovider/{theirs.pk}/change/").status_code == 302  # not found
    assert (
        client.post(
            "/admin/accounts/identityprovider/add/",
            {
                "council": other_council.pk,
                "name": "Sneaky",
                "issuer": "https://idp.example",
                "client_id": "x",
                "allowed_domains": "a.example",
            },
        ).status_code
        == 200
    )
    assert not IdentityProvider.objects.filter(name="Sneaky").exists()


def test_a_provider_for_one_agency_must_be_of_that_agencys_council(signed_in, council, other_council_school):
    superuser = User.objects.create_superuser("service.admin@example.org", "a-long-service-password")
    response = signed_in(superuser).post(
        "/admin/accounts/identityprovider/add/",
        {
            "council": council.pk,
            "agency": other_council_school.pk,
            "name": "Mixed",
            "issuer": "https://idp.example",
            "client_id": "x",
            "allowed_domains": "a.example",
        },
    )

    assert response.status_code == 200 and "Choose an agency of this council." in response.content.decode()
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize(
    ("issuer", "domains", "error"),
    [
        ("https://idp.example/tenant?x=1", "a.example", "without anything after ?"),
        ("ftp://idp.example", "a.example", "starting https://"),
        ("https://idp.example", "not a domain", "is not an e-mail domain"),
        ("https://idp.example", "person@a.example", "is not an e-mail domain"),
    ],
)
def test_an_issuer_or_domain_that_cannot_work_is_refused(signed_in, council_admin, council, issuer, domains, error):
    response = signed_in(council_admin).post(
        "/admin/accounts/identityprovider/add/",
        {"council": council.pk, "name": "Bad", "issuer": issuer, "client_id": "x", "allowed_domains": domains},
    )

    assert response.status_code == 200 and error in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_council_administrator_sees_the_links_of_their_council_only(
    issuer, signed_in, council_admin, trust, school_practitioner, other_council, other_council_user
):
    theirs = registered_provider(issuer, council=other_council, domains=["southmoor.example"], name="Southmoor IdP")
    IdentityLink.objects.create(user=school_practitioner, issuer=issuer, subject="ours", provider=trust)
    IdentityLink.objects.create(user=other_council_user, issuer=issuer, subject="theirs", provider=theirs)

    page = signed_in(council_admin).get("/admin/accounts/identitylink/").content.decode()

    assert school_practitioner.full_name in page and other_council_user.full_name not in page


# The provider's second factor, and ours for break-glass (Settled question 24) ---------------------


@pytest.fixture
def break_glass_for_the_school(council, school, health_visitor):
    """Northbridge lets Oakfield's staff use break-glass; a child Priya cannot otherwise see."""
    council.break_glass_agencies.add(school)
    return services.child_create(
        user=health_visitor, first_name="Mia", last_name="Jones", date_of_birth=date(2019, 2, 1), postcode=""
    )


def test_a_provider_that_enforces_multi_factor_and_shows_it_counts_as_our_second_factor(
    issuer, trust, school_practitioner, break_glass_for_the_school
):
    trust.enforces_multi_factor = True
    trust.save(update_fields=["enforces_multi_factor"])
    person_at_provider(issuer, "entra-oid-1", email="priya@oakfield.example", email_verified=True, amr=["pwd", "mfa"])
    browser = Client()
    sso("priya@oakfield.example", "entra-oid-1", browser)
    assert browser.session[VERIFIED_KEY] and browser.session[VERIFIED_BY_KEY] == issuer
    child = break_glass_for_the_school
    url = reverse("caf:break_glass_open", args=[child.pk])
    assert "second-factor-needed" not in browser.get(url).content.decode()
    assert browser.post(url, {"reason": "Police at the door at 02:00."}).status_code == 302
    assert BreakGlass.objects.filter(user=school_practitioner, child=child).exists()


@pytest.mark.parametrize(
    ("enforces", "amr"),
    [(False, ["pwd", "mfa"]), (True, ["pwd"]), (True, None), (True, ["pwd", "MFA", "kba"])],
    ids=["provider not marked", "password only", "no amr", "no multi-factor method"],
)
def test_otherwise_a_single_sign_on_is_not_our_second_factor(
    issuer, trust, school_practitioner, break_glass_for_the_school, enforces, amr
):
    trust.enforces_multi_factor = enforces
    trust.save(update_fields=["enforces_multi_factor"])
    claims = {"email": "priya@oakfield.example", "email_verified": True} | ({"amr": amr} if amr is not None else {})
    person_at_provider(issuer, "entra-oid-1", **claims)
    browser = Client()
    sso("priya@oakfield.example", "entra-oid-1", browser)
    assert signed_in_as(browser) == school_practitioner and not browser.session.get(VERIFIED_KEY)
    url = reverse("caf:break_glass_open", args=[break_glass_for_the_school.pk])
    page = browser.get(url).content.decode()
    assert "second-factor-needed" in page and reverse("two_factor_set_up") in page  # no app set up yet
    assert browser.post(url, {"reason": "Police at the door at 02:00."}).status_code == 200
    assert not BreakGlass.objects.exists()


def test_after_a_single_sign_on_the_person_steps_up_with_our_code_for_break_glass(
    issuer, trust, school_practitioner, break_glass_for_the_school
):
    device = TOTPDevice.objects.create(user=school_practitioner, name="Authenticator app", confirmed=True)
    person_at_provider(issuer, "entra-oid-1", email="priya@oakfield.example", email_verified=True)
    browser = Client()
    sso("priya@oakfield.example", "entra-oid-1", browser)
    url = reverse("caf:break_glass_open", args=[break_glass_for_the_school.pk])
    assert f"{reverse('two_factor_step_up')}?next={url}" in browser.get(url).content.decode()

    wrong = browser.post(reverse("two_factor_step_up"), {"code": "000000", "next": url})
    assert wrong.status_code == 200 and "govuk-error-summary" in wrong.content.decode()
    assert not browser.session.get(VERIFIED_KEY)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    right = browser.post(reverse("two_factor_step_up"), {"code": code, "next": url})
    assert right.status_code == 302 and right["Location"] == url
    assert browser.session[VERIFIED_KEY] and not browser.session.get(VERIFIED_BY_KEY)
    assert browser.post(url, {"reason": "Police at the door at 02:00."}).status_code == 302
    assert BreakGlass.objects.filter(user=school_practitioner).exists()


def test_the_step_up_page_goes_only_to_this_services_pages_and_needs_an_app(school_practitioner, school):
    browser = Client()
    browser.force_login(school_practitioner, backend="django.contrib.auth.backends.ModelBackend")
    no_app = browser.get(reverse("two_factor_step_up") + "?next=/children/")
    assert no_app.status_code == 302 and no_app["Location"] == reverse("two_factor_set_up")
    device = TOTPDevice.objects.create(user=school_practitioner, name="Authenticator app", confirmed=True)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
    offsite = browser.post(reverse("two_factor_step_up"), {"code": code, "next": "https://evil.example/"})
    assert offsite.status_code == 302 and offsite["Location"] == "/"
    assert Client().get(reverse("two_factor_step_up")).status_code == 302  # signed out: to the sign-in page


def test_an_id_token_whose_amr_is_not_a_list_signs_nobody_in(issuer, trust, school_practitioner):
    """RFC 8176 makes `amr` an array; Authlib refuses an ID token that breaks it, so nobody is signed in."""
    trust.enforces_multi_factor = True
    trust.save(update_fields=["enforces_multi_factor"])
    person_at_provider(issuer, "entra-oid-1", email="priya@oakfield.example", email_verified=True, amr="mfa")
    browser = Client()
    response = sso("priya@oakfield.example", "entra-oid-1", browser)
    assert response.status_code == 400 and signed_in_as(browser) is None
