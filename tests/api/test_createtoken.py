"""`manage.py createtoken USERNAME`, and revoking a token in the admin."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from api.models import ApiToken
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
