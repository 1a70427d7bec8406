"""The council's figures (issue 16): /figures/, each figure counted from hand-built records with
known answers, the edges of a month in Europe/London (British Summer Time and the clock change),
small numbers, CSV downloads safe from formulas and in the access log, the same queries for one
month as for three years, and who may see them."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AgencyType, Role
from caf.models import AccessLog, Caf, CafChild, Child, LeadProfessionalAssignment, LevelChange, Review
from referrals.models import Referral, StepDown
from referrals.selectors.council_figures import (
    FiguresFilters,
    FiguresPeriod,
    council_figures,
    csv_cell,
    suppressed_and_rounded,
)
from tests.factories import AgencyFactory, LocalAuthorityFactory, LocalityFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
URL = "/figures/"


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def build(council, council_model, school, school_practitioner):
    """build.caf(...), build.child(...), build.referral(...), build.step_down(...): records made
    directly, each field as a test needs it, so that every count has a known answer."""

    class Builder:
        count = 0

        def child(self, name: str = "") -> Child:
            self.count += 1
            return Child.objects.create(
                council=council,
                first_name=name or f"Child{self.count}",
                last_name="Figures",
                date_of_birth=date(2016, 5, 4),
                created_by=school_practitioner,
            )

        def caf(
            self,
            activated_at: datetime,
            *,
            agency=school,
            children: list[Child] | None = None,
            previous: Caf | None = None,
            closed_at: datetime | None = None,
            reason: str = "",
            level_order: int | None = None,
            lead=None,
            next_review_on: date | None = None,
        ) -> Caf:
            caf = Caf.objects.create(
                council=council,
                status=Caf.Status.CLOSED if closed_at else Caf.Status.ACTIVE,
                initiating_agency=agency,
                initiated_by=school_practitioner,
                threshold_model=council_model,
                created_at=activated_at - timedelta(days=1),
                activated_at=activated_at,
                previous_episode=previous,
                closed_at=closed_at,
                closure_reason=reason,
                next_review_on=next_review_on,
            )
            level = council_model.levels.get(order=level_order) if level_order else None
            for child in children or [self.child()]:
                CafChild.objects.create(caf=caf, child=child, level=level)
            if lead is not None:
                LeadProfessionalAssignment.objects.create(
                    caf=caf, user=lead, started_at=activated_at, logged_by=lead, ended_at=closed_at
                )
            return caf

        def referral(
            self,
            sent_at: datetime,
            *,
            children: list[Child],
            agency=school,
            caf: Caf | None = None,
            decision: str = "",
            decided_at: datetime | None = None,
            due_at: datetime | None = None,
        ) -> Referral:
            referral = Referral.objects.create(
                council=council,
                caf=caf,
                referring_agency=agency,
                status=Referral.Status.DECIDED if decision else Referral.Status.SENT,
                concern="Concern",
                basis="consent",
                consent_given_by="Kelly Smith",
                created_by=school_practitioner,
                created_at=sent_at,
                sent_at=sent_at,
                decision_due_at=due_at or sent_at + timedelta(days=1),
                decision=decision,
                decision_reasons="Reasons" if decision else "",
                decided_at=decided_at or (sent_at + timedelta(hours=2) if decision else None),
                decided_by=school_practitioner if decision else None,
            )
            referral.children.set(children)
            return referral

        def step_down(
            self,
            sent_at: datetime,
            *,
            point: str,
            children: list[Child],
            due_on: date,
            picked_up_at: datetime | None = None,
            picked_up_caf: Caf | None = None,
            declined: bool = False,
        ) -> StepDown:
            status = StepDown.Status.WAITING
            if picked_up_at:
                status = StepDown.Status.PICKED_UP
            if declined:
                status = StepDown.Status.DECLINED
            step_down = StepDown.objects.create(
                council=council,
                point=point,
                status=status,
                reason="Threshold not met",
                open_needs="Routines",
                social_worker_summary="Summary",
                consent_given_by="Kelly Smith",
                consent_relationship="mother",
                consent_given_on=sent_at.date(),
                consent_method="signed_form",
                sent_by=school_practitioner,
                sent_at=sent_at,
                pick_up_due_on=due_on,
                picked_up_at=picked_up_at,
                picked_up_caf=picked_up_caf,
                picked_up_by=school_practitioner if picked_up_at else None,
                declined_at=sent_at + timedelta(days=1) if declined else None,
                declined_by=school_practitioner if declined else None,
                decline_reason="The family said no" if declined else "",
            )
            step_down.children.set(children)
            return step_down

    return Builder()


def figures_for(council, first: date, last: date, **filters):
    shown = council_figures(council, period=FiguresPeriod(first, last), filters=FiguresFilters(**filters))
    return {figure.name: figure for _, _, items in shown.sections for figure in items}


def table(figure) -> dict[str, list]:
    return {row[0]: row[1:] for row in figure.rows}


# a. CAFs started ------------------------------------------------------------------------------------


def test_a_caf_counts_in_the_month_it_became_active_in_london_time_by_origin(council, build):
    # 23:30 on 31 July in British Summer Time is 22:30 UTC: July. 00:30 on 1 August is still 31 July in UTC.
    build.caf(london(2026, 7, 31, 23, 30))
    build.caf(london(2026, 8, 1, 0, 30))
    # The clocks went back at 02:00 BST on 25 October 2026: 01:30 happens twice, both October.
    build.caf(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))  # 01:30 BST
    build.caf(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))  # 01:30 GMT
    build.caf(london(2026, 10, 31, 23, 59))
    closed = build.caf(london(2026, 1, 5, 10), closed_at=london(2026, 6, 1, 10), reason="needs_met")
    build.caf(london(2026, 8, 20, 10), previous=closed)  # a reopened episode
    picked_up = build.caf(london(2026, 8, 21, 10))
    build.step_down(
        london(2026, 8, 18, 10),
        point=StepDown.Point.FRONT_DOOR,
        children=[build.child()],
        due_on=date(2026, 8, 25),
        picked_up_at=london(2026, 8, 21, 10) + timedelta(seconds=1),
        picked_up_caf=picked_up,
    )

    started = table(figures_for(council, date(2026, 7, 1), date(2026, 11, 1))["cafs-started"])

    assert started["July 2026"] == [1, 0, 0, 1]
    assert started["August 2026"] == [1, 1, 1, 3]
    assert started["September 2026"] == [0, 0, 0, 0]
    assert started["October 2026"] == [3, 0, 0, 3]
    assert started["November 2026"] == [0, 0, 0, 0]


def test_a_pick_up_into_a_caf_already_active_leaves_it_a_new_caf(council, build):
    caf = build.caf(london(2026, 8, 3, 10))
    build.step_down(
        london(2026, 8, 18, 10),
        point=StepDown.Point.FRONT_DOOR,
        children=[build.child()],
        due_on=date(2026, 8, 25),
        picked_up_at=london(2026, 8, 20, 10),
        picked_up_caf=caf,
    )

    started = table(figures_for(council, date(2026, 8, 1), date(2026, 8, 1))["cafs-started"])

    assert started["August 2026"] == [1, 0, 0, 1]


def test_the_rate_per_10000_is_annualised_per_financial_year_against_the_target(council, build):
    council.child_population = 40_000
    council.caf_target_rate_per_10000 = Decimal("58.9")
    council.save()
    for day in range(1, 13):  # 12 CAFs in April to September 2026
        build.caf(london(2026, 4 + day % 6, day, 10))
    build.caf(london(2026, 3, 31, 23, 30))  # 31 March in BST: the financial year before

    rate = figures_for(council, date(2026, 3, 1), date(2026, 9, 1))["caf-rate"]

    # 1 CAF in one month of 2025-26: 1 x 10,000 x 12 / (40,000 x 1) = 3.0. 12 in six months of 2026-27:
    # 12 x 10,000 x 12 / (40,000 x 6) = 6.0.
    assert rate.rows == [
        ["April 2025 to March 2026", 1, 1, Decimal("3.0"), Decimal("58.9")],
        ["April 2026 to March 2027", 6, 12, Decimal("6.0"), Decimal("58.9")],
    ]
    assert rate.target == 58.9


def test_without_a_child_population_the_rate_says_it_cannot_be_shown(council, build):
    council.child_population = None
    council.save()
    build.caf(london(2026, 5, 1, 10))

    rate = figures_for(council, date(2026, 5, 1), date(2026, 5, 1))["caf-rate"]

    assert rate.rows[0][3] == "not set"
    assert "child population is not set" in rate.cannot_show
    assert rate.chart_labels == []


# b. Who starts CAFs ---------------------------------------------------------------------------------


def test_initiators_count_new_cafs_only_with_small_numbers_suppressed_by_agency(council, build, school, locality):
    health = AgencyFactory(council=council, name="Health Visiting", agency_type=AgencyType.HEALTH_VISITING)
    for day in range(1, 6):
        build.caf(london(2026, 9, day, 10), agency=school)
    build.caf(london(2026, 9, 10, 10), agency=health)
    build.caf(london(2026, 9, 11, 10), agency=health)
    closed = build.caf(london(2025, 1, 5, 10), agency=health, closed_at=london(2025, 6, 1), reason="needs_met")
    build.caf(london(2026, 9, 12, 10), agency=health, previous=closed)  # reopened: not a new CAF

    shown = figures_for(council, date(2026, 9, 1), date(2026, 9, 1))

    assert shown["initiators-by-type"].rows == [["School", 5, "71.4%"], ["Health visiting", 2, "28.6%"]]
    assert shown["initiators-by-type"].totals == ["Total", 7, "100%"]
    assert shown["initiators-by-agency"].rows == [
        ["Oakfield Primary School", "School", 5, "71.4%"],
        ["Health Visiting", "Health visiting", "fewer than 5", "n/a"],
    ]
    assert shown["initiators-by-agency"].totals == ["Total", "", 7, "100%"]
    # The chart leaves the suppressed agency out, so no bar tells its number.
    assert shown["initiators-by-agency"].chart_labels == ["Oakfield Primary School"]


# c. Referrals ---------------------------------------------------------------------------------------


def test_referrals_per_month_with_a_caf_decisions_conversion_deadline_and_re_referrals(council, build, police):
    with_caf, in_caf, closed_caf_child, none_child = build.child(), build.child(), build.child(), build.child()
    attached = build.caf(london(2026, 1, 10, 10), children=[with_caf])
    build.caf(london(2026, 2, 1, 10), children=[in_caf])  # active when the referral was sent
    build.caf(london(2026, 1, 1, 10), children=[closed_caf_child], closed_at=london(2026, 3, 1), reason="needs_met")
    # September 2026: four referrals.
    build.referral(london(2026, 9, 1, 10), children=[with_caf], caf=attached, decision="child_in_need")
    build.referral(london(2026, 9, 2, 10), children=[in_caf], decision="child_protection")
    build.referral(
        london(2026, 9, 3, 10),
        children=[closed_caf_child],
        agency=police,
        decision="no_further_action",
        decided_at=london(2026, 9, 8, 10),  # after its deadline
    )
    build.referral(london(2026, 9, 30, 23, 30), children=[none_child], agency=police)  # 30 Sept BST, not decided
    # A re-referral: none_child again in October, within 12 months.
    build.referral(london(2026, 10, 5, 10), children=[none_child], agency=police, decision="step_down")

    shown = figures_for(council, date(2026, 9, 1), date(2026, 10, 1))
    referrals = table(shown["referrals"])

    # Sent, had a CAF, share, decided, NFA, stepped down, CIN, CP, conversion, in time, re-referrals.
    assert referrals["September 2026"] == [4, 2, "50.0%", 3, 1, 0, 1, 1, "66.7%", "66.7%", 0]
    assert referrals["October 2026"] == [1, 0, "0.0%", 1, 0, 1, 0, 0, "0.0%", "100.0%", 1]
    assert shown["referrals"].totals[1:] == [5, 2, "40.0%", 4, 1, 1, 1, 1, "50.0%", "75.0%", 1]
    assert shown["referral-sources"].rows == [["Police", 3, "60.0%"], ["School", 2, "40.0%"]]


# d. Step-downs --------------------------------------------------------------------------------------


def test_step_downs_by_point_as_cases_and_children_picked_up_in_time_declined_and_waiting(council, build):
    family = [build.child(), build.child()]
    caf = build.caf(london(2026, 9, 20, 10))
    build.step_down(
        london(2026, 9, 1, 10),
        point=StepDown.Point.FRONT_DOOR,
        children=family,
        due_on=date(2026, 9, 8),
        picked_up_at=london(2026, 9, 8, 16),  # on its last day
        picked_up_caf=caf,
    )
    build.step_down(
        london(2026, 9, 2, 10),
        point=StepDown.Point.AFTER_ASSESSMENT,
        children=[build.child()],
        due_on=date(2026, 9, 9),
        picked_up_at=london(2026, 9, 10, 0, 30),  # the day after, in London (23:30 UTC on the 9th)
        picked_up_caf=caf,
    )
    build.step_down(
        london(2026, 9, 3, 10),
        point=StepDown.Point.CHILD_IN_NEED_CLOSURE,
        children=[build.child()],
        due_on=date(2026, 9, 10),
        declined=True,
    )
    build.step_down(
        london(2026, 9, 4, 10), point=StepDown.Point.FRONT_DOOR, children=[build.child()], due_on=date(2026, 9, 11)
    )

    rows = table(figures_for(council, date(2026, 9, 1), date(2026, 9, 1))["step-downs"])

    # Cases by point, cases; children by point, children; picked up, in time, declined, waiting.
    assert rows["September 2026"] == [2, 1, 1, 4, 3, 1, 1, 5, 2, 1, 1, 1]


def test_step_downs_picked_up_in_time_against_the_councils_target(council, build):
    council.step_down_pick_up_target_percent = Decimal("90.0")
    council.save()
    caf = build.caf(london(2026, 9, 20, 10))
    for day, picked_up_at in ((1, london(2026, 9, 8, 16)), (2, london(2026, 9, 20, 10)), (3, None)):
        build.step_down(
            london(2026, 9, day, 10),
            point=StepDown.Point.FRONT_DOOR,
            children=[build.child()],
            due_on=date(2026, 9, 8) if day == 1 else date(2026, 9, 9),
            picked_up_at=picked_up_at,
            picked_up_caf=caf if picked_up_at else None,
        )

    figure = figures_for(council, date(2026, 9, 1), date(2026, 10, 1))["step-downs-in-time"]

    # Cases, picked up within the deadline, share, target: one of three in time; none sent in October.
    assert table(figure) == {
        "September 2026": [3, 1, "33.3%", "90.0%"],
        "October 2026": [0, 0, "n/a", "90.0%"],
    }
    assert figure.totals == ["Total", 3, 1, "33.3%", "90.0%"]
    assert figure.chart_values == [33.3, 0.0]
    assert figure.target == 90.0 and figure.target_label == "Target 90.0%"
    assert not figure.cannot_show


def test_without_a_step_down_target_the_figure_says_it_is_not_set(council, build, caf_admin, signed_in):
    figure = figures_for(council, date(2026, 9, 1), date(2026, 9, 1))["step-downs-in-time"]

    assert figure.target is None and table(figure)["September 2026"][-1] == "not set"
    assert "has not set a target" in figure.cannot_show
    council.step_down_pick_up_target_percent = Decimal("85.5")
    council.save()
    page = signed_in(caf_admin).get(URL).content.decode()
    # The dashed target line, its label, and what the chart's description reads out.
    assert ">Target 85.5%</text>" in page
    assert "Target 85.5% picked up within the deadline." in page


# e. Open CAFs, leads, reviews, closures --------------------------------------------------------------


def test_open_cafs_by_level_without_a_lead_reviews_and_closures(council, build, school_practitioner):
    two, three = build.child(), build.child()
    family = build.caf(london(2026, 11, 30, 10), children=[two, three], level_order=2)
    CafChild.objects.filter(caf=family, child=three).update(level=council.threshold_models.get().levels.get(order=3))
    build.caf(london(2026, 10, 1, 10), level_order=2, lead=school_practitioner, next_review_on=date(2026, 12, 1))
    build.caf(london(2026, 8, 1, 10))  # no lead, 127 days
    closed = build.caf(
        london(2026, 9, 1, 10),
        closed_at=london(2026, 9, 11, 10),
        reason="needs_met",
        lead=school_practitioner,
        level_order=2,
    )
    build.caf(london(2026, 9, 1, 10), closed_at=london(2026, 9, 21, 10), reason="disengaged")
    Review.objects.create(
        caf=closed,
        held_on=date(2026, 9, 5),
        due_on=date(2026, 9, 5),
        decision="continue",
        next_review_on=date(2026, 10, 5),
        recorded_by=school_practitioner,
    )
    Review.objects.create(
        caf=closed,
        held_on=date(2026, 9, 10),
        due_on=date(2026, 9, 8),
        decision="close",
        recorded_by=school_practitioner,
    )

    shown = figures_for(council, date(2026, 9, 1), date(2026, 11, 1))

    levels = table(shown["open-by-level"])
    assert list(levels.values()) == [[2, 2], [1, 1], [1, 1]]
    assert list(levels)[2] == "No level chosen"
    assert table(shown["without-lead"]) == {
        "Under 2 weeks": [1],
        "2 to 4 weeks": [0],
        "4 to 12 weeks": [0],
        "12 weeks or more": [1],
    }
    assert "The longest has waited 127 days." in shown["without-lead"].definition
    assert table(shown["reviews"]) == {
        "Reviews held on time": [1],
        "Reviews held late": [1],
        "Reviews held without a review date to meet": [0],
        "Active CAFs with a review overdue today": [1],
    }
    assert shown["closures"].rows == [
        ["Family disengaged", 1, "50.0%", "20.0"],
        ["Needs met, universal services continue", 1, "50.0%", "10.0"],
    ]
    assert shown["closures"].totals == ["Total", 2, "100%", "15.0"]


def test_level_changes_count_up_and_down_against_the_childs_level_before_in_that_caf(
    council, build, school_practitioner
):
    first, second = build.child(), build.child()
    caf = build.caf(london(2026, 8, 1, 10), children=[first, second])
    levels = {level.order: level for level in council.threshold_models.get().levels.all()}
    one, two = CafChild.objects.get(caf=caf, child=first), CafChild.objects.get(caf=caf, child=second)
    for link, order, at in (
        (one, 2, london(2026, 8, 10, 10)),  # before the period: the first level
        (one, 3, london(2026, 9, 5, 10)),  # up
        (one, 2, london(2026, 9, 30, 23, 30)),  # down, on 30 September in London (22:30 UTC)
        (one, 2, london(2026, 10, 1, 10)),  # the same level again: neither
        (two, 1, london(2026, 9, 3, 10)),  # the first level set for the second child
    ):
        LevelChange.objects.create(
            caf_child=link, child=link.child, level=levels[order], changed_by=school_practitioner, changed_at=at
        )

    changes = figures_for(council, date(2026, 9, 1), date(2026, 10, 1))["level-changes"]

    assert table(changes) == {"September 2026": [1, 1, 1], "October 2026": [0, 0, 0]}
    assert changes.totals == ["Total", 1, 1, 1]


def test_families_whose_level_came_down_by_closure_against_their_highest_level_before(
    council, build, school_practitioner
):
    levels = {level.order: level for level in council.threshold_models.get().levels.all()}

    def history(caf, *changes):
        """Each change in the level history, and each child's level the last one (as caf's level_set does)."""
        for child_index, order, at in changes:
            link = CafChild.objects.filter(caf=caf).order_by("pk")[child_index]
            LevelChange.objects.create(
                caf_child=link, child=link.child, level=levels[order], changed_by=school_practitioner, changed_at=at
            )
            link.level = levels[order]
            link.save()

    closes = london(2026, 9, 15, 10)
    # 3 then 2: came down.
    down = build.caf(london(2026, 5, 1, 10), closed_at=closes, reason="needs_met")
    history(down, (0, 3, london(2026, 4, 30, 10)), (0, 2, london(2026, 8, 1, 10)))
    # 2, up to 3, back to 2: came down from its highest, though no lower than at the start.
    peak = build.caf(london(2026, 5, 1, 10), closed_at=closes, reason="needs_met")
    history(peak, (0, 2, london(2026, 5, 1, 10)), (0, 3, london(2026, 6, 1, 10)), (0, 2, london(2026, 9, 1, 10)))
    # A Family CAF: one child came down from 3 to 1, the other stayed at 3: the family's level did not.
    family = build.caf(
        london(2026, 5, 1, 10), children=[build.child(), build.child()], closed_at=closes, reason="disengaged"
    )
    history(family, (0, 3, london(2026, 5, 1, 10)), (1, 3, london(2026, 5, 1, 10)), (0, 1, london(2026, 9, 1, 10)))
    # Both children came down: 3 and 2 to 2 and 1.
    both = build.caf(
        london(2026, 5, 1, 10), children=[build.child(), build.child()], closed_at=closes, reason="needs_met"
    )
    history(
        both,
        (0, 3, london(2026, 5, 1, 10)),
        (1, 2, london(2026, 5, 1, 10)),
        (0, 2, london(2026, 7, 1, 10)),
        (1, 1, london(2026, 7, 1, 10)),
    )
    # Went up: not down.
    up = build.caf(london(2026, 5, 1, 10), closed_at=closes, reason="needs_met")
    history(up, (0, 2, london(2026, 5, 1, 10)), (0, 3, london(2026, 7, 1, 10)))
    # No level ever recorded: closed, but nothing to come down from.
    build.caf(london(2026, 5, 1, 10), closed_at=closes, reason="needs_met")
    # Closed at 23:30 on 31 October in London (GMT again): October; its level stayed at 3.
    late = build.caf(london(2026, 5, 1, 10), closed_at=london(2026, 10, 31, 23, 30), reason="needs_met")
    history(late, (0, 3, london(2026, 5, 1, 10)), (0, 3, london(2026, 9, 2, 10)))
    # Closed at 00:30 on 1 September in London (23:30 UTC on 31 August): September; it came down.
    edge = build.caf(london(2026, 5, 1, 10), closed_at=london(2026, 9, 1, 0, 30), reason="needs_met")
    history(edge, (0, 4, london(2026, 5, 1, 10)), (0, 2, london(2026, 8, 31, 10)))
    # Closed in August, and active ones: outside the figure.
    before = build.caf(london(2026, 5, 1, 10), closed_at=london(2026, 8, 31, 22, 30), reason="needs_met")
    history(before, (0, 3, london(2026, 5, 1, 10)), (0, 1, london(2026, 8, 1, 10)))
    active = build.caf(london(2026, 5, 1, 10))
    history(active, (0, 3, london(2026, 5, 1, 10)), (0, 1, london(2026, 8, 1, 10)))

    figure = figures_for(council, date(2026, 9, 1), date(2026, 10, 1))["level-down-by-closure"]

    # CAFs closed, with a level, came down, share.
    assert table(figure) == {"September 2026": [7, 6, 4, "66.7%"], "October 2026": [1, 1, 0, "0.0%"]}
    assert figure.totals == ["Total", 8, 7, 4, "57.1%"]
    assert figure.chart_values == [4, 0]
    assert "highest level any of its children had" in figure.definition
    # The page's filters narrow the CAFs first: started by a school (all of them), by the police (none), with
    # a child at level 4 now (none: edge came down to 2), in a locality (none has a lead professional).
    for narrowed, totals in (
        ({"agency_type": "school"}, ["Total", 8, 7, 4, "57.1%"]),
        ({"agency_type": "police"}, ["Total", 0, 0, 0, "n/a"]),
        ({"level_order": 4}, ["Total", 0, 0, 0, "n/a"]),
        ({"level_order": 2}, ["Total", 4, 4, 4, "100.0%"]),
        ({"locality_id": LocalityFactory(council=council).pk}, ["Total", 0, 0, 0, "n/a"]),
    ):
        assert (
            figures_for(council, date(2026, 9, 1), date(2026, 10, 1), **narrowed)["level-down-by-closure"].totals
            == totals
        ), narrowed


def test_the_locality_filter_counts_by_the_lead_professionals_agency(council, build, locality, school_practitioner):
    south = LocalityFactory(council=council, name="South")
    south_agency = AgencyFactory(council=council, locality=south, name="South Family Support")
    south_lead = UserFactory(agency=south_agency, roles=[Role.PRACTITIONER])
    # Started by a North school, led from the South: a South CAF.
    build.caf(london(2026, 9, 1, 10), lead=south_lead)
    build.caf(london(2026, 9, 2, 10), lead=school_practitioner)
    build.caf(london(2026, 9, 3, 10))  # no lead yet: in no locality

    def started(locality_id):
        return table(figures_for(council, date(2026, 9, 1), date(2026, 9, 1), locality_id=locality_id)["cafs-started"])

    assert started(south.pk)["September 2026"][-1] == 1
    assert started(locality.pk)["September 2026"][-1] == 1
    assert started(None)["September 2026"][-1] == 3


# The page ---------------------------------------------------------------------------------------------


def test_the_page_shows_each_figure_as_a_chart_and_a_table_with_its_definition(council, build, caf_admin, signed_in):
    build.caf(london(2026, 9, 1, 10))

    response = signed_in(caf_admin).get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    # The default period: the last 12 months, to this one.
    assert "From the start of January 2026 to the end of December 2026" in page
    for name in (
        "cafs-started",
        "caf-rate",
        "initiators-by-type",
        "referrals",
        "step-downs",
        "open-by-level",
        "reviews",
        "closures",
    ):
        assert f'id="table-{name}"' in page
        assert f'id="figure-{name}-definition"' in page
        assert f'href="?format=csv&amp;figure={name}"' in page
    assert 'aria-labelledby="chart-cafs-started-title chart-cafs-started-desc"' in page
    assert '<title id="chart-cafs-started-title">' in page
    assert "September 2026: 1" in page  # the chart's description reads the bars
    assert "<script" not in page.split('id="filters"')[1].split("</main>")[0]


def test_a_period_and_filters_in_the_address_choose_the_figures(council, build, caf_admin, signed_in, locality):
    build.caf(london(2025, 3, 1, 10))
    build.caf(london(2026, 9, 1, 10))

    page = (
        signed_in(caf_admin)
        .get(
            URL, {"from_month": "2025-01", "to_month": "2025-06", "locality": "", "agency_type": "school", "level": ""}
        )
        .content.decode()
    )

    assert "From the start of January 2025 to the end of June 2025, filtered" in page
    assert "March 2025: 1" in page
    assert "September 2026: 1" not in page


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            {"from_month": "2026-09", "to_month": "2026-03"},
            "The last month must be the same as or after the first month",
        ),
        ({"from_month": "1999-01", "to_month": "2026-03"}, "Choose the first month from the list"),
        ({"from_month": "2026-01", "to_month": "2026-03", "locality": "999999"}, "Choose a locality from the list"),
        ({"from_month": "2026-01", "to_month": "2026-03", "agency_type": "=cmd"}, "Choose a type of agency"),
        ({"from_month": "2026-01", "to_month": "2026-03", "level": "x"}, "Choose a level of need from the list"),
    ],
)
def test_a_bad_period_or_filter_is_an_error_on_the_form_never_a_failure(query, error, council, caf_admin, signed_in):
    response = signed_in(caf_admin).get(URL, query)

    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page and error in page
    assert page.count("<title>Error:") == 1


def test_another_councils_locality_filters_nothing(council, other_council, build, caf_admin, signed_in):
    theirs = LocalityFactory(council=other_council, name="Theirs")
    build.caf(london(2026, 9, 1, 10))

    page = signed_in(caf_admin).get(URL, {"from_month": "2026-09", "to_month": "2026-09", "locality": theirs.pk})

    assert "Choose a locality from the list" in page.content.decode()
    assert "September 2026: 1" in page.content.decode()


@pytest.mark.parametrize("who", ["caf_admin", "social_care_manager", "council_admin"])
def test_the_councils_administrators_and_front_door_see_the_figures(who, request, council, signed_in):
    assert signed_in(request.getfixturevalue(who)).get(URL).status_code == 200


@pytest.mark.parametrize("who", ["school_practitioner", "social_worker", "other_council_user"])
def test_everyone_else_is_refused(who, request, council, signed_in):
    person = request.getfixturevalue(who)

    assert signed_in(person).get(URL).status_code == 403
    assert signed_in(person).get(URL, {"format": "csv", "figure": "cafs-started"}).status_code == 403
    assert not AccessLog.objects.filter(what__startswith="Downloaded").exists()


def test_another_councils_administrators_see_only_their_own_councils_figures(
    other_council_school, other_council_admin, council, build, signed_in
):
    build.caf(london(2026, 9, 1, 10))
    theirs = UserFactory(agency=other_council_school, roles=[Role.CAF_ADMINISTRATOR])

    for person in (theirs, other_council_admin):
        page = signed_in(person).get(URL).content.decode()
        # The page is always the signed-in person's own council's: nothing of Northbridge's.
        assert "Southmoor District Council" in page and council.name not in page
        assert "September 2026: 1" not in page


def test_a_social_care_manager_outside_social_care_is_refused(council, school, signed_in):
    manager = UserFactory(agency=school, roles=[Role.SOCIAL_CARE_MANAGER])

    assert signed_in(manager).get(URL).status_code == 403


def test_someone_signed_out_is_asked_to_sign_in(client, council):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_post_is_not_allowed(council, caf_admin, signed_in):
    assert signed_in(caf_admin).post(URL).status_code == 405


# CSV -----------------------------------------------------------------------------------------------------


def test_each_table_downloads_as_csv_safe_from_formulas_and_in_the_access_log(council, build, caf_admin, signed_in):
    hostile = AgencyFactory(council=council, name='=HYPERLINK("http://evil.example")', agency_type=AgencyType.SCHOOL)
    for day in range(1, 6):
        build.caf(london(2026, 9, day, 10), agency=hostile)

    response = signed_in(caf_admin).get(
        URL, {"from_month": "2026-09", "to_month": "2026-09", "format": "csv", "figure": "initiators-by-agency"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="northbridge-initiators-by-agency-2026-09-to-2026-09.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["Agency", "Agency type", "New CAFs", "Share"],
        ['\'=HYPERLINK("http://evil.example")', "School", "5", "100.0%"],
        ["Total", "", "5", "100%"],
    ]
    log = AccessLog.objects.get(what__startswith="Downloaded")
    assert log.user == caf_admin and log.council == council and log.child_ids == []
    assert log.what == (
        "Downloaded the council's figures as CSV: Who starts CAFs: by agency, September 2026 to September 2026"
    )


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(value):
    assert csv_cell(value) == "'" + value


def test_numbers_and_plain_words_are_written_as_they_are():
    assert [csv_cell(5), csv_cell("School"), csv_cell(Decimal("58.9")), csv_cell(None)] == ["5", "School", "58.9", ""]


def test_asking_for_a_figure_that_does_not_exist_is_not_found(council, caf_admin, signed_in):
    response = signed_in(caf_admin).get(URL, {"format": "csv", "figure": "../../etc"})

    assert response.status_code == 404
    assert not AccessLog.objects.filter(what__startswith="Downloaded").exists()


# The session, user and agency (3), the form's localities and levels (2), the roles and the council (2),
# the figures (13: families whose level came down by closure, and the months of the council's social care
# return, are two more than before), the night's count of an unfiltered period if any (1), the header's
# unread notifications (1), the session's save (3): 25 for any period.
FIGURES_PAGE_QUERIES = 25


# Speed -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("months", [("2026-12", "2026-12"), ("2024-01", "2026-12")])
def test_the_page_runs_a_fixed_number_of_queries_for_one_month_or_three_years(
    months, council, build, caf_admin, signed_in, django_assert_max_num_queries
):
    client = signed_in(caf_admin)
    for month in (1, 6, 12):
        build.caf(london(2026, month, 3, 10))
    with django_assert_max_num_queries(FIGURES_PAGE_QUERIES):
        response = client.get(URL, {"from_month": months[0], "to_month": months[1]})
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["caf_admin", "social_care_manager", "council_admin"])
def test_the_home_pages_of_those_who_may_see_the_figures_link_to_them(who, request, council, signed_in):
    assert 'href="/figures/"' in signed_in(request.getfixturevalue(who)).get("/").content.decode()


@pytest.mark.parametrize("who", ["school_practitioner", "social_worker"])
def test_the_home_pages_of_others_do_not(who, request, council, signed_in):
    assert 'href="/figures/"' not in signed_in(request.getfixturevalue(who)).get("/").content.decode()


# The comparison across councils ------------------------------------------------------------------------


def test_service_administrators_compare_councils_rounded_to_5_with_secondary_suppression(
    council, other_council, build, signed_in, other_council_school
):
    from caf.models import Caf as CafModel

    health = AgencyFactory(council=council, name="Health Visiting", agency_type=AgencyType.HEALTH_VISITING)
    for day in range(1, 10):
        build.caf(london(2026, 9, day, 10))  # Northbridge: 9 from a school
    for day in range(10, 13):
        build.caf(london(2026, 9, day, 10), agency=health)  # and 3 from health visiting: 12 in all
    theirs = [build.caf(london(2026, 9, day, 10)) for day in range(1, 7)]
    CafModel.objects.filter(pk__in=[caf.pk for caf in theirs]).update(
        council=other_council, initiating_agency=other_council_school
    )  # Southmoor: 6 from a school
    tiny = LocalAuthorityFactory(name="Tiny Council", slug="tiny")
    tiny_school = AgencyFactory(council=tiny, agency_type=AgencyType.SCHOOL)
    CafModel.objects.filter(pk__in=[build.caf(london(2026, 9, 20, 10)).pk]).update(
        council=tiny, initiating_agency=tiny_school
    )  # Tiny: 1
    service_admin = UserFactory(agency=None, is_superuser=True, is_staff=True)

    response = signed_in(service_admin).get(URL + "councils/", {"from_month": "2026-09", "to_month": "2026-09"})

    assert response.status_code == 200
    compared = {row[0]: row[1:] for row in response.context["compared"].rows}
    assert response.context["compared"].columns[3:] == ["Started by health visiting", "Started by school"]
    # 12 rounds to 10, a rate from the rounded count (10 x 10,000 x 12 / 40,000); 3 from health visiting is
    # hidden, and so the school's 9 too, or 12 - 3 would give it away.
    assert compared["Northbridge Borough Council"] == [10, Decimal("30.0"), "hidden", "hidden"]
    assert compared["Southmoor District Council"] == [5, Decimal("15.0"), "0.0%", "100.0%"]
    # 1 CAF: hidden, and its rate; its one school CAF hidden, with nothing else to hide beside it.
    assert compared["Tiny Council"] == ["hidden", "hidden", "n/a", "hidden"]
    assert "12" not in response.content.decode().split('id="table-councils"')[1]


@pytest.mark.parametrize("who", ["caf_admin", "council_admin", "social_care_manager", "school_practitioner"])
def test_nobody_but_a_service_administrator_compares_councils(who, request, signed_in):
    assert signed_in(request.getfixturevalue(who)).get(URL + "councils/").status_code == 403


@pytest.mark.parametrize(
    ("counts", "shown"),
    [
        ({"a": 12, "b": 7}, {"a": 10, "b": 5}),
        ({"a": 12, "b": 3, "c": 8}, {"a": 10, "b": "hidden", "c": "hidden"}),
        ({"a": 12, "b": 3, "c": 2}, {"a": 10, "b": "hidden", "c": "hidden"}),
        ({"a": 0, "b": 3}, {"a": 0, "b": "hidden"}),
    ],
)
def test_a_breakdown_leaving_the_council_hides_small_counts_and_one_more_when_alone(counts, shown):
    assert suppressed_and_rounded(counts) == shown


# Councils that agree to share their figures --------------------------------------------------------------


@pytest.fixture
def sharing(council, other_council, build, other_council_school):
    """Northbridge (12 CAFs in September 2026) and Eastwick (6) agree to share; Southmoor (7) does not."""
    from caf.models import Caf as CafModel

    eastwick = LocalAuthorityFactory(name="Eastwick Council", slug="eastwick", shares_figures_with_councils=True)
    eastwick_school = AgencyFactory(council=eastwick, agency_type=AgencyType.SCHOOL)
    for day in range(1, 13):
        build.caf(london(2026, 9, day, 10))
    for agency, count in ((eastwick_school, 6), (other_council_school, 7)):
        made = [build.caf(london(2026, 9, day, 10)).pk for day in range(1, count + 1)]
        CafModel.objects.filter(pk__in=made).update(council=agency.council, initiating_agency=agency)
    council.shares_figures_with_councils = True
    council.save()
    return eastwick


SEPTEMBER = {"from_month": "2026-09", "to_month": "2026-09"}


@pytest.mark.parametrize("who", ["caf_admin", "social_care_manager", "council_admin"])
def test_the_figures_people_of_a_council_that_shares_compare_only_the_councils_that_share(
    who, request, sharing, signed_in
):
    response = signed_in(request.getfixturevalue(who)).get(URL + "councils/", SEPTEMBER)

    assert response.status_code == 200
    compared = {row[0]: row[1] for row in response.context["compared"].rows}
    # Rounded as for a service administrator; Southmoor did not agree, so it is not there at all.
    assert compared == {"Eastwick Council": 5, "Northbridge Borough Council": 10}
    page = response.content.decode()
    assert "Southmoor" not in page
    assert "Only the councils that agreed to share their figures" in page


def test_a_service_administrator_still_compares_every_council(sharing, signed_in):
    service_admin = UserFactory(agency=None, is_superuser=True, is_staff=True)

    response = signed_in(service_admin).get(URL + "councils/", SEPTEMBER)

    compared = {row[0]: row[1] for row in response.context["compared"].rows}
    assert {name: compared[name] for name in ("Eastwick Council", "Northbridge Borough Council")} == {
        "Eastwick Council": 5,
        "Northbridge Borough Council": 10,
    }
    assert compared["Southmoor District Council"] == 5
    assert "Only the councils that agreed" not in response.content.decode()


@pytest.mark.parametrize("who", ["school_practitioner", "social_worker", "other_council_admin", "other_council_user"])
def test_others_are_refused_the_comparison_even_when_their_neighbours_share(who, request, sharing, signed_in):
    # Northbridge shares: its practitioners and social workers still may not; Southmoor does not share, so
    # its administrator may not see the councils that do.
    response = signed_in(request.getfixturevalue(who)).get(URL + "councils/", SEPTEMBER)

    assert response.status_code == 403
    assert "Eastwick" not in response.content.decode()


def test_a_council_that_stops_sharing_loses_the_comparison(sharing, council, caf_admin, signed_in):
    council.shares_figures_with_councils = False
    council.save()

    assert signed_in(caf_admin).get(URL + "councils/").status_code == 403


def test_the_home_pages_link_to_the_comparison_for_those_it_is_open_to(
    council, caf_admin, social_care_manager, council_admin, school_practitioner, signed_in
):
    service_admin = UserFactory(agency=None, is_superuser=True, is_staff=True)
    link = 'href="/figures/councils/"'
    assert link in signed_in(service_admin).get("/").content.decode()
    for person in (caf_admin, social_care_manager, council_admin):
        assert link not in signed_in(person).get("/").content.decode()

    council.shares_figures_with_councils = True
    council.save()

    for person in (caf_admin, social_care_manager, council_admin):
        assert link in signed_in(person).get("/").content.decode()
    assert link not in signed_in(school_practitioner).get("/").content.decode()


# The council's settings for its figures -------------------------------------------------------------------

SETTINGS_FORM = {
    "child_population": 61_000,
    "front_door_phone": "01632 960 123",
    "out_of_hours_phone": "",
    "working_day_starts": "09:00",
    "working_day_ends": "17:00",
    "time_zone": "Europe/London",
    "default_review_interval_weeks": 6,
    "review_reminder_working_days": 5,
    "overdue_escalation_working_days": 5,
    "no_lead_flag_working_days": 10,
    "referral_decision_deadline_working_hours": 8,
    "step_down_pick_up_working_days": 5,
    "retention_years_after_closure": 6,
    "retention_until_age": 25,
    "retention_child_in_need_age": 25,
    "retention_child_protection_age": 35,
    "retention_looked_after_age": 75,
    "retention_adoption_age": 100,
    "access_log_retention_months": 84,
    "break_glass_hours": 3,
}


def test_a_council_administrator_sets_the_step_down_target_and_agrees_to_share(council, council_admin, signed_in):
    address = f"/admin/accounts/localauthority/{council.pk}/change/"
    client = signed_in(council_admin)
    page = client.get(address).content.decode()
    assert "share our figures with the other councils of this instance" in page.lower()

    response = client.post(
        address, {**SETTINGS_FORM, "step_down_pick_up_target_percent": "90", "shares_figures_with_councils": "on"}
    )

    assert response.status_code == 302
    council.refresh_from_db()
    assert council.step_down_pick_up_target_percent == Decimal("90.0")
    assert council.shares_figures_with_councils is True
    # Unticked again: no longer shared; the target left empty: none.
    assert client.post(address, SETTINGS_FORM).status_code == 302
    council.refresh_from_db()
    assert council.shares_figures_with_councils is False and council.step_down_pick_up_target_percent is None


@pytest.mark.parametrize("target", ["100.1", "-1", "x"])
def test_a_step_down_target_that_is_not_a_percentage_is_refused(target, council, council_admin, signed_in):
    response = signed_in(council_admin).post(
        f"/admin/accounts/localauthority/{council.pk}/change/",
        {**SETTINGS_FORM, "step_down_pick_up_target_percent": target},
    )

    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    council.refresh_from_db()
    assert council.step_down_pick_up_target_percent is None


# The council's own social care return (Medway's share) -----------------------------------------------------

RETURN_URL = URL + "social-care-return/"


def test_the_share_of_all_referrals_for_the_months_the_council_entered(council, build, caf_admin):
    from referrals.models import SocialCareReturnMonth

    child = build.child()
    caf = build.caf(london(2026, 8, 1, 10), children=[child])
    build.referral(london(2026, 9, 1, 10), children=[child], caf=caf)
    build.referral(london(2026, 9, 30, 23, 30), children=[child], caf=caf)  # 30 September in London
    build.referral(london(2026, 9, 10, 10), children=[build.child()])  # no CAF
    build.referral(london(2026, 10, 2, 10), children=[child], caf=caf)
    SocialCareReturnMonth.objects.create(council=council, month=date(2026, 9, 1), referrals=285, entered_by=caf_admin)
    SocialCareReturnMonth.objects.create(council=council, month=date(2026, 11, 1), referrals=300, entered_by=caf_admin)

    figure = figures_for(council, date(2026, 9, 1), date(2026, 10, 1))["share-of-all-referrals"]

    # All referrals (the return), through the service with a CAF, share: October was not entered.
    assert table(figure) == {
        "September 2026": [285, 2, "0.7%"],
        "October 2026": ["not entered", 1, "not entered"],
    }
    assert figure.totals == ["Total of the months entered", 285, 2, "0.7%"]
    assert figure.chart_labels == ["September 2026"] and figure.chart_values == [0.7]
    assert not figure.cannot_show

    filtered = figures_for(council, date(2026, 9, 1), date(2026, 10, 1), agency_type="school")["share-of-all-referrals"]
    assert table(filtered)["September 2026"] == [285, 2, "n/a"]
    assert "shown only without filters" in filtered.cannot_show and filtered.chart_labels == []


def test_a_period_with_no_month_entered_says_how_to_enter_one(council, caf_admin, signed_in):
    figure = figures_for(council, date(2026, 9, 1), date(2026, 9, 1))["share-of-all-referrals"]

    assert table(figure) == {"September 2026": ["not entered", 0, "not entered"]}
    assert "No month of this period has the council's social care return entered" in figure.cannot_show
    page = signed_in(caf_admin).get(URL).content.decode()
    assert 'id="table-share-of-all-referrals"' in page and f'href="{RETURN_URL}"' in page


@pytest.mark.parametrize("who", ["caf_admin", "council_admin"])
def test_a_council_or_caf_administrator_enters_and_corrects_a_month_of_the_return(who, request, council, signed_in):
    from referrals.models import SocialCareReturnMonth

    person = request.getfixturevalue(who)
    client = signed_in(person)
    assert "No month has been entered yet." in client.get(RETURN_URL).content.decode()

    response = client.post(RETURN_URL, {"month": "2026-09", "referrals": "285"})

    assert response.status_code == 302 and response["Location"] == RETURN_URL
    saved = SocialCareReturnMonth.objects.get(council=council)
    assert (saved.month, saved.referrals, saved.entered_by, saved.entered_at) == (date(2026, 9, 1), 285, person, NOW)
    page = client.get(RETURN_URL).content.decode()
    assert "Saved: 285 referrals in September 2026." in page
    assert "September 2026" in page and person.full_name in page
    # Correct it: the form comes back filled in, and the new total replaces the old.
    assert 'value="285"' in client.get(RETURN_URL, {"month": "2026-09"}).content.decode()
    client.post(RETURN_URL, {"month": "2026-09", "referrals": "290"})
    assert list(SocialCareReturnMonth.objects.values_list("referrals", flat=True)) == [290]


@pytest.mark.parametrize(
    ("posted", "error"),
    [
        ({"month": "2027-01", "referrals": "10"}, "Choose a month from the list"),  # next month
        ({"month": "2021-12", "referrals": "10"}, "Choose a month from the list"),  # past the 60 months
        ({"month": "x", "referrals": "10"}, "Choose a month from the list"),
        ({"month": "", "referrals": "10"}, "Choose the month the total is for"),
        ({"month": "2026-09", "referrals": ""}, "Enter the total of referrals for the month"),
        ({"month": "2026-09", "referrals": "-1"}, "The total must be a whole number from 0 to 99,999"),
        ({"month": "2026-09", "referrals": "100000"}, "The total must be a whole number from 0 to 99,999"),
        ({"month": "2026-09", "referrals": "3,400"}, "Enter the total as a whole number"),
        ({"month": "2026-09", "referrals": "1e9999"}, "Enter the total as a whole number"),
    ],
)
def test_a_bad_month_or_total_is_an_error_on_the_form(posted, error, council, caf_admin, signed_in):
    from referrals.models import SocialCareReturnMonth

    response = signed_in(caf_admin).post(RETURN_URL, posted)

    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page and error in page and page.count("<title>Error:") == 1
    assert not SocialCareReturnMonth.objects.exists()


@pytest.mark.parametrize("who", ["school_practitioner", "social_care_manager", "social_worker", "other_council_user"])
def test_others_may_not_enter_the_return(who, request, council, signed_in):
    from referrals.models import SocialCareReturnMonth

    client = signed_in(request.getfixturevalue(who))

    assert client.get(RETURN_URL).status_code == 403
    assert client.post(RETURN_URL, {"month": "2026-09", "referrals": "285"}).status_code == 403
    assert not SocialCareReturnMonth.objects.exists()


def test_another_councils_administrator_enters_their_own_councils_return_only(
    council, other_council, caf_admin, other_council_admin, signed_in
):
    from referrals.models import SocialCareReturnMonth

    SocialCareReturnMonth.objects.create(council=council, month=date(2026, 9, 1), referrals=285, entered_by=caf_admin)
    client = signed_in(other_council_admin)

    assert "285" not in client.get(RETURN_URL).content.decode()
    client.post(RETURN_URL, {"month": "2026-09", "referrals": "12"})

    assert dict(SocialCareReturnMonth.objects.values_list("council__slug", "referrals")) == {
        "northbridge": 285,
        "southmoor": 12,
    }


def test_the_service_refuses_a_future_month_and_the_wrong_person(council, caf_admin, school_practitioner):
    from django.core.exceptions import PermissionDenied

    from core.errors import Refused
    from referrals.services.social_care_return import social_care_return_record

    with pytest.raises(Refused):
        social_care_return_record(user=caf_admin, month=date(2027, 1, 1), referrals=1)
    with pytest.raises(Refused):
        social_care_return_record(user=caf_admin, month=date(2026, 9, 1), referrals=100_000)
    with pytest.raises(PermissionDenied):
        social_care_return_record(user=school_practitioner, month=date(2026, 9, 1), referrals=1)


def test_a_month_is_held_once_per_council_from_its_first_day(council, caf_admin):
    from django.db import IntegrityError, transaction

    from referrals.models import SocialCareReturnMonth

    SocialCareReturnMonth.objects.create(council=council, month=date(2026, 9, 1), referrals=1, entered_by=caf_admin)
    for month in (date(2026, 9, 1), date(2026, 10, 2)):
        with pytest.raises(IntegrityError), transaction.atomic():
            SocialCareReturnMonth.objects.create(council=council, month=month, referrals=1, entered_by=caf_admin)
