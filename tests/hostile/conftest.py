"""The attack run's findings reuse the API client and the ledger's world."""

from tests.api.conftest import api, committed_db  # noqa: F401
from tests.ledger.conftest import world  # noqa: F401
