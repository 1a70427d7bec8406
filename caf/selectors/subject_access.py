"""Subject access (issue 15; Settled question 26): fetching a request with its check, finding an adult
among the consenting people, and gathering everything held about the subject for the export.

Only the council's CAF administrators handle requests, and never one the family excluded (Settled
question 16: a named-person exclusion binds a CAF administrator too, so an excluded administrator
never exports that family's records). Everything is gathered in a fixed number of queries, whatever
the number of CAFs, reviews, actions or events (prefetched, never a query per row).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Func, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim
from django.http import Http404

from accounts.models import FormDraft, User
from caf import hooks, policies
from caf import permissions as perms
from caf.access_log import access_log_write
from caf.models import (
    AccessLog,
    Adult,
    AssessmentEntry,
    Caf,
    CafChild,
    Child,
    Consent,
    ExclusionException,
    FamilyExclusion,
    LeadProfessionalAssignment,
    LevelChange,
    PlanAction,
    Review,
    ReviewActionProgress,
    SharingDecision,
    SubjectAccessRequest,
    TeamAroundFamilyMember,
)
from caf.selectors.chronology import child_chronology
from caf.selectors.records import child_may_see, refusal_log
from caf.subject_access import RecordDocument, Subject, ThirdParties, when
from caf.subject_access import Value as Answer

ADULTS_SHOWN = 25
# Fields of a form's draft that are the form's machinery, not what a person typed.
_DRAFT_MACHINERY = {"csrfmiddlewaretoken", "form_token", "version", "next"}


def name_normalised(name: str) -> str:
    """A name as typed, with spacing and case aside: consent is per person, named as typed
    (caf.policies.same_name says the same in Python)."""
    return " ".join(name.split()).casefold()


def _name_sql(field_name: str) -> Func:
    """`name_normalised` in SQL (lower case, spaces collapsed), to compare names in the database."""
    return Lower(Func(Trim(field_name), Value(r"\s+"), Value(" "), Value("g"), function="regexp_replace"))


# Who may ---------------------------------------------------------------------------------------------


def _refuse_unless_caf_administrator(user: User, council_id: int | None) -> None:
    if not policies.is_caf_administrator(user, council_id):
        raise PermissionDenied("Only the council's CAF administrators handle subject access requests.")


def child_for_subject_access(user: User, child_id: int, *, what: str) -> Child:
    """The child of a request: a CAF administrator of the child's council whom the family has not
    excluded (a 404, logged, for anyone who may not see the child, the excluded included; a 403 for
    the others who may)."""
    child = Child.objects.filter(pk=child_id).first()
    if child is None or not child_may_see(user, child):
        refusal_log(user, what, child=child, attempted_id=child_id)
        raise Http404("No child matches the given query.")
    _refuse_unless_caf_administrator(user, child.council_id)
    access_log_write(user=user, action=AccessLog.Action.VIEW, what=what, child=child)
    return child


def family_cafs(child: Child) -> QuerySet[Caf]:
    """The CAFs of a child's family: the child's (and the records merged into it), and those of every
    child who shares a CAF or a household adult with them."""
    records = Child.objects.filter(Q(pk=child.pk) | Q(merged_into=child.pk)).values("pk")
    own_cafs = CafChild.objects.filter(child__in=records).values("caf")
    children = (
        CafChild.objects.filter(caf__in=own_cafs)
        .values("child")
        .union(Adult.children.through.objects.filter(adult__children__in=records).values("child"))
        .union(Child.objects.filter(pk__in=records).values("pk"))
    )
    of_children = CafChild.objects.filter(child__in=children).values("caf")
    return Caf.objects.filter(council_id=child.council_id, pk__in=of_children)


def adult_cafs(council_id: int, adult_name: str, family_child: Child | None = None) -> QuerySet[Caf]:
    """The CAFs an adult is on: those with a consent they gave or an exclusion they asked for, or
    with them in the household. For an adult picked from a child's family, that family's only."""
    name = name_normalised(adult_name)
    consents = Consent.objects.annotate(name=_name_sql("given_by")).filter(name=name, caf__council_id=council_id)
    exclusions = FamilyExclusion.objects.annotate(name=_name_sql("made_by")).filter(
        name=name, caf__council_id=council_id
    )
    adults = Adult.objects.annotate(name=_name_sql("full_name")).filter(name=name, council_id=council_id)
    cafs = Caf.objects.filter(
        Q(pk__in=consents.values("caf_id"))
        | Q(pk__in=exclusions.values("caf_id"))
        | Q(pk__in=Caf.adults.through.objects.filter(adult__in=adults).values("caf_id"))
    )
    if family_child is not None:
        cafs = cafs.filter(pk__in=family_cafs(family_child).values("pk"))
    return cafs


def family_adults(child: Child) -> list[str]:
    """The adults of a child's family a subject access request may be about, by name as recorded:
    the household's adults on a CAF, whoever gave consent (a young person's own consent aside: they
    are a child of the family) or asked for an exclusion on the family's CAFs. Sorted, once each."""
    cafs = family_cafs(child).values("pk")
    names = [
        *Consent.objects.filter(caf__in=cafs, is_young_person=False).values_list("given_by", flat=True),
        *FamilyExclusion.objects.filter(caf__in=cafs).exclude(made_by="").values_list("made_by", flat=True),
        *Adult.objects.filter(cafs__in=cafs).values_list("full_name", flat=True),
    ]
    spelt: dict[str, str] = {}
    for name in names:
        spelt.setdefault(name_normalised(name), " ".join(name.split()))
    return sorted((name for key, name in spelt.items() if key), key=str.casefold)


def adult_refuse_if_excluded(user: User, council_id: int, adult_name: str, family_child: Child | None = None) -> None:
    """An adult's records are their family's: an administrator the family excluded from any of the
    CAFs the adult is on exports none of them (Settled question 16)."""
    if adult_cafs(council_id, adult_name, family_child).filter(perms.excluded_from(user)).exists():
        raise PermissionDenied(
            "The family asked that you do not see their records: ask another CAF administrator to handle this request."
        )


def subject_access_get_for_user(user: User, request_id: int, *, what: str) -> SubjectAccessRequest:
    """The one way a page gets a request: another council's (or none) is a 404 and logged; the
    council's staff who are not CAF administrators, and an administrator the family excluded, are
    refused (404 where they may not see the child, 403 otherwise)."""
    sar = (
        SubjectAccessRequest.objects.filter(pk=request_id)
        .select_related("child", "received_by", "decided_by", "council", "family_child")
        .first()
    )
    if sar is None or not user.is_active or sar.council_id != user.council_id:
        refusal_log(user, what, child=sar.child if sar else None, attempted_id=request_id)
        raise Http404("No subject access request matches the given query.")
    if sar.child_id is not None:
        child_for_subject_access(user, sar.child_id, what=what)
    else:
        _refuse_unless_caf_administrator(user, sar.council_id)
        adult_refuse_if_excluded(user, sar.council_id, sar.adult_name, sar.family_child)
    return sar


def subject_access_requests_for_child(user: User, child: Child) -> list[SubjectAccessRequest]:
    return list(
        SubjectAccessRequest.objects.filter(child=child)
        .select_related("received_by", "decided_by")
        .order_by("-recorded_at", "-pk")
    )


def subject_access_requests_of_council(user: User, *, limit: int = 50) -> list[SubjectAccessRequest]:
    """The council's latest requests, undecided first: CAF administrators only (anyone else: 404, the
    attempt logged), leaving out the children of families who excluded them; one access-log row
    naming the children listed."""
    caf_administrators_only(user, "the subject access requests")
    requests = list(
        SubjectAccessRequest.objects.filter(council_id=user.council_id)
        .exclude(child__cafs__in=Caf.objects.filter(perms.excluded_from(user)).values("pk"))
        .select_related("child", "received_by", "decided_by")
        .order_by(F("decided_at").desc(nulls_first=True), "-recorded_at", "-pk")[:limit]
    )
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what="Viewed the subject access requests",
        child_ids=[sar.child_id for sar in requests if sar.child_id],
    )
    return requests


def caf_administrators_only(user: User, what: str) -> None:
    """The council's pages of subject access (its requests, the search, a request about an adult):
    a 404 for anyone but its CAF administrators, the attempt logged."""
    if not policies.is_caf_administrator(user, user.council_id):
        if user.is_authenticated:
            access_log_write(user=user, action=AccessLog.Action.REFUSED, what=f"Refused: {what}")
        raise Http404("Subject access requests are for the council's CAF administrators.")


@dataclass(frozen=True)
class ConsentingPerson:
    name: str
    relationships: str
    cafs: int


def consenting_people_named(user: User, words: str) -> tuple[list[ConsentingPerson], bool]:
    """The adults who gave consent on the council's CAFs whose name holds every word typed (at most
    ADULTS_SHOWN, and whether more match), leaving out the CAFs the family excluded the user from."""
    caf_administrators_only(user, "the search of consenting people")
    terms = words.split()
    if not terms:
        return [], False
    consents = Consent.objects.filter(caf__council_id=user.council_id, is_young_person=False).exclude(
        caf__in=Caf.objects.filter(perms.excluded_from(user)).values("pk")
    )
    for term in terms[:5]:
        consents = consents.filter(given_by__icontains=term)
    rows = list(
        consents.annotate(name=_name_sql("given_by"))
        .values("name")
        .annotate(cafs=Count("caf_id", distinct=True))
        .order_by("name")[: ADULTS_SHOWN + 1]
    )
    names = [row["name"] for row in rows[:ADULTS_SHOWN]]
    spelt: dict[str, tuple[str, set[str]]] = {}
    for given_by, relationship in (
        consents.annotate(name=_name_sql("given_by")).filter(name__in=names).values_list("given_by", "relationship")
    ):
        _, relationships = spelt.setdefault(name_normalised(given_by), (" ".join(given_by.split()), set()))
        relationships.add(relationship)
    people = [
        ConsentingPerson(spelt[row["name"]][0], ", ".join(sorted(spelt[row["name"]][1])), row["cafs"])
        for row in rows[:ADULTS_SHOWN]
        if row["name"] in spelt
    ]
    return people, len(rows) > ADULTS_SHOWN


# What is held -----------------------------------------------------------------------------------------


@dataclass
class Holdings:
    """Everything held about the subject, as the export shows it."""

    subject: Subject
    documents: list[RecordDocument] = field(default_factory=list)
    # (when, what, the CAF's reference or "", names a third party)
    chronology: list[tuple[datetime, str, str, bool]] = field(default_factory=list)
    access_log: list[AccessLog] = field(default_factory=list)
    access_log_third_party: set[int] = field(default_factory=set)


def subject_access_holdings(user: User, sar: SubjectAccessRequest) -> Holdings:
    """Everything held about the request's subject: the child's record (and the records merged into
    it) or the adult's household and consent records; each CAF they are on, whole; what the apps
    above caf hold (referrals and step-downs, through caf.hooks); the chronology and the access log.
    Other people's data is marked, never left out."""
    third_parties = ThirdParties()
    if sar.child is not None:
        child = sar.child
        records = [child.pk, *child.merged_records.values_list("pk", flat=True)]
        cafs: QuerySet[Caf] = Caf.objects.filter(children__in=records).distinct()
        adult_name = ""
    else:
        records = []
        cafs = adult_cafs(sar.council_id, sar.adult_name, sar.family_child)
        adult_name = sar.adult_name
    caf_list = list(_cafs_whole(cafs))
    caf_ids = [caf.pk for caf in caf_list]
    household = list(
        Adult.objects.filter(Q(children__in=records) | Q(cafs__in=caf_ids))
        .distinct()
        .prefetch_related("children")
        .order_by("full_name", "pk")
    )
    # Who is not the subject: the other children, the household's adults, whoever gave consent.
    for caf in caf_list:
        third_parties.add(*(str(link.child) for link in caf.caf_children.all() if link.child_id not in records))
        third_parties.add(*(consent.given_by for consent in caf.consents.all()))
        third_parties.add(*(exclusion.made_by for exclusion in caf.exclusions.all()))
    third_parties.add(*(adult.full_name for adult in household))
    if adult_name:
        third_parties.names.discard(name_normalised(adult_name))
    subject = Subject(
        council_id=sar.council_id,
        child_ids=tuple(records),
        adult_name=adult_name,
        caf_ids=tuple(caf_ids),
        third_parties=third_parties,
    )
    holdings = Holdings(subject=subject)
    drafts = _drafts_by_record(caf_ids)
    if sar.child is not None:
        holdings.documents.append(_child_document(sar.child, household, subject))
    else:
        holdings.documents.append(_adult_document(sar.adult_name, household, caf_list, subject))
    holdings.documents.extend(_caf_document(caf, subject, drafts.get(caf.record_key, [])) for caf in caf_list)
    # The apps above caf add theirs (referrals: referrals and step-downs about the subject).
    holdings.documents.extend(hooks.subject_access_documents(subject))
    if sar.child is not None:
        for event in child_chronology(user, sar.child):
            reference = (event.caf.reference or f"CAF {event.caf.pk}") if event.caf else ""
            holdings.chronology.append((event.at, event.what, reference, third_parties.named_in(event.what)))
        log = AccessLog.objects.filter(child_ids__overlap=records)
    else:
        holdings.chronology = _adult_chronology(caf_list, subject)
        log = AccessLog.objects.filter(caf_id__in=caf_ids)
    holdings.access_log = list(log.select_related("user", "agency", "caf").order_by("at", "pk"))
    holdings.access_log_third_party = {
        row.pk for row in holdings.access_log if third_parties.named_in(row.what) or _about_others(row, records)
    }
    return holdings


def _about_others(row: AccessLog, records: list[int]) -> bool:
    """A list page or search that showed other children too: the row is the subject's, the page was not."""
    return bool(records) and any(child_id not in records for child_id in row.child_ids)


def _cafs_whole(cafs: QuerySet[Caf]) -> QuerySet[Caf]:
    """The CAFs with everything the export shows, prefetched: a fixed number of queries."""
    return (
        Caf.objects.filter(pk__in=cafs.values("pk"))
        .select_related(
            "initiated_by", "initiating_agency", "registered_by", "closed_by", "threshold_model", "previous_episode"
        )
        .prefetch_related(
            Prefetch(
                "caf_children",
                queryset=CafChild.objects.select_related("child", "level", "suggested_level").order_by("pk"),
            ),
            Prefetch(
                "caf_children__level_changes",
                queryset=LevelChange.objects.select_related("level", "changed_by", "child").order_by(
                    "changed_at", "pk"
                ),
            ),
            Prefetch(
                "consents",
                queryset=Consent.objects.select_related("recorded_by", "withdrawal_recorded_by").order_by(
                    "recorded_at", "pk"
                ),
            ),
            "consents__children",
            "consents__agencies",
            "consents__excluded_agencies",
            "consents__excluded_people",
            Prefetch(
                "exclusions",
                queryset=FamilyExclusion.objects.select_related("agency", "user", "recorded_by", "lifted_by"),
            ),
            Prefetch(
                "assessment_entries",
                queryset=AssessmentEntry.objects.select_related("sub_domain").order_by(
                    "sub_domain__domain__order", "sub_domain__order"
                ),
            ),
            Prefetch("actions", queryset=PlanAction.objects.select_related("agency", "owner")),
            Prefetch("reviews", queryset=Review.objects.select_related("recorded_by").order_by("held_on", "pk")),
            "reviews__attendees",
            Prefetch(
                "reviews__progress",
                queryset=ReviewActionProgress.objects.select_related("action").order_by("pk"),
            ),
            Prefetch("taf_members", queryset=TeamAroundFamilyMember.objects.select_related("user", "agency")),
            Prefetch("lead_professionals", queryset=LeadProfessionalAssignment.objects.select_related("user")),
            Prefetch(
                "sharing_decisions",
                queryset=SharingDecision.objects.select_related("agency", "recorded_by").order_by("recorded_at", "pk"),
            ),
            Prefetch(
                "exclusion_exceptions",
                queryset=ExclusionException.objects.select_related("agency", "user", "recorded_by").order_by(
                    "recorded_at", "pk"
                ),
            ),
        )
        .order_by("created_at", "pk")
    )


def _drafts_by_record(caf_ids: list[int]) -> dict[str, list[FormDraft]]:
    """Unsaved forms (Settled question 20: drafts are in subject access exports), by the record they change."""
    keys = [f"caf:{pk}" for pk in caf_ids]
    found: dict[str, list[FormDraft]] = {}
    for draft in FormDraft.objects.filter(record__in=keys).select_related("user").order_by("saved_at", "pk"):
        found.setdefault(draft.record, []).append(draft)
    return found


def drafts_section(document: RecordDocument, drafts: list[FormDraft]) -> None:
    """A record's unsaved forms: a professional's working notes, each value marked for review."""
    if not drafts:
        return
    section = document.section(
        "Unsaved forms (drafts)",
        columns=["Form", "Whose", "Saved", "Field", "What was typed"],
        note="Forms started and not yet saved. Working notes: review each before release.",
    )
    for draft in drafts:
        for name, values in sorted(draft.data.items()):
            typed = [str(value) for value in (values if isinstance(values, list) else [values]) if str(value).strip()]
            if name in _DRAFT_MACHINERY or not typed:
                continue
            section.row(
                draft.path, str(draft.user), when(draft.saved_at), name, Answer("; ".join(typed), third_party=True)
            )


def _day(day: Any) -> str:
    return f"{day:%-d %B %Y}" if day else ""


def _child_document(child: Child, household: list[Adult], subject: Subject) -> RecordDocument:
    document = RecordDocument("child.html", f"{child}'s record")
    details = document.section("Details")
    details.answer("Name", child)
    details.answer("Known as", child.known_as)
    details.answer("Date of birth", _day(child.date_of_birth))
    details.answer("Expected date of birth", _day(child.expected_date_of_birth))
    details.answer("Sex", child.get_sex_display())
    details.answer("Gender", child.gender)
    details.answer("Ethnicity", child.ethnicity)
    details.answer("First language", child.first_language)
    details.answer("Interpreter needed", child.interpreter_needed)
    details.answer("Address", child.address)
    details.answer("Postcode", child.postcode)
    details.answer("School or setting", child.school_or_setting)
    details.answer("NHS number", child.nhs_number)
    details.answer("Unique pupil number", child.upn)
    details.answer("Special educational needs or disability", child.send)
    details.answer("Recorded", f"{when(child.created_at)} by {child.created_by}")
    merged = document.section("Records merged into this one", columns=["Record", "Name", "Merged"])
    for record in Child.objects.filter(pk__in=subject.child_ids).exclude(pk=child.pk).order_by("pk"):
        merged.row(record.pk, record, when(record.merged_at))
    corrections = document.section("Corrections", columns=["Field", "Was", "Became", "By", "When"])
    for correction in child.corrections.select_related("made_by").order_by("made_at", "pk"):
        corrections.row(
            correction.field, correction.old_value, correction.new_value, correction.made_by, when(correction.made_at)
        )
    _household_section(document, household, subject)
    return document


def _household_section(document: RecordDocument, household: list[Adult], subject: Subject) -> None:
    section = document.section(
        "Adults of the household", columns=["Name", "Relationship", "Parental responsibility", "Phone", "Address"]
    )
    for adult in household:
        theirs = bool(subject.adult_name) and name_normalised(adult.full_name) == name_normalised(subject.adult_name)
        section.row(
            *(
                Answer(str(value) if not isinstance(value, bool) else ("Yes" if value else "No"), not theirs)
                for value in (
                    adult.full_name,
                    adult.relationship,
                    adult.parental_responsibility,
                    adult.phone,
                    adult.address,
                )
            )
        )


def _adult_document(name: str, household: list[Adult], cafs: list[Caf], subject: Subject) -> RecordDocument:
    document = RecordDocument("adult.html", f"Records about {name}")
    about = document.section("Who this is")
    about.answer("Name", name)
    about.answer("Found by", "Their name in the consent records and households of the council's CAFs")
    _household_section(document, household, subject)
    children = document.section(
        "Their children and the other children of the household", columns=["Name", "Date of birth"]
    )
    seen: set[int] = set()
    for adult in household:
        if name_normalised(adult.full_name) != name_normalised(name):
            continue
        for child in adult.children.all():
            if child.pk not in seen:
                seen.add(child.pk)
                children.row(Answer(str(child), True), Answer(_day(child.date_of_birth), True))
    consents = document.section(
        "Consent they gave", columns=["CAF", "Given on", "Relationship", "Agencies", "Withdrawn"]
    )
    for caf in cafs:
        for consent in caf.consents.all():
            if name_normalised(consent.given_by) == name_normalised(name):
                consents.row(
                    caf.reference or f"CAF {caf.pk}",
                    _day(consent.given_on),
                    consent.relationship,
                    ", ".join(agency.name for agency in consent.agencies.all()),
                    f"{_day(consent.withdrawn_on)} {consent.withdrawal_reason}".strip(),
                )
    return document


def _adult_chronology(cafs: list[Caf], subject: Subject) -> list[tuple[datetime, str, str, bool]]:
    rows = []
    name = name_normalised(subject.adult_name)
    for caf in cafs:
        reference = caf.reference or f"CAF {caf.pk}"
        rows.append((caf.created_at, f"CAF started by {caf.initiated_by} ({caf.initiating_agency})", reference, False))
        if caf.closed_at:
            rows.append((caf.closed_at, f"CAF closed: {caf.get_closure_reason_display()}", reference, False))
        for consent in caf.consents.all():
            theirs = name_normalised(consent.given_by) == name
            rows.append(
                (
                    consent.recorded_at,
                    f"Consent given by {consent.given_by} ({consent.relationship})",
                    reference,
                    not theirs,
                )
            )
        for exclusion in caf.exclusions.all():
            theirs = name_normalised(exclusion.made_by) == name
            excluded = exclusion.agency or exclusion.user
            rows.append(
                (
                    exclusion.recorded_at,
                    f"{exclusion.made_by} asked that {excluded} does not see the assessment",
                    reference,
                    not theirs,
                )
            )
    rows.sort(key=lambda row: row[0])
    return rows


def _caf_document(caf: Caf, subject: Subject, drafts: list[FormDraft]) -> RecordDocument:
    parties = subject.third_parties

    def free(text: str) -> Answer:
        """Free text: marked when it names someone who is not the subject."""
        return Answer(text, parties.named_in(text))

    def other_child(child_id: int) -> bool:
        return child_id not in subject.child_ids

    def not_subject(name: str) -> bool:
        return not (subject.adult_name and name_normalised(name) == name_normalised(subject.adult_name))

    reference = caf.reference or f"CAF {caf.pk}"
    document = RecordDocument(f"caf-{caf.pk}.html", f"{reference}: {caf.get_kind_display()}")
    about = document.section("About the CAF")
    about.answer("Reference", caf.reference or "Not registered")
    about.answer("Status", caf.get_status_display())
    about.answer("Kind", caf.get_kind_display())
    about.answer("Started", f"{when(caf.created_at)} by {caf.initiated_by} ({caf.initiating_agency})")
    about.answer("Active from", when(caf.activated_at))
    about.answer("Registered", f"{when(caf.registered_at)} {caf.registered_by or ''}".strip())
    about.answer("Threshold model", caf.threshold_model)
    about.answer("Earlier episode", caf.previous_episode or "")
    about.answer("Closed", f"{when(caf.closed_at)} {caf.get_closure_reason_display()}".strip())
    about.answers.append(("Outcome summary", free(caf.outcome_summary)))

    children = document.section("Children and their levels of need", columns=["Child", "Date of birth", "Level", "Why"])
    history = document.section("Level history", columns=["Child", "Level", "Suggested", "Why", "By", "When"])
    for link in caf.caf_children.all():
        other = other_child(link.child_id)
        children.row(
            Answer(str(link.child), other),
            Answer(_day(link.child.date_of_birth), other),
            Answer(link.level.label if link.level else "Not decided", other),
            Answer(link.level_reason, other or parties.named_in(link.level_reason)),
        )
        for change in link.level_changes.all():
            history.row(
                Answer(str(change.child), other),
                Answer(change.level.label, other),
                Answer(change.suggested_level.label if change.suggested_level else "", other),
                Answer(change.reason, other or parties.named_in(change.reason)),
                change.changed_by,
                when(change.changed_at),
            )

    for consent in caf.consents.all():
        section = document.section(f"Consent given on {_day(consent.given_on)}")
        third = not_subject(consent.given_by)
        section.answer("Given by", consent.given_by, third_party=third)
        section.answer("Relationship", consent.relationship, third_party=third)
        section.answer("A young person's own consent", consent.is_young_person)
        section.answer("Competence", consent.competence_note)
        section.answer(
            "For the children",
            ", ".join(str(child) for child in consent.children.all()),
            third_party=any(other_child(child.pk) for child in consent.children.all()),
        )
        section.answer("How", consent.get_method_display())
        section.answer("Agencies it covers", ", ".join(agency.name for agency in consent.agencies.all()))
        section.answer("Agencies excluded", ", ".join(agency.name for agency in consent.excluded_agencies.all()))
        section.answer("People excluded", ", ".join(str(person) for person in consent.excluded_people.all()))
        section.answers.append(("Who gets a copy", Answer(consent.copy_to, bool(consent.copy_to) and third)))
        section.answer("Storage explained", consent.explained_storage)
        section.answer("Sharing explained", consent.explained_sharing)
        section.answer("Recorded", f"{when(consent.recorded_at)} by {consent.recorded_by}")
        if consent.withdrawn_on:
            section.answer("Withdrawn", f"{_day(consent.withdrawn_on)} (recorded by {consent.withdrawal_recorded_by})")
            section.answers.append(("Why withdrawn", free(consent.withdrawal_reason)))

    exclusions = document.section(
        "People and agencies the family does not want to see the assessment",
        columns=["Who", "Asked by", "Recorded", "Lifted"],
    )
    for exclusion in caf.exclusions.all():
        exclusions.row(
            exclusion.agency or exclusion.user,
            Answer(exclusion.made_by, not_subject(exclusion.made_by)),
            f"{when(exclusion.recorded_at)} by {exclusion.recorded_by}",
            f"{when(exclusion.lifted_at)} {exclusion.lift_reason}".strip(),
        )

    assessment = document.section("Assessment: strengths and needs", columns=["Area", "Strengths", "Needs"])
    for entry in caf.assessment_entries.all():
        assessment.row(entry.sub_domain.name, free(entry.strengths), free(entry.needs))
    views = document.section("Views")
    family_caf = caf.kind == Caf.Kind.FAMILY or any(other_child(link.child_id) for link in caf.caf_children.all())
    views.answers.append(
        ("The child's views", Answer(caf.views_of_child, family_caf or parties.named_in(caf.views_of_child)))
    )
    views.answers.append(
        (
            "The views of the parents and carers",
            Answer(caf.views_of_family, bool(caf.views_of_family) and not subject.adult_name),
        )
    )

    plan = document.section("Delivery plan", columns=["Need", "Action", "Agency", "Who", "By", "Status", "Outcome"])
    for action in sorted(caf.actions.all(), key=lambda action: (action.due_on, action.pk)):
        plan.row(
            free(action.need),
            free(action.action),
            action.agency,
            action.owner or "",
            _day(action.due_on),
            action.get_status_display(),
            free(action.outcome),
        )

    for review in caf.reviews.all():
        section = document.section(f"Review held on {_day(review.held_on)}", columns=["Action", "Progress", "Note"])
        section.answer("Decision", review.get_decision_display())
        section.answer("Who attended", ", ".join(str(person) for person in review.attendees.all()))
        section.answers.append(
            ("Family members who took part", Answer(review.family_attendees, bool(review.family_attendees)))
        )
        section.answers.append(("Summary", free(review.summary)))
        section.answer("Next review", _day(review.next_review_on))
        section.answer("Recorded", f"{when(review.recorded_at)} by {review.recorded_by}")
        for progress in review.progress.all():
            section.row(free(progress.action.action), progress.get_status_display(), free(progress.note))

    team = document.section("Team Around the Family", columns=["Who", "Agency", "Role", "Joined", "Left"])
    for member in sorted(caf.taf_members.all(), key=lambda member: (member.joined_at, member.pk)):
        team.row(member.user, member.agency, member.role, when(member.joined_at), when(member.left_at))
    leads = document.section("Lead professionals", columns=["Who", "From", "To", "Social-work led"])
    for lead in sorted(caf.lead_professionals.all(), key=lambda lead: (lead.started_at, lead.pk)):
        leads.row(lead.user, when(lead.started_at), when(lead.ended_at), lead.social_work_led)
    _sharing_sections(document, caf, free)
    drafts_section(document, drafts)
    return document


def _sharing_sections(document: RecordDocument, caf: Caf, free: Callable[[str], Answer]) -> None:
    """The decisions to share without consent or not to share, and the exceptions to the family's
    exclusions, each with its basis."""
    shared = document.section(
        "Decisions about sharing without consent",
        columns=["Decision", "Agency", "Basis or why not", "Asked by", "What", "Why", "Recorded"],
    )
    for decision in caf.sharing_decisions.all():
        shared.row(
            decision.get_decision_display(),
            decision.agency,
            decision.get_basis_display() if decision.basis else decision.get_why_not_display(),
            decision.asked_by,
            free(decision.what),
            free(decision.reason),
            f"{when(decision.recorded_at)} by {decision.recorded_by}",
        )
    excepted = document.section(
        "Shared despite the family's exclusion", columns=["Who", "Basis", "Why", "Recorded", "Until"]
    )
    for exception in caf.exclusion_exceptions.all():
        excepted.row(
            exception.agency or exception.user,
            exception.get_basis_display(),
            free(exception.reason),
            f"{when(exception.recorded_at)} by {exception.recorded_by}",
            when(exception.ended_at),
        )
