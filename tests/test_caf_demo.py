"""The demo families and CAFs: one of every state, made once however often the demo loads."""

from datetime import date

from django.core.management import call_command
from django.db.models import Count, Q

from caf.demo import caf_demo_load
from caf.models import (
    AccessLog,
    Adult,
    Caf,
    Child,
    Consent,
    LevelChange,
    PlanAction,
    SharingBasis,
    TeamAroundFamilyMember,
)
from referrals.models import Referral


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Child, Adult, Caf, Consent, LevelChange, PlanAction, TeamAroundFamilyMember, Referral)
    }


def test_load_demo_twice_makes_no_duplicates(db):
    call_command("load_demo")
    first = counts()
    logged = AccessLog.objects.count()
    call_command("load_demo")
    assert counts() == first
    assert AccessLog.objects.count() == logged
    assert caf_demo_load() is None
    assert first["Child"] >= 10


def test_the_demo_has_a_caf_in_every_state(db):
    call_command("load_demo")
    cafs = Caf.objects.filter(council__slug="northbridge").annotate(
        consent_count=Count("consents", distinct=True),
        children_count=Count("children", distinct=True),
        current_leads=Count("lead_professionals", filter=Q(lead_professionals__ended_at__isnull=True), distinct=True),
        referral_count=Count("referrals", distinct=True),
    )
    drafts = cafs.filter(status=Caf.Status.DRAFT)
    assert drafts.filter(consent_count=0, referral_count=0, previous_episode__isnull=True).exists()  # no consent yet
    partly_done = drafts.get(consent_count=1)
    assert partly_done.assessment_entries.exists() and partly_done.caf_children.get().indicators.exists()
    assert drafts.get(referral_count=1).referrals.get().basis == SharingBasis.SAFEGUARDING_OVERRIDE

    active = cafs.filter(status=Caf.Status.ACTIVE)
    assert active.filter(current_leads=0, registered_at__isnull=True).exists()  # to register, and log an LP
    led_by_priya = active.get(lead_professionals__user__email="practitioner@demo.example")
    assert led_by_priya.taf_members.filter(user__email="health.visitor@demo.example", left_at__isnull=True).exists()
    assert led_by_priya.actions.count() == 2
    assert led_by_priya.reference == "NB-2026-0001"
    family = active.get(kind=Caf.Kind.FAMILY)
    assert family.children_count == 2
    assert family.caf_children.filter(level__isnull=False).count() == 2  # each child has their own level

    closed = cafs.filter(status=Caf.Status.CLOSED, closure_reason=Caf.ClosureReason.NEEDS_MET)
    assert closed.count() == 2
    reopened = closed.get(next_episode__isnull=False)
    assert reopened.next_episode.status == Caf.Status.DRAFT
    assert list(reopened.next_episode.children.all()) == list(reopened.children.all())

    assert Child.objects.filter(date_of_birth__isnull=True, expected_date_of_birth__isnull=False).exists()
    duplicates = Child.objects.filter(last_name="Smith", date_of_birth=date(2016, 5, 4))
    assert sorted(duplicates.values_list("first_name", flat=True)) == ["Jaden", "Jayden"]
    assert Adult.objects.filter(full_name="Sophie Wilson", parental_responsibility=True).exists()
    assert all(consent.given_on.year == 2026 for consent in Consent.objects.all())
