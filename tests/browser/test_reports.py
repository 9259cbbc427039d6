"""A monthly report in a real headless Chromium, as a leader and as community staff: the ECharts
charts render with their series, and a figure opens its drill-down. Screenshots at 1366 and 390
pixels go to test-artifacts/."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from demo.seed import DemoSeeder
from grids.models import Subdistrict
from reports import services
from tests.browser.conftest import ARTIFACTS, sign_in, sign_out
from tests.factories import PASSWORD


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def charts_with_series(page) -> int:
    """How many ECharts instances drew at least one series element (SVG renderer)."""
    page.wait_for_selector("[data-chart] svg")
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('[data-chart]')).filter(el => {
            const chart = window.echarts.getInstanceByDom(el);
            return chart && chart.getOption().series.length > 0 && el.querySelector('svg path, svg rect');
        }).length"""
    )


def shots(page, name):
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # the charts resize on the resize event
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_monthly_report_as_leader_and_community_staff(browser_page, live_server):
    try:
        read_the_report(browser_page, live_server.url)
    finally:
        connections.close_all()


def read_the_report(page, base):
    DemoSeeder(password=PASSWORD, progress=lambda message: None).run()
    snapshot = services.report_ensure(
        subdistrict=Subdistrict.objects.get(code="BHZ"), kind="monthly", period=last_month()
    )
    url = f"{base}/reports/{snapshot.pk}/"

    sign_in(page, base, "leader")
    page.goto(url)
    assert charts_with_series(page) >= 6
    trend = page.evaluate("() => window.echarts.getInstanceByDom(document.querySelector('[data-chart=trend]'))"
                          ".getOption().series.map(s => s.name)")  # fmt: skip
    assert trend == ["新登记", "办结", "调解成功"]
    assert page.locator("#section-trend table tbody tr").count() == 6  # the table beside the chart
    # The 研判 section: the subdistrict's communities, each count a link to its cases.
    judgement = page.locator("#section-judgement")
    assert judgement.locator("#by-community tbody tr").count() >= 2
    assert judgement.locator("#by-category tbody tr a").count() >= 1
    shots(page, "report-leader")
    for extension in ("pdf", "xlsx"):  # kept for a person to open and look at
        exported = page.request.get(f"{url}export.{extension}")
        assert exported.ok
        (ARTIFACTS / f"report-leader.{extension}").write_bytes(exported.body())
    page.click("text=各社区对比")
    page.wait_for_url("**/communities/")
    assert page.locator(".compare-table tbody tr").count() == len(snapshot.material["labels"]["community"])
    page.screenshot(path=str(ARTIFACTS / "report-compare-1366.png"), full_page=True)
    page.goto(url)
    page.click(".tiles a.tile >> nth=0")  # 新登记
    page.wait_for_url("**/cases/?figure=registered")
    heading = page.locator("h1").inner_text()
    assert heading.startswith(f"{snapshot.period.year}年{snapshot.period.month}月 新登记案件")
    assert page.locator("table.cases tbody tr").count() == snapshot.figures["totals"]["registered"]
    page.screenshot(path=str(ARTIFACTS / "report-drill-1366.png"), full_page=True)
    sign_out(page)

    sign_in(page, base, "community")
    page.goto(url)
    assert "火神庙" in page.locator("h1").inner_text()
    assert charts_with_series(page) >= 6
    # Their community's own 研判: one community row, theirs.
    rows = page.locator("#section-judgement #by-community tbody tr")
    assert rows.count() <= 1 and (rows.count() == 0 or "火神庙" in rows.first.inner_text())
    shots(page, "report-community")
    page.click(".tiles a.tile >> nth=1")  # 办结
    page.wait_for_url("**/cases/?figure=concluded")
    assert "办结案件" in page.locator("h1").inner_text()
