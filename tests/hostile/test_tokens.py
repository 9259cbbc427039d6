"""Finding 7 (tokens) and 8 (lockout) of the attack run: API tokens never expired and were stored in
plain text; the token endpoint answered a locked account with 400 instead of 429."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.services import token_issue
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def me(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/v1/me/")


def test_finding_7_tokens_are_stored_hashed_expire_and_record_their_last_use(grid_worker, settings):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": grid_worker.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    # No table holds the key itself.
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(f'"{c}"::text' for c in columns)
            cursor.execute(f"SELECT count(*) FROM \"{table}\" WHERE concat_ws('|', {quoted}) LIKE %s", [f"%{key}%"])
            assert cursor.fetchone()[0] == 0, table
    token = ApiToken.objects.get(user=grid_worker)
    assert token.last_used_at is None
    assert token.expires_at - token.created_at == dt.timedelta(days=settings.FENGQIAO_API_TOKEN_DAYS)
    expires = token.expires_at

    assert me(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is None  # used within the minute it was issued: no write per request
    ApiToken.objects.filter(pk=token.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    assert me(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None and timezone.now() - token.last_used_at < dt.timedelta(minutes=1)

    assert ApiToken.objects.get(pk=token.pk).expires_at == expires  # use does not extend it
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = me(key)
    assert response.status_code == 401 and "过期" in response.json()["detail"]

    short, short_key = token_issue(user=grid_worker, days=7)
    assert short.expires_at - short.created_at == dt.timedelta(days=7) and me(short_key).status_code == 200


def test_finding_8_a_locked_account_is_429_on_every_sign_in_path(client, grid_worker, administrator):
    api = APIClient()
    wrong = {"username": grid_worker.username, "password": "wrong-password-1"}
    statuses = [api.post("/api/v1/auth/token/", wrong, format="json").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure locks the account
    right = {"username": grid_worker.username, "password": PASSWORD}
    response = api.post("/api/v1/auth/token/", right, format="json")
    assert response.status_code == 429 and isinstance(response.json()["detail"], str)
    assert not ApiToken.objects.exists()
    # The same account is locked on the web sign-in page and the admin's.
    assert client.post("/login/", right).status_code == 429
    for _ in range(5):
        client.post("/admin/login/", {"username": administrator.username, "password": "wrong-password-1"})
    response = api.post(
        "/api/v1/auth/token/", {"username": administrator.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
