"""Sessions and passwords per 等保 2.0 level 3: the idle timeout, no reuse of the last 5 passwords,
and the password change an administrator's new account makes at its first sign-in."""

import itertools
import time

import pytest
from django.contrib.auth import get_user_model

from grids.middleware import LAST_SEEN
from grids.models import PasswordHistory
from tests.factories import PASSWORD

User = get_user_model()


def sign_in(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def idle_for(client, seconds: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_longer_than_the_timeout_ends(client, centre, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 30 * 60
    sign_in(client, "centre")
    assert client.get("/cases/").status_code == 200
    idle_for(client, 29 * 60)
    assert client.get("/cases/").status_code == 200
    idle_for(client, 31 * 60)
    response = client.get("/cases/", follow=True)
    assert response.request["PATH_INFO"] == "/login/"
    assert "长时间未操作" in response.content.decode()


def test_the_pages_carry_the_idle_timeout_for_the_warning_and_keepalive_restarts_it(client, centre, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 600
    sign_in(client, "centre")
    assert 'data-idle-timeout="600"' in client.get("/cases/").content.decode()
    idle_for(client, 590)
    assert client.get("/session/keepalive/").status_code == 204
    assert time.time() - client.session[LAST_SEEN] < 5


BACKGROUND = {"HTTP_HX_REQUEST": "true", "HTTP_X_FENGQIAO_BACKGROUND": "1"}


def test_a_panel_refreshing_itself_does_not_keep_an_idle_session_alive(client, centre, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 30 * 60
    sign_in(client, "centre")
    idle_for(client, 20 * 60)
    started = client.session[LAST_SEEN]
    # The cockpit's 60-s refresh is served, and the idle clock runs on.
    for _ in range(3):
        response = client.get("/analysis/cockpit/panel/", **BACKGROUND)
        assert response.status_code == 200 and "tile" in response.content.decode()
        # It says what is left of the idle time, for the page to time its warning by.
        assert 10 * 60 - 5 <= int(response.headers["X-Fengqiao-Idle-Left"]) <= 10 * 60
    assert client.session[LAST_SEEN] == started
    # Past the timeout the next refresh finds the session ended and turns the page to the sign-in.
    idle_for(client, 31 * 60)
    response = client.get("/analysis/cockpit/panel/", **BACKGROUND)
    assert response.status_code == 200 and response.headers["HX-Refresh"] == "true"
    assert response.content == b""
    page = client.get("/analysis/cockpit/", follow=True)
    assert page.request["PATH_INFO"] == "/login/" and "长时间未操作" in page.content.decode()


def test_what_a_user_does_restarts_the_idle_clock_htmx_requests_too(client, centre, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 30 * 60
    sign_in(client, "centre")
    idle_for(client, 20 * 60)
    response = client.get("/analysis/cockpit/panel/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and int(response.headers["X-Fengqiao-Idle-Left"]) == 30 * 60
    assert time.time() - client.session[LAST_SEEN] < 5
    idle_for(client, 20 * 60)
    assert client.get("/cases/").status_code == 200
    assert time.time() - client.session[LAST_SEEN] < 5
    idle_for(client, 31 * 60)
    # An htmx request after the timeout (a filter changed in a tab left open) reloads the page too.
    response = client.get("/cases/", {"q": "x"}, HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true"


def test_a_page_carries_the_idle_time_left_as_the_server_counts_it(client, centre, settings):
    settings.FENGQIAO_IDLE_TIMEOUT = 30 * 60
    sign_in(client, "centre")
    # Within a minute of the last write the clock is not written again: the page is told so.
    idle_for(client, 50)
    page = client.get("/cases/")
    left = int(page.headers["X-Fengqiao-Idle-Left"])
    assert 30 * 60 - 55 <= left <= 30 * 60 - 50
    assert f'data-idle-timeout="{left}"' in page.content.decode()


def test_the_pages_that_poll_mark_their_polling_as_background(client, centre):
    sign_in(client, "centre")
    cockpit = client.get("/analysis/cockpit/").content.decode()
    assert 'hx-trigger="every 60s" hx-swap="innerHTML" data-idle-background' in cockpit


def test_none_of_the_last_five_passwords_again(client, centre):
    sign_in(client, "centre")
    passwords = [PASSWORD, *(f"Qiao-{n}-lantern-river" for n in range(1, 6))]
    for old, new in itertools.pairwise(passwords):
        response = client.post("/password/", {"old_password": old, "new_password1": new, "new_password2": new})
        assert response.status_code == 302, response.content.decode()
    current = passwords[-1]
    for reused in passwords[-5:]:
        response = client.post(
            "/password/", {"old_password": current, "new_password1": reused, "new_password2": reused}
        )
        assert response.status_code == 200 and "最近使用过的5个密码" in response.content.decode(), reused
    # The sixth-last is allowed again, and the history keeps five.
    response = client.post(
        "/password/", {"old_password": current, "new_password1": passwords[0], "new_password2": passwords[0]}
    )
    assert response.status_code == 302
    assert PasswordHistory.objects.filter(user=centre).count() == 5


def test_an_account_made_by_an_administrator_changes_its_password_at_first_sign_in(client, administrator):
    client.force_login(administrator)
    response = client.post(
        "/admin/grids/user/add/",
        {"username": "newstaff", "password1": "Initial-pass-2026!", "password2": "Initial-pass-2026!"},
    )
    assert response.status_code == 302
    created = User.objects.get(username="newstaff")
    assert created.must_change_password
    client.post("/logout/")
    sign_in(client, "newstaff", "Initial-pass-2026!")
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/password/")
    assert client.get("/password/").status_code == 200
    new = "My-own-pass-2026"
    changed = client.post(
        "/password/",
        {"old_password": "Initial-pass-2026!", "new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    assert not User.objects.get(pk=created.pk).must_change_password
    assert client.get("/cases/").status_code != 302


@pytest.mark.parametrize("path", ["/cases/", "/reports/"])
def test_an_ordinary_session_is_not_held_up(client, centre, path):
    sign_in(client, "centre")
    assert client.get(path).status_code == 200
