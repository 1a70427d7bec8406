"""The permission matrix (issue 11's proof; Settled question 27): every URL pattern x every relation
to the record x GET and POST, each cell asserting the allowed status or the refusal written by hand
in tests/permission_matrix.py (never computed from the policies it tests).

One scene, built through the services, serves every cell; one test per section of the table builds
it once and runs every cell of its groups, each in a savepoint rolled back afterwards, and fails
with a readable list of every cell that disagrees. A URL pattern without an entry in the table
fails `test_every_url_pattern_has_an_entry`.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
import time_machine
from django.core import signing
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import AgencyType, Notification, Role
from accounts.notifications import notification_record
from accounts.services import EMAIL_CHANGE_SALT, user_email_change_request
from caf import services
from caf.models import (
    AccessLog,
    BreakGlass,
    Caf,
    CafChild,
    Consent,
    ExclusionException,
    FamilyExclusion,
    LeadProfessionalAssignment,
    PlanAction,
    PossibleDuplicate,
    Review,
    SubjectAccessRequest,
    TeamAroundFamilyMember,
)
from referrals import services as referral_services
from referrals.models import Referral, StepDown
from tests.caf_helpers import active_caf
from tests.factories import AgencyFactory, UserFactory
from tests.permission_matrix import (
    BEFORE_REFERRAL,
    GROUPS,
    IMPOSSIBLE,
    METHODS,
    PUBLIC,
    RELATIONS,
    REPRESENTATIVES,
    ROLE_ONLY,
    SKIPPED_PREFIXES,
    URLS,
    expectations,
)
from thresholds.models import PolicyCase
from thresholds.services import (
    policy_case_save,
    reference_models_load,
    threshold_model_draft_start,
    threshold_model_publish,
)

CONSENT_ON = date(2026, 11, 2)
SECTIONS = sorted({section for section, _ in GROUPS.values()})
# What a refused POST must leave alone: every row and column of these tables.
WATCHED = (
    Caf,
    CafChild,
    Consent,
    TeamAroundFamilyMember,
    LeadProfessionalAssignment,
    PlanAction,
    Review,
    Referral,
    StepDown,
    FamilyExclusion,
    ExclusionException,
    SubjectAccessRequest,
)
CELLS_RUN: dict[str, dict[str, int]] = {}
# Allowed POSTs that redirected and changed the records (each in its rolled-back savepoint): proof that
# the fingerprint sees a change.
CHANGES_SEEN = [0]


# The URL configuration ----------------------------------------------------------------------------


def url_patterns(resolver: URLResolver | None = None, prefix: str = "", namespace: str = ""):
    """(namespace:name, route) of every URL pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = ":".join(part for part in (namespace, pattern.name or "") if part) if pattern.name else None
            yield name or f"<unnamed {route}>", route


def test_every_url_pattern_has_an_entry():
    """A new URL without an entry in the table fails here; so does an entry for a URL that is gone."""
    found = {name: route for name, route in url_patterns() if not route.startswith(SKIPPED_PREFIXES)}
    listed = set(URLS) | set(PUBLIC)
    missing = sorted(f"{name} ({found[name]})" for name in set(found) - listed)
    stale = sorted(set(listed) - set(found))
    assert not missing, f"URL patterns with no entry in tests/permission_matrix.py: {missing}"
    assert not stale, f"Entries in tests/permission_matrix.py for URL patterns that no longer exist: {stale}"
    assert not set(URLS) & set(PUBLIC)


def test_the_table_is_whole():
    """Every group has a GET and a POST row, is used by a URL, and every "--" is listed as impossible."""
    rows = expectations()
    used = {entry[1] for entries in URLS.values() for entry in entries}
    assert set(GROUPS) == used == {group for group, _ in rows}
    for group in GROUPS:
        for method in METHODS:
            row = rows[(group, method)]
            assert row["ANO"] == "in", f"{group} {method}: anonymous visitors are sent to sign in"
            for relation, token in row.items():
                assert (token == "--") == ((group, relation) in IMPOSSIBLE), (group, method, relation)
                assert token != "." or group in ROLE_ONLY, f"{group} is about a record: every relation runs"
                assert token != "." or relation not in REPRESENTATIVES, f"{group} {method}: {relation} runs"


def test_public_pages_answer_anonymous_visitors():
    client = Client()
    for name, (method, kwargs, status) in PUBLIC.items():
        path = reverse(name, kwargs=kwargs)
        response = client.get(path) if method == "GET" else client.post(path)
        assert response.status_code == status, (name, response.status_code)


# The scene ------------------------------------------------------------------------------------------


@dataclass
class Person:
    user: Any
    client: Client


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _send(user, referral):
    return referral_services.referral_send(
        user=user,
        referral=referral,
        concern="Jayden came to school hungry, with a bruise on his arm.",
        consent=referral_services.CONSENT_GIVEN,
        consent_given_by="Kelly Smith",
        consent_relationship="mother",
        consent_given_on=CONSENT_ON,
    )


@pytest.fixture
def scene(
    council,
    other_council,
    school,
    health_visiting,
    police,
    early_help_hub,
    social_care,
    school_practitioner,
    school_colleague,
    health_visitor,
    health_colleague,
    police_officer,
    caf_admin,
    council_admin,
    social_care_manager,
    social_worker,
    other_council_user,
    other_council_admin,
    child,
    request,
):
    """Everything but what happens once the referral is sent (`advance` does that)."""
    section = getattr(request.node, "callspec", None) and request.node.callspec.params.get("section")
    # Northbridge's published threshold model: a copy of Leicestershire's (the only one loaded).
    leicestershire = reference_models_load(only=["leicestershire"])[0]
    model = threshold_model_publish(
        user=None,
        threshold_model=threshold_model_draft_start(user=None, council=council, copy_from=leicestershire),
    )

    youth = AgencyFactory(council=council, name="Northbridge Youth Service", agency_type=AgencyType.YOUTH_SERVICE)
    family_support = AgencyFactory(council=council, name="Family Support North", agency_type=AgencyType.VOLUNTARY)
    school_nursing = AgencyFactory(council=council, name="School Nursing", agency_type=AgencyType.SCHOOL_NURSING)
    mediation = AgencyFactory(council=council, name="Family Mediation", agency_type=AgencyType.VOLUNTARY)
    practitioner = [Role.PRACTITIONER]
    youth_worker = UserFactory(full_name="Yusuf Youth", agency=youth, roles=practitioner)
    lead = UserFactory(full_name="Lena Lead", agency=family_support, roles=practitioner)
    former_lead = UserFactory(full_name="Fran Former", agency=school_nursing, roles=practitioner)
    excluded_person = UserFactory(full_name="Eddie Excluded", agency=school, roles=practitioner)
    mediator = UserFactory(full_name="Mo Mediator", agency=mediation, roles=practitioner)
    excluded_admin = UserFactory(full_name="Xena Coordinator", agency=early_help_hub, roles=[Role.CAF_ADMINISTRATOR])

    # The closed CAF: the initiator's, the health visitor a member, Lena its last lead professional.
    closed = active_caf(school_practitioner, child, health_visiting, family_support)
    services.taf_member_add(user=caf_admin, caf=closed, member=health_visitor, role="Health visitor")
    services.taf_member_add(user=caf_admin, caf=closed, member=lead, role="Family support worker")
    services.lead_professional_assign(user=caf_admin, caf=closed, lead=lead)
    services.caf_close(user=lead, caf=closed, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back to 96%.")
    # The same, closed 13 months ago: past the council's 12 months of read access (Settled question 12).
    back_then = timezone.now() - timedelta(days=400)
    with time_machine.travel(back_then, tick=False):
        long_closed = active_caf(
            school_practitioner, child, health_visiting, family_support, given_on=timezone.localdate(back_then)
        )
        services.taf_member_add(user=caf_admin, caf=long_closed, member=health_visitor, role="Health visitor")
        services.taf_member_add(user=caf_admin, caf=long_closed, member=lead, role="Family support worker")
        services.lead_professional_assign(user=caf_admin, caf=long_closed, lead=lead)
        services.caf_close(user=lead, caf=long_closed, reason=Caf.ClosureReason.NEEDS_MET, summary="Needs met.")

    # The CAF without a lead professional: the initiator's, the health visitor a member.
    no_lead = active_caf(school_practitioner, child, health_visiting)
    services.taf_member_add(user=school_practitioner, caf=no_lead, member=health_visitor, role="Health visitor")

    # The active CAF.
    caf = active_caf(school_practitioner, child, health_visiting, youth, family_support, school_nursing, mediation)
    for member, role in [
        (health_visitor, "Health visitor"),
        (youth_worker, "Youth worker"),
        (former_lead, "School nurse"),
        (lead, "Family support worker"),
        (excluded_person, "Teaching assistant"),
        (mediator, "Mediator"),
    ]:
        services.taf_member_add(user=caf_admin, caf=caf, member=member, role=role)
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=former_lead)
    action = services.plan_action_add(
        user=former_lead,
        caf=caf,
        need="Sleep",
        action="A bedtime routine with the family",
        agency=health_visiting,
        owner=health_visitor,
        due_on=date(2027, 1, 15),
    )
    # A second record of Jayden, made by the initiator: the pair is queued as a possible duplicate.
    second_record = services.child_create(
        user=school_practitioner, first_name="Jaiden", last_name="Smith", date_of_birth=child.date_of_birth
    )
    pair = PossibleDuplicate.objects.get(child_a=child, child_b=second_record)
    # Referral R: started by the lead professional of the time, with the CAF attached; sent in `advance`.
    referral = referral_services.referral_start(user=former_lead, children=[child], caf=caf)
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=lead)
    today = timezone.localdate()
    services.review_record(
        user=lead,
        caf=caf,
        held_on=today,
        attendees=[lead, health_visitor],
        summary="Routines are settling.",
        progress=[(action, PlanAction.Status.IN_PROGRESS, "Started")],
        decision=Review.Decision.CONTINUE,
        next_review_on=today + timedelta(weeks=6),
    )
    services.taf_member_remove(user=caf_admin, membership=caf.taf_members.get(user=youth_worker))
    services.exclusion_record(
        user=caf_admin, caf=caf, made_by="Kelly Smith", people=[excluded_person, excluded_admin], agencies=[mediation]
    )

    # Subject access requests (issue 15): about Jayden, and about his mother, who gave consent.
    subject_access = services.subject_access_request_start(
        user=caf_admin, child=child, requested_by="Kelly Smith", requested_on=timezone.localdate()
    )
    adult_subject_access = services.subject_access_request_start(
        user=caf_admin, adult_name="Kelly Smith", requested_by="Kelly Smith", requested_on=timezone.localdate()
    )

    # A use of break-glass on Jayden's record by a duty officer of the police (no relation of the matrix's),
    # waiting for review (issue 15): the council names no manager and no early help lead, so its CAF
    # administrators review it.
    break_glass = BreakGlass.objects.create(
        council=child.council,
        child=child,
        user=UserFactory(full_name="Dana Duty", agency=police, roles=practitioner),
        reason="Found at the station at night",
        ends_at=timezone.now() + timedelta(hours=3),
    )

    # The draft CAF: the initiator's, for the same child (the family's exclusions come with it).
    draft = services.caf_start(user=school_practitioner, children=[child])

    # Not the CAFs': a notification of the CAF administrator's, an e-mail change link of the health
    # visitor's, and a draft threshold model of the council with a policy case.
    notification = notification_record(
        recipient=caf_admin,
        kind=Notification.Kind.NO_LEAD_PROFESSIONAL,
        subject_key="matrix",
        title="A CAF needs a lead professional",
        body="Log the lead professional the team agrees.",
    )
    change = user_email_change_request(
        user=health_visitor, new_email="hannah.okoro@nhs.example", requested_by=council_admin
    )
    threshold_ids = {}
    if section in (None, GROUPS["council admin: a version"][0]):  # copying a model takes a while
        threshold_draft = threshold_model_draft_start(user=None, council=council)
        level = threshold_draft.levels.order_by("order").first()
        policy_case = policy_case_save(
            user=None,
            case=PolicyCase(threshold_model=threshold_draft, name="Truanting only", age=10, expected_level=level),
            indicators=list(threshold_draft.indicators.filter(text="Occasional truanting or non-attendance")),
        )
        threshold_ids = {
            "threshold_draft": threshold_draft.pk,
            "level": level.pk,
            "indicator": threshold_draft.indicators.order_by("pk").first().pk,
            "rule": threshold_draft.rules.order_by("pk").first().pk,
            "policy_case": policy_case.pk,
        }

    people = {
        "INI": school_practitioner,
        "MEM": health_visitor,
        "MAG": health_colleague,
        "FMB": youth_worker,
        "LPR": lead,
        "FLP": former_lead,
        "SAG": school_colleague,
        "XPE": excluded_person,
        "XAG": mediator,
        "XAD": excluded_admin,
        "OAG": police_officer,
        "CAD": caf_admin,
        "CNA": council_admin,
        "SMb": social_care_manager,
        "SWb": social_worker,
        "SMa": social_care_manager,
        "SWa": social_worker,
        "OCU": other_council_user,
        "OCA": other_council_admin,
    }
    clients: dict[int, Client] = {}
    persons = {"ANO": Person(None, Client())}
    for relation, user in people.items():
        if user.pk not in clients:
            clients[user.pk] = _signed_in(user)
        persons[relation] = Person(user, clients[user.pk])

    ids = {
        "caf": caf.pk,
        "draft": draft.pk,
        "no_lead": no_lead.pk,
        "closed": closed.pk,
        "long_closed": long_closed.pk,
        "child": child.pk,
        "caf_child": caf.caf_children.get().pk,
        "draft_caf_child": draft.caf_children.get().pk,
        "consent": Consent.objects.current().filter(caf=caf).get().pk,
        "closed_consent": Consent.objects.current().filter(caf=closed).get().pk,
        "exclusion": FamilyExclusion.objects.get(caf=caf, user=excluded_person, lifted_at__isnull=True).pk,
        "membership": caf.taf_members.get(user=health_visitor, left_at__isnull=True).pk,
        "action": action.pk,
        "referral": referral.pk,
        "notification": notification.pk,
        "pair": pair.pk,
        "subject_access": subject_access.pk,
        "adult_subject_access": adult_subject_access.pk,
        "break_glass": break_glass.pk,
        "adult_name": "Kelly Smith",
        "email_token": signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).sign(str(change.pk)),
        "published_model": model.pk,
        **threshold_ids,
    }

    def advance() -> None:
        """Referral R is sent; a second referral from the CAF is decided as a step-down (S)."""
        _send(former_lead, referral)
        second = _send(lead, referral_services.referral_start(user=lead, children=[child], caf=caf))
        referral_services.referral_decide(
            user=social_care_manager,
            referral=second,
            decision=Referral.Decision.STEP_DOWN,
            reasons="The threshold for social care is not met; early help can meet the needs.",
            step_down={
                "open_needs": "School attendance; the mother's low mood.",
                "social_worker_summary": "Mother engaged well with the duty social worker.",
                "consent_given_by": "Kelly Smith",
                "consent_relationship": "mother",
                "consent_given_on": CONSENT_ON,
                "consent_method": "verbal",
                "consent_agencies": [health_visiting],
            },
        )
        ids["step_down"] = second.step_downs.get().pk

    return {"persons": persons, "ids": ids, "advance": advance}


# Running the cells -----------------------------------------------------------------------------------


def _fingerprint() -> str:
    """Every row of the watched tables, in one query: any insert, delete or update changes it."""
    # The table names come from the models, never from input.
    tables = [connection.ops.quote_name(model._meta.db_table) for model in WATCHED]
    each = "(SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t.id)), '') FROM {} t)"
    sql = "SELECT " + " || ".join(each.format(table) for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return hashlib.sha1(cursor.fetchone()[0].encode(), usedforsecurity=False).hexdigest()


def _outcome(response) -> str:
    if response.status_code == 302 and urlparse(response["Location"]).path == reverse("login"):
        return "in"
    return str(response.status_code)


def _matches(expected: str, actual: str) -> bool:
    return actual in ("200", "302") if expected == "ok" else actual == expected


def _path(name: str, kwargs: dict[str, str], query: dict[str, str], ids: dict[str, Any]) -> str:
    path = reverse(name, kwargs={key: ids[value] for key, value in kwargs.items()})
    if query:
        path += "?" + urlencode({key: ids[value] for key, value in query.items()})
    return path


def _run_cell(person: Person, method: str, path: str, expected: str, logs_refusals: bool, baseline: dict) -> list[str]:
    """One request in a savepoint rolled back afterwards, so every cell starts from the same records
    (`baseline["records"]`) and every access log row after `baseline["log"]` is this request's.
    What is wrong with it, if anything."""
    problems = []
    with transaction.atomic():
        response = person.client.get(path) if method == "GET" else person.client.post(path, {})
        actual = _outcome(response)
        if not _matches(expected, actual):
            problems.append(f"expected {expected}, got {actual}")
        if method == "POST":
            changed = _fingerprint() != baseline["records"]
            if actual != "302" and changed:
                problems.append(f"the POST answered {actual} but changed the records")
            CHANGES_SEEN[0] += actual == "302" and changed
        if actual in ("403", "404") and person.user is not None and logs_refusals:
            logged = AccessLog.objects.filter(
                pk__gt=baseline["log"], user=person.user, action=AccessLog.Action.REFUSED
            ).exists()
            if not logged:
                problems.append(f"{actual} without a 'refused' row in the access log")
        transaction.set_rollback(True)
    return problems


def _run(section: str, relations: tuple[str, ...], scene: dict, rows: dict, failures: list) -> dict[str, int]:
    count = dict.fromkeys(METHODS, 0)
    baseline = {
        "records": _fingerprint(),
        "log": AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }
    for name, entries in URLS.items():
        for variant, group, kwargs, query in entries:
            if GROUPS[group][0] != section:
                continue
            cells = [
                (method, relation, rows[(group, method)][relation])
                for method in METHODS
                for relation in relations
                if rows[(group, method)][relation] not in ("--", ".")
            ]
            if not cells:
                continue
            path = _path(name, kwargs, query, scene["ids"])
            for method, relation, expected in cells:
                count[method] += 1
                person = scene["persons"][relation]
                for problem in _run_cell(person, method, path, expected, GROUPS[group][1], baseline):
                    label = f"{name}[{variant}]" if variant else name
                    failures.append((group, label, path, relation, method, problem))
    return count


def _table(failures: list[tuple[str, ...]]) -> str:
    header = ("group", "URL", "path", "relation", "method", "problem")
    widths = [max(len(row[column]) for row in [header, *failures]) for column in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *failures]
    )


@pytest.fixture
def quiet_requests():
    """Django logs every 403 and 404 with its traceback: thousands here, and slow to format."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("section", SECTIONS)
def test_permission_matrix(section, scene, quiet_requests):
    rows = expectations()
    failures: list[tuple[str, ...]] = []
    before = _run(section, BEFORE_REFERRAL, scene, rows, failures)
    scene["advance"]()
    after = _run(section, tuple(r for r in RELATIONS if r not in BEFORE_REFERRAL), scene, rows, failures)
    CELLS_RUN[section] = {method: before[method] + after[method] for method in METHODS}
    run = sum(CELLS_RUN[section].values())
    print(f"\n{section}: {run} cells run ({CELLS_RUN[section]})")
    assert not failures, f"{len(failures)} problems in the {run} cells run, against the README:\n{_table(failures)}"


def test_cells_run_summary():
    """Runs last: the number of cells the sections above ran in this session (pytest -s shows it)."""
    by_method = {method: sum(counts[method] for counts in CELLS_RUN.values()) for method in METHODS}
    print(f"\npermission matrix: {sum(by_method.values())} cells run {by_method}, sections: {CELLS_RUN}")
    if len(CELLS_RUN) == len(SECTIONS):
        assert CHANGES_SEEN[0] > 0, "no allowed POST changed the records: the fingerprint sees nothing"
