"""Demo families and CAFs in Northbridge, one in every state, made through caf.services only (so
the demo has the same grants, history and access log as real use).

Idempotent: nothing happens once Northbridge has children. Called at the end of home.demo.demo_load.
"""

from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from accounts.calendar import WorkingCalendar
from accounts.models import Agency, LocalAuthority, User
from caf import services
from caf.models import Adult, Caf, Child, ReviewDateChange
from thresholds.models import ThresholdModel

COUNCIL = "northbridge"
GIVEN_ON = date(2026, 11, 2)


def _user(email: str) -> User:
    return User.objects.get(email=email)


def _agency(name: str) -> Agency:
    return Agency.objects.get(council__slug=COUNCIL, name=name)


def _family(
    user: User, children: list[dict[str, Any]], adults: list[dict[str, Any]], address: str, postcode: str
) -> tuple[list[Child], list[Adult]]:
    recorded = [
        services.child_create(user=user, address=address, postcode=postcode, **child_fields)
        for child_fields in children
    ]
    household = services.household_record(
        user=user, child=recorded[0], adults=[{"address": address, **adult} for adult in adults]
    )
    return recorded, household


def _consent(caf: Caf, user: User, given_by: str, relationship: str, *agencies: Agency) -> None:
    services.consent_record(
        user=user,
        caf=caf,
        agencies=agencies,
        given_by=given_by,
        relationship=relationship,
        given_on=GIVEN_ON,
        method="signed_form",
        explained_storage=True,
        explained_sharing=True,
        copy_to=given_by,
    )


def _assess(caf: Caf, user: User, strengths: str, needs: str, views_of_child: str = "") -> None:
    sub_domain = caf.threshold_model.indicators.order_by("pk").first().sub_domain_id
    services.assessment_save(
        user=user,
        caf=caf,
        entries={sub_domain: (strengths, needs)},
        views_of_child=views_of_child,
        views_of_family="They want help now, before things get harder.",
    )


def _levels(caf: Caf, user: User, *indicator_texts: str, set_level: bool = True) -> None:
    """Choose the indicators for every child of the CAF, then the suggested level."""
    indicators = list(caf.threshold_model.indicators.filter(text__in=indicator_texts))
    for caf_child in caf.caf_children.select_related("child"):
        services.child_indicators_set(user=user, caf_child=caf_child, indicators=indicators)
        caf_child.refresh_from_db()
        if set_level:
            level = caf_child.suggested_level or caf.threshold_model.levels.get(code="2")
            services.child_level_set(user=user, caf_child=caf_child, level=level)


def _active(
    user: User,
    children: list[Child],
    adults: list[Adult],
    given_by: str,
    indicators: tuple[str, ...],
    *agencies: Agency,
) -> Caf:
    caf = services.caf_start(user=user, children=children, adults=adults)
    _consent(caf, user, given_by, "mother", *agencies)
    _assess(caf, user, "Warm relationship with mum; enjoys school clubs", "Attendance has dropped this term")
    _levels(caf, user, *indicators)
    return services.caf_submit(user=user, caf=caf)


@transaction.atomic
def caf_demo_load() -> list[Caf] | None:
    """Families and CAFs in every state for the demo council. Returns the CAFs made (None if the
    demo council already has children, or does not exist yet)."""
    council = LocalAuthority.objects.filter(slug=COUNCIL).first()
    if council is None or Child.objects.filter(council=council).exists():
        return None
    if not ThresholdModel.objects.published().filter(council=council).exists():
        return None
    today = timezone.localdate()
    calendar = WorkingCalendar.for_council(council)
    priya = _user("practitioner@demo.example")
    hannah = _user("health.visitor@demo.example")
    colin = _user("caf.admin@demo.example")
    sam = _user("social.worker@demo.example")
    health_visiting = _agency("Health Visiting Team North")
    social_care = _agency("Children's Social Care Front Door")
    family_lives = _agency("Family Lives Northbridge")
    truanting = "Occasional truanting or non-attendance"
    behaviour = "Parents request advice to manage their child's behaviour"
    overcrowding = "Overcrowding"
    cafs = []

    # A pair of duplicates, for the merge demo: the same child recorded twice with two spellings.
    _family(
        priya,
        [{"first_name": "Jayden", "last_name": "Smith", "date_of_birth": date(2016, 5, 4), "sex": "male"}],
        [{"full_name": "Kelly Smith", "relationship": "mother", "parental_responsibility": True}],
        "14 Mill Lane\nNorthbridge",
        "NB1 2AB",
    )
    _family(
        hannah,
        [{"first_name": "Jaden", "last_name": "Smith", "date_of_birth": date(2016, 5, 4), "sex": "male"}],
        [],
        "14 Mill Lane\nNorthbridge",
        "NB1 2AB",
    )

    # A draft without consent yet.
    (amelia,), adults = _family(
        priya,
        [{"first_name": "Amelia", "last_name": "Clarke", "date_of_birth": date(2018, 9, 12), "sex": "female"}],
        [
            {
                "full_name": "Joanne Clarke",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900101",
            }
        ],
        "3 Orchard Close\nNorthbridge",
        "NB2 4CD",
    )
    cafs.append(services.caf_start(user=priya, children=[amelia], adults=adults))

    # A draft with consent and a partly done assessment (indicators chosen, no level yet).
    (noah,), adults = _family(
        priya,
        [
            {
                "first_name": "Noah",
                "last_name": "Patel",
                "date_of_birth": date(2017, 2, 20),
                "sex": "male",
                "first_language": "Gujarati",
                "interpreter_needed": True,
                "nhs_number": "9434765919",
            }
        ],
        [{"full_name": "Anjali Patel", "relationship": "mother", "parental_responsibility": True}],
        "27 Station Road\nNorthbridge",
        "NB1 7EF",
    )
    caf = services.caf_start(user=priya, children=[noah], adults=adults)
    _consent(caf, priya, "Anjali Patel", "mother", health_visiting)
    _assess(caf, priya, "Reads well; close to his grandmother", "Often late; tired in class")
    _levels(caf, priya, truanting, set_level=False)
    cafs.append(caf)

    # Active, waiting for the CAF administrator to register it and log the lead professional.
    (lily,), adults = _family(
        priya,
        [
            {
                "first_name": "Lily",
                "last_name": "Evans",
                "date_of_birth": date(2015, 11, 30),
                "sex": "female",
                "send": True,
            }
        ],
        [{"full_name": "Rachel Evans", "relationship": "mother", "parental_responsibility": True}],
        "8 Canal Street\nNorthbridge",
        "NB3 1GH",
    )
    cafs.append(_active(priya, [lily], adults, "Rachel Evans", (truanting,), family_lives))

    # Active and registered: Priya is lead professional, the health visitor is in the TAF, the plan has actions.
    (oliver,), adults = _family(
        priya,
        [{"first_name": "Oliver", "last_name": "Brown", "date_of_birth": date(2019, 4, 2), "sex": "male"}],
        [
            {
                "full_name": "Laura Brown",
                "relationship": "mother",
                "parental_responsibility": True,
                "phone": "07700 900202",
            },
            {"full_name": "Mark Jones", "relationship": "mother's partner", "parental_responsibility": False},
        ],
        "52 Queen's Road\nNorthbridge",
        "NB2 8JK",
    )
    caf = _active(priya, [oliver], adults, "Laura Brown", (behaviour,), health_visiting)
    services.caf_register(user=colin, caf=caf, reference="NB-2026-0001")
    services.taf_member_add(user=colin, caf=caf, member=hannah, role="Health visitor")
    services.lead_professional_assign(user=colin, caf=caf, lead=priya)
    services.plan_action_add(
        user=priya,
        caf=caf,
        need="Parents ask for help with Oliver's behaviour at bedtime",
        action="Offer a place on the Incredible Years parenting programme",
        agency=health_visiting,
        owner=hannah,
        due_on=today + timedelta(days=18),
    )
    services.plan_action_add(
        user=priya,
        caf=caf,
        need="Oliver finds the start of the school day hard",
        action="Daily meet and greet with his teaching assistant",
        agency=priya.agency,
        owner=priya,
        due_on=calendar.add_working_days(today, 1),
    )
    # The family asked that the voluntary service they fell out with does not see the assessment:
    # a deny over every grant, shown on the CAF and carried to every later CAF of Oliver's.
    services.exclusion_record(user=priya, caf=caf, made_by="Laura Brown", agencies=[family_lives])
    # The review comes up soon, so `make run` sends its reminders without anyone pressing a button.
    services.review_date_set(
        user=priya,
        caf=caf,
        review_on=calendar.add_working_days(today, 3),
        reason="The family asked to meet before the school holidays",
    )
    cafs.append(caf)

    # A Family CAF for two siblings, started by the health visitor; the social worker joins the TAF.
    (mia, leo), adults = _family(
        hannah,
        [
            {"first_name": "Mia", "last_name": "Wilson", "date_of_birth": date(2021, 6, 15), "sex": "female"},
            {"first_name": "Leo", "last_name": "Wilson", "date_of_birth": date(2025, 10, 1), "sex": "male"},
        ],
        [
            {"full_name": "Sophie Wilson", "relationship": "mother", "parental_responsibility": True},
            {"full_name": "Daniel Wilson", "relationship": "father", "parental_responsibility": True},
        ],
        "Flat 2, 9 Hope Street\nNorthbridge",
        "NB1 3LM",
    )
    caf = _active(hannah, [mia, leo], adults, "Sophie Wilson", (overcrowding,), social_care)
    services.taf_member_add(user=colin, caf=caf, member=sam, role="Social worker")
    services.lead_professional_assign(user=colin, caf=caf, lead=hannah)
    # A review the team missed two working days ago: the demo shows the overdue reminders and, after
    # the council's escalation days, the escalation.
    missed = calendar.subtract_working_days(today, 2)
    Caf.objects.filter(pk=caf.pk).update(next_review_on=missed)
    ReviewDateChange.objects.create(
        caf=caf, review_on=missed, reason="Demo: a review that was missed", changed_by=hannah
    )
    cafs.append(caf)

    # Closed: needs met.
    (ethan,), adults = _family(
        priya,
        [{"first_name": "Ethan", "last_name": "Taylor", "date_of_birth": date(2014, 1, 19), "sex": "male"}],
        [{"full_name": "Michelle Taylor", "relationship": "mother", "parental_responsibility": True}],
        "21 Park View\nNorthbridge",
        "NB3 5NP",
    )
    caf = _active(priya, [ethan], adults, "Michelle Taylor", (truanting,))
    services.caf_close(
        user=colin, caf=caf, reason=Caf.ClosureReason.NEEDS_MET, summary="Attendance is back to 97%: school continues."
    )
    cafs.append(caf)

    # Closed, then reopened as a new episode.
    (grace,), adults = _family(
        priya,
        [{"first_name": "Grace", "last_name": "Hughes", "date_of_birth": date(2016, 8, 8), "sex": "female"}],
        [{"full_name": "Emma Hughes", "relationship": "mother", "parental_responsibility": True}],
        "6 Bridge Street\nNorthbridge",
        "NB2 6QR",
    )
    caf = _active(priya, [grace], adults, "Emma Hughes", (behaviour,))
    services.caf_close(
        user=colin, caf=caf, reason=Caf.ClosureReason.NEEDS_MET, summary="Routines settled at home and school."
    )
    cafs.extend([caf, services.caf_reopen(user=priya, caf=caf)])

    # A draft with a safeguarding override: a referral draft to children's social care.
    (ruby,), adults = _family(
        priya,
        [{"first_name": "Ruby", "last_name": "Green", "date_of_birth": date(2017, 12, 3), "sex": "female"}],
        [{"full_name": "Carl Green", "relationship": "father", "parental_responsibility": True}],
        "40 Hill Street\nNorthbridge",
        "NB3 2ST",
    )
    caf = services.caf_start(user=priya, children=[ruby], adults=adults)
    services.safeguarding_override_record(
        user=priya, caf=caf, reason="Ruby disclosed being hit at home; asking her father would put her at risk."
    )
    cafs.append(caf)

    # An unborn child: the health visitor's draft, due in four months.
    (baby,), adults = _family(
        hannah,
        [
            {
                "first_name": "Baby",
                "last_name": "Harris",
                "expected_date_of_birth": timezone.localdate() + relativedelta(months=4),
            }
        ],
        [{"full_name": "Chloe Harris", "relationship": "mother", "parental_responsibility": True}],
        "11 Elm Grove\nNorthbridge",
        "NB1 9UV",
    )
    cafs.append(services.caf_start(user=hannah, children=[baby], adults=adults))
    return cafs
