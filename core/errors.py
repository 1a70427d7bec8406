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


class Conflict(Refused):
    """A save refused because someone saved the same record after the form was drawn (optimistic
    concurrency: the form carries the version it showed). Never a silent overwrite: the page shows
    what was saved beside what the person typed, and keeps their text to merge."""

    def __init__(self, message: str, *, saved_by: object = None, saved_at: object = None) -> None:
        super().__init__(message)
        self.saved_by, self.saved_at = saved_by, saved_at
