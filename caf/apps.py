from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_save


def _agency_group_sync(sender: type, instance: Any, **kwargs: Any) -> None:
    from caf.permissions import agency_group_membership_sync

    if not kwargs.get("raw"):
        agency_group_membership_sync(instance)


class CafConfig(AppConfig):
    name = "caf"
    verbose_name = "CAFs"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model

        # Agency-group grants reach a user through membership of their agency's group: keep it
        # right whenever a user is saved (a new user, or one who moves agency).
        post_save.connect(_agency_group_sync, sender=get_user_model(), dispatch_uid="caf_agency_group_sync")
