"""Find before create at a council's scale: 20,000 children, answered from the trigram and
double-metaphone indexes. Goal: well under 100 ms a search on the project's 2-core machine."""

import random
from datetime import date

import pytest
from django.db import connection

from caf.models import Child
from caf.selectors import children_find

FIRST = ["Jayden", "Olivia", "Amelia", "Noah", "Leo", "Mia", "Ruby", "Ethan", "Grace", "Oliver", "Isla", "Harry"]
LAST = ["Smith", "Patel", "Brown", "Wilson", "Taylor", "Evans", "Clarke", "Hughes", "Green", "Harris", "Khan"]


@pytest.fixture
def many_children(school_practitioner):
    chance = random.Random(7)
    Child.objects.bulk_create(
        Child(
            council_id=school_practitioner.council_id,
            created_by=school_practitioner,
            first_name=f"{chance.choice(FIRST)}{chance.randint(1, 999)}",
            last_name=f"{chance.choice(LAST)}{chance.randint(1, 99)}",
            date_of_birth=date(2008 + chance.randint(0, 17), chance.randint(1, 12), chance.randint(1, 28)),
        )
        for _ in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE caf_child")


def test_find_before_create(benchmark, school_practitioner, many_children):
    found = benchmark(
        children_find, school_practitioner, first_name="Jaydn", last_name="Smith42", date_of_birth=date(2016, 5, 4)
    )
    assert isinstance(found, list)
    assert benchmark.stats["mean"] < 0.1
