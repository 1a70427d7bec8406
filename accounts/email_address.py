"""The one spelling of an e-mail address: how it is stored, looked up and counted for the lock-out.

"Priya@Oakfield.example", " priya@oakfield.example " and the same address typed in fullwidth
characters are one account, found by one database lookup and counted against one lock-out.
"""

import unicodedata

from django import forms


def email_normalise(address: str) -> str:
    """Strip, NFKC-normalise and casefold an e-mail address (NFKC again after casefolding, which can
    leave a string unnormalised, and strip last, as NFKC turns an ideographic space into a plain one)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", address or "").casefold())
    return folded.strip()


class NormalisedEmailField(forms.EmailField):
    """An e-mail field that normalises before it validates, so a fullwidth spelling is accepted as the
    address it stands for and the form's value is the stored spelling."""

    def to_python(self, value: object) -> str:
        return email_normalise(super().to_python(value))
