"""Where caf asks an app above it (Settled question 14: accounts → thresholds → caf → referrals →
home): caf never imports referrals, so referrals fills these in its AppConfig.ready, which runs in
every process (web, worker, beat, tests) before any request or task. A hook used before anything
registered it is a wiring mistake: it raises instead of quietly answering "nothing".

- `referral_draft_from_caf`: start a safeguarding referral draft with the CAF attached (the
  safeguarding override, and consent withdrawn with a referral to follow). Called inside caf's
  transaction, so the referral and the CAF's change commit together.
- `lead_professional_logged`: tell the apps above that a CAF has a new lead professional (a
  step-down picked up into it is then complete). Every registered receiver is called, in order.
- `chronology_sources`: more events for a child's chronology, from the CAFs the user may see.
- `child_referred`: whether any of a child's records was referred to children's social care (who
  then sees the child's record while deciding).
- `caf_referrals`: the referrals attached to a CAF, newest first, for the CAF's own pages.
- `social_care_stage_children`: the children who reached a social care stage (Child in Need, child
  protection), as a queryset of child ids the retention date's SQL uses (caf.selectors.retention).
- `social_care_open_children`: the children of a referral or step-down still open, whose family is
  not due for anonymisation whatever its dates say.
- `child_records_ended`: when the apps above caf last finished with a child (the latest referral
  decision, step-down picked up or declined), as an SQL expression for the child at an OuterRef: a
  child with no CAF is kept for the council's years after it (caf.selectors.retention).
- `children_recorded_together`: (kind of record, its id, a child id) of the records above caf that name
  several children (a referral, a step-down), so that retention keeps such children in one family:
  anonymising one family never touches a record that is also about a child of another.
- `retention_anonymisers`: anonymise the apps' own records of a family (referrals, step-downs);
  called inside caf's transaction with the family's CAF and child ids; every receiver is called.
- `subject_access_sources`: more records for a subject access export (referrals: the referrals and
  step-downs about the subject), each a `caf.subject_access.RecordDocument`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.db.models import QuerySet

if TYPE_CHECKING:
    from accounts.models import User
    from caf.models import Caf, LeadProfessionalAssignment
    from caf.subject_access import RecordDocument, Subject


@dataclass(frozen=True)
class ChronologyEvent:
    at: datetime
    what: str
    caf: "Caf | None" = None


class ReferralDraftFromCaf(Protocol):
    def __call__(self, *, user: "User", caf: "Caf", reason: str) -> Any: ...  # the referral started


class LeadProfessionalLogged(Protocol):
    def __call__(self, *, user: "User", caf: "Caf", assignment: "LeadProfessionalAssignment") -> Any: ...


# (the visible CAFs by id) -> events; a fixed number of queries whatever the history's length.
ChronologySource = Callable[[dict[int, "Caf"]], Iterable[ChronologyEvent]]
# (a queryset of the child's record ids, the child and its merged records) -> referred?
ChildReferred = Callable[[QuerySet[Any]], bool]
# (caf, only safeguarding overrides?) -> the CAF's referrals, newest first.
CafReferrals = Callable[["Caf", bool], QuerySet[Any]]
# (the subject of an export) -> that app's records about them; a fixed number of queries.
SubjectAccessSource = Callable[["Subject"], Iterable["RecordDocument"]]


# (stage: "child_in_need" or "child_protection") -> a queryset of the child ids that reached it.
SocialCareStageChildren = Callable[[str], QuerySet[Any]]
# () -> a queryset of the child ids of referrals and step-downs still open.
SocialCareOpenChildren = Callable[[], QuerySet[Any]]
# (an OuterRef to a child's id) -> an SQL expression: the latest moment a record of theirs ended, or NULL.
ChildRecordsEnded = Callable[[Any], Any]
# (council id) -> (a kind of record, its id, a child id it names), for every such record of the council.
ChildrenRecordedTogether = Callable[[int], Iterable[tuple[str, int, int]]]
# (the family's CAF ids, its child ids) -> rows changed, by kind of record.
RetentionAnonymiser = Callable[[list[int], list[int]], dict[str, int]]


class HookMissing(RuntimeError):
    """A hook was used before an app registered it: its AppConfig.ready did not run."""


class _Hooks:
    def __init__(self) -> None:
        self.referral_draft_from_caf: ReferralDraftFromCaf | None = None
        self.lead_professional_logged: list[LeadProfessionalLogged] = []
        self.chronology_sources: list[ChronologySource] = []
        self.child_referred: ChildReferred | None = None
        self.caf_referrals: CafReferrals | None = None
        self.social_care_stage_children: SocialCareStageChildren | None = None
        self.social_care_open_children: SocialCareOpenChildren | None = None
        self.child_records_ended: ChildRecordsEnded | None = None
        self.children_recorded_together: list[ChildrenRecordedTogether] = []
        self.retention_anonymisers: list[RetentionAnonymiser] = []
        self.subject_access_sources: list[SubjectAccessSource] = []


hooks = _Hooks()


def _required(value: Any | None, name: str) -> Any:
    if value is None:
        raise HookMissing(f"caf.hooks.{name} is not registered: is the app that provides it in INSTALLED_APPS?")
    return value


# Registration (from an AppConfig.ready above caf). Registering the same callable again changes nothing.


def referral_draft_from_caf_register(provider: ReferralDraftFromCaf) -> None:
    hooks.referral_draft_from_caf = provider


def lead_professional_logged_register(receiver: LeadProfessionalLogged) -> None:
    if receiver not in hooks.lead_professional_logged:
        hooks.lead_professional_logged.append(receiver)


def chronology_source_register(source: ChronologySource) -> None:
    if source not in hooks.chronology_sources:
        hooks.chronology_sources.append(source)


def child_referred_register(predicate: ChildReferred) -> None:
    hooks.child_referred = predicate


def caf_referrals_register(reader: CafReferrals) -> None:
    hooks.caf_referrals = reader


def social_care_stage_children_register(provider: SocialCareStageChildren) -> None:
    hooks.social_care_stage_children = provider


def social_care_open_children_register(provider: SocialCareOpenChildren) -> None:
    hooks.social_care_open_children = provider


def child_records_ended_register(provider: ChildRecordsEnded) -> None:
    hooks.child_records_ended = provider


def children_recorded_together_register(source: ChildrenRecordedTogether) -> None:
    if source not in hooks.children_recorded_together:
        hooks.children_recorded_together.append(source)


def retention_anonymiser_register(receiver: RetentionAnonymiser) -> None:
    if receiver not in hooks.retention_anonymisers:
        hooks.retention_anonymisers.append(receiver)


def subject_access_source_register(source: SubjectAccessSource) -> None:
    if source not in hooks.subject_access_sources:
        hooks.subject_access_sources.append(source)


# Use (from caf).


def referral_draft_from_caf(*, user: "User", caf: "Caf", reason: str) -> Any:
    return _required(hooks.referral_draft_from_caf, "referral_draft_from_caf")(user=user, caf=caf, reason=reason)


def lead_professional_logged(*, user: "User", caf: "Caf", assignment: "LeadProfessionalAssignment") -> None:
    for receiver in hooks.lead_professional_logged:
        receiver(user=user, caf=caf, assignment=assignment)


def chronology_events(cafs: dict[int, "Caf"]) -> list[ChronologyEvent]:
    return [event for source in hooks.chronology_sources for event in source(cafs)]


def child_referred(records: QuerySet[Any]) -> bool:
    return bool(_required(hooks.child_referred, "child_referred")(records))


def caf_referrals(caf: "Caf", *, safeguarding_override: bool = False) -> QuerySet[Any]:
    return _required(hooks.caf_referrals, "caf_referrals")(caf, safeguarding_override)


def subject_access_documents(subject: "Subject") -> list["RecordDocument"]:
    return [document for source in hooks.subject_access_sources for document in source(subject)]


def registered() -> dict[str, bool]:
    """What each hook has, for the test that the wiring is complete after django.setup()."""
    return {
        "referral_draft_from_caf": hooks.referral_draft_from_caf is not None,
        "lead_professional_logged": bool(hooks.lead_professional_logged),
        "chronology_sources": bool(hooks.chronology_sources),
        "child_referred": hooks.child_referred is not None,
        "caf_referrals": hooks.caf_referrals is not None,
        "subject_access_sources": bool(hooks.subject_access_sources),
    }


def social_care_stage_children(stage: str) -> QuerySet[Any]:
    return _required(hooks.social_care_stage_children, "social_care_stage_children")(stage)


def social_care_open_children() -> QuerySet[Any]:
    return _required(hooks.social_care_open_children, "social_care_open_children")()


def child_records_ended(child: Any) -> Any:
    return _required(hooks.child_records_ended, "child_records_ended")(child)


def children_recorded_together(council_id: int) -> list[tuple[str, int, int]]:
    return [row for source in hooks.children_recorded_together for row in source(council_id)]


def retention_anonymise(caf_ids: list[int], child_ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for receiver in hooks.retention_anonymisers:
        counts.update(receiver(caf_ids, child_ids))
    return counts
