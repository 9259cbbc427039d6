"""The queue's deadline tabs, 待结案, its total and 上一页."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import views
from casework.enums import CaseStatus, Risk
from casework.models import DisputeCase
from tests.factories import register
from tests.workflow import drive

QUEUE = reverse("casework:queue")


def test_deadline_tabs_list_the_most_overdue_first(client, centre, grid):
    today = timezone.localdate()
    cases = [register(centre, grid) for _ in range(3)]
    # Registered oldest first but due in another order; a 预警 case does not jump the deadline.
    for case, days in zip(cases, (-2, -9, -5), strict=True):
        DisputeCase.objects.filter(pk=case.pk).update(next_due=today + dt.timedelta(days=days))
    register(centre, grid, risk=Risk.MAJOR)  # due later, an early warning
    client.force_login(centre)
    overdue = client.get(QUEUE, {"tab": "overdue"}).context["rows"]
    assert [c.pk for c in overdue] == [cases[1].pk, cases[2].pk, cases[0].pk]
    reported = client.get(QUEUE, {"tab": "reported"}).context["rows"]
    assert [c.pk for c in reported][:3] == [cases[1].pk, cases[2].pk, cases[0].pk]
    # Other tabs: 预警 first, then the newest.
    everything = client.get(QUEUE).context["rows"]
    assert everything[0].is_warning and [c.pk for c in everything[1:]] == [c.pk for c in reversed(cases)]


def test_due_soon_and_closable_tabs(client, centre, mediator, grid):
    today = timezone.localdate()
    soon, later, past = (register(centre, grid) for _ in range(3))
    for case, days in ((soon, 2), (later, 10), (past, -1)):
        DisputeCase.objects.filter(pk=case.pk).update(next_due=today + dt.timedelta(days=days))
    agreed = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    failed = drive(CaseStatus.FAILED, centre=centre, lead=mediator, grid=grid)
    drive(CaseStatus.CLOSED, centre=centre, lead=mediator, grid=grid)
    client.force_login(centre)
    assert [c.pk for c in client.get(QUEUE, {"tab": "due_soon"}).context["rows"]] == [soon.pk]
    assert {c.pk for c in client.get(QUEUE, {"tab": "closable"}).context["rows"]} == {agreed.pk, failed.pk}
    body = client.get(QUEUE).content.decode()
    assert "待结案" in body and "即将到期" in body


def test_the_queue_says_how_many_cases_match_exactly_up_to_the_limit(client, centre, grid, monkeypatch):
    for _ in range(4):
        register(centre, grid)
    client.force_login(centre)
    response = client.get(QUEUE)
    assert response.context["total"] == 4 and "共 4 件" in response.content.decode()
    monkeypatch.setattr(views, "COUNT_LIMIT", 3)
    response = client.get(QUEUE)
    assert response.context["total_capped"] and "共 3+ 件" in response.content.decode()


@pytest.mark.parametrize("tab", ["all", "overdue"])
def test_previous_page_walks_back_over_the_same_pages(client, centre, grid, monkeypatch, tab):
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    today = timezone.localdate()
    cases = [register(centre, grid, description=f"第{i}件") for i in range(8)]
    for i, case in enumerate(cases):
        # Some share a deadline, one has none: ties and NULLs across the page boundaries.
        due = None if i == 4 else today - dt.timedelta(days=i % 3 + 1)
        DisputeCase.objects.filter(pk=case.pk).update(next_due=due)
    client.force_login(centre)
    pages, params = [], {"tab": tab}
    while True:
        response = client.get(QUEUE, params)
        pages.append((response.context["page"], [c.pk for c in response.context["rows"]]))
        if not response.context["has_next"]:
            break
        params = {"tab": tab, "after": response.context["next_cursor"], "page": response.context["page"] + 1}
    assert len(pages) >= 2
    # Now back: 上一页 from the last page to the first gives the same pages in reverse.
    back = [pages[-1]]
    while response.context["page"] > 1:
        previous = response.context["previous_cursor"]
        page = response.context["page"] - 1
        response = client.get(QUEUE, {"tab": tab, "before": previous, "page": page} if page > 1 else {"tab": tab})
        back.append((response.context["page"], [c.pk for c in response.context["rows"]]))
    assert list(reversed(back)) == pages


def test_the_pager_offers_previous_page_after_the_first(client, centre, grid, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(5):
        register(centre, grid)
    client.force_login(centre)
    first = client.get(QUEUE)
    assert "上一页" not in first.content.decode()
    second = client.get(QUEUE, {"after": first.context["next_cursor"], "page": 2})
    third = client.get(QUEUE, {"after": second.context["next_cursor"], "page": 3})
    body = third.content.decode()
    assert "上一页" in body and urlencode({"before": third.context["previous_cursor"]}) in body


def test_filters_set_by_links_are_shown_kept_and_can_be_dropped(client, centre, mediator, grid):
    """The dashboards' cumulative figures and the roster's counts link to the queue with filters the
    form has no control for: the queue names each, keeps it when the form is submitted, and drops
    one at a time."""
    from mediation.enums import MediatorKind
    from tests.factories import MediatorFactory

    volunteer = MediatorFactory(user__username="volunteer", kind=MediatorKind.VOLUNTEER)
    third_party = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid)
    drive(CaseStatus.AGREED, centre=centre, lead=volunteer, grid=grid)
    drive(CaseStatus.ASSIGNED, centre=centre, lead=mediator, grid=grid)
    client.force_login(centre)

    params = {"concluded_any": "true", "third_party": "true"}
    response = client.get(QUEUE, params)
    assert [c.pk for c in response.context["rows"]] == [third_party.pk]
    pins = {pin["name"]: pin for pin in response.context["pinned"]}
    assert {name: pin["shown"] for name, pin in pins.items()} == {"third_party": "是", "concluded_any": "是"}
    body = response.content.decode()
    assert "第三方调解：是" in body and "已办结：是" in body
    # Submitting the form (a community chosen, say) keeps both.
    assert '<input type="hidden" name="third_party" value="true">' in body
    assert '<input type="hidden" name="concluded_any" value="true">' in body
    # Dropping one keeps the other: every agreed case, the volunteer's too.
    dropped = client.get(QUEUE + pins["third_party"]["drop"])
    assert {pin["name"] for pin in dropped.context["pinned"]} == {"concluded_any"}
    assert len(dropped.context["rows"]) == 2

    # The roster's count of a mediator's open cases: the queue names the mediator.
    response = client.get(QUEUE, {"lead": str(mediator.pk), "tab": "mediating"})
    assert [(pin["label"], pin["shown"]) for pin in response.context["pinned"]] == [("主调解员", mediator.name)]
    assert f"主调解员：{mediator.name}" in response.content.decode()
    # No pinned filter, no chips.
    assert client.get(QUEUE).context["pinned"] == []
