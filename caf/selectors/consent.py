"""Consent and the family's exclusions: the consent in force, the consent form's choices, and the
agencies a step-down's consent does not name.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import Agency, AgencyType, User
from caf.models import Caf, Consent, FamilyExclusion


@dataclass(frozen=True)
class ConsentChoices:
    """What the consent and exclusion forms offer, from the family's decisions in force."""

    agencies: QuerySet[Agency]
    excludable_agencies: QuerySet[Agency]
    people: QuerySet[User]
    exclusions: list[FamilyExclusion]


def consent_choices(caf: Caf) -> ConsentChoices:
    """Agencies a consent may cover (the council's, less the initiating agency, always covered, and
    those the family excluded, until they lift it); agencies that may be excluded (not the
    council's early help team, Settled question 16, nor one already excluded); people who may be
    named (the council's active staff not already excluded); and the exclusions in force."""
    exclusions = list(
        FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user__agency")
    )
    excluded_agencies = [exclusion.agency_id for exclusion in exclusions if exclusion.agency_id]
    excluded_people = [exclusion.user_id for exclusion in exclusions if exclusion.user_id]
    in_council = Agency.objects.filter(council_id=caf.council_id).order_by("name")
    return ConsentChoices(
        agencies=in_council.exclude(pk=caf.initiating_agency_id).exclude(pk__in=excluded_agencies),
        excludable_agencies=in_council.exclude(pk=caf.initiating_agency_id)
        .exclude(pk__in=excluded_agencies)
        .exclude(agency_type=AgencyType.EARLY_HELP),
        people=User.objects.filter(agency__council_id=caf.council_id, is_active=True)
        .exclude(pk__in=excluded_people)
        .select_related("agency")
        .order_by("full_name", "pk"),
        exclusions=exclusions,
    )


def consent_initial(caf: Caf, changing: Consent | None) -> dict[str, Any]:
    """Settled question 11: "Change" on a draft opens the consent as recorded; a new consent on an
    active CAF starts from the consenting person, never from the agencies covered (no pre-ticked
    consent). Exclusions in force are carried forward by the service, whatever the form holds."""
    source = changing or Consent.objects.current().filter(caf=caf).order_by("-recorded_at", "-pk").first()
    if source is None:
        return {}
    initial: dict[str, Any] = {
        "given_by_kind": "young_person" if source.is_young_person else "parent_or_carer",
        "given_by": source.given_by,
        "relationship": source.relationship,
        "competence_note": source.competence_note,
        "children": list(source.children.values_list("pk", flat=True)),
    }
    if changing is not None and caf.status == Caf.Status.DRAFT:
        initial.update(
            {
                "given_on": source.given_on,
                "method": source.method,
                "agencies": list(source.agencies.exclude(pk=caf.initiating_agency_id).values_list("pk", flat=True)),
                "copy_to": source.copy_to,
                "explained": [
                    key
                    for key, done in (("storage", source.explained_storage), ("sharing", source.explained_sharing))
                    if done
                ],
            }
        )
    return initial


def consents_version(caf: Caf) -> str:
    """Where the CAF's consents stand, as its consent form carries it: how many were recorded and how
    many withdrawn. Both only grow, so a consent recorded or withdrawn after the form was drawn
    changes it, and the form's save is a conflict (Settled question 20)."""
    counts = Consent.objects.filter(caf=caf).aggregate(
        recorded=Count("pk"), withdrawn=Count("pk", filter=Q(withdrawn_on__isnull=False))
    )
    return f"{counts['recorded']}.{counts['withdrawn']}"


def current_consent(caf: Caf) -> Consent | None:
    """The newest consent in force (of any person)."""
    return Consent.objects.current().filter(caf=caf).order_by("-recorded_at", "-pk").first()


def agencies_not_named(caf: Caf, consent: Consent) -> list[Agency]:
    """Agencies with someone on the team that this consent does not name: for the CAF administrator
    to check with the family after a pick-up (never removed silently)."""
    named = consent.agencies.values("pk")
    return list(
        Agency.objects.filter(pk__in=caf.taf_members.filter(left_at__isnull=True).values("agency_id"))
        .exclude(pk__in=named)
        .order_by("name")
    )
