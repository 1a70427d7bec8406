from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _roles_sync_after_migrate(sender: AppConfig, **kwargs: Any) -> None:
    from accounts.roles import roles_sync

    roles_sync()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Councils, agencies and users"

    def ready(self) -> None:
        # After every migrate (and after the test database is flushed), the roles match roles.yaml.
        post_migrate.connect(_roles_sync_after_migrate, sender=self)
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from accounts.sign_in_sessions import session_forget, session_record

        user_logged_in.connect(session_record, dispatch_uid="accounts.session_record")
        user_logged_out.connect(session_forget, dispatch_uid="accounts.session_forget")
