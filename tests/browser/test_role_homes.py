"""Each role's working day starts on its home, on an office screen (1366 px) and on a phone (390 px):
the role's own menu (folded behind 菜单 on the phone), what needs doing first, and the grid worker's
return filed from the home page in two taps. Screenshots of every home go to test-artifacts/."""

import os

import pytest
from django.db import connections
from django.utils import timezone

from demo.seed import NEIGHBOUR_CASES, DemoSeeder
from grids.models import Inspection, SensitivePeriod
from tests.browser.conftest import ARGS, ARTIFACTS, CHROMIUM, sign_in
from tests.factories import PASSWORD

MENUS = {
    "centre": ["首页", "案件队列", "登记纠纷", "报表", "排查与缺报", "分析研判", "台账", "调解员", "调解组织", "通知"],
    "leader": ["首页", "案件队列", "报表", "排查与缺报", "分析研判", "通知"],
    "community": ["首页", "案件队列", "登记纠纷", "报表", "排查与缺报", "分析研判", "通知"],
    "gridworker": ["我的网格", "登记纠纷", "排查填报", "通知"],
    "mediator": ["我的案件", "通知"],
    "district": ["首页", "案件队列", "报表", "排查与缺报", "分析研判", "通知"],
}
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def browser():
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def menu_texts(page) -> list[str]:
    return [text.split(" ")[0].strip() for text in page.locator(".site-nav a").all_inner_texts()]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_role_starts_on_its_home_with_its_menu_on_desktop_and_phone(browser, live_server):
    try:
        DemoSeeder(password=PASSWORD, progress=lambda message: None).run()
        today = timezone.localdate()
        SensitivePeriod.objects.create(name="演示敏感期", start=today, end=today)
        for size, viewport in VIEWPORTS.items():
            for role, menu in MENUS.items():
                page = browser.new_page(viewport=viewport, locale="zh-CN")
                page.set_default_timeout(15_000)
                sign_in(page, live_server.url, role)
                if size == "phone":
                    # Folded: the menu shows when 菜单 is tapped.
                    assert not page.locator(".site-nav").is_visible()
                    page.screenshot(path=str(ARTIFACTS / f"home-{role}-{size}.png"), full_page=False)
                    page.click(".menu-button")
                    assert page.locator(".site-nav").is_visible()
                    page.screenshot(path=str(ARTIFACTS / f"home-{role}-{size}-menu.png"), full_page=False)
                else:
                    page.screenshot(path=str(ARTIFACTS / f"home-{role}-{size}.png"), full_page=False)
                assert menu_texts(page) == menu, (role, size)
                page.close()
        # The district's leader reads Baihuazhou's headline beside the neighbour's and drills to its queue.
        page = browser.new_page(viewport=VIEWPORTS["desktop"], locale="zh-CN")
        sign_in(page, live_server.url, "districtleader")
        baihuazhou = page.locator("tr[data-subdistrict='BHZ']").inner_text()
        assert "94.0%" in baihuazhou and "78 / 83" in baihuazhou
        page.click("tr[data-subdistrict='YZJ'] th a")
        page.wait_for_url("**/cases/?subdistrict=*")
        assert page.locator("table.list tbody tr").count() == len(NEIGHBOUR_CASES)
        page.screenshot(path=str(ARTIFACTS / "district-queue-desktop.png"), full_page=False)
        page.close()
        # The grid worker files today's return from the home page in two taps, on the phone.
        page = browser.new_page(viewport=VIEWPORTS["phone"], locale="zh-CN")
        sign_in(page, live_server.url, "gridworker")
        page.click(f".owed-item[href*='period={today.isoformat()}'] >> nth=0")
        page.click("form.zero-report button[type=submit]")
        page.wait_for_selector(".messages >> text=已填报")
        page.screenshot(path=str(ARTIFACTS / "returns-filed-phone.png"), full_page=False)
        assert Inspection.objects.filter(kind="daily", period=today, filed_by__username="gridworker").count() == 1
        page.close()
    finally:
        connections.close_all()
