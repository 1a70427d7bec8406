"""Councils, their localities and agencies, and the people who use the service.

Every record in the service belongs to one local authority (council); a user belongs to one agency
and so to one council. Council scoping (accounts.scoping) keeps each council's records to itself.

One module per aggregate, every model (and the choices beside them) re-exported here, so
`from accounts.models import User` keeps working and the migrations' `accounts.models.UserManager`
still resolves:

- `councils`: `LocalAuthority` (the council), `Locality`, `Agency` and `AgencyType`;
- `users`: `User` (e-mail sign-in, one agency each), its manager, and `Role`;
- `notifications`: `Notification`, what a person must be told, exactly once;
- `changes`: `EmailChange`, `RoleChange` and `TwoFactorReset`, the history of changes to people's accounts;
- `drafts`: `FormDraft`, what a person typed into a long form and has not saved yet;
- `sessions`: `SignInSession`, where a person is signed in, to see and end;
- `identity`: `IdentityProvider` and `IdentityLink`, single sign-on over OpenID Connect.
"""

from accounts.models.changes import EmailChange, RoleChange, TwoFactorReset
from accounts.models.councils import (
    TIME_ZONE_CHOICES,
    Agency,
    AgencyType,
    LocalAuthority,
    LocalAuthorityQuerySet,
    Locality,
)
from accounts.models.drafts import FormDraft
from accounts.models.identity import IdentityLink, IdentityProvider
from accounts.models.notifications import Notification
from accounts.models.sessions import SignInSession
from accounts.models.users import Role, User, UserManager, UserQuerySet

__all__ = [
    "TIME_ZONE_CHOICES",
    "Agency",
    "AgencyType",
    "EmailChange",
    "FormDraft",
    "IdentityLink",
    "IdentityProvider",
    "LocalAuthority",
    "LocalAuthorityQuerySet",
    "Locality",
    "Notification",
    "Role",
    "RoleChange",
    "SignInSession",
    "TwoFactorReset",
    "User",
    "UserManager",
    "UserQuerySet",
]
