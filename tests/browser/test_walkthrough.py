"""One dispute, walked through the real pages in a real headless Chromium: registration by the grid
worker, acceptance and assignment by centre staff, start, a session and an agreement by the
mediator, a follow-up, and closure by centre staff. Screenshots go to test-artifacts/."""

import datetime as dt

import pytest
from django.db import connections
from django.utils import timezone

from casework.enums import CaseStatus
from casework.models import DisputeCase, Party
from casework.selectors import cases_visible_to
from demo.seed import DemoSeeder
from grids.models import User
from mediation.models import Mediator
from tests.browser.conftest import ARTIFACTS, act, sign_in, sign_out, start_and_agree_orally, submit
from tests.factories import CLOSED_CASE_EVENTS, PASSWORD


def shot(page, name, full_page=True):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_walkthrough_one_dispute_from_registration_to_closure(browser_page, live_server):
    try:
        walk_one_dispute(browser_page, live_server.url)
    finally:
        # While Playwright runs, the test's ORM calls get a connection of their own (a context of their
        # own); close it here, in that context, so the test database can be dropped after the run.
        connections.close_all()


def walk_one_dispute(page, base):
    # The Baihuazhou demo, so the screenshots show a working subdistrict rather than an empty one.
    DemoSeeder(password=PASSWORD, progress=lambda message: None).run()
    existing = set(DisputeCase.objects.values_list("pk", flat=True))
    mediator = Mediator.objects.get(user__username="mediator")

    # The grid worker registers the dispute.
    sign_in(page, base, "gridworker")
    page.click("text=登记纠纷 >> nth=-1")
    page.wait_for_url("**/cases/new/")
    page.select_option("#id_grid", index=1)
    page.select_option("#id_category", label="邻里纠纷")
    page.fill("#id_description", "楼上卫生间漏水，楼下住户天花板受损，双方协商未果。")
    page.fill("#id_parties-0-name", "王秀英")
    # A phone already on file from a recent case the grid worker can see (the hint names nothing
    # outside her scope): the form hints at a repeat dispute as it is typed.
    gridworker = User.objects.get(username="gridworker")
    known_phone = (
        Party.objects.filter(
            case__in=cases_visible_to(gridworker),
            case__registered_at__gte=timezone.now() - dt.timedelta(days=300),
        )
        .exclude(phone="")
        .values_list("phone", flat=True)
        .first()
    )
    page.fill("#id_parties-0-phone", known_phone)
    page.locator("#id_parties-0-phone").blur()
    page.wait_for_selector("#duplicate-hint >> text=可能是重复纠纷")
    page.fill("#id_parties-1-name", "刘建国")
    page.click("[data-formset-add=parties]")
    page.select_option("#id_parties-2-role", "respondent")
    page.fill("#id_parties-2-name", "陈桂兰")
    shot(page, "intake")
    page.click("#intake-form > button[type=submit]")
    page.wait_for_url("**/mediation/cases/*/")
    case = DisputeCase.objects.exclude(pk__in=existing).get()
    assert page.locator("h1").inner_text() == case.number
    assert sorted(case.parties.values_list("name", flat=True)) == ["刘建国", "王秀英", "陈桂兰"]
    sign_out(page)

    # Centre staff: the dashboard, the queue, then accept and assign.
    sign_in(page, base, "centre")
    assert page.locator(".tile").first.is_visible()
    shot(page, "dashboard")
    page.click(".site-nav >> text=案件队列")
    page.wait_for_url("**/cases/")
    page.click(".tabs >> text=待受理")
    page.wait_for_url("**/cases/?tab=reported")
    assert page.locator(f"text={case.number}").is_visible()
    shot(page, "queue")
    page.click(f"text={case.number}")
    form = act(page, "accept")
    form.locator("select[name=level]").select_option("subdistrict")
    submit(form)
    page.wait_for_selector("text=已保存")
    form = act(page, "assign")
    form.locator("select[name=mediator]").select_option(str(mediator.pk))
    submit(form)
    page.wait_for_selector("text=已保存")
    sign_out(page)

    # The mediator: start, a session, the agreement, a follow-up.
    sign_in(page, base, "mediator")
    page.click(f"text={case.number}")
    start_and_agree_orally(page)
    form = act(page, "follow_up")
    form.locator("input[name=performed]").check()
    submit(form)
    page.wait_for_selector("text=已保存")
    shot(page, "case")
    sign_out(page)

    # Centre staff close the case.
    sign_in(page, base, "centre")
    page.goto(f"{base}/mediation/cases/{case.pk}/")
    submit(act(page, "close"))
    page.wait_for_selector("text=已保存")
    assert "已结案" in page.locator(".case-head").inner_text()

    # The agreement as it prints, and the pages on a phone.
    page.click("text=调解协议书 >> nth=0")
    page.wait_for_url("**/agreement/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    shot(page, "agreement-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/mediation/cases/{case.pk}/")
    shot(page, "case-phone", full_page=False)
    page.goto(f"{base}/cases/")
    shot(page, "queue-phone", full_page=False)

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert list(case.events.values_list("name", flat=True)) == CLOSED_CASE_EVENTS
    for name in ("intake", "dashboard", "queue", "case"):
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
