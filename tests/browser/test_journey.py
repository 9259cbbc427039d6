"""The working day across the roles, in a real headless Chromium, on an office screen (1366 px) and
on a phone (390 px): nobody types a URL and nobody polls. The grid worker registers a dispute and is
told it was accepted; the centre accepts and assigns it and the mediator's notice opens the case;
the mediator records a session and an agreement; community staff take a failed community case up
to the subdistrict and the centre is told; the grid worker files today's return from the home page
in two taps. Screenshots go to test-artifacts/journey-*."""

import pytest
from django.db import connections
from django.utils import timezone

from casework.enums import CaseStatus, Level
from casework.models import DisputeCase
from common.models import Notice
from grids.models import Inspection, SensitivePeriod
from tests.browser.conftest import ARTIFACTS, act, sign_in, sign_out, start_and_agree_orally, submit
from tests.workflow import drive

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def go(page, label, phone):
    """Follow the menu entry `label` (on a phone the menu is folded behind 菜单 first)."""
    if phone:
        page.click(".menu-button")
    page.click(f".site-nav a:has-text('{label}')")


def leave(page, phone):
    """退出: on a phone it sits in the folded menu with the entries."""
    if phone and not page.locator(".site-user form button").is_visible():
        page.click(".menu-button")
    sign_out(page)


def open_notice_of(page, number, phone):
    """From the menu's 通知, the unread notice about case `number`, opened (and so marked read)."""
    go(page, "通知", phone)
    page.wait_for_url("**/notices/")
    notice = page.locator(f".notice:has-text('{number}')").first
    text = notice.locator(".notice-text").inner_text()
    notice.locator(f"button:has-text('{number}')").click()
    page.wait_for_url("**/mediation/cases/*/")
    return text


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_the_working_day_of_every_role(
    browser_page, live_server, size, centre, grid_worker, community_staff, mediator, other_mediator, grid
):
    page, base, phone = browser_page, live_server.url, size == "phone"
    page.set_viewport_size(VIEWPORTS[size])
    try:
        today = timezone.localdate()
        SensitivePeriod.objects.create(name="元旦", start=today, end=today)
        failed = drive(CaseStatus.FAILED, centre=centre, lead=other_mediator, grid=grid, level=Level.COMMUNITY)
        existing = set(DisputeCase.objects.values_list("pk", flat=True))

        # The grid worker registers a dispute from her home page.
        sign_in(page, base, "gridworker")
        page.click(".actions-bar a:has-text('登记纠纷')")
        page.wait_for_url("**/cases/new/")
        page.select_option("#id_grid", index=1)
        page.select_option("#id_category", label="邻里纠纷")
        page.fill("#id_description", "楼上卫生间漏水，楼下住户天花板受损，双方协商未果。")
        page.fill("#id_parties-0-name", "王秀英")
        page.fill("#id_parties-1-name", "刘建国")
        page.click("#intake-form > button[type=submit]")
        page.wait_for_url("**/mediation/cases/*/")
        case = DisputeCase.objects.exclude(pk__in=existing).get()
        leave(page, phone)

        # The centre accepts it from the 待受理 tab and assigns the mediator.
        sign_in(page, base, "centre")
        go(page, "案件队列", phone)
        page.click(".tabs >> text=待受理")
        page.click(f"a:has-text('{case.number}') >> nth=0")
        form = act(page, "accept")
        form.locator("select[name=level]").select_option("subdistrict")
        submit(form)
        page.wait_for_selector("text=已保存")
        form = act(page, "assign")
        form.locator("select[name=mediator]").select_option(str(mediator.pk))
        submit(form)
        page.wait_for_selector("text=已保存")
        leave(page, phone)

        # The grid worker is told of the acceptance: the count in the menu, the notice, the case.
        sign_in(page, base, "gridworker")
        counter = page.locator(".menu-button .count" if phone else ".site-nav .count").first
        assert counter.inner_text().strip() == "1"
        text = open_notice_of(page, case.number, phone)
        assert "已受理" in text and page.url.endswith(f"/mediation/cases/{case.pk}/")
        page.screenshot(path=str(ARTIFACTS / f"journey-gridworker-told-{size}.png"))
        leave(page, phone)

        # The mediator's notice of the assignment opens the case; a session, then the agreement.
        sign_in(page, base, "mediator")
        text = open_notice_of(page, case.number, phone)
        assert "指派给您调解" in text and page.url.endswith(f"/mediation/cases/{case.pk}/")
        start_and_agree_orally(page)
        page.screenshot(path=str(ARTIFACTS / f"journey-mediator-agreed-{size}.png"))
        leave(page, phone)
        case.refresh_from_db()
        assert case.status == CaseStatus.AGREED

        # Community staff take the community's failure up to the subdistrict, from their queue.
        sign_in(page, base, "community")
        go(page, "案件队列", phone)
        page.click(f"a:has-text('{failed.number}') >> nth=0")
        assert page.locator("#action-escalate").is_visible()
        form = act(page, "escalate")
        form.locator("[name=reason]").fill("社区调解三次未果，请街道协调")
        submit(form)
        page.wait_for_selector("text=已保存")
        leave(page, phone)

        # The centre is told, and the case waits for a subdistrict mediator, marked 上报.
        sign_in(page, base, "centre")
        text = open_notice_of(page, failed.number, phone)
        assert "上报街道" in text and "社区调解三次未果" in text
        assert page.locator(".case-head .badge:has-text('上报'), .ladder + .badge:has-text('上报')").count() >= 1
        page.screenshot(path=str(ARTIFACTS / f"journey-centre-escalated-{size}.png"))
        leave(page, phone)
        failed.refresh_from_db()
        assert (failed.status, failed.level) == (CaseStatus.ACCEPTED, Level.SUBDISTRICT)

        # The grid worker files today's return from the home page: tap the return, tap 零报告.
        sign_in(page, base, "gridworker")
        page.click(f".owed-item[href*='period={today.isoformat()}'] >> nth=0")
        page.click("form.zero-report button[type=submit]")
        page.wait_for_selector(".messages >> text=已填报")
        page.screenshot(path=str(ARTIFACTS / f"journey-return-filed-{size}.png"))
        assert Inspection.objects.filter(kind="daily", period=today, grid=grid).count() == 1
        # Nobody was told twice, and each notice links to its case.
        assert Notice.objects.filter(case=case, kind="assigned", user=mediator.user).count() == 1
        assert Notice.objects.filter(case=failed, kind="escalated", user=centre).count() == 1
    finally:
        connections.close_all()
