"""The browser tests' headless Chromium (Playwright, the Debian package's binary) and sign-in steps."""

import os
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page():
    # A missing browser is a broken environment, not a reason to skip: .ci/run installs it.
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install -y chromium"
    # The sync Playwright API runs an event loop in this thread; the ORM calls in the test are ours.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page.set_default_timeout(15_000)
        yield page
        browser.close()


def sign_in(page, base, username):
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


def sign_out(page):
    page.click(".site-user form button")
    page.wait_for_url("**/login/**")


def act(page, name):
    """Open an action on the case page; returns its form."""
    page.click(f"#action-{name} summary")
    return page.locator(f"#action-{name} form")


def submit(form):
    form.locator("button[type=submit]").click()


def start_and_agree_orally(page):
    """On the case page, as its mediator: start, one session with every party told (告知), an oral agreement."""
    submit(act(page, "start"))
    page.wait_for_selector("text=已保存")
    form = act(page, "session")
    form.locator("input[name=location]").fill("第三方调解室")
    form.locator("textarea[name=summary]").fill("听取双方陈述，查看漏水现场照片。")
    for box in form.locator("input[name^=informed_]").all():
        box.check()
    submit(form)
    page.wait_for_selector("text=已保存")
    form = act(page, "reach_agreement")
    form.locator("select[name=form]").select_option("oral")
    form.locator("textarea[name=terms]").fill("楼上住户修复防水层并赔偿楼下住户800元。")
    submit(form)
    page.wait_for_selector("text=已保存")
