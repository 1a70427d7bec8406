"""Subject access (issue 15; Settled question 26): recording a request, exporting everything held
about its subject as a draft for the council's information governance officer, and recording the
decision to release or withhold it.

Only a CAF administrator of the subject's council whom the family has not excluded (Settled question
16) handles a request (caf.selectors.subject_access fetches with that check; the services check it
again). Every export is written to the access log as an export of the subject's record.
"""

import csv
import io
import zipfile
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from caf import policies
from caf.access_log import access_log_write
from caf.models import YOUNG_PERSON_AGES, AccessLog, CafChild, Child, SubjectAccessRequest
from caf.selectors.records import child_may_see
from caf.selectors.subject_access import Holdings, adult_cafs, adult_refuse_if_excluded, subject_access_holdings
from caf.subject_access import THIRD_PARTY_LABEL, csv_safe, when
from caf.subject_access_pdf import record_pdf
from core.date_bounds import TWO_YEARS, out_of_bounds
from core.errors import Refused


def is_young_person_on(child: Child | None, day: date) -> bool:
    """A request about a young person (12 to 17 on the day it was made) records their competence and view."""
    age = child.age_on(day) if child is not None else None
    return age is not None and age in YOUNG_PERSON_AGES


def _refuse_unless_handler(
    user: User, *, child: Child | None, council_id: int, adult_name: str = "", family_child: Child | None = None
) -> None:
    if not policies.is_caf_administrator(user, council_id):
        raise PermissionDenied("Only the council's CAF administrators handle subject access requests.")
    for seen in (child, family_child):
        if seen is not None and not child_may_see(user, seen):
            raise PermissionDenied("The family asked that you do not see their records.")
    if child is None:
        adult_refuse_if_excluded(user, council_id, adult_name, family_child)


def subject_access_request_start(
    *,
    user: User,
    child: Child | None = None,
    adult_name: str = "",
    family_child: Child | None = None,
    requested_by: str,
    requested_on: date,
    competent: bool | None = None,
    competence_note: str = "",
    young_person_view: str = "",
) -> SubjectAccessRequest:
    """Record a request for everything held about a child, or about an adult named in the consent
    records. An adult picked from a child's family (`family_child`) is that family's person: the
    export holds that family's records only, never a namesake's elsewhere. A young person's request
    records whether they were judged competent, how, and their view; the answers are ignored for
    anyone else."""
    council_id = child.council_id if child is not None else user.council_id
    if council_id is None or (child is None) == (not adult_name.strip()):
        raise Refused("Choose the child or the adult the request is about.")
    if family_child is not None and (child is not None or family_child.council_id != council_id):
        raise Refused("Choose the child or the adult the request is about.")
    _refuse_unless_handler(user, child=child, council_id=council_id, adult_name=adult_name, family_child=family_child)
    errors: dict[str, str] = {}
    too = out_of_bounds(requested_on, "The date of the request", TWO_YEARS, None, today=timezone.localdate())
    too = too or (
        None if requested_on <= timezone.localdate() else "The date of the request must be today or in the past"
    )
    if too:
        errors["requested_on"] = too
    if not requested_by.strip():
        errors["requested_by"] = "Enter who made the request"
    if child is None and not adult_cafs(council_id, adult_name, family_child).exists():
        raise Refused("Nobody of that name gave consent or is in a household on the council's CAFs.")
    young_person = is_young_person_on(child, requested_on)
    if young_person:
        if competent is None:
            errors["competent"] = "Say whether the young person was judged competent to make the request"
        if not young_person_view.strip():
            errors["young_person_view"] = "Enter the young person's view of the request"
    if errors:
        raise Refused(errors)
    return SubjectAccessRequest.objects.create(
        council_id=council_id,
        child=child,
        adult_name=" ".join(adult_name.split()) if child is None else "",
        family_child=family_child if child is None else None,
        requested_by=requested_by.strip(),
        requested_on=requested_on,
        received_by=user,
        competent=competent if young_person else None,
        competence_note=competence_note.strip() if young_person else "",
        young_person_view=young_person_view.strip() if young_person else "",
    )


def subject_access_decide(
    *, user: User, request: SubjectAccessRequest, status: str, reason: str
) -> SubjectAccessRequest:
    """Record the decision on a draft export: released or withheld, by whom, when and why (Settled
    question 26: release is a recorded decision by a person). A decision is made once."""
    with transaction.atomic():
        sar = (
            SubjectAccessRequest.objects.select_for_update(of=("self",))
            .select_related("child", "family_child")
            .get(pk=request.pk)
        )
        _refuse_unless_handler(
            user, child=sar.child, council_id=sar.council_id, adult_name=sar.adult_name, family_child=sar.family_child
        )
        if not sar.is_draft:
            raise Refused(f"This request was already decided: {sar.get_status_display().lower()}.")
        if status not in (SubjectAccessRequest.Status.RELEASED, SubjectAccessRequest.Status.WITHHELD):
            raise Refused({"status": "Choose whether the export is released or withheld"})
        if not reason.strip():
            raise Refused({"reason": "Enter why: what was released or withheld, and on what grounds"})
        sar.status = status
        sar.decided_by = user
        sar.decided_at = timezone.now()
        sar.decision_reason = reason.strip()
        sar.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        _log_change(user, sar, f"Recorded the subject access decision: {sar.get_status_display().lower()}")
    return sar


def _log_change(user: User, sar: SubjectAccessRequest, what: str) -> None:
    if sar.child is not None:
        access_log_write(user=user, action=AccessLog.Action.CHANGE, what=what, child=sar.child)
    else:
        access_log_write(user=user, action=AccessLog.Action.CHANGE, what=what, child_ids=_adult_children(sar))


def _adult_children(sar: SubjectAccessRequest) -> list[int]:
    return list(
        CafChild.objects.filter(
            caf__in=adult_cafs(sar.council_id, sar.adult_name, sar.family_child).values("pk")
        ).values_list("child_id", flat=True)
    )


def subject_access_export(*, user: User, request: SubjectAccessRequest, compress_pdfs: bool = True) -> bytes:
    """The export of everything held about the request's subject, as a zip built in memory: an index,
    one HTML page and one PDF per record, chronology.csv and access_log.csv, with other people's data marked
    "third party — review before release". Written to the access log as an export of the record."""
    sar = request
    _refuse_unless_handler(
        user, child=sar.child, council_id=sar.council_id, adult_name=sar.adult_name, family_child=sar.family_child
    )
    with transaction.atomic():
        holdings = subject_access_holdings(user, sar)
        what = f"Exported the record for subject access request {sar.pk} ({sar.get_status_display().lower()})"
        if sar.child is not None:
            access_log_write(user=user, action=AccessLog.Action.EXPORT, what=what, child=sar.child)
        else:
            children = CafChild.objects.filter(caf_id__in=holdings.subject.caf_ids).values_list("child_id", flat=True)
            access_log_write(user=user, action=AccessLog.Action.EXPORT, what=what, child_ids=children)
    return _zip(sar, holdings, exported_by=user, compress=compress_pdfs)


def _zip(sar: SubjectAccessRequest, holdings: Holdings, *, exported_by: User, compress: bool = True) -> bytes:
    exported_at = timezone.now()
    context = {
        "request": sar,
        "holdings": holdings,
        "exported_at": when(exported_at),
        "exported_by": exported_by,
        "third_party_label": THIRD_PARTY_LABEL,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", render_to_string("caf/subject_access/export_index.html", context))
        caption = f"Subject access request {sar.pk}: {sar.subject_name}"
        banner = render_to_string("caf/subject_access/_draft_banner.txt", context).strip()
        for document in holdings.documents:
            archive.writestr(
                document.filename,
                render_to_string("caf/subject_access/export_record.html", {**context, "document": document}),
            )
            # The same record as a PDF beside it, for people who print or post it.
            archive.writestr(
                document.pdf_filename, record_pdf(document, caption=caption, banner=banner, compress=compress)
            )
        archive.writestr("chronology.csv", _csv(["When", "What", "CAF", "Third party"], _chronology_rows(holdings)))
        archive.writestr(
            "access_log.csv",
            _csv(["When", "Who", "Agency", "Action", "What", "CAF", "Third party"], _log_rows(holdings)),
        )
    return buffer.getvalue()


def _chronology_rows(holdings: Holdings) -> list[list[str]]:
    return [[when(at), what, reference, _flag(third)] for at, what, reference, third in holdings.chronology]


def _log_rows(holdings: Holdings) -> list[list[str]]:
    return [
        [
            when(row.at),
            str(row.user),
            row.agency.name if row.agency else "",
            row.get_action_display(),
            row.what,
            (row.caf.reference or f"CAF {row.caf.pk}") if row.caf else "",
            _flag(row.pk in holdings.access_log_third_party),
        ]
        for row in holdings.access_log
    ]


def _flag(third_party: bool) -> str:
    return THIRD_PARTY_LABEL if third_party else ""


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([csv_safe(cell) for cell in row] for row in rows)
    # A byte order mark, so that a spreadsheet opens the UTF-8 as UTF-8 (names with accents).
    return "\ufeff" + out.getvalue()
