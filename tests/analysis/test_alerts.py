"""Forecasts over the database and 异常上升预警: a community's neighbour disputes, two a month for
thirty months, then twelve in the first half of this month."""

import datetime as dt

import pytest
from django.utils import timezone

from casework.selectors import cases_visible_to
from common.enums import NoticeKind
from common.models import Notice
from reports.analysis import tasks
from reports.analysis.alerts import anomaly_alerts
from reports.analysis.series import forecast_table
from reports.statistics import add_months
from tests.factories import category, register

TODAY = dt.date(2025, 6, 15)
HISTORY_MONTHS = 30


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


@pytest.fixture
def surge(centre, grid, other_grid):
    first = add_months(TODAY.replace(day=1), -HISTORY_MONTHS)
    for n in range(HISTORY_MONTHS):
        month = add_months(first, n)
        register(centre, grid, at=at(month.replace(day=5)))
        register(centre, grid, at=at(month.replace(day=20)))
        register(centre, other_grid, at=at(month.replace(day=12)), category=category("family"))
    for day in range(1, 13):
        register(centre, grid, at=at(TODAY.replace(day=day)))
    return {"grid": grid, "other_grid": other_grid}


def test_the_forecast_table_shows_a_steady_series_and_its_backtest(surge, centre):
    table = forecast_table(cases_visible_to(centre), TODAY, use_cache=False)
    [total] = table["rows"]["total"]
    categories = {row["label"]: row for row in table["rows"]["category"]}
    neighbour = categories[category().name]
    assert total["shown"] and neighbour["shown"]
    assert neighbour["this_month"].expected == pytest.approx(2, abs=0.5)
    assert neighbour["so_far"] == 12 and neighbour["this_month"].pi95[1] < 12
    # Thirty months: only the last six have the 24 before them that a forecast needs.
    assert neighbour["backtest"].months == 6 and neighbour["backtest"].coverage80 == 1.0
    # One family case a month: the 24-month mean is exactly 1, enough to forecast.
    assert categories[category("family").name]["shown"]


def test_the_centre_is_told_once_a_month_per_community_and_category(surge, centre, leader):
    assert anomaly_alerts(today=TODAY) == 1
    notice = Notice.objects.get(kind=NoticeKind.ANOMALY)
    assert notice.user == centre  # the centre's staff, not the leader
    assert surge["grid"].community.name in notice.text and category().name in notice.text and "12 件" in notice.text
    assert notice.key == f"anomaly:{surge['grid'].community_id}:{category().pk}:2025-06"
    assert notice.link == (
        f"/cases/?community={surge['grid'].community_id}&category={category().pk}"
        "&registered_after=2025-06-01&registered_before=2025-06-15"
    )
    # The daily sweep again, and through the task: nothing new this month.
    assert anomaly_alerts(today=TODAY + dt.timedelta(days=1)) == 0
    assert tasks.anomaly_alerts.run("2025-06-16") == 0
    assert Notice.objects.filter(kind=NoticeKind.ANOMALY).count() == 1


def test_no_alert_within_the_bound(surge, centre):
    # On the 2nd only two cases are in: within the interval.
    assert anomaly_alerts(today=TODAY.replace(day=2)) == 0


def test_the_forecast_page(surge, client, centre, django_assert_max_num_queries, settings):
    client.force_login(centre)
    response = client.get("/analysis/forecast/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "全部案件" in html and "回测" in html
    with django_assert_max_num_queries(8):
        assert client.get("/analysis/forecast/").status_code == 200


def test_a_short_history_is_not_forecast(client, centre, grid):
    register(centre, grid, at=timezone.now() - dt.timedelta(days=40))
    client.force_login(centre)
    html = client.get("/analysis/forecast/").content.decode()
    assert "不作预测" in html and "历史不足24个月" in html
