"""Every statistic against the hand-counted world of tests/reports/conftest.py (March 2025)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from casework.models import DisputeCase
from grids.models import SensitivePeriod
from reports import services, statistics
from reports.statistics import Period
from tests.reports.conftest import MARCH, monthly_return

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def returns(world, grid, other_grid, grid_worker, other_grid_worker):
    """March's monthly returns: `grid` found 2 (1 registered), `other_grid` a zero report, `sibling_grid` none."""
    filed_at = timezone.make_aware(dt.datetime(2025, 4, 1, 9))
    monthly_return(grid_worker, grid, found=2, registered=1, at=filed_at)
    monthly_return(other_grid_worker, other_grid, found=0, at=filed_at)


def test_totals_of_march_match_the_hand_count(world, today):
    totals = statistics.totals(Period.monthly(MARCH), today)
    assert totals == {
        "registered": 6,  # A B C E F G
        "concluded": 3,  # A B D
        "agreed": 2,  # A D
        "failed": 1,  # B
        "open": 6,  # A B C D (agreed/failed, not closed) E F
        "overdue": 3,  # C (no follow-up) E F (never accepted)
        "warning": 1,  # F
        "on_time": 3,
        "late": 2,  # E F: overdue and not concluded
        "pending_overdue": 2,
        "cumulative_concluded": 3,
        "cumulative_agreed": 2,
        "followed_up": 2,  # A D
        "workload": 4,  # A B C D
    }


def test_success_rate_of_the_period_has_count_and_wilson_interval(world, today):
    figures = statistics.report_figures(Period.monthly(MARCH), today)
    assert figures["success_rate_period"] == {"concluded": 3, "agreed": 2, "rate": 0.667, "ci95": [0.2077, 0.9385]}


def test_cumulative_success_rate_counts_from_the_start_date_to_the_period_end(world, today):
    february = statistics.report_figures(Period.monthly(dt.date(2025, 2, 1)), today)["success_rate"]
    april = statistics.report_figures(Period.monthly(dt.date(2025, 4, 1)), today)["success_rate"]
    assert (february["concluded"], february["agreed"]) == (0, 0)
    assert february["rate"] is None and february["ci95"] is None
    assert (april["concluded"], april["agreed"], april["since"]) == (4, 3, "2020-01-01")  # C concluded in April


def test_on_time_rate_counts_overdue_open_cases_against_it(world, today):
    on_time = statistics.report_figures(Period.monthly(MARCH), today)["on_time"]
    assert on_time == {"on_time": 3, "late": 2, "concluded": 3, "pending_overdue": 2, "rate": 0.6}


def test_durations_give_p50_and_p90_in_days(world):
    concluded = DisputeCase.objects.filter(pk__in=[world["A"].pk, world["B"].pk, world["D"].pk])
    # 8, 20 and 28 days: p50 is the middle one; p90 interpolates 80% of the way from 20 to 28.
    assert statistics.durations(concluded) == {"count": 3, "mean": 18.7, "p50": 20.0, "p90": 26.4}
    assert connection.vendor == "postgresql"  # the percentile_cont path, not the fallback


def test_percentile_fallback_interpolates_like_percentile_cont():
    assert statistics._percentile([8.0, 20.0, 28.0], 0.5) == 20.0
    assert statistics._percentile([8.0, 20.0, 28.0], 0.9) == pytest.approx(26.4)
    assert statistics._percentile([5.0], 0.9) == 5.0


def test_durations_of_no_cases_are_empty(db):
    assert statistics.durations(DisputeCase.objects.none()) == {"count": 0, "mean": None, "p50": None, "p90": None}


def _counts(rows):
    return {row["label"]: row["count"] for row in rows}


def test_breakdowns_by_every_dimension(world, today, community, other_community, mediator, other_mediator):
    march = Period.monthly(MARCH)
    figures = statistics.report_figures(march, today)
    assert _counts(figures["by_state"]) == {"调解成功": 3, "已登记": 2, "调解不成": 1}
    assert _counts(figures["by_category"]) == {world["A"].category.name: 5, world["B"].category.name: 1}
    assert _counts(figures["by_community"]) == {community.name: 4, other_community.name: 2}
    assert _counts(figures["by_source"]) == {"网格排查": 4, "群众来访": 1, "12345热线": 1}
    assert _counts(figures["by_risk"]) == {"一般": 5, "重大": 1}
    assert _counts(figures["by_mediator"]) == {mediator.name: 2, other_mediator.name: 1}
    assert _counts(figures["by_organization"]) == {mediator.organization.name: 2, other_mediator.organization.name: 1}
    assert sum(row["count"] for row in figures["by_grid"]) == 6


def test_hot_spots_are_community_by_category_busiest_first(world, today, community, other_community):
    spots = statistics.hot_spots(Period.monthly(MARCH), today)
    neighbour, family = world["A"].category.name, world["B"].category.name
    assert [(s["community"], s["category"], s["count"]) for s in spots] == [
        (community.name, neighbour, 3),
        (other_community.name, neighbour, 2),
        (community.name, family, 1),
    ]


def test_mediator_workload_and_outcomes(world, today, mediator, other_mediator):
    rows = {row["mediator"]: row for row in statistics.mediator_workload(Period.monthly(MARCH), today)}
    assert {k: rows[mediator.name][k] for k in ("open", "concluded", "agreed")} == {
        "open": 3,
        "concluded": 2,
        "agreed": 2,
    }
    assert {k: rows[other_mediator.name][k] for k in ("open", "concluded", "agreed")} == {
        "open": 1,
        "concluded": 1,
        "agreed": 0,
    }


def test_follow_up_satisfaction(world):
    assert statistics.follow_up_satisfaction(Period.monthly(MARCH)) == {
        "count": 2,
        "performed": 1,
        "mean": 4.5,
        "satisfied_rate": 1.0,
        "distribution": [0, 0, 0, 1, 1],
    }


def test_trend_covers_six_months_up_to_the_period(world):
    trend = statistics.trend(Period.monthly(MARCH))
    assert [row["month"] for row in trend] == ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    assert [(r["registered"], r["concluded"], r["agreed"]) for r in trend[-2:]] == [(1, 0, 0), (6, 3, 2)]
    assert trend[-1]["success_rate"] == 0.6667 and trend[0]["success_rate"] is None


def test_inspection_coverage_names_missing_returns_with_their_worker(returns, sibling_grid, grid, grid_worker):
    coverage = statistics.inspection_coverage("monthly", MARCH)
    assert {k: coverage[k] for k in ("required", "grids", "filed", "zero_reports", "disputes_found")} == {
        "required": True,
        "grids": 3,
        "filed": 2,
        "zero_reports": 1,
        "disputes_found": 2,
    }
    assert coverage["coverage"] == 0.6667
    assert coverage["missing"] == [
        {"grid_id": sibling_grid.pk, "grid": sibling_grid.name, "community": sibling_grid.community.name, "workers": []}
    ]
    # A day outside any sensitive period needs no daily return, so nothing is missing.
    assert statistics.inspection_coverage("daily", dt.date(2025, 3, 11))["required"] is False


def test_daily_coverage_inside_a_sensitive_period_lists_every_grid_without_a_return(world, grid, grid_worker):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 12))
    services.inspection_file(
        actor=grid_worker,
        grid=grid,
        kind="daily",
        period=dt.date(2025, 3, 11),
        disputes_found=0,
        cases_registered=0,
        zero_report=True,
        at=timezone.make_aware(dt.datetime(2025, 3, 11, 17)),
    )
    coverage = statistics.inspection_coverage("daily", dt.date(2025, 3, 11))
    assert (coverage["required"], coverage["filed"], coverage["grids"], len(coverage["missing"])) == (True, 1, 3, 2)
    assert grid_worker.display_name not in [w for m in coverage["missing"] for w in m["workers"]]


def test_daily_figures_count_the_day_only(world, today):
    figures = statistics.report_figures(Period.daily(dt.date(2025, 3, 11)), today)
    assert (figures["totals"]["registered"], figures["totals"]["concluded"], figures["totals"]["agreed"]) == (0, 1, 1)
    assert "trend" not in figures and "hot_spots" not in figures


def test_every_figure_drills_down_to_exactly_its_cases(world, today):
    """The count and the drill-down share one filter: for every figure they agree."""
    march = Period.monthly(MARCH)
    figures = statistics.report_figures(march, today)
    keys = {name: count for name, count in figures["totals"].items()}
    for section in (
        "by_state",
        "by_category",
        "by_community",
        "by_grid",
        "by_source",
        "by_risk",
        "by_mediator",
        "by_organization",
        "hot_spots",
    ):
        keys.update({row["drill"]: row["count"] for row in figures[section]})
    for row in figures["trend"]:
        keys.update({row["drill_registered"]: row["registered"], row["drill_concluded"]: row["concluded"]})
    for row in figures["mediators"]:
        keys.update({row["drill_open"]: row["open"], row["drill_agreed"]: row["agreed"]})
    assert len(keys) > 30
    for key, count in keys.items():
        assert DisputeCase.objects.filter(statistics.drill_filter(key, march, today)).count() == count, key


def test_report_figures_cost_a_bounded_number_of_queries(world, today, django_assert_max_num_queries):
    with django_assert_max_num_queries(30):
        statistics.report_figures(Period.monthly(MARCH), today)
