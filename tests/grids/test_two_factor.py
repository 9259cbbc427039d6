"""Two-factor sign-in (TOTP) where FENGQIAO_REQUIRE_2FA is on: enrolment at first sign-in, the code
at every sign-in after, single-use recovery codes, the admin and the API token behind it, and
failed codes counted towards the lockout."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.enums import AuditAction
from common.models import AuditEntry
from tests.factories import PASSWORD

LOGIN = "/login/"


@pytest.fixture
def require_2fa(settings):
    settings.FENGQIAO_REQUIRE_2FA = True


def code_for(secret: str, *, at: float | None = None) -> str:
    """RFC 6238 as an authenticator app computes it (SHA-1, 30-second steps, 6 digits), written out here."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 10**6:06d}"


def sign_in(client, username):
    return client.post(LOGIN, {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")


def enrol(client, username) -> tuple[str, list[str]]:
    """Password, the enrolment page, the first code; (secret, recovery codes)."""
    response = sign_in(client, username)
    assert response.status_code == 302
    page = client.get(response["Location"], follow=True)
    assert page.request["PATH_INFO"] == "/login/otp/setup/"
    html = page.content.decode()
    secret = re.search(r'id="otp-secret">([A-Z2-7]+)<', html).group(1)
    assert 'src="data:image/svg+xml' in html  # the QR code, drawn here
    done = client.post("/login/otp/setup/", {"code": code_for(secret), "next": "/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-z]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    return secret, codes


def test_privileged_users_enrol_at_first_sign_in_then_give_a_code_every_time(client, require_2fa, centre):
    secret, _codes = enrol(client, "centre")
    assert client.get("/cases/").status_code == 200
    client.post("/logout/")

    # The next sign-in: nothing but the second step until the code is given.
    sign_in(client, "centre")
    blocked = client.get("/cases/")
    assert blocked.status_code == 302 and blocked["Location"].startswith("/login/otp/?next=")
    assert client.get("/api/v1/me/").status_code == 403
    wrong = client.post("/login/otp/", {"code": "000000", "next": "/cases/"}, REMOTE_ADDR="10.0.0.9")
    assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
    failure = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).latest("chain_seq")
    assert failure.username == "centre" and failure.detail == {"second_factor": True}
    # django-otp's own throttle: a second after a failure before the next try counts.
    time.sleep(1.1)
    # A code already used (the enrolment's) is not taken twice; the next window's is.
    ok = client.post("/login/otp/", {"code": code_for(secret, at=time.time() + 30), "next": "/cases/"})
    assert ok.status_code == 302 and ok["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_a_recovery_code_signs_in_once(client, require_2fa, leader):
    _secret, codes = enrol(client, "leader")
    client.post("/logout/")
    sign_in(client, "leader")
    assert client.post("/login/otp/", {"code": codes[0], "next": "/"}).status_code == 302
    client.post("/logout/")
    sign_in(client, "leader")
    assert client.post("/login/otp/", {"code": codes[0], "next": "/"}).status_code == 400
    time.sleep(1.1)  # django-otp's throttle after a failure
    assert client.post("/login/otp/", {"code": codes[1], "next": "/"}).status_code == 302


def test_failed_codes_count_towards_the_lockout(client, require_2fa, centre):
    enrol(client, "centre")
    client.post("/logout/")
    sign_in(client, "centre")
    for _ in range(5):
        client.post("/login/otp/", {"code": "123456"}, REMOTE_ADDR="10.0.0.9")
    locked = client.post("/login/otp/", {"code": "123456"}, REMOTE_ADDR="10.0.0.9")
    assert locked.status_code == 429
    # Signed out, and the password alone is refused from that address too.
    assert sign_in(client, "centre").status_code == 429


def test_the_admin_requires_a_verified_device(client, require_2fa, administrator):
    sign_in(client, "admin")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/otp/setup/")


def test_others_sign_in_with_the_password_alone_unless_they_enrolled(client, require_2fa, grid_worker):
    sign_in(client, grid_worker.username)
    assert client.get("/cases/").status_code == 200


def test_the_demo_signs_in_in_one_step_and_says_so(client, centre):
    assert "一步登录" in client.get(LOGIN).content.decode()
    sign_in(client, "centre")
    assert client.get("/cases/").status_code == 200


def test_the_token_endpoint_asks_for_the_second_factor(client, require_2fa, centre):
    url = "/api/v1/auth/token/"
    # Must use one and has none yet: enrol on the web first.
    refused = client.post(url, {"username": "centre", "password": PASSWORD}, content_type="application/json")
    assert refused.status_code == 400 and "otp" in refused.json()
    secret, _codes = enrol(client, "centre")
    client.post("/logout/")
    without = client.post(url, {"username": "centre", "password": PASSWORD}, content_type="application/json")
    assert without.status_code == 400 and "otp" in without.json()
    wrong = client.post(
        url, {"username": "centre", "password": PASSWORD, "otp": "000000"}, content_type="application/json"
    )
    assert wrong.status_code == 400
    time.sleep(1.1)  # django-otp's throttle after a failure
    good = client.post(
        url,
        {"username": "centre", "password": PASSWORD, "otp": code_for(secret, at=time.time() + 30)},
        content_type="application/json",
    )
    assert good.status_code == 200 and good.json()["token"]


def test_enrolment_is_refused_with_a_wrong_code_and_leaves_no_confirmed_device(client, require_2fa, centre):
    sign_in(client, "centre")
    response = client.post("/login/otp/setup/", {"code": "12345"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=centre, confirmed=True).exists()
    assert get_user_model().objects.get(pk=centre.pk).is_active
