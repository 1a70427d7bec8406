"""Counting and paging big lists (core/paging.py): what a person reads under a list and a queue."""

import pytest
from django.http import QueryDict

from accounts.models import Agency
from core.paging import CappedCount, ListPage, list_page, page_number, pagination, view_all_text
from tests.factories import AgencyFactory


def a_page(number: int, *, found: int, size: int = 10, has_next: bool) -> ListPage:
    return ListPage(rows=[], number=number, size=size, count=CappedCount(found=found), has_next=has_next)


def test_a_single_page_has_no_links():
    assert pagination(a_page(1, found=7, has_next=False), QueryDict("")) is None


def test_the_links_keep_the_lists_filters_and_skip_the_middle_pages():
    links = pagination(a_page(5, found=95, has_next=True), QueryDict("status=active&page=5"))
    assert links.previous == "?status=active&page=4" and links.next == "?status=active&page=6"
    shown = [(item.number, item.current) for item in links.items]
    assert shown == [(1, False), (None, False), (4, False), (5, True), (6, False), (None, False), (10, False)]


def test_past_the_count_the_last_page_is_not_offered():
    links = pagination(a_page(3, found=1001, has_next=True), QueryDict(""))
    assert [item.number for item in links.items] == [1, 2, 3, 4, None]  # "more pages than we counted"
    assert a_page(3, found=1001, has_next=True).last is None


@pytest.mark.parametrize("typed", ["0", "-1", "abc", "٣", "1" * 7, None, ["2"]])
def test_a_page_number_that_is_not_one_is_the_first_page(typed):
    assert page_number(typed) == 1


def test_the_queue_link_says_plainly_when_it_stopped_counting():
    assert view_all_text(CappedCount(found=25), "CAFs to register") == "View all 25 CAFs to register"
    assert view_all_text(CappedCount(found=1001), "CAFs to register") == "View all CAFs to register (more than 1,000)"


@pytest.mark.django_db
def test_a_list_pages_through_every_row_once_in_its_order(council):
    AgencyFactory.create_batch(25, council=council)
    agencies = Agency.objects.filter(council=council).order_by("pk")
    pages = [list_page(agencies, str(number), size=10) for number in (1, 2, 3)]
    assert [len(page.rows) for page in pages] == [10, 10, 5]
    assert [page.has_next for page in pages] == [True, True, False]
    assert [row.pk for page in pages for row in page.rows] == list(agencies.values_list("pk", flat=True))
    assert (pages[2].first_shown, pages[2].last_shown) == (21, 25)
    assert list_page(agencies, "99", size=10).number == 3  # past the end: the last page
