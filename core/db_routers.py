"""Which database the ORM reads and writes: the council's figures from the read replica, everything
else from the primary.

`default` is the primary: every write, and every read but the figures'. `figures` is optional
(DATABASE_FIGURES_URL): a streaming-replication read replica of default. Inside `figures_reads()` the
ORM reads from it when it is configured, and from default when it is not, so a council without a
replica sees nothing change.

What may go there: aggregate counts for a council, which tolerate the replica's lag of seconds (the
monthly step-down figures now; the council's figures wrap their selectors the same way). Never a page
about a child's record, and never a permission check: the signed-in user, their roles and their grants
are read from default, which sees a grant the moment it is made or ended. So wrap the figures selector
itself, after the view or page selector has checked who may see it, and evaluate its querysets inside
the block (a queryset is read from the database it is evaluated in):

    @figures_reads()
    def step_down_figures(council): ...

The switch is a ContextVar, so it holds for this thread (or asyncio task) only, and ends with its block
even when the block raises.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

FIGURES_DB_ALIAS = "figures"

_reading_figures: ContextVar[bool] = ContextVar("reading_figures", default=False)


def figures_database() -> str:
    """The alias figures are read from: the replica when DATABASE_FIGURES_URL configured one, else default."""
    return FIGURES_DB_ALIAS if FIGURES_DB_ALIAS in connections.databases else DEFAULT_DB_ALIAS


@contextmanager
def figures_reads() -> Iterator[None]:
    """Reads inside go to figures_database(); writes still go to default. Also a decorator:
    `@figures_reads()`."""
    token = _reading_figures.set(True)
    try:
        yield
    finally:
        _reading_figures.reset(token)


class FiguresRouter:
    """DATABASE_ROUTERS' only router (config/settings.py)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        # Outside the block, default even for the related rows of an object read from the replica
        # (Django would otherwise follow that object's database).
        return figures_database() if _reading_figures.get() else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        # Also an object read from the replica is saved to (and deleted from) the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        # The replica holds the primary's rows, so an object read from either may point at one read
        # from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, FIGURES_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        # Django's default (migrate everywhere asked), so the tests' figures database gets the schema.
        # Production's `manage.py migrate` migrates default only (the compose file's migrate service), and
        # a replica takes its schema from the primary by replication.
        return None
