"""`manage.py createtoken USERNAME`, and revoking a token in the admin."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken
from common.enums import AuditAction
from common.models import AuditEntry
from tests.factories import PASSWORD


def createtoken(*args) -> str:
    out = StringIO()
    call_command("createtoken", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def get_me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def test_createtoken_prints_a_working_token_and_keeps_only_its_digest(grid_worker):
    key = createtoken("gridworker")
    token = ApiToken.objects.get(user=grid_worker)
    assert token.digest == ApiToken.digest_of(key) and key not in (token.digest, token.prefix)
    assert get_me(key).json()["username"] == "gridworker"


def test_createtoken_twice_issues_two_tokens(grid_worker):
    first, second = createtoken("gridworker"), createtoken("gridworker")
    assert first != second and ApiToken.objects.count() == 2
    assert get_me(first).status_code == get_me(second).status_code == 200


def test_createtoken_reset_revokes_the_other_keys(grid_worker):
    old = createtoken("gridworker")
    new = createtoken("gridworker", "--reset")
    assert new != old
    assert get_me(old).status_code == 401
    assert get_me(new).status_code == 200


def test_createtoken_days_sets_the_expiry(grid_worker, settings):
    createtoken("gridworker")
    createtoken("gridworker", "--days", "7")
    expiries = sorted(t.expires_at - t.created_at for t in ApiToken.objects.all())
    assert expiries == [dt.timedelta(days=7), dt.timedelta(days=settings.FENGQIAO_API_TOKEN_DAYS)]
    with pytest.raises(CommandError, match="有效期"):
        createtoken("gridworker", "--days", "0")


def test_createtoken_dry_run_writes_nothing(grid_worker):
    assert createtoken("gridworker", "--dry-run") == "dry run: would issue a token to gridworker"
    assert not ApiToken.objects.exists()


def test_createtoken_refuses_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        createtoken("nobody")


def test_createtoken_refuses_inactive_user(grid_worker):
    grid_worker.is_active = False
    grid_worker.save()
    with pytest.raises(CommandError, match="停用"):
        createtoken("gridworker")
    assert not ApiToken.objects.exists()


def test_a_token_deleted_in_the_admin_is_revoked(client, administrator, grid_worker):
    key = createtoken("gridworker")
    token = ApiToken.objects.get()
    assert client.login(username=administrator.username, password=PASSWORD)
    response = client.post(f"/admin/api/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert get_me(key).status_code == 401


def test_token_of_a_deactivated_user_stops_working(grid_worker):
    key = createtoken("gridworker")
    grid_worker.is_active = False
    grid_worker.save()
    assert get_me(key).status_code == 401


def get_me_from(key, address):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def test_an_allow_listed_token_works_from_inside_and_is_refused_and_audited_from_elsewhere(grid_worker):
    key = createtoken("gridworker", "--allow-ip", "10.0.0.0/24", "--allow-ip", "192.168.7.7,2001:db8::/64")
    token = ApiToken.objects.get()
    assert token.allowed_networks == ["10.0.0.0/24", "192.168.7.7/32", "2001:db8::/64"]
    for inside in ("10.0.0.1", "10.0.0.254", "192.168.7.7", "::ffff:10.0.0.9", "2001:db8::5"):
        assert get_me_from(key, inside).status_code == 200, inside
    token.refresh_from_db()
    assert token.last_used_at is None  # used within its first minute

    before = AuditEntry.objects.count()
    for outside in ("10.0.1.1", "192.168.7.8", "2001:db9::5", "127.0.0.1"):
        response = get_me_from(key, outside)
        assert response.status_code == 403, outside
        assert response.json() == {"detail": "此令牌不允许从当前地址使用。"}
        assert "gridworker" not in response.content.decode()
    refused = list(AuditEntry.objects.order_by("id")[before:])
    assert [(e.action, e.username, e.ip, e.target) for e in refused] == [
        (AuditAction.LOGIN_FAILED, "gridworker", ip, f"api_token:{token.prefix}")
        for ip in ("10.0.1.1", "192.168.7.8", "2001:db9::5", "127.0.0.1")
    ]
    assert refused[0].detail == {"api_token": token.prefix, "address_not_allowed": True}
    # A refused request is no use of the token.
    ApiToken.objects.filter(pk=token.pk).update(created_at=token.created_at - dt.timedelta(minutes=5))
    get_me_from(key, "10.9.9.9")
    token.refresh_from_db()
    assert token.last_used_at is None


def test_a_token_without_an_allow_list_works_from_anywhere(grid_worker):
    key = createtoken("gridworker")
    assert ApiToken.objects.get().allowed_networks == []
    assert get_me_from(key, "203.0.113.9").status_code == 200
    assert get_me_from(key, "2001:db8::1").status_code == 200


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "10.0.0.5/24", "hotline", "10.0.0.0/24;drop", "::g"])
def test_createtoken_refuses_an_allow_list_entry_that_is_no_network_and_writes_nothing(grid_worker, bad):
    with pytest.raises(CommandError, match="不是IP地址或网段"):
        createtoken("gridworker", "--allow-ip", f"10.1.0.0/16,{bad}")
    assert not ApiToken.objects.exists()


def test_createtoken_dry_run_names_the_allow_list(grid_worker):
    out = createtoken("gridworker", "--allow-ip", "10.0.0.0/24", "--dry-run")
    assert out == "dry run: would issue a token to gridworker, usable only from 10.0.0.0/24"
    assert not ApiToken.objects.exists()


def test_the_admin_shows_a_tokens_allow_list(client, administrator, grid_worker):
    createtoken("gridworker", "--allow-ip", "10.0.0.0/24")
    assert client.login(username=administrator.username, password=PASSWORD)
    page = client.get("/admin/api/apitoken/").content.decode()
    assert "10.0.0.0/24" in page
