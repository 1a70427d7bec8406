"""The front-door queue at a council's scale: five years of referrals (Medway's ~3,400 a year, 000)
for 10,000 children, 40 of them awaiting a decision, each checked for a referral of the same
children in the 12 months before it. Goal: well under 100 ms on the project's 2-core machine."""

import random
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from caf.models import Child, SharingBasis
from referrals.models import Referral
from referrals.selectors import front_door_queue


@pytest.fixture
def five_years_of_referrals(school_practitioner, social_care):
    chance = random.Random(11)
    children = Child.objects.bulk_create(
        Child(
            council_id=school_practitioner.council_id,
            created_by=school_practitioner,
            first_name=f"Child{number}",
            last_name="Bench",
            date_of_birth=date(2010, 1, 1) + timedelta(days=number % 4000),
        )
        for number in range(10_000)
    )
    now = timezone.now()
    referrals = []
    for number in range(17_000):
        sent_at = now - timedelta(hours=chance.randint(1, 24 * 365 * 5))
        waiting = number < 40
        if waiting:
            sent_at = now - timedelta(hours=chance.randint(1, 30))
        referrals.append(
            Referral(
                council_id=school_practitioner.council_id,
                referring_agency_id=school_practitioner.agency_id,
                created_by=school_practitioner,
                created_at=sent_at,
                status=Referral.Status.SENT if waiting else Referral.Status.DECIDED,
                basis=SharingBasis.CONSENT,
                consent_given_by="A parent",
                concern="Concern",
                sent_at=sent_at,
                decision_due_at=sent_at + timedelta(days=1),
                decision="" if waiting else Referral.Decision.NO_FURTHER_ACTION,
                decision_reasons="" if waiting else "Reasons",
                decided_by=None if waiting else school_practitioner,
                decided_at=None if waiting else sent_at + timedelta(hours=3),
            )
        )
    referrals = Referral.objects.bulk_create(referrals)
    Referral.children.through.objects.bulk_create(
        Referral.children.through(referral_id=referral.pk, child_id=chance.choice(children).pk)
        for referral in referrals
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE referrals_referral")
        cursor.execute("ANALYZE referrals_referral_children")


def test_the_front_door_queue(benchmark, social_care_manager, five_years_of_referrals):
    queue = benchmark(
        lambda: [(referral.pk, referral.earlier_id) for referral in front_door_queue(social_care_manager)]
    )
    assert len(queue) == 40
    assert benchmark.stats["mean"] < 0.1
