"""`manage.py createtoken USERNAME`, and revoking a token in the admin."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD


def createtoken(*args) -> str:
    out = StringIO()
    call_command("createtoken", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def get_me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def test_createtoken_prints_a_working_token(grid_worker):
    key = createtoken("gridworker")
    assert key == Token.objects.get(user=grid_worker).key
    assert get_me(key).json()["username"] == "gridworker"


def test_createtoken_twice_prints_the_same_token(grid_worker):
    assert createtoken("gridworker") == createtoken("gridworker")
    assert Token.objects.count() == 1


def test_createtoken_reset_replaces_and_revokes_the_old_key(grid_worker):
    old = createtoken("gridworker")
    new = createtoken("gridworker", "--reset")
    assert new != old
    assert get_me(old).status_code == 401
    assert get_me(new).status_code == 200


def test_createtoken_dry_run_writes_nothing(grid_worker):
    assert createtoken("gridworker", "--dry-run") == "dry run: would create the token of gridworker"
    assert not Token.objects.exists()


def test_createtoken_refuses_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        createtoken("nobody")
    assert not Token.objects.exists()


def test_createtoken_refuses_inactive_user(grid_worker):
    grid_worker.is_active = False
    grid_worker.save()
    with pytest.raises(CommandError, match="停用"):
        createtoken("gridworker")
    assert not Token.objects.exists()


def test_token_of_a_deactivated_user_stops_working(grid_worker):
    key = createtoken("gridworker")
    grid_worker.is_active = False
    grid_worker.save()
    assert get_me(key).status_code == 401


def test_deleting_a_token_in_the_admin_revokes_it(client, administrator, grid_worker):
    key = createtoken("gridworker")
    assert get_me(key).status_code == 200
    client.login(username="admin", password=PASSWORD)
    changelist = client.get("/admin/authtoken/tokenproxy/")
    assert changelist.status_code == 200 and str(grid_worker) in changelist.content.decode()
    url = f"/admin/authtoken/tokenproxy/{grid_worker.pk}/delete/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(key=key).exists()
    assert get_me(key).status_code == 401
