"""The success rate: agreed ÷ concluded by conclusion date (Asia/Shanghai days, both ends
inclusive), and its 95% Wilson interval checked against hand-computed values."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from casework.enums import CaseStatus, Level
from casework.models import DisputeCase
from casework.services import case_accept, case_close, case_decline, case_withdraw
from mediation import services as mediation_services
from mediation.enums import AgreementForm
from reports.statistics import SuccessRate, concluded_cases, success_rate, wilson_interval
from tests.factories import register
from tests.workflow import log_follow_up

Z = 1.959963984540054


def wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    """The other textbook form: (2np + z² ± z√(z² + 4np(1−p))) / 2(n + z²)."""
    p = k / n
    middle, spread = 2 * n * p + Z * Z, Z * math.sqrt(Z * Z + 4 * n * p * (1 - p))
    return ((middle - spread) / (2 * (n + Z * Z)), (middle + spread) / (2 * (n + Z * Z)))


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (78, 83, (0.8666, 0.9740)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (1, 2, (0.0945, 0.9055)),
        (5, 10, (0.2366, 0.7634)),
    ],
)
def test_wilson_interval_hand_computed(k, n, expected):
    low, high = wilson_interval(k, n)
    assert (round(low, 4), round(high, 4)) == expected
    assert (low, high) == pytest.approx(wilson_by_hand(k, n), abs=1e-12)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_interval_no_cases_none():
    assert wilson_interval(0, 0) is None


def test_success_rate_text_and_dict():
    figures = SuccessRate(concluded=83, agreed=78)
    assert str(figures) == "94.0%, 78 of 83"
    assert figures.as_dict() == {"concluded": 83, "agreed": 78, "rate": 0.94, "ci95": [0.8666, 0.974]}
    empty = SuccessRate(concluded=0, agreed=0)
    assert (empty.rate, empty.ci95, empty.as_dict()["rate"]) == (None, None, None)
    assert "0" in str(empty)


# By conclusion date


def _shanghai(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def conclude(outcome, at, *, centre, mediator, grid) -> DisputeCase:
    """A case mediated to `outcome` at `at`, through the services, its steps in the days before."""
    case = register(centre, grid, at=at - dt.timedelta(days=5))
    case_accept(case, actor=centre, level=Level.SUBDISTRICT, at=at - dt.timedelta(days=4))
    mediation_services.case_assign(case, actor=centre, mediator=mediator, at=at - dt.timedelta(days=3))
    mediation_services.case_start(case, actor=mediator.user, at=at - dt.timedelta(days=2))
    mediation_services.session_log(
        case,
        actor=mediator.user,
        held_at=at - dt.timedelta(days=1),
        location="第三方调解室",
        summary="听取陈述",
        public=False,
        rights_explained=True,
        rights_explained_by=mediator.name,
        at=at - dt.timedelta(days=1),
    )
    if outcome == CaseStatus.AGREED:
        mediation_services.case_reach_agreement(
            case,
            actor=mediator.user,
            form=AgreementForm.ORAL,
            terms="赔偿",
            signed_on=timezone.localtime(at).date(),
            at=at,
        )
    else:
        mediation_services.case_fail(case, actor=mediator.user, reason="分歧大", guidance="litigation", at=at)
    return case


@pytest.fixture
def concluded(centre, mediator, grid):
    """Cases concluded on the edges of March 2025, Shanghai time."""
    march_1, march_31 = dt.date(2025, 3, 1), dt.date(2025, 3, 31)

    def make(outcome, at):
        return conclude(outcome, at, centre=centre, mediator=mediator, grid=grid)

    return {
        # 23:59 on Feb 28 in Shanghai: February.
        "feb_last": make(CaseStatus.AGREED, _shanghai(dt.date(2025, 2, 28), 23, 59)),
        # 00:00 on Mar 1 in Shanghai is 16:00 UTC on Feb 28: March.
        "mar_first": make(CaseStatus.AGREED, _shanghai(march_1, 0)),
        "mar_mid": make(CaseStatus.FAILED, _shanghai(dt.date(2025, 3, 15), 10)),
        "mar_last": make(CaseStatus.AGREED, _shanghai(march_31, 23, 59)),
        "apr_first": make(CaseStatus.FAILED, _shanghai(dt.date(2025, 4, 1), 0)),
    }


def test_success_rate_by_conclusion_date_inclusive_in_shanghai(concluded):
    march = success_rate(since=dt.date(2025, 3, 1), until=dt.date(2025, 3, 31))
    assert (march.concluded, march.agreed) == (3, 2)
    numbers = set(
        concluded_cases(since=dt.date(2025, 3, 1), until=dt.date(2025, 3, 31)).values_list("number", flat=True)
    )
    assert numbers == {concluded[key].number for key in ("mar_first", "mar_mid", "mar_last")}


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        (None, None, (5, 3)),
        (dt.date(2025, 3, 1), None, (4, 2)),
        (None, dt.date(2025, 2, 28), (1, 1)),
        (dt.date(2025, 2, 28), dt.date(2025, 2, 28), (1, 1)),
        (dt.date(2025, 3, 31), dt.date(2025, 3, 31), (1, 1)),
        (dt.date(2025, 4, 1), dt.date(2025, 4, 1), (1, 0)),
        (dt.date(2025, 3, 2), dt.date(2025, 3, 14), (0, 0)),
    ],
)
def test_success_rate_boundaries(since, until, expected, concluded):
    figures = success_rate(since=since, until=until)
    assert (figures.concluded, figures.agreed) == expected


def test_success_rate_counts_closed_and_ignores_declined_and_withdrawn(concluded, centre, mediator, grid):
    log_follow_up(concluded["mar_first"], mediator.user)
    case_close(DisputeCase.objects.get(pk=concluded["mar_first"].pk), actor=centre)
    case_decline(register(centre, grid), actor=centre, reason="不属于调解范围", referral="court")
    withdrawn = register(centre, grid)
    case_accept(withdrawn, actor=centre, level=Level.SUBDISTRICT)
    case_withdraw(withdrawn, actor=centre, reason="撤回")
    register(centre, grid)  # still open
    figures = success_rate()
    assert (figures.concluded, figures.agreed) == (5, 3)


def test_success_rate_over_given_cases(concluded):
    subset = DisputeCase.objects.filter(pk__in=[concluded["mar_mid"].pk, concluded["mar_last"].pk])
    figures = success_rate(subset)
    assert (figures.concluded, figures.agreed) == (2, 1)


def test_success_rate_costs_one_query(concluded, django_assert_num_queries):
    with django_assert_num_queries(1):
        success_rate(since=dt.date(2025, 1, 1))
