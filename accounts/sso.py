"""Single sign-on over OpenID Connect (issue 15, Settled question 23).

A person types their work e-mail address; the service offers the enabled identity providers whose
allowed domains include its domain, and sends them to the one they choose with the authorization
code flow, PKCE (S256), state and nonce (Authlib's Django client: discovery from the issuer's
/.well-known/openid-configuration, the ID token's signature checked against the provider's JWKS, and
its iss, aud, exp and nonce). When they come back:

1. a link (issuer, subject) already made: that account, and nothing else; the e-mail claim is never
   looked at again, so a changed or reused address at the provider cannot move the link;
2. else, the e-mail claim verified by the provider, in one of the provider's allowed domains, and
   an active account with that address in the provider's council (and agency, for a partner's own
   provider): the link is made, recorded, and the person is signed in;
3. else refused, with the words to ask their administrator. No account is ever created here.

A linked account signs in only through a provider of its own council, and only while active.
The provider does its own second factor: a single sign-on does not ask for ours. It counts as ours
(for break-glass) only when the council marked the provider as enforcing multi-factor and the ID
token's `amr` claim shows a second factor; otherwise the person gives our code on the step-up page.
"""

import base64
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.contrib.auth import login
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from joserfc.errors import JoseError

from accounts import two_factor
from accounts.email_address import email_normalise
from accounts.models import IdentityLink, IdentityProvider, User
from accounts.models.identity import domain_normalise

logger = logging.getLogger(__name__)

SESSION_KEY = "sso_flow"
SIGNED_IN_WITH_KEY = "sso_issuer"
# The person has this long at their provider (signing in, a second factor) before the answer is refused.
FLOW_SECONDS = 10 * 60
SCOPE = "openid email profile"
BACKEND = "django.contrib.auth.backends.ModelBackend"
# RFC 8176 authentication method references that show a second factor: "mfa" (multiple factors, as
# Microsoft Entra ID sends), a one-time password, or a hardware or software key. A password alone
# ("pwd"), or knowledge or risk based checks, do not.
MULTI_FACTOR_AMR = frozenset({"mfa", "otp", "hwk", "swk"})

ASK_ADMINISTRATOR = (
    "We could not match your organisation's account to an account in this service. "
    "Ask your council administrator to check that you have an account here with your work e-mail address."
)


class SsoRefused(Exception):
    """The provider said who the person is, and the service will not sign them in (a 403 page)."""


class SsoFailed(Exception):
    """The sign-in did not complete: the provider said no, the answer was not for this browser, too
    late, or not to be trusted (a 400 page saying to start again)."""


# Client secrets ---------------------------------------------------------------------------------


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"caf identity provider client secret\x00" + settings.SSO_SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def client_secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode() if secret else ""


def client_secret_of(provider: IdentityProvider) -> str | None:
    if not provider.client_secret_encrypted:
        return None
    try:
        return _fernet().decrypt(provider.client_secret_encrypted.encode()).decode()
    except InvalidToken as error:
        logger.error("The client secret of identity provider %s cannot be decrypted with SSO_SECRET_KEY", provider.pk)
        raise SsoFailed(
            "Signing in with this organisation's account is not working at the moment. "
            "Tell your council administrator: its client secret needs entering again."
        ) from error


# Choosing the provider --------------------------------------------------------------------------


def providers_for_email(email: str) -> list[IdentityProvider]:
    """The enabled providers that the address's domain may sign in with, every council's: a school
    trust's or an NHS trust's domain may be configured by more than one council."""
    domain = domain_normalise(email_normalise(email).rpartition("@")[2])
    if not domain:
        return []
    return list(
        IdentityProvider.objects.filter(enabled=True, allowed_domains__contains=[domain])
        .select_related("council", "agency")
        .order_by("council__name", "name")
    )


def _client(provider: IdentityProvider) -> DjangoOAuth2App:
    oauth = OAuth()
    client: DjangoOAuth2App = oauth.register(
        name=f"identity-provider-{provider.pk}",
        client_id=provider.client_id,
        client_secret=client_secret_of(provider),
        server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
        client_kwargs={
            "scope": SCOPE,
            "code_challenge_method": "S256",
            "default_timeout": settings.SSO_TIMEOUT_SECONDS,
        },
    )
    return client


_PROVIDER_DOWN = (
    "Your organisation's sign-in service did not answer as expected. Try again in a few minutes, "
    "or sign in with your e-mail address and password."
)


def sign_in_start(
    request: HttpRequest, *, provider: IdentityProvider, email: str, redirect_uri: str, next_url: str
) -> str:
    """The address of the provider's sign-in page for this person; what the answer must match is kept
    in this browser's session (Authlib's state, nonce and PKCE verifier, and ours: which provider, when)."""
    client = _client(provider)
    try:
        metadata = client.load_server_metadata()
        if metadata.get("issuer", "").rstrip("/") != provider.issuer:
            # Discovery must name the issuer configured, or the ID token could be checked against another's.
            logger.error("Identity provider %s: discovery names issuer %r", provider.pk, metadata.get("issuer"))
            raise SsoFailed(_PROVIDER_DOWN)
        authorization = client.create_authorization_url(redirect_uri, login_hint=email)
    except (requests.RequestException, ValueError, KeyError, AuthlibBaseError, RuntimeError) as error:
        logger.warning("Identity provider %s did not answer discovery: %s", provider.pk, error)
        raise SsoFailed(_PROVIDER_DOWN) from error
    client.save_authorize_data(request, redirect_uri=redirect_uri, **authorization)
    request.session[SESSION_KEY] = {
        "provider": provider.pk,
        "state": authorization["state"],
        "started": time.time(),
        "next": next_url,
    }
    return str(authorization["url"])


@dataclass(frozen=True)
class SignedIn:
    user: User
    linked_now: bool
    next_url: str


def sign_in_finish(request: HttpRequest) -> SignedIn:
    """The provider's answer (the redirect URI's query): sign the person in, or raise SsoFailed or
    SsoRefused with the words to show them."""
    flow = request.session.pop(SESSION_KEY, None)
    if request.GET.get("error"):
        # access_denied: the person cancelled, or their organisation does not let them use this service.
        logger.info("Identity provider answered %r: %r", request.GET.get("error"), request.GET.get("error_description"))
        raise SsoFailed(
            "You did not sign in with your organisation's account: it said no or you cancelled. "
            "Start again, or sign in with your e-mail address and password."
        )
    if not isinstance(flow, dict) or not request.GET.get("state") or request.GET.get("state") != flow.get("state"):
        raise SsoFailed(
            "This sign-in was not started in this browser, or was already used. Start again from the sign-in page."
        )
    if time.time() - float(flow.get("started", 0)) > FLOW_SECONDS:
        raise SsoFailed(
            f"Signing in took longer than {FLOW_SECONDS // 60} minutes, so it was stopped to keep accounts safe. "
            "Start again from the sign-in page."
        )
    provider_id = flow.get("provider")
    provider = (
        IdentityProvider.objects.filter(pk=provider_id, enabled=True).select_related("agency").first()
        if isinstance(provider_id, int)
        else None
    )
    if provider is None:
        raise SsoFailed("Signing in with this organisation's account has been switched off. Ask your administrator.")
    client = _client(provider)
    try:
        token = client.authorize_access_token(
            request, claims_options={"iss": {"essential": True, "values": [provider.issuer]}}
        )
    except (requests.RequestException, ValueError, KeyError, TypeError, AuthlibBaseError, JoseError) as error:
        logger.warning("Identity provider %s: the answer could not be used: %r", provider.pk, error)
        raise SsoFailed(_PROVIDER_DOWN) from error
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        logger.warning("Identity provider %s sent no ID token", provider.pk)
        raise SsoFailed(_PROVIDER_DOWN)
    user, linked_now = account_for_claims(provider=provider, claims=dict(claims))
    login(request, user, backend=BACKEND)  # records the sign-in session (accounts.sign_in_sessions)
    # How this session was signed in: the provider did its own second factor, so ours is not asked.
    request.session[SIGNED_IN_WITH_KEY] = provider.issuer
    if second_factor_shown(provider, dict(claims)):
        two_factor.verified_by_provider(request, issuer=provider.issuer)
    return SignedIn(user=user, linked_now=linked_now, next_url=str(flow.get("next") or ""))


def second_factor_shown(provider: IdentityProvider, claims: dict[str, Any]) -> bool:
    """Does this sign-in count as our second factor (for break-glass)? Only through a provider the
    council marked as enforcing multi-factor, and only when the ID token's `amr` claim (RFC 8176)
    names a multi-factor method: the flag alone is a promise about policy, the claim is this
    sign-in's proof. Anything else asks for our authenticator code (the step-up page)."""
    amr = claims.get("amr")
    if not provider.enforces_multi_factor or not isinstance(amr, list):
        return False
    return any(isinstance(method, str) and method in MULTI_FACTOR_AMR for method in amr)


def _email_verified(claims: dict[str, Any]) -> bool:
    # email_verified is the standard claim; Microsoft Entra ID sends xms_edov ("e-mail domain owner
    # verified") instead, as an optional claim the council adds to its app registration.
    return claims.get("email_verified") is True or claims.get("xms_edov") in (True, "1", "true")


def _may_sign_in_with(user: User, provider: IdentityProvider) -> bool:
    if user.agency_id is None or user.agency is None or user.agency.council_id != provider.council_id:
        return False
    return provider.agency_id is None or user.agency_id == provider.agency_id


def account_for_claims(*, provider: IdentityProvider, claims: dict[str, Any]) -> tuple[User, bool]:
    """The account these verified claims sign in to, linking it at the first sign-in; refuses with
    SsoRefused. Returns the account and whether it was linked now."""
    issuer, subject = provider.issuer, str(claims["sub"])
    link = IdentityLink.objects.filter(issuer=issuer, subject=subject).select_related("user__agency").first()
    if link is not None:
        # Matched on (issuer, subject) alone: the e-mail claim plays no part once linked.
        if not _may_sign_in_with(link.user, provider):
            logger.warning("SSO refused: link %s used through provider %s of another council", link.pk, provider.pk)
            raise SsoRefused(ASK_ADMINISTRATOR)
        if not link.user.is_active:
            raise SsoRefused("This account is no longer active. Ask your council administrator.")
        return link.user, False

    email = email_normalise(str(claims.get("email") or ""))
    domain = email.rpartition("@")[2]
    if not email or not _email_verified(claims) or domain not in provider.allowed_domains:
        logger.info("SSO refused at provider %s: e-mail not verified or domain %r not allowed", provider.pk, domain)
        raise SsoRefused(ASK_ADMINISTRATOR)
    user = User.objects.filter(email=email).select_related("agency").first()
    if user is None or not _may_sign_in_with(user, provider):
        raise SsoRefused(ASK_ADMINISTRATOR)
    if not user.is_active:
        raise SsoRefused("This account is no longer active. Ask your council administrator.")
    if IdentityLink.objects.filter(user=user, issuer=issuer).exists():
        # Already linked to another person of this provider: the e-mail claim cannot take it over.
        logger.warning("SSO refused: account %s is linked to another subject of %s", user.pk, issuer)
        raise SsoRefused(ASK_ADMINISTRATOR)
    try:
        with transaction.atomic():
            IdentityLink.objects.create(
                user=user, issuer=issuer, subject=subject, provider=provider, linked_by_email=email
            )
    except IntegrityError as error:  # the same person's two tabs came back at once
        raise SsoFailed("You are already signing in in another tab. Start again from the sign-in page.") from error
    logger.info("SSO linked account %s to a subject of %s", user.pk, issuer)
    return user, True
