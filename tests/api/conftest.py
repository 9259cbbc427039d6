import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """api(user) -> an APIClient sending that user's token; api() -> no credentials."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def flushable_caseevents(django_db_setup, django_db_blocker):
    """Let the flush after a transactional test TRUNCATE the append-only event table.

    casework's migration 0004 refuses TRUNCATE on casework_caseevent, which is how Django
    empties the database after a transactional test. Only that statement trigger is lifted,
    and only around the test and its flush; the row triggers (no UPDATE, no DELETE) stay.
    """
    sql = "ALTER TABLE casework_caseevent {} TRIGGER casework_caseevent_no_truncate"
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(sql.format("DISABLE"))
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(sql.format("ENABLE"))


@pytest.fixture
def committed_db(flushable_caseevents, transactional_db, django_db_serialized_rollback):
    """Real commits, seen by other threads; the reference data (categories) restored afterwards.

    Must come first among a test's fixtures, so that the flush runs while TRUNCATE is allowed.
    """
