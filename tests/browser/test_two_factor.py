"""Two-factor enrolment and sign-in in a real headless Chromium: the code is computed, as an
authenticator app would, from the secret the enrolment page shows. Screenshots go to test-artifacts/."""

import time

import pytest
from django.db import connections

from grids.enums import Role
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD, SubdistrictFactory, UserFactory
from tests.grids.test_two_factor import code_for


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_enrolment_then_sign_in_with_a_code_from_the_shown_secret(browser_page, live_server, settings):
    settings.FENGQIAO_REQUIRE_2FA = True
    UserFactory(username="centre", roles=[Role.CENTRE_STAFF], subdistrict=SubdistrictFactory())
    page, base = browser_page, live_server.url
    try:
        page.goto(f"{base}/login/")
        assert page.locator("#one-step-note").count() == 0
        page.fill("#id_username", "centre")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/login/otp/setup/**")
        assert page.locator("#otp-qr").evaluate("img => img.naturalWidth") > 0
        secret = page.inner_text("#otp-secret").strip()
        shot(page, "2fa-1-enrol")
        page.fill("#id_code", code_for(secret))
        page.click("#otp-setup-form button[type=submit]")
        page.wait_for_selector("#recovery-codes")
        assert page.locator("#recovery-codes li").count() == 10
        shot(page, "2fa-2-recovery-codes")
        page.click("#otp-continue")
        page.wait_for_url(lambda url: "/login/" not in url)
        page.click(".site-user form button")
        page.wait_for_url("**/login/**")

        page.fill("#id_username", "centre")
        page.fill("#id_password", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/login/otp/?**")
        shot(page, "2fa-3-verify")
        # The enrolment used this window's code: an authenticator shows the next one 30 s later.
        page.fill("#id_code", code_for(secret, at=time.time() + 30))
        page.click("#otp-verify-form button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        assert page.locator(".site-user .who").inner_text().strip()
        shot(page, "2fa-4-signed-in")
    finally:
        connections.close_all()
