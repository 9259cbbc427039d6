"""Every statistic against the hand-counted world of tests/reports/conftest.py (March 2025),
as of March's last instant: C was still being mediated then (it concluded on 04-02)."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.enums import CaseStatus
from grids.models import SensitivePeriod
from reports import statistics
from reports.statistics import Period
from tests.factories import register
from tests.reports.conftest import MARCH, at, daily_zero_return, monthly_return
from tests.workflow import drive

pytestmark = pytest.mark.django_db


def figures_of(period, subdistrict):
    return statistics.report_figures(period, subdistrict.pk)


@pytest.fixture
def returns(world, grid, other_grid, grid_worker, other_grid_worker):
    """March's monthly returns, filed on 03-31: `grid` found 2 (1 registered), `other_grid` a zero report,
    `sibling_grid` none."""
    filed_at = timezone.make_aware(dt.datetime(2025, 3, 31, 17))
    monthly_return(grid_worker, grid, found=2, registered=1, at=filed_at)
    monthly_return(other_grid_worker, other_grid, found=0, at=filed_at)


def test_totals_of_march_match_the_hand_count(world, subdistrict):
    totals = figures_of(Period.monthly(MARCH), subdistrict)["totals"]
    expected = {
        "registered": 6,  # A B C E F G
        "registered_imported": 0,
        "concluded": 3,  # A B D
        "agreed": 2,  # A D
        "failed": 1,  # B
        "failed_community": 0,  # B failed at the subdistrict (drive's level)
        "concluded_imported": 0,
        "open": 6,  # A B D (agreed/failed, not closed) C (mediating on 03-31) E F
        "overdue": 2,  # E F: never accepted; C's conclusion deadline lies in April
        "pending_overdue": 2,
        "overdue_follow_up": 0,  # A and D were followed up in March
        "warning": 1,  # F
        "on_time": 3,
        "late": 2,  # E F: overdue and not concluded
        "late_concluded": 0,
        "withdrawn": 1,  # G
        "declined": 0,
        "ladder_community": 0,
        "ladder_subdistrict": 3,  # every conclusion was at subdistrict level
        "third_party_concluded": 3,  # the factory's mediators are lawyers
        "third_party_agreed": 2,
        "cumulative_concluded": 3,
        "cumulative_agreed": 2,
        "cumulative_third_party_concluded": 3,
        "cumulative_third_party_agreed": 2,
        "followed_up": 2,  # A D
        "late_registration": 0,
        # Each level on its own clock: A B D on time at the subdistrict; E F are late to be accepted,
        # which no level's conclusion clock charges.
        "on_time_community": 0,
        "late_community": 0,
        "on_time_subdistrict": 3,
        "late_subdistrict": 0,
        # Nothing went up to the district.
        "referred_district": 0,
        "ladder_district": 0,
        "on_time_district": 0,
        "late_district": 0,
        # A and D were agreed in March: their judicial-confirmation windows close in April.
        "judicial_applied": 0,
        "judicial_confirmed": 0,
        "judicial_lapsed": 0,
        # No 督办 in this world (tests/reports/test_supervision_figures.py counts them).
        "supervision_issued": 0,
        "supervision_on_time": 0,
        "supervision_late": 0,
        "supervision_unanswered": 0,
        "supervision_overdue": 0,
    }
    assert totals == expected


def test_success_rate_of_the_period_has_count_and_wilson_interval(world, subdistrict):
    figures = figures_of(Period.monthly(MARCH), subdistrict)
    assert figures["success_rate_period"] == {"concluded": 3, "agreed": 2, "rate": 0.667, "ci95": [0.2077, 0.9385]}


def test_cumulative_success_rate_counts_from_the_start_date_to_the_period_end(world, subdistrict):
    february = figures_of(Period.monthly(dt.date(2025, 2, 1)), subdistrict)["success_rate"]
    april = figures_of(Period.monthly(dt.date(2025, 4, 1)), subdistrict)["success_rate"]
    assert (february["concluded"], february["agreed"]) == (0, 0)
    assert february["rate"] is None and february["ci95"] is None
    assert (april["concluded"], april["agreed"], april["since"]) == (4, 3, "2020-01-01")  # C concluded in April


def test_on_time_rate_counts_overdue_open_cases_against_it(world, subdistrict):
    on_time = figures_of(Period.monthly(MARCH), subdistrict)["on_time"]
    by_level = on_time.pop("by_level")
    assert on_time == {"on_time": 3, "late": 2, "concluded": 3, "pending_overdue": 2, "rate": 0.6}
    assert by_level == {
        "community": {"on_time": 0, "late": 0, "rate": None},
        "subdistrict": {"on_time": 3, "late": 0, "rate": 1.0},
        "district": {"on_time": 0, "late": 0, "rate": None},
    }


def test_durations_give_p50_and_p90_in_days(world, subdistrict):
    # A 8, B 20 and D 28 days: p50 is the middle one; p90 interpolates 80% of the way from 20 to 28.
    assert figures_of(Period.monthly(MARCH), subdistrict)["durations"] == {
        "count": 3,
        "mean": 18.7,
        "p50": 20.0,
        "p90": 26.4,
    }


def test_percentile_interpolates_like_percentile_cont():
    assert statistics._percentile([8.0, 20.0, 28.0], 0.5) == 20.0
    assert statistics._percentile([8.0, 20.0, 28.0], 0.9) == pytest.approx(26.4)
    assert statistics._percentile([5.0], 0.9) == 5.0


def test_durations_of_no_cases_are_empty(subdistrict):
    durations = figures_of(Period.monthly(MARCH), subdistrict)["durations"]
    assert durations == {"count": 0, "mean": None, "p50": None, "p90": None}


def _counts(rows):
    return {row["label"]: row["count"] for row in rows}


def test_breakdowns_by_every_dimension(world, subdistrict, community, other_community, mediator, other_mediator):
    figures = figures_of(Period.monthly(MARCH), subdistrict)
    assert _counts(figures["by_state"]) == {"调解成功": 2, "已登记": 2, "调解不成": 1, "调解中": 1}
    assert [row["key"] for row in figures["by_state"]] == ["reported", "mediating", "agreed", "failed"]
    assert _counts(figures["by_category"]) == {world["A"].category.name: 5, world["B"].category.name: 1}
    assert _counts(figures["by_community"]) == {community.name: 4, other_community.name: 2}
    assert _counts(figures["by_source"]) == {"网格排查": 4, "群众来访": 1, "12345热线": 1}
    assert _counts(figures["by_risk"]) == {"一般": 5, "重大": 1}
    assert _counts(figures["by_mediator"]) == {mediator.name: 2, other_mediator.name: 1}
    assert _counts(figures["by_organization"]) == {mediator.organization.name: 2, other_mediator.organization.name: 1}
    assert sum(row["count"] for row in figures["by_grid"]) == 6
    assert _counts(figures["withdrawn"]) == {"当事人": 1}


def test_hot_spots_are_community_by_category_busiest_first(world, subdistrict, community, other_community):
    spots = figures_of(Period.monthly(MARCH), subdistrict)["hot_spots"]
    neighbour, family = world["A"].category.name, world["B"].category.name
    assert [(s["community"], s["category"], s["count"]) for s in spots] == [
        (community.name, neighbour, 3),
        (other_community.name, neighbour, 2),
        (community.name, family, 1),
    ]


def test_mediator_workload_and_outcomes(world, subdistrict, mediator, other_mediator):
    rows = {row["mediator"]: row for row in figures_of(Period.monthly(MARCH), subdistrict)["mediators"]}
    pick = ("open", "concluded", "agreed")
    assert {k: rows[mediator.name][k] for k in pick} == {"open": 3, "concluded": 2, "agreed": 2}
    assert {k: rows[other_mediator.name][k] for k in pick} == {"open": 1, "concluded": 1, "agreed": 0}


def test_follow_up_satisfaction(world, subdistrict):
    assert figures_of(Period.monthly(MARCH), subdistrict)["follow_up"] == {
        "count": 2,
        "performed": 1,
        "mean": 4.5,
        "satisfied_rate": 1.0,
        "distribution": [0, 0, 0, 1, 1],
    }


def test_trend_covers_six_months_up_to_the_period(world, subdistrict):
    trend = figures_of(Period.monthly(MARCH), subdistrict)["trend"]
    assert [row["month"] for row in trend] == ["2024-10", "2024-11", "2024-12", "2025-01", "2025-02", "2025-03"]
    assert [(r["registered"], r["concluded"], r["agreed"]) for r in trend[-2:]] == [(1, 0, 0), (6, 3, 2)]
    assert trend[-1]["success_rate"] == 0.6667 and trend[0]["success_rate"] is None


def test_inspections_name_missing_returns_with_their_worker(returns, subdistrict, sibling_grid, grid, other_grid):
    coverage = figures_of(Period.monthly(MARCH), subdistrict)["inspections"]
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
    assert coverage["late"] == []
    # `grid` said 1 case registered from its screening; A, C and G were (source 网格排查). `other_grid`
    # filed a zero report, yet F was registered from it.
    assert {(m["grid"], m["reported"], m["actual"]) for m in coverage["mismatched"]} == {
        (grid.name, 1, 3),
        (other_grid.name, 0, 1),
    }


def test_a_return_filed_after_the_report_was_due_is_late_not_filed(world, subdistrict, grid, grid_worker):
    """补报: March's return is due by the end of the day March's report is made (04-01)."""
    monthly_return(grid_worker, grid, found=1, registered=1, at=timezone.make_aware(dt.datetime(2025, 4, 2, 9)))
    coverage = figures_of(Period.monthly(MARCH), subdistrict)["inspections"]
    assert coverage["filed"] == 0
    assert [(m["grid"], m["workers"]) for m in coverage["late"]] == [(grid.name, [grid_worker.display_name])]
    assert grid.name not in [m["grid"] for m in coverage["missing"]]
    # Counted as 补报, apart from both the returns on time and the ones still missing.
    assert (coverage["late_count"], coverage["missing_count"]) == (1, len(coverage["missing"]))
    assert coverage["late_count"] + coverage["missing_count"] + coverage["filed"] == coverage["grids"]


def test_daily_coverage_inside_a_sensitive_period_lists_every_grid_without_a_return(
    world, subdistrict, grid, grid_worker
):
    SensitivePeriod.objects.create(name="两会", start=dt.date(2025, 3, 10), end=dt.date(2025, 3, 12))
    daily_zero_return(grid_worker, grid, dt.date(2025, 3, 11), at=timezone.make_aware(dt.datetime(2025, 3, 11, 17)))
    coverage = figures_of(Period.daily(dt.date(2025, 3, 11)), subdistrict)["inspections"]
    assert (coverage["required"], coverage["filed"], coverage["grids"], len(coverage["missing"])) == (True, 1, 3, 2)
    assert grid_worker.display_name not in [w for m in coverage["missing"] for w in m["workers"]]
    # A day outside any sensitive period needs no daily return, so nothing is missing.
    assert figures_of(Period.daily(dt.date(2025, 3, 20)), subdistrict)["inspections"]["required"] is False


def test_daily_figures_count_the_day_only(world, subdistrict):
    figures = figures_of(Period.daily(dt.date(2025, 3, 11)), subdistrict)
    assert (figures["totals"]["registered"], figures["totals"]["concluded"], figures["totals"]["agreed"]) == (0, 1, 1)
    assert "trend" not in figures and "hot_spots" not in figures


def test_a_case_registered_late_after_it_occurred_is_named(subdistrict, centre, grid):
    late = register(centre, grid, at=timezone.make_aware(dt.datetime(2025, 3, 12, 10)), occurred_on=dt.date(2025, 3, 3))
    register(centre, grid, at=timezone.make_aware(dt.datetime(2025, 3, 12, 10)), occurred_on=dt.date(2025, 3, 11))
    material = statistics.collect(subdistrict.pk, Period.monthly(MARCH))
    assert material["sets"]["late_registration"] == [late.pk]


def test_report_figures_cost_a_bounded_number_of_queries(world, subdistrict, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        figures_of(Period.monthly(MARCH), subdistrict)


def test_a_period_holds_the_cases_registered_in_it_open_now_or_changed_since(
    world, subdistrict, centre, mediator, grid
):
    """Read as three parts and united: a case settled before the period and left alone since is
    not among them, nor one registered after it; one settled after it was open at its end."""
    settled = drive(CaseStatus.WITHDRAWN, centre=centre, lead=mediator, grid=grid, at=at(2, 1), concluded=at(2, 10))
    settled_after = drive(
        CaseStatus.WITHDRAWN, centre=centre, lead=mediator, grid=grid, at=at(2, 3), concluded=at(4, 5)
    )
    later = register(centre, grid, at=at(4, 2))
    population = set(statistics.Collector(subdistrict.pk, Period.monthly(MARCH))._population())
    assert population == {case.pk for case in world.values()} | {settled_after.pk}
    assert not {settled.pk, later.pk} & population
    material = statistics.collect(subdistrict.pk, Period.monthly(MARCH))
    assert settled_after.pk in material["sets"]["open:status=mediating"]
