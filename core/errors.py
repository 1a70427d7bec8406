"""The one refusal error of every app's services.

A service that will not make a change raises `Refused` with words the user can act on ("This CAF
is closed, so ..."); the view puts them on the form, in the GOV.UK error summary
(`core.forms.refusal_show`). A refusal for want of access is Django's PermissionDenied instead (a
403, logged by caf.middleware). `Refused` is a ValidationError, so a message naming a field (a
dict) lands on that field.
"""

from django.core.exceptions import ValidationError


class Refused(ValidationError):
    """A refused change, with a message the user can act on."""
