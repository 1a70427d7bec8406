"""Demo data: made-up councils with localities, agencies and one user per role, the threshold
models, then each app's own demo (caf.demo, referrals.demo). It lives in home, the top layer,
because it composes every app (Settled question 14).

Idempotent: it creates what is missing and leaves what is there (a changed password stays changed).
"""

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import Group
from django.db import transaction

from accounts.models import Agency, AgencyType, LocalAuthority, Locality, Role, User
from accounts.roles import roles_sync
from caf.demo import caf_demo_load
from referrals.demo import referrals_demo_load
from thresholds.models import ThresholdModel
from thresholds.services import reference_models_load, threshold_model_draft_start, threshold_model_publish

DEMO_PASSWORD = "demo-caf-password"

DEMO_COUNCILS = [
    {
        "name": "Northbridge Borough Council",
        "slug": "northbridge",
        "child_population": 52_400,
        "front_door_phone": "01632 960 000",
        "out_of_hours_phone": "01632 960 999",
        # The out-of-hours social workers open a record they cannot see with break-glass (issue 15).
        "break_glass_roles": [Role.SOCIAL_WORKER.value],
        "localities": ["North", "Central", "South"],
        "agencies": [
            ("Oakfield Primary School", AgencyType.SCHOOL, "North"),
            ("Riverside Academy", AgencyType.SCHOOL, "Central"),
            ("Little Acorns Nursery", AgencyType.EARLY_YEARS, "South"),
            ("Northbridge Children's Centre", AgencyType.CHILDRENS_CENTRE, "Central"),
            ("Health Visiting Team North", AgencyType.HEALTH_VISITING, "North"),
            ("School Nursing Service", AgencyType.SCHOOL_NURSING, None),
            ("Hill Street Surgery", AgencyType.GP, "South"),
            ("Northbridge Neighbourhood Policing", AgencyType.POLICE, None),
            ("Children's Social Care Front Door", AgencyType.CHILDRENS_SOCIAL_CARE, None),
            ("Early Help Hub", AgencyType.EARLY_HELP, None),
            ("Northbridge Youth Service", AgencyType.YOUTH_SERVICE, None),
            ("Northbridge Homes", AgencyType.HOUSING, None),
            ("Family Lives Northbridge", AgencyType.VOLUNTARY, None),
            ("Child and Adolescent Mental Health Service", AgencyType.CAMHS, None),
        ],
    },
    {
        "name": "Southmoor District Council",
        "slug": "southmoor",
        "child_population": 18_900,
        "front_door_phone": "01632 961 000",
        "out_of_hours_phone": "",
        "break_glass_roles": [],
        "localities": ["Southmoor"],
        "agencies": [("Southmoor High School", AgencyType.SCHOOL, "Southmoor")],
    },
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    job_title: str
    agency: str
    council_slug: str
    role: Role


DEMO_USERS = [
    DemoUser(
        "practitioner@demo.example",
        "Priya Shah",
        "Designated safeguarding lead",
        "Oakfield Primary School",
        "northbridge",
        Role.PRACTITIONER,
    ),
    DemoUser(
        "health.visitor@demo.example",
        "Hannah Okoro",
        "Health visitor",
        "Health Visiting Team North",
        "northbridge",
        Role.PRACTITIONER,
    ),
    DemoUser(
        "caf.admin@demo.example",
        "Colin Adeyemi",
        "Early help coordinator",
        "Early Help Hub",
        "northbridge",
        Role.CAF_ADMINISTRATOR,
    ),
    DemoUser(
        "social.care.manager@demo.example",
        "Sarah Mitchell",
        "Front door team manager",
        "Children's Social Care Front Door",
        "northbridge",
        Role.SOCIAL_CARE_MANAGER,
    ),
    DemoUser(
        "social.worker@demo.example",
        "Sam Whitfield",
        "Social worker",
        "Children's Social Care Front Door",
        "northbridge",
        Role.SOCIAL_WORKER,
    ),
    DemoUser(
        "council.admin@demo.example",
        "Chris Patel",
        "Early help systems officer",
        "Early Help Hub",
        "northbridge",
        Role.COUNCIL_ADMINISTRATOR,
    ),
    DemoUser(
        "other.council@demo.example",
        "Olivia Brennan",
        "Designated safeguarding lead",
        "Southmoor High School",
        "southmoor",
        Role.PRACTITIONER,
    ),
]


@transaction.atomic
def demo_load() -> list[DemoUser]:
    """Create the demo councils, localities, agencies and users that are missing."""
    roles_sync()
    for spec in DEMO_COUNCILS:
        council, _ = LocalAuthority.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name": spec["name"],
                "child_population": spec["child_population"],
                "front_door_phone": spec["front_door_phone"],
                "out_of_hours_phone": spec["out_of_hours_phone"],
                "break_glass_roles": cast(list[str], spec["break_glass_roles"]),
            },
        )
        localities = {
            name: Locality.objects.get_or_create(council=council, name=name)[0] for name in spec["localities"]
        }
        for name, agency_type, locality in spec["agencies"]:
            Agency.objects.get_or_create(
                council=council,
                name=name,
                defaults={"agency_type": agency_type, "locality": localities.get(locality) if locality else None},
            )
    for demo_user in DEMO_USERS:
        if User.objects.filter(email=demo_user.email).exists():
            continue
        agency = Agency.objects.get(council__slug=demo_user.council_slug, name=demo_user.agency)
        user = User.objects.create_user(
            demo_user.email,
            DEMO_PASSWORD,
            full_name=demo_user.full_name,
            job_title=demo_user.job_title,
            agency=agency,
            is_staff=demo_user.role == Role.COUNCIL_ADMINISTRATOR,
        )
        user.groups.add(Group.objects.get(name=demo_user.role))
    _demo_threshold_models()
    caf_demo_load()
    referrals_demo_load()
    _demo_escalation()
    return DEMO_USERS


def _demo_escalation() -> None:
    """Overdue reviews in the demo council escalate to its CAF administrator, as the Early Help Hub's
    manager and as the council's early help lead. Set only while empty: a change made since stays."""
    caf_administrator = User.objects.filter(email="caf.admin@demo.example").first()
    if caf_administrator is None:
        return
    LocalAuthority.objects.filter(slug="northbridge", early_help_lead__isnull=True).update(
        early_help_lead=caf_administrator
    )
    Agency.objects.filter(council__slug="northbridge", name="Early Help Hub", manager__isnull=True).update(
        manager=caf_administrator
    )


def _demo_threshold_models() -> None:
    """The six councils' published models from the source documents; each demo council starts
    from a copy of Leicestershire's (a council may start from a neighbour's model)."""
    reference_models_load()
    leicestershire = ThresholdModel.objects.published().get(council__slug="leicestershire")
    for council in LocalAuthority.objects.filter(slug__in=[spec["slug"] for spec in DEMO_COUNCILS]):
        if not ThresholdModel.objects.filter(council=council).exists():
            draft = threshold_model_draft_start(user=None, council=council, copy_from=leicestershire)
            threshold_model_publish(user=None, threshold_model=draft)
