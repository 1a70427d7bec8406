"""The generated council: its localities, agencies of the real types, and staff in the real roles,
each in their role's group and their agency's group (caf.permissions.agency_group)."""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Agency, AgencyType, LocalAuthority, Locality, Role, User
from home.scale.copy import Copier
from home.scale.names import ADULT_MEN, ADULT_WOMEN, LOCALITIES, SURNAMES
from thresholds.models import Level, ThresholdModel
from thresholds.services import reference_models_load, threshold_model_draft_start, threshold_model_publish

COUNCIL_NAME = "Generated County Council"
COUNCIL_SLUG = "generated-county"
# Every generated person signs in with this (the benchmark signs people in; never a real system).
SCALE_PASSWORD = "generated-scale-data"

# Agency types as shares of the council's agencies (a county: mostly schools, early years and GPs),
# with each type's job titles; children's social care and early help always have at least one.
AGENCY_MIX: list[tuple[str, float, str, str]] = [
    (AgencyType.CHILDRENS_SOCIAL_CARE, 0.006, "Children's Social Care {place}", "Social worker"),
    (AgencyType.EARLY_HELP, 0.012, "Early Help {place}", "Family support worker"),
    (AgencyType.EARLY_YEARS, 0.13, "{place} {n} Nursery", "Early years practitioner"),
    (AgencyType.GP, 0.11, "{place} Surgery {n}", "GP"),
    (AgencyType.HEALTH_VISITING, 0.025, "Health Visiting {place} {n}", "Health visitor"),
    (AgencyType.SCHOOL_NURSING, 0.012, "School Nursing {place} {n}", "School nurse"),
    (AgencyType.CHILDRENS_CENTRE, 0.035, "{place} Children's Centre {n}", "Family worker"),
    (AgencyType.POLICE, 0.01, "{place} Neighbourhood Policing {n}", "Police officer"),
    (AgencyType.YOUTH_SERVICE, 0.012, "{place} Youth Service {n}", "Youth worker"),
    (AgencyType.HOUSING, 0.01, "{place} Homes {n}", "Housing officer"),
    (AgencyType.VOLUNTARY, 0.04, "Family Lives {place} {n}", "Family support worker"),
    (AgencyType.CAMHS, 0.004, "CAMHS {place} {n}", "Mental health practitioner"),
    (AgencyType.HOSPITAL, 0.004, "{place} General Hospital {n}", "Paediatric nurse"),
    (AgencyType.EDUCATION_WELFARE, 0.004, "Education Welfare {place} {n}", "Education welfare officer"),
    (AgencyType.YOUTH_OFFENDING, 0.004, "Youth Justice {place} {n}", "Youth justice worker"),
]
ROLE_TITLES: dict[str, str] = {
    Role.CAF_ADMINISTRATOR: "Early help coordinator",
    Role.COUNCIL_ADMINISTRATOR: "Early help systems officer",
    Role.SOCIAL_CARE_MANAGER: "Front door team manager",
    Role.SOCIAL_WORKER: "Social worker",
}
SCHOOL_NAME = "{place} {kind} School {n}"
SCHOOL_KINDS = ["Primary", "Primary", "Primary", "Church of England Primary", "Academy", "High", "Infant", "Junior"]


@dataclass
class Staff:
    ids: list[int] = field(default_factory=list)
    agency_of: dict[int, int] = field(default_factory=dict)
    practitioners_by_locality: dict[int, list[int]] = field(default_factory=dict)
    practitioners: list[int] = field(default_factory=list)
    caf_administrators: list[int] = field(default_factory=list)
    social_care_managers: list[int] = field(default_factory=list)
    social_workers: list[int] = field(default_factory=list)
    council_administrators: list[int] = field(default_factory=list)


@dataclass
class County:
    council: LocalAuthority
    levels: list[int]  # level ids of the council's model, lowest first
    threshold_model_id: int
    locality_ids: list[int]
    agency_ids: list[int] = field(default_factory=list)
    agency_locality: dict[int, int | None] = field(default_factory=dict)
    agency_type: dict[int, str] = field(default_factory=dict)
    social_care_agencies: list[int] = field(default_factory=list)
    agency_group: dict[int, int] = field(default_factory=dict)
    staff: Staff = field(default_factory=Staff)


def council_make(*, months_closed_read: int = 12) -> County:
    """The council, its localities and its threshold model (a copy of Leicestershire's, as the demo
    council's), through the ORM: a handful of rows."""
    reference_models_load(only=["leicestershire"])
    council = LocalAuthority.objects.create(
        name=COUNCIL_NAME,
        slug=COUNCIL_SLUG,
        child_population=300_000,
        front_door_phone="01632 970 000",
        out_of_hours_phone="01632 970 999",
        closed_caf_read_months=months_closed_read,
    )
    localities = [Locality.objects.create(council=council, name=name) for name in LOCALITIES]
    leicestershire = ThresholdModel.objects.published().get(council__slug="leicestershire")
    draft = threshold_model_draft_start(user=None, council=council, copy_from=leicestershire)
    model = threshold_model_publish(user=None, threshold_model=draft)
    levels = list(Level.objects.filter(threshold_model=model).order_by("order").values_list("pk", flat=True))
    return County(
        council=council, levels=levels, threshold_model_id=model.pk, locality_ids=[loc.pk for loc in localities]
    )


def agencies_make(county: County, copier: Copier, rng: random.Random, count: int) -> None:
    plan: list[tuple[str, str, str]] = []
    for agency_type, share, pattern, title in AGENCY_MIX:
        wanted = max(1, round(count * share)) if agency_type in _ALWAYS else round(count * share)
        plan += [(agency_type, pattern, title)] * wanted
    plan += [(AgencyType.SCHOOL, SCHOOL_NAME, "Designated safeguarding lead")] * max(1, count - len(plan))
    ids = copier.ids(Agency, len(plan))
    rows = []
    places = [
        (loc_id, place)
        for loc_id, name in zip(county.locality_ids, LOCALITIES, strict=True)
        for place in LOCALITIES[name]
    ]
    for n, (agency_id, (agency_type, pattern, _title)) in enumerate(zip(ids, plan, strict=True)):
        locality_id, place = places[n % len(places)]
        countywide = agency_type in (AgencyType.CHILDRENS_SOCIAL_CARE, AgencyType.EARLY_HELP) and n % 2 == 0
        name = pattern.format(place=place, n=n + 1, kind=rng.choice(SCHOOL_KINDS))
        rows.append((agency_id, county.council.pk, None if countywide else locality_id, name, agency_type))
        county.agency_ids.append(agency_id)
        county.agency_locality[agency_id] = None if countywide else locality_id
        county.agency_type[agency_id] = agency_type
        if agency_type == AgencyType.CHILDRENS_SOCIAL_CARE:
            county.social_care_agencies.append(agency_id)
    copier.copy(Agency, ["id", "council_id", "locality_id", "name", "agency_type"], rows)
    group_ids = copier.ids(Group, len(ids))
    copier.copy(Group, ["id", "name"], [(gid, f"agency:{aid}") for gid, aid in zip(group_ids, ids, strict=True)])
    county.agency_group = dict(zip(ids, group_ids, strict=True))


_ALWAYS = (AgencyType.CHILDRENS_SOCIAL_CARE, AgencyType.EARLY_HELP)


def staff_make(county: County, copier: Copier, rng: random.Random, count: int, *, now: datetime) -> None:
    """Staff in the real roles: CAF administrators and council administrators in early help, social
    care managers and social workers in children's social care, practitioners everywhere else."""
    by_type: dict[str, list[int]] = {}
    for agency_id in county.agency_ids:
        by_type.setdefault(county.agency_type[agency_id], []).append(agency_id)
    early_help = by_type[AgencyType.EARLY_HELP]
    social_care = by_type[AgencyType.CHILDRENS_SOCIAL_CARE]
    others = [a for a in county.agency_ids if county.agency_type[a] != AgencyType.CHILDRENS_SOCIAL_CARE]
    roles: list[tuple[Role, int, str]] = []
    for role, share, minimum in (
        (Role.CAF_ADMINISTRATOR, 0.002, 2),
        (Role.COUNCIL_ADMINISTRATOR, 0.0005, 1),
        (Role.SOCIAL_CARE_MANAGER, 0.004, 2),
        (Role.SOCIAL_WORKER, 0.04, 4),
    ):
        pool = early_help if role in (Role.CAF_ADMINISTRATOR, Role.COUNCIL_ADMINISTRATOR) else social_care
        roles += [(role, pool[i % len(pool)], "") for i in range(max(minimum, round(count * share)))]
    # Practitioners: every agency has some (so each can start CAFs); the rest spread at random.
    practitioner_agencies = others + [rng.choice(others) for _ in range(max(0, count - len(roles) - len(others)))]
    roles += [(Role.PRACTITIONER, agency_id, "") for agency_id in practitioner_agencies]
    ids = copier.ids(User, len(roles))
    password = make_password(SCALE_PASSWORD, salt="generatedscale")
    role_groups = {group.name: group.pk for group in Group.objects.filter(name__in=Role.values)}
    titles = {agency_type: title for agency_type, _, _, title in AGENCY_MIX}
    staff = county.staff
    user_rows, group_rows = [], []
    for user_id, (role, agency_id) in zip(ids, [(r, a) for r, a, _ in roles], strict=True):
        first = rng.choice(ADULT_WOMEN + ADULT_MEN)
        last = rng.choice(SURNAMES)
        title = ROLE_TITLES.get(role) or titles.get(county.agency_type[agency_id], "Designated safeguarding lead")
        joined = now - timedelta(days=rng.randint(30, 3650))
        email = f"{first}.{last}.{user_id}@generated-county.example".lower()
        user_rows.append(
            (
                user_id,
                password,
                False,
                email,
                f"{first} {last}",
                title,
                agency_id,
                True,
                role == Role.COUNCIL_ADMINISTRATOR,
                joined,
            )
        )
        group_rows += [(user_id, role_groups[role.value]), (user_id, county.agency_group[agency_id])]
        staff.ids.append(user_id)
        staff.agency_of[user_id] = agency_id
        {
            Role.PRACTITIONER: staff.practitioners,
            Role.CAF_ADMINISTRATOR: staff.caf_administrators,
            Role.SOCIAL_CARE_MANAGER: staff.social_care_managers,
            Role.SOCIAL_WORKER: staff.social_workers,
            Role.COUNCIL_ADMINISTRATOR: staff.council_administrators,
        }[role].append(user_id)
        if role == Role.PRACTITIONER:
            locality = county.agency_locality[agency_id]
            staff.practitioners_by_locality.setdefault(locality or 0, []).append(user_id)
    copier.copy(
        User,
        [
            "id",
            "password",
            "is_superuser",
            "email",
            "full_name",
            "job_title",
            "agency_id",
            "is_active",
            "is_staff",
            "date_joined",
        ],
        user_rows,
    )
    copier.copy(User.groups.through, ["user_id", "group_id"], group_rows)


def escalation_set(county: County) -> None:
    """Overdue reviews escalate to the early help lead and to the early help agencies' managers."""
    lead = county.staff.caf_administrators[0]
    LocalAuthority.objects.filter(pk=county.council.pk).update(early_help_lead_id=lead)
    for agency_id, user_id in zip(
        [a for a in county.agency_ids if county.agency_type[a] == AgencyType.EARLY_HELP],
        county.staff.caf_administrators * 10,
        strict=False,
    ):
        Agency.objects.filter(pk=agency_id).update(manager_id=user_id)
