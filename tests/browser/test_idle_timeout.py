"""The idle timeout in a real headless Chromium, on the cockpit left on a wall: its panel refreshes
itself every 60 s, yet the session still times out — the warning shows a minute before, "继续使用"
starts the idle clock again, and past the timeout the next refresh turns the page to the sign-in.
The page's timers run on Playwright's clock (minutes pass in an instant); the server's idle clock
is moved back in the session itself. Screenshots: test-artifacts/idle-warning-{1366,390}.png."""

import time

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import connections
from django.utils.module_loading import import_string

from grids.middleware import LAST_SEEN
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import CommunityFactory, GridFactory, SubdistrictFactory, UserFactory

PANEL = "/analysis/cockpit/panel/"


def session_of(page) -> SessionBase:
    key = next(c["value"] for c in page.context.cookies() if c["name"] == django_settings.SESSION_COOKIE_NAME)
    return import_string(f"{django_settings.SESSION_ENGINE}.SessionStore")(session_key=key)


def last_seen(page) -> int:
    return session_of(page)[LAST_SEEN]


def advance(page, seconds: int) -> int:
    """Let `seconds` pass for the server's idle clock (moved back in the session) and for the page's
    timers (Playwright's clock) alike; the server's clock as it then stands."""
    session = session_of(page)
    session[LAST_SEEN] -= seconds
    session.save()
    page.clock.run_for(seconds * 1000)
    return session[LAST_SEEN]


def refresh(page, seconds: int):
    """`advance`, and the panel's refresh that comes in that time."""
    with page.expect_response(lambda r: PANEL in r.url) as response:
        last = advance(page, seconds)
    return response.value, last


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cockpits_refresh_does_not_keep_an_idle_session_alive(browser_page, live_server, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 3 * 60
    subdistrict = SubdistrictFactory()
    GridFactory(community=CommunityFactory(subdistrict=subdistrict))
    UserFactory(username="centre", roles=["centre_staff"], subdistrict=subdistrict)
    page, base = browser_page, live_server.url
    try:
        page.clock.install()
        sign_in(page, base, "centre")
        page.goto(f"{base}/analysis/cockpit/")
        warning = page.locator("#idle-warning")
        assert warning.is_hidden()

        first, last = refresh(page, 61)
        assert first.ok and first.request.headers.get("x-fengqiao-background") == "1"
        # Served, and the server's clock did not move: the answer tells what is left of it.
        assert last_seen(page) == last
        assert 110 <= int(first.headers["x-fengqiao-idle-left"]) <= 180 - 61
        assert warning.is_hidden()
        second, last = refresh(page, 61)
        assert second.ok and last_seen(page) == last
        assert int(second.headers["x-fengqiao-idle-left"]) <= 60
        # Two minutes of refreshes were no use: with a minute left, the warning shows.
        assert warning.is_visible()
        page.screenshot(path=str(ARTIFACTS / "idle-warning-1366.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(ARTIFACTS / "idle-warning-390.png"))

        # 继续使用 is the user's: the server's clock starts again and the warning goes.
        with page.expect_response(lambda r: "/session/keepalive/" in r.url) as keepalive:
            page.click("[data-idle-continue]")
        assert keepalive.value.status == 204
        assert time.time() - last_seen(page) < 5
        assert int(keepalive.value.headers["x-fengqiao-idle-left"]) >= 175
        warning.wait_for(state="hidden")

        # Left alone past the timeout, the next refresh finds the session ended: the sign-in page.
        with page.expect_navigation(url=lambda url: "/login/" in url):
            ended, _ = refresh(page, 181)
        assert ended.headers.get("hx-refresh") == "true"
        assert "长时间未操作" in page.content()
        assert page.locator("#login-form").is_visible()
    finally:
        connections.close_all()
