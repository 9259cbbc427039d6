"""The steps of a signed-in session beyond the password (等保 2.0 level 3): the idle timeout, the second
factor, and the password change an administrator's new account must make first."""

import time
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import twofactor

LAST_SEEN = "fengqiao_last_seen"
# Whether this session's user is asked for a second factor, worked out once per session (a query).
ASKED = "fengqiao_second_factor_asked"
# The session is written at most this often for the idle clock (not on every request).
LAST_SEEN_RESOLUTION = 60
# Sent by the page's script on requests nobody asked for (a panel refreshing itself, an upload's
# progress): they are served, but they do not count as use, so a screen left polling still times out.
BACKGROUND_HEADER = "X-Fengqiao-Background"
# Seconds left before an unused session ends, on every signed-in answer.
IDLE_LEFT_HEADER = "X-Fengqiao-Idle-Left"


def _open_paths() -> tuple[str, ...]:
    """What a half-signed-in session may still reach: signing in and out, enrolment, static files."""
    return (
        reverse("grids:login"),
        reverse("grids:logout"),
        reverse("grids:otp_setup"),
        reverse("grids:otp_verify"),
        reverse("grids:keepalive"),
        settings.STATIC_URL,
        "/healthz",
        "/i18n/",
    )


def touch(request) -> None:
    request.session[LAST_SEEN] = int(time.time())


def signed_in(request, user) -> None:
    """At sign-in (its session is written then anyway): start the idle clock and note whether a second
    factor is asked, so that the pages after cost no query and no session write for either."""
    touch(request)
    request.session[ASKED] = twofactor.asked_of(user)


class SignInStepsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        now = int(time.time())
        last = request.session.get(LAST_SEEN)
        if last is not None and now - last > settings.FENGQIAO_IDLE_TIMEOUT:
            logout(request)
            messages.info(request, _("您已长时间未操作，为保护数据已自动退出，请重新登录。"))
            if request.headers.get("HX-Request") == "true":
                # Not the sign-in page swapped into a panel: the whole page reloads onto it.
                return HttpResponse(headers={"HX-Refresh": "true"})
            return self.get_response(request)
        background = request.headers.get(BACKGROUND_HEADER) == "1"
        if last is None or (now - last >= LAST_SEEN_RESOLUTION and not background):
            touch(request)
            last = now
        # What is left of the idle time as the server counts it (it writes the clock at most once a
        # minute, and not for background requests): the page times its warning from this, not
        # from its own last request, so the warning comes a minute before the real end.
        request.idle_left = settings.FENGQIAO_IDLE_TIMEOUT - (now - last)
        response = self._steps(request, user)
        if request.user.is_authenticated:
            response.headers[IDLE_LEFT_HEADER] = str(request.idle_left)
        return response

    def _steps(self, request, user):
        step = self._next_step(request, user)
        if step is None or request.path.startswith(_open_paths()):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _("请先完成登录（第二重验证或修改初始密码）。")}, status=403)
        if step == "grids:password_change" and request.path == reverse(step):
            return self.get_response(request)
        return redirect(f"{reverse(step)}?next={quote(request.get_full_path())}")

    def _next_step(self, request, user) -> str | None:
        if ASKED not in request.session:  # a session begun before this rule existed
            request.session[ASKED] = twofactor.asked_of(user)
        if request.session[ASKED] and not user.is_verified():
            return "grids:otp_verify" if twofactor.enrolled(user) else "grids:otp_setup"
        if user.must_change_password:
            return "grids:password_change"
        return None
