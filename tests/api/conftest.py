import pytest
from rest_framework.test import APIClient

from api.services import token_issue


@pytest.fixture
def api():
    """api(user) -> an APIClient sending that user's token; api() -> no credentials."""

    def client_for(user=None):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=user)[1]}")
        return client

    return client_for


@pytest.fixture
def committed_db(transactional_db, django_db_serialized_rollback):
    """Real commits, seen by other threads; the reference data (categories) restored afterwards."""
