"""What every CAF service shares: the CAF's moves (`CAF_MOVES`), refusing, locking, the change log, and
telling the lead professional's colleagues that a CAF needs a lead.
"""

from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from accounts.models import LocalAuthority, Notification, User
from accounts.notifications import notification_record
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf
from caf.selectors import caf_administrators
from core.errors import Refused

CAF_MOVES = {
    # ... or pick up a step-down from social care, which carries the consent and the assessment.
    (Caf.Status.DRAFT, Caf.Status.ACTIVE): "submit the assessment with the family's consent",
    (Caf.Status.ACTIVE, Caf.Status.CLOSED): "close the CAF",
}


def move(caf: Caf, to: str) -> None:
    if (caf.status, to) not in CAF_MOVES:
        raise Refused(
            f"This CAF is {caf.get_status_display().lower()}, so it cannot become {Caf.Status(to).label.lower()}."
        )
    caf.status = to


def locked(caf: Caf) -> Caf:
    return Caf.objects.select_for_update().get(pk=caf.pk)


def log_change(user: User, caf: Caf, what: str) -> None:
    access_log_write(user=user, action=AccessLog.Action.CHANGE, what=what, caf=caf)


def tell_lead_professional_needed(caf: Caf, former: User, why: str) -> None:
    tell_caf_administrators(
        caf.council_id,
        [caf],
        kind=Notification.Kind.NO_LEAD_PROFESSIONAL,
        subject_key=f"lead-ended:{caf.pk}:{timezone.now():%Y%m%d%H%M%S%f}",
        title=f"CAF {caf.reference or caf.pk} needs a lead professional",
        body=(
            f"{former} is no longer the lead professional of CAF {caf.reference or caf.pk}: {why}. "
            "Log the lead professional the team agrees."
        ),
        url=reverse("caf:caf_detail", args=[caf.pk]),
    )


def tell_caf_administrators(council_id: int, cafs: Iterable[Caf], **notification: str) -> int:
    """Tell the council's CAF administrators, but none the family excluded from these CAFs; if no
    administrator remains, the council's early help lead is told instead (Settled question 16)."""
    cafs = list(cafs)
    admins = caf_administrators(council_id)
    excluded: set[int] = set()
    for caf in cafs:
        excluded |= perms.excluded_among(admins, caf)
    recipients = [admin for admin in admins if admin.pk not in excluded]
    if not recipients:
        council = LocalAuthority.objects.filter(pk=council_id).select_related("early_help_lead").first()
        lead = council.early_help_lead if council else None
        if lead is not None and lead.is_active and not any(perms.excluded_among([lead], caf) for caf in cafs):
            recipients = [lead]
    return sum(notification_record(recipient=person, **notification) is not None for person in recipients)


def manager_of(user: User, council: LocalAuthority) -> User | None:
    """Who answers for what a person did: their agency's manager, else the council's early help lead;
    never the person themselves (None when neither exists)."""
    for manager in (user.agency.manager if user.agency is not None else None, council.early_help_lead):
        if manager is not None and manager.is_active and manager.pk != user.pk:
            return manager
    return None
