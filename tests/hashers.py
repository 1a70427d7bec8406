"""A password hasher that counts its work, to show when the service hashes a password."""

from typing import Any, ClassVar

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingPasswordHasher(MD5PasswordHasher):
    """The test suite's cheap hasher (MD5: same algorithm name, so the factories' hashes still verify),
    noting each hash it computes. Checking a password (verify) and storing one both hash it through
    encode, as Django's PBKDF2 hasher does, so each note is one costly hash in production."""

    hashes: ClassVar[list[str]] = []

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        self.hashes.append(password)
        return super().encode(password, salt, *args, **kwargs)
