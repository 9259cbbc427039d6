"""A throttled lookup (429) made by htmx is shown: htmx swaps no 4xx answer by default, so without
the page's handler the intake page's duplicate hint fell silent once a user hit the limit.
Screenshots go to test-artifacts/."""

import pytest
from django.core.cache import cache
from django.db import connections

from tests.browser.conftest import ARTIFACTS, sign_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_duplicate_hints_throttle_message_is_shown_on_the_intake_page(
    browser_page, live_server, settings, grid_worker
):
    settings.FENGQIAO_DUPLICATE_HINT_LIMIT = 2
    cache.clear()
    page, base = browser_page, live_server.url
    try:
        sign_in(page, base, "gridworker")
        page.goto(f"{base}/cases/new/")
        hint = page.locator("#duplicate-hint")
        for n in range(settings.FENGQIAO_DUPLICATE_HINT_LIMIT + 1):
            with page.expect_response(lambda r: "/cases/new/duplicates/" in r.url) as answer:
                page.fill("#id_parties-0-phone", f"1390000{n:04d}")
                page.locator("#id_parties-0-phone").blur()
            assert answer.value.status == (200 if n < settings.FENGQIAO_DUPLICATE_HINT_LIMIT else 429)
            if n < settings.FENGQIAO_DUPLICATE_HINT_LIMIT:
                assert "查询过于频繁" not in hint.inner_text()
        page.wait_for_selector("#duplicate-hint >> text=查询过于频繁，请稍后再试。")
        for width, height in ((1366, 768), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            hint.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / f"duplicate-hint-throttled-{width}.png"), full_page=True)
    finally:
        connections.close_all()
