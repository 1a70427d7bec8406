"""The roles of DESIGN.md (a module of its own: the council's settings name roles, and users hold them)."""

from django.db import models


class Role(models.TextChoices):
    """The roles of DESIGN.md, each a Django group whose permissions come from accounts/data/roles.yaml."""

    PRACTITIONER = "Practitioner", "Practitioner"
    CAF_ADMINISTRATOR = "CAF administrator", "CAF administrator"
    SOCIAL_CARE_MANAGER = "Social care manager", "Social care manager"
    SOCIAL_WORKER = "Social worker", "Social worker"
    COUNCIL_ADMINISTRATOR = "Council administrator", "Council administrator"
