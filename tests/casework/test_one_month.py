"""The conclusion deadline is one calendar month from acceptance (the same day of the next month, or
that month's last day, moved to the next working day), extendable once; an escalated case starts the
subdistrict's own clock and keeps the community's leg."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework import calendar
from casework import services as case_services
from casework.enums import CaseStatus, Level
from casework.exceptions import TransitionUnavailable
from casework.models import CaseEvent, DisputeCase
from tests.factories import register
from tests.workflow import drive

D = dt.date
pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (D(2025, 3, 10), D(2025, 4, 10)),  # same day next month (a Thursday)
        (D(2025, 1, 31), D(2025, 2, 28)),  # no 31 February: the month's last day
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2025, 12, 15), D(2026, 1, 15)),  # across the year
        (D(2025, 3, 31), D(2025, 4, 30)),
    ],
)
def test_months_after(start, expected):
    assert calendar.months_after(start, 1) == expected


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (D(2025, 3, 10), D(2025, 4, 10)),
        (D(2025, 5, 17), D(2025, 6, 17)),
        (D(2025, 4, 19), D(2025, 5, 19)),  # 19 May is a Monday
        (D(2025, 3, 15), D(2025, 4, 15)),
        (D(2025, 2, 22), D(2025, 3, 24)),  # 22 March is a Saturday → Monday 24
        (D(2025, 1, 1), D(2025, 2, 5)),  # 1 February is a 春节 holiday … 4 February; 5th a Wednesday
        (D(2025, 1, 8), D(2025, 2, 8)),  # 8 February 2025 is a make-up working Saturday (调休)
    ],
)
def test_conclusion_due_is_one_month_then_the_next_working_day(start, expected):
    assert calendar.conclusion_due(start) == expected


def test_acceptance_gives_one_calendar_month_not_six_weeks(centre, grid):
    case = register(centre, grid, at=_at(D(2025, 3, 7)))
    case_services.case_accept(case, actor=centre, level=Level.COMMUNITY, at=_at(D(2025, 3, 10)))
    case = DisputeCase.objects.get(pk=case.pk)
    assert (case.conclude_due, case.next_due) == (D(2025, 4, 10), D(2025, 4, 10))
    assert (case.conclude_due - D(2025, 3, 10)).days == 31


@override_settings(FENGQIAO_CONCLUDE_MONTHS=2)
def test_the_span_is_a_setting(centre, grid):
    case = register(centre, grid, at=_at(D(2025, 3, 7)))
    case_services.case_accept(case, actor=centre, level=Level.COMMUNITY, at=_at(D(2025, 3, 10)))
    assert case.conclude_due == D(2025, 5, 12)  # 10 May 2025 is a Saturday


def test_extended_once_only(centre, grid):
    case = register(centre, grid, at=_at(D(2025, 3, 7)))
    case_services.case_accept(case, actor=centre, level=Level.COMMUNITY, at=_at(D(2025, 3, 10)))
    case_services.case_extend_deadline(case, actor=centre, reason="需要鉴定")
    assert case.conclude_due == D(2025, 5, 12) and case.conclude_extended
    with pytest.raises(TransitionUnavailable):
        case_services.case_extend_deadline(case, actor=centre, reason="再次延期")
    event = CaseEvent.objects.filter(case=case, name="extend_deadline").get()
    assert (event.data, event.note) == ({"from": "2025-04-10", "to": "2025-05-12"}, "需要鉴定")


def _community_case(centre, mediator, grid, state, days_ago: int):
    """A community-level case accepted `days_ago` days ago (drive spreads its steps over five parts)."""
    now = timezone.now()
    case = drive(
        state,
        centre=centre,
        lead=mediator,
        grid=grid,
        level=Level.COMMUNITY,
        at=now - dt.timedelta(days=days_ago * 5 / 4),
        concluded=now,
    )
    accepted_on = timezone.localtime(case.accepted_at).date()
    assert accepted_on == timezone.localdate() - dt.timedelta(days=days_ago)
    assert case.conclude_due == calendar.conclusion_due(accepted_on)
    return case


def test_escalation_starts_the_subdistricts_clock_and_keeps_the_communitys_leg(centre, mediator, grid):
    case = _community_case(centre, mediator, grid, CaseStatus.MEDIATING, 40)
    community_due = case.conclude_due
    case_services.case_escalate(case, actor=centre, reason="社区调解未果")
    case = DisputeCase.objects.get(pk=case.pk)
    today = timezone.localdate()
    assert case.conclude_due == calendar.conclusion_due(today) == case.next_due
    assert not case.conclude_extended
    assert case.community_conclude_due == community_due
    assert case.community_days == 40 and case.community_overdue is (today > community_due)
    assert case.community_overdue  # forty days is past a month
    event = CaseEvent.objects.filter(case=case, name="escalate").get()
    assert event.data["community"] == {"due": community_due.isoformat(), "days": 40, "overdue": True}
    assert event.data["deadline"] == {"from": community_due.isoformat(), "to": case.conclude_due.isoformat()}


def test_an_escalation_within_the_month_is_on_time_for_the_community(centre, mediator, grid):
    case = _community_case(centre, mediator, grid, CaseStatus.ASSIGNED, 5)
    case_services.case_escalate(case, actor=centre, reason="涉及多方，上报街道")
    case = DisputeCase.objects.get(pk=case.pk)
    assert (case.community_days, case.community_overdue) == (5, False)


def test_an_escalated_failure_ends_the_communitys_leg_at_the_failure(centre, mediator, grid):
    case = _community_case(centre, mediator, grid, CaseStatus.FAILED, 20)
    accepted_on = timezone.localtime(case.accepted_at).date()
    failed_on = timezone.localtime(case.concluded_at).date()
    case_services.case_escalate(case, actor=centre, reason="社区调解不成")
    case = DisputeCase.objects.get(pk=case.pk)
    assert case.community_days == (failed_on - accepted_on).days
    assert case.conclude_due == calendar.conclusion_due(timezone.localdate())


def test_the_case_page_shows_the_communitys_leg(client, centre, mediator, grid):
    case = _community_case(centre, mediator, grid, CaseStatus.MEDIATING, 40)
    case_services.case_escalate(case, actor=centre, reason="社区调解未果")
    client.force_login(centre)
    body = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "社区办理" in body and "40 天" in body and "社区超期" in body
    assert calendar.conclusion_due(timezone.localdate()).isoformat() in body


def test_the_api_gives_both_clocks(centre, mediator, grid):
    case = _community_case(centre, mediator, grid, CaseStatus.MEDIATING, 40)
    community_due = case.conclude_due
    case_services.case_escalate(case, actor=centre, reason="社区调解未果")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=centre)[1]}")
    deadlines = client.get(f"/api/v1/cases/{case.pk}/").json()["deadlines"]
    assert deadlines["conclude_due"] == calendar.conclusion_due(timezone.localdate()).isoformat()
    assert deadlines["community_conclude_due"] == community_due.isoformat()
    assert (deadlines["community_days"], deadlines["community_overdue"]) == (40, True)
