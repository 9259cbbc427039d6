"""The API's queue reads as the web queue does: early warnings first, whatever the order chosen,
and `mediator` means the lead or a co-mediator in both."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.pagination import Cursor, CursorPagination

from casework.enums import Level, Risk
from casework.services import case_accept
from mediation.services import case_assign
from tests.factories import register

QUEUE = reverse("casework:queue")


@pytest.fixture
def cases(centre, grid):
    """Normal and early-warning cases registered an hour apart, two of them at the same moment."""
    start = timezone.now() - dt.timedelta(days=3)
    kinds = ["normal", "warning", "normal", "normal", "warning", "normal", "warning"]
    made = [
        register(centre, grid, at=start + dt.timedelta(hours=n), risk=Risk.MAJOR if kind == "warning" else Risk.NORMAL)
        for n, kind in enumerate(kinds)
    ]
    made.append(register(centre, grid, at=made[-1].registered_at))  # a tie on registered_at, broken by the id
    return made


def newest_first(cases):
    return [c.pk for c in sorted(cases, key=lambda c: (c.registered_at, c.pk), reverse=True)]


def expected_queue(cases):
    return newest_first([c for c in cases if c.is_warning]) + newest_first([c for c in cases if not c.is_warning])


def walk(client, url):
    """Every id of a cursor-paginated list, page by page forward, then back again from the last page."""
    forward, pages = [], []
    while url:
        page = client.get(url).json()
        pages.append(page)
        forward += [row["id"] for row in page["results"]]
        url = page["next"]
    backward, url = [], pages[-1]["previous"]
    while url:
        page = client.get(url).json()
        backward = [row["id"] for row in page["results"]] + backward
        url = page["previous"]
    return forward, backward + [row["id"] for row in pages[-1]["results"]]


def test_api_queue_puts_early_warnings_first_like_the_web_queue(api, client, centre, cases):
    assert sum(c.is_warning for c in cases) == 3
    expected = expected_queue(cases)
    client.force_login(centre)
    assert [c.pk for c in client.get(QUEUE).context["rows"]] == expected
    assert [row["id"] for row in api(centre).get("/api/v1/cases/").json()["results"]] == expected


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_api_queue_pages_walk_every_case_once_both_ways(api, centre, cases, page_size):
    forward, backward = walk(api(centre), f"/api/v1/cases/?page_size={page_size}")
    assert forward == backward == expected_queue(cases)


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("registered_at", lambda c: (c.registered_at, c.pk)),
        ("-registered_at", lambda c: (-c.registered_at.timestamp(), -c.pk)),
        ("number", lambda c: c.number),
        ("-id", lambda c: -c.pk),
    ],
)
def test_api_queue_keeps_early_warnings_first_under_any_order(api, centre, cases, ordering, key):
    def ordered(group):
        return [c.pk for c in sorted(group, key=key)]

    expected = ordered([c for c in cases if c.is_warning]) + ordered([c for c in cases if not c.is_warning])
    forward, backward = walk(api(centre), f"/api/v1/cases/?ordering={ordering}&page_size=2")
    assert forward == backward == expected


def test_api_queue_refuses_a_cursor_that_names_no_row(api, centre, cases):
    client = api(centre)
    next_url = client.get("/api/v1/cases/?page_size=2").json()["next"]
    assert client.get(next_url).status_code == 200
    # A cursor of the right form whose position is not a sort key of this list: 400, not a 500.
    pagination = CursorPagination()
    pagination.base_url = "http://testserver/api/v1/cases/"
    bad = pagination.encode_cursor(Cursor(offset=0, reverse=False, position="yes,tomorrow,1"))
    response = client.get(bad)
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_mediator_filter_means_lead_or_co_mediator_on_the_web_and_in_the_api(
    api, client, centre, grid, mediator, other_mediator
):
    def assigned(lead, co=()):
        case = register(centre, grid)
        case_accept(case, actor=centre, level=Level.SUBDISTRICT)
        return case_assign(case, actor=centre, mediator=lead, co_mediators=list(co))

    led, helped = assigned(mediator), assigned(other_mediator, co=[mediator])
    assigned(other_mediator)
    client.force_login(centre)
    web = {c.pk for c in client.get(QUEUE, {"mediator": mediator.pk}).context["rows"]}
    by_api = {row["id"] for row in api(centre).get(f"/api/v1/cases/?mediator={mediator.pk}").json()["results"]}
    assert web == by_api == {led.pk, helped.pk}
