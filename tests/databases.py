"""The test run's own database, for tests that start another process or another database beside it."""

from urllib.parse import quote, urlsplit, urlunsplit

from django.db import connection


def current_test_database_url() -> str:
    """The URL of the test database this test run uses (pytest-django made it)."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def beside(database_url: str, name: str) -> str:
    """The same server's database of another name."""
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
