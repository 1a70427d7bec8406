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

        from accounts.drafts import record_access_register
        from accounts.models import User
        from caf.models import Caf
        from caf.permissions import VIEW, has_caf_permission

        # A draft of a CAF's form is kept (after sign-out, by the autosave) only for someone who may
        # still see the CAF: the one check, the family's deny included (accounts/drafts.py).
        def may_see_caf(user: User, caf_id: int) -> bool:
            caf = Caf.objects.filter(pk=caf_id).first()
            return caf is not None and has_caf_permission(user, VIEW, caf)

        record_access_register("caf", may_see_caf)
